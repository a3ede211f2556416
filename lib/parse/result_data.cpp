#include "parse/result_data.h"

#include <cmath>

#include "parse/units.h"
#include "util/json.h"

namespace xrun::parse {

std::optional<double> ResultData::total_energy_ev() const {
  if (!total_energy_native) return std::nullopt;
  if (native_unit == "Ry") return *total_energy_native * units::kEvPerRydberg;
  if (native_unit == "Ha") return *total_energy_native * units::kEvPerHartree;
  return total_energy_native;
}

void ResultData::add_ionic_energy(double ev) {
  if (ionic_energies_ev.size() < kMaxIonicEnergies) {
    ionic_energies_ev.push_back(ev);
  } else {
    ionic_energies_truncated = true;
  }
}

namespace {

// Species are given only when there is one per final position.
bool has_species(const ResultData& d) {
  return !d.symbols.empty() && d.symbols.size() == d.final_positions_angstrom.size();
}

void set_opt(cJSON* obj, const char* key, const std::optional<double>& v) {
  if (v && std::isfinite(*v)) {
    json::set_number(obj, key, *v);
  } else {
    json::set_null(obj, key);
  }
}

void set_opt_bool(cJSON* obj, const char* key, const std::optional<bool>& v) {
  if (v) {
    json::set_bool(obj, key, *v);
  } else {
    json::set_null(obj, key);
  }
}

json::Ptr vec_array(const Vec3& v) {
  json::Ptr row = json::array();
  for (double x : v) cJSON_AddItemToArray(row.get(), cJSON_CreateNumber(std::isfinite(x) ? x : 0.0));
  return row;
}

void set_rows(cJSON* obj, const char* key, const Vec3* rows, size_t n, bool present) {
  if (!present) {
    json::set_null(obj, key);
    return;
  }
  json::Ptr arr = json::array();
  for (size_t i = 0; i < n; ++i) cJSON_AddItemToArray(arr.get(), vec_array(rows[i]).release());
  json::set_node(obj, key, std::move(arr));
}

json::Ptr diagnosis_json(const Diagnosis& d) {
  json::Ptr node = json::object();
  json::set_string(node.get(), "code", d.code);
  json::set_int(node.get(), "line", d.line);
  json::set_string(node.get(), "text", d.text);
  if (!d.file.empty()) json::set_string(node.get(), "file", d.file);
  return node;
}

}  // namespace

std::string ParsedResult::to_json() const {
  const ResultData& d = data_;
  json::Ptr root = json::object();
  cJSON* o = root.get();
  json::set_string(o, "code", d.code);
  json::set_string(o, "file_type", d.file_type);
  json::set_optional_string(o, "program_version", d.program_version);
  set_opt(o, "total_energy_ev", d.total_energy_ev());
  set_opt(o, "total_energy_native", d.total_energy_native);
  json::set_string(o, "native_unit", d.native_unit);
  set_opt(o, "fermi_energy_ev", d.fermi_energy_ev);
  set_opt(o, "homo_ev", d.homo_ev);
  set_opt(o, "lumo_ev", d.lumo_ev);
  set_opt(o, "band_gap_ev", d.band_gap_ev);
  set_rows(o, "final_cell_angstrom", d.final_cell_angstrom ? d.final_cell_angstrom->data() : nullptr, 3,
           d.final_cell_angstrom.has_value());
  set_rows(o, "final_positions_angstrom", d.final_positions_angstrom.data(), d.final_positions_angstrom.size(),
           !d.final_positions_angstrom.empty());
  // Keys of v0.1 first (symbols, forces_ev_per_angstrom, stress_kbar), then
  // the fixed names of v0.2 with the same values.
  for (const char* key : {"symbols", "species"}) {
    if (has_species(d)) {
      json::Ptr arr = json::array();
      for (const auto& s : d.symbols) cJSON_AddItemToArray(arr.get(), cJSON_CreateString(s.c_str()));
      json::set_node(o, key, std::move(arr));
    } else {
      json::set_null(o, key);
    }
  }
  for (const char* key : {"forces_ev_per_angstrom", "final_forces_ev_per_angstrom"}) {
    set_rows(o, key, d.forces_ev_per_angstrom.data(), d.forces_ev_per_angstrom.size(),
             !d.forces_ev_per_angstrom.empty());
  }
  for (const char* key : {"stress_kbar", "final_stress_kbar"}) {
    set_rows(o, key, d.stress_kbar ? d.stress_kbar->data() : nullptr, 3, d.stress_kbar.has_value());
  }
  set_opt(o, "total_magnetization", d.total_magnetization);
  set_opt(o, "absolute_magnetization", d.absolute_magnetization);
  json::set_optional_int(o, "n_kpoints", d.n_kpoints);
  json::set_optional_int(o, "n_scf_iterations", d.n_scf_iterations);
  json::set_int(o, "n_ionic_steps", d.n_ionic_steps);
  {
    json::Ptr arr = json::array();
    for (double e : d.ionic_energies_ev) cJSON_AddItemToArray(arr.get(), cJSON_CreateNumber(e));
    json::set_node(o, "ionic_energies_ev", std::move(arr));
  }
  if (d.ionic_energies_truncated) json::set_bool(o, "ionic_energies_truncated", true);
  set_opt_bool(o, "scf_converged", d.scf_converged);
  set_opt_bool(o, "geometry_converged", d.geometry_converged);
  set_opt(o, "wall_time_s", d.wall_time_s);
  set_opt(o, "cpu_time_s", d.cpu_time_s);
  for (const auto& [key, value] : d.extra) {
    if (std::isfinite(value)) json::set_number(o, key.c_str(), value);
  }
  json::set_node(o, "diagnosis", diagnosis_json(d.diagnosis));
  json::Ptr warnings = json::array();
  for (const auto& w : d.warnings) cJSON_AddItemToArray(warnings.get(), diagnosis_json(w).release());
  json::set_node(o, "warnings", std::move(warnings));
  return json::print(o);
}

bool ParsedResult::number(std::string_view key, double* out) const {
  const ResultData& d = data_;
  auto give = [&](const std::optional<double>& v) {
    if (!v) return false;
    *out = *v;
    return true;
  };
  if (key == "total_energy_ev") return give(d.total_energy_ev());
  if (key == "total_energy_native") return give(d.total_energy_native);
  if (key == "fermi_energy_ev") return give(d.fermi_energy_ev);
  if (key == "homo_ev") return give(d.homo_ev);
  if (key == "lumo_ev") return give(d.lumo_ev);
  if (key == "band_gap_ev") return give(d.band_gap_ev);
  if (key == "wall_time_s") return give(d.wall_time_s);
  if (key == "cpu_time_s") return give(d.cpu_time_s);
  if (key == "total_magnetization") return give(d.total_magnetization);
  if (key == "absolute_magnetization") return give(d.absolute_magnetization);
  if (key == "n_kpoints") {
    if (!d.n_kpoints) return false;
    *out = static_cast<double>(*d.n_kpoints);
    return true;
  }
  if (key == "n_scf_iterations") {
    if (!d.n_scf_iterations) return false;
    *out = static_cast<double>(*d.n_scf_iterations);
    return true;
  }
  if (key == "n_ionic_steps") {
    *out = static_cast<double>(d.n_ionic_steps);
    return true;
  }
  if (key == "n_atoms") {
    if (d.final_positions_angstrom.empty()) return false;
    *out = static_cast<double>(d.final_positions_angstrom.size());
    return true;
  }
  if (key == "diagnosis_line") {
    *out = static_cast<double>(d.diagnosis.line);
    return true;
  }
  if (key == "scf_converged" || key == "geometry_converged") {
    const auto& flag = key == "scf_converged" ? d.scf_converged : d.geometry_converged;
    if (!flag) return false;
    *out = *flag ? 1.0 : 0.0;
    return true;
  }
  auto it = d.extra.find(std::string(key));
  if (it == d.extra.end()) return false;
  *out = it->second;
  return true;
}

namespace {

void append_rows(const Vec3* rows, size_t n, std::vector<double>* out) {
  out->clear();
  out->reserve(n * 3);
  for (size_t i = 0; i < n; ++i) out->insert(out->end(), rows[i].begin(), rows[i].end());
}

}  // namespace

bool ParsedResult::array(std::string_view key, std::vector<double>* out) const {
  const ResultData& d = data_;
  if (key == "final_forces_ev_per_angstrom" || key == "forces_ev_per_angstrom") {
    if (d.forces_ev_per_angstrom.empty()) return false;
    append_rows(d.forces_ev_per_angstrom.data(), d.forces_ev_per_angstrom.size(), out);
    return true;
  }
  if (key == "final_positions_angstrom") {
    if (d.final_positions_angstrom.empty()) return false;
    append_rows(d.final_positions_angstrom.data(), d.final_positions_angstrom.size(), out);
    return true;
  }
  if (key == "final_stress_kbar" || key == "stress_kbar") {
    if (!d.stress_kbar) return false;
    append_rows(d.stress_kbar->data(), 3, out);
    return true;
  }
  if (key == "final_cell_angstrom") {
    if (!d.final_cell_angstrom) return false;
    append_rows(d.final_cell_angstrom->data(), 3, out);
    return true;
  }
  if (key == "ionic_energies_ev") {
    *out = d.ionic_energies_ev;
    return true;
  }
  return false;
}

const std::string* ParsedResult::string_at(std::string_view key, size_t index) const {
  if (key != "species" && key != "symbols") return nullptr;
  if (!has_species(data_) || index >= data_.symbols.size()) return nullptr;
  return &data_.symbols[index];
}

}  // namespace xrun::parse
