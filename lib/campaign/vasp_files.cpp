#include "campaign/vasp_files.h"

#include <cctype>
#include <sstream>

#include "util/error.h"
#include "util/strings.h"

namespace xrun::campaign::detail {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The lines of a text with their start offsets.
std::vector<std::pair<size_t, std::string>> lines_of(const std::string& text) {
  std::vector<std::pair<size_t, std::string>> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    out.push_back({pos, text.substr(pos, end - pos)});
    pos = end + 1;
  }
  return out;
}

std::vector<long> integers(const std::string& line) {
  std::istringstream in(line);
  std::vector<long> out;
  std::string word;
  while (in >> word) {
    char* end = nullptr;
    const long v = std::strtol(word.c_str(), &end, 10);
    if (*end) return {};
    out.push_back(v);
  }
  return out;
}

}  // namespace

VaspFiles::VaspFiles(InputFiles& files) : files_(files) {
  auto it = files.text.find("INCAR");
  if (it == files.text.end()) return;
  try {
    incar_.emplace(it->second);
  } catch (const Error& e) {
    throw Error(XRUN_E_PARSE, e.what());
  }
}

std::string VaspFiles::word(const char* key, const char* fallback) const {
  auto v = incar_->get(key);
  std::string s = lower(v ? *v : fallback);
  if (std::string(key) == "ALGO" && s.size() == 1) {  // VASP reads ALGO by its first letter
    switch (s[0]) {
      case 'n': return "normal";
      case 'f': return "fast";
      case 'v': return "veryfast";
      case 'a': return "all";
      case 'd': return "damped";
      case 'e': return "exact";
      case 'c': return "conjugate";
    }
  }
  return s;
}

double VaspFiles::number(const char* key, double fallback) const {
  auto v = incar_->get(key);
  return v ? incar_number(*v).value_or(fallback) : fallback;
}

bool VaspFiles::flag(const char* key, bool fallback) const {
  auto v = incar_->get(key);
  if (!v) return fallback;
  // LREAL = Auto / On are "not False" (custodian's test).
  return incar_bool(*v).value_or(true);
}

void VaspFiles::set(const char* key, const std::string& value, AppliedCorrection& out) {
  const auto old = incar_->get(key);
  if (old && *old == value) return;
  incar_->set(key, value);
  out.edits.push_back(std::string("INCAR: ") + key + " " + old.value_or("(unset)") + " -> " + value);
  files_.text["INCAR"] = incar_->text();
}

void VaspFiles::remove(const char* key, AppliedCorrection& out) {
  const auto old = incar_->get(key);
  if (!old || !incar_->remove(key)) return;
  out.edits.push_back(std::string("INCAR: ") + key + " " + *old + " removed");
  files_.text["INCAR"] = incar_->text();
}

char VaspFiles::kpoints_style() const {
  auto it = files_.text.find("KPOINTS");
  if (it == files_.text.end()) return 0;
  const auto lines = lines_of(it->second);
  if (lines.size() < 4 || trim(lines[1].second) != "0") return 0;
  const std::string_view style = trim(lines[2].second);
  if (style.empty()) return 0;
  const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(style[0])));
  return c == 'g' || c == 'm' ? c : 0;
}

void VaspFiles::set_kpoints_style(char style, AppliedCorrection& out, bool odd_mesh) {
  std::string& text = files_.text["KPOINTS"];
  const auto lines = lines_of(text);
  const std::string old_style(trim(lines[2].second));
  const std::string new_style = style == 'g' ? "Gamma" : "Monkhorst-Pack";
  std::string mesh_edit;
  std::vector<long> mesh = integers(lines[3].second);
  std::string new_mesh;
  if (odd_mesh && style == 'g' && mesh.size() == 3 && mesh[0] % 2 == 0 && mesh[1] % 2 == 0 && mesh[2] % 2 == 0) {
    new_mesh = std::to_string(mesh[0] + 1) + " " + std::to_string(mesh[1] + 1) + " " + std::to_string(mesh[2] + 1);
    mesh_edit = ", mesh " + std::string(trim(lines[3].second)) + " -> " + new_mesh;
  }
  // Back to front so the first offset stays valid.
  if (!new_mesh.empty()) text.replace(lines[3].first, lines[3].second.size(), new_mesh);
  text.replace(lines[2].first, lines[2].second.size(), new_style);
  out.edits.push_back("KPOINTS: " + old_style + " -> " + new_style + mesh_edit);
}

int VaspFiles::atoms() const {
  auto it = files_.text.find("POSCAR");
  if (it == files_.text.end()) return 0;
  const auto lines = lines_of(it->second);
  // Line 6 holds the counts (VASP 4) or the species with the counts on line 7.
  for (size_t i = 5; i < lines.size() && i < 7; ++i) {
    const auto counts = integers(lines[i].second);
    if (!counts.empty()) {
      long n = 0;
      for (long c : counts) n += c;
      return static_cast<int>(n);
    }
  }
  return 0;
}

void VaspFiles::continue_from_contcar(AppliedCorrection& out) {
  auto it = files_.text.find("CONTCAR");
  if (it == files_.text.end()) return;
  // A CONTCAR VASP has not written yet is empty; a structure has a cell and a position.
  if (lines_of(it->second).size() < 8) return;
  if (files_.text["POSCAR"] == it->second) return;
  files_.text["POSCAR"] = it->second;
  out.edits.push_back("POSCAR: replaced by CONTCAR (continue from the last ionic step)");
}

}  // namespace xrun::campaign::detail
