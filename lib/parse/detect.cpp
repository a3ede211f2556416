#include "parse/detect.h"

#include "parse/text_scan.h"
#include "util/error.h"

namespace xrun::parse {

namespace {

bool has(std::string_view s, std::string_view needle) { return contains(s, needle); }

// Which VASP file this is; a log when nothing more specific matches.
std::string vasp_format(std::string_view head) {
  if (has(head, "<modeling>") || (has(head, "<?xml") && has(head, "<generator>"))) return "vasp-xml";
  if (has(head, " vasp.") && (has(head, "executed on") || has(head, "POTCAR:") || has(head, "INCAR:")))
    return "vasp-outcar";
  std::string_view first = trim(head.substr(0, std::min(head.find('\n'), head.size())));
  if (starts(first, "N       E") || starts(first, "DAV:") || starts(first, "RMM:") || starts(first, "CG :"))
    return "vasp-oszicar";
  return "vasp-log";
}

bool looks_like_vasp_log(std::string_view head) {
  if (has(head, " vasp.") && (has(head, "running on") || has(head, "distrk") || has(head, "POSCAR found")))
    return true;
  // A log that holds little more than the messages custodian matches.
  return has(head, "LAPACK: Routine ZPOTRF") || has(head, "REAL_OPTLAY") || has(head, "BRMIX: very serious") ||
         has(head, "ZBRENT: fatal") || has(head, "Error EDDDAV") || has(head, "TOO FEW BANDS");
}

std::unique_ptr<CodeParser> make(const std::string& format) {
  if (format == "qe") return make_qe_parser();
  if (format == "crystal") return make_crystal_parser();
  if (format == "vasp-xml") return make_vasprun_parser();
  if (format == "vasp-outcar") return make_outcar_parser();
  if (format == "vasp-oszicar") return make_oszicar_parser();
  if (format == "vasp-log") return make_vasp_log_parser();
  return nullptr;
}

}  // namespace

std::string detect_format(std::string_view head) {
  if (has(head, "Program PWSCF") || has(head, "PWSCF  ") || (has(head, "Quantum ESPRESSO") && has(head, "PW")))
    return "qe";
  if (has(head, "<modeling>") || (has(head, "<?xml") && has(head, "<generator>"))) return "vasp-xml";
  if (has(head, "EEEEEEEEEE STARTING") || has(head, "CRYSTAL - SCF") ||
      (has(head, "*                               CRYSTAL") && has(head, "*")))
    return "crystal";
  if (has(head, " vasp.") && (has(head, "executed on") || has(head, "POTCAR:"))) return "vasp-outcar";
  std::string format = vasp_format(head);
  if (format == "vasp-oszicar") return format;
  if (looks_like_vasp_log(head)) return "vasp-log";
  // pw.x error reports (the CRASH file, an error block on stderr).
  if (has(head, "%%%%%%%%") && (has(head, "Error in routine") || has(head, "from ") || has(head, "error #")))
    return "qe";
  return "";
}

std::unique_ptr<CodeParser> choose_parser(const std::string& parser, std::string_view head, const std::string& where) {
  if (parser.empty() || parser == "auto") {
    std::string format = detect_format(head);
    if (format.empty()) {
      throw Error(XRUN_E_PARSE, "cannot tell which code wrote " + where +
                                    ": not Quantum ESPRESSO, VASP or CRYSTAL output (name a parser to force one)");
    }
    return make(format);
  }
  if (parser == "vasp") return make(vasp_format(head));
  if (auto p = make(parser)) return p;
  throw Error(XRUN_E_INVALID, "unknown parser '" + parser +
                                  "' (use auto, qe, vasp, crystal, vasp-outcar, vasp-oszicar, vasp-xml or vasp-log)");
}

}  // namespace xrun::parse
