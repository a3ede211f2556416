// VASP OSZICAR (one line per electronic step, one "F=" line per ionic
// step; it tells neither NELM nor whether the run finished) and stdout.
#include <algorithm>

#include "parse/code_parser.h"
#include "parse/text_scan.h"
#include "parse/vasp_messages.h"

namespace xrun::parse {

namespace {

// Shared by the OSZICAR and the stdout log, which repeats its lines.
class IonicLineReader {
 public:
  // True if `t` (trimmed) was an OSZICAR-style line.
  bool read(std::string_view t, int64_t no, ResultData& d) {
    if (t.size() > 4 && t[3] == ':' && (starts(t, "DAV:") || starts(t, "RMM:") || starts(t, "CG :") ||
                                        starts(t, "SDA:") || starts(t, "DIA:") || starts(t, "EDD:"))) {
      ++electronic_;
      return true;
    }
    if (t.empty() || t[0] < '0' || t[0] > '9') return false;
    size_t f = t.find("F=");
    if (f == std::string_view::npos) return false;
    auto e = number_after(t, "F=");
    if (!e) return false;
    last_energy_ = *e;
    last_line_ = no;
    ++d.n_ionic_steps;
    d.add_ionic_energy(*e);
    if (auto e0 = number_after(t, "E0=")) d.extra["energy_sigma0_ev"] = *e0;
    if (auto mag = number_after(t, "mag=")) d.total_magnetization = *mag;
    if (electronic_ > 0) d.n_scf_iterations = electronic_;
    electronic_ = 0;
    return true;
  }
  std::optional<double> last_energy_;
  int64_t last_line_ = 0;
  int64_t electronic_ = 0;
};

// OSZICAR and VASP's stdout, one parser: the stdout repeats the OSZICAR
// lines, so which of the two a file is cannot be told from its first lines.
// Every line that is not an OSZICAR line is scanned for errors, and the
// file type is named from what was seen (a single foreign line makes it the
// stdout).
class VaspLogParser final : public CodeParser {
 public:
  void line(std::string_view raw, int64_t no) override {
    std::string_view t = ltrim(raw);
    if (t.empty()) return;
    if (reader_.read(t, no, d_)) return;
    if (starts(t, "N       E")) return;  // the OSZICAR header
    ++other_lines_;
    if (!d_.program_version && starts(t, "vasp.")) {
      std::string_view rest = t.substr(5);
      set_version(d_, rest.substr(0, std::min({rest.find(' '), rest.size(), size_t{64}})));
      return;
    }
    if (starts(t, "reached required accuracy")) {
      d_.geometry_converged = true;
      return;
    }
    if (scan_vasp_messages(t, no, picker_)) return;
    if (is_vasp_error_box(t)) {
      // VASP 6 boxes a fatal error; the message inside names its class
      // (and wins) when it is one we know.
      picker_.report("crashed", no, t);
      return;
    }
    scan_common_messages(t, no, picker_);
  }

  ResultData finish() override {
    d_.code = "vasp";
    d_.file_type = other_lines_ > 0 ? "VASP stdout/stderr" : "OSZICAR";
    d_.native_unit = "eV";
    d_.total_energy_native = reader_.last_energy_;
    if (!reader_.last_energy_) {
      report_truncated(picker_, "no ionic step ('F=' line) completed");
    } else if (*reader_.last_energy_ > 0) {
      // custodian's PositiveEnergyErrorHandler flags this as a sign of trouble.
      picker_.warn("positive_energy", reader_.last_line_, "final energy F= is positive");
    }
    picker_.finish(d_);
    return std::move(d_);
  }

 private:
  ResultData d_;
  DiagnosisPicker picker_;
  IonicLineReader reader_;
  int64_t other_lines_ = 0;
};

}  // namespace

std::unique_ptr<CodeParser> make_vasp_log_parser() { return std::make_unique<VaspLogParser>(); }

}  // namespace xrun::parse
