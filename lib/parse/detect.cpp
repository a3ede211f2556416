#include "parse/detect.h"

#include "parse/crystal_messages.h"
#include "parse/qe_messages.h"
#include "parse/text_scan.h"
#include "parse/vasp_messages.h"
#include "util/error.h"

namespace xrun::parse {

namespace {

bool has(std::string_view s, std::string_view needle) { return contains(s, needle); }

template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (!fn(text.substr(0, nl))) return;
    if (nl == std::string_view::npos) return;
    text.remove_prefix(nl + 1);
  }
}

// An OSZICAR-style line (VASP's stdout repeats them): an electronic step
// "DAV:  1 ..." or an ionic step "  1 F= ... E0= ...".
bool is_oszicar_line(std::string_view line) {
  std::string_view t = ltrim(line);
  if (t.size() > 4 && t[3] == ':' &&
      (starts(t, "DAV:") || starts(t, "RMM:") || starts(t, "CG :") || starts(t, "SDA:") || starts(t, "DIA:")))
    return true;
  return !t.empty() && t[0] >= '1' && t[0] <= '9' && has(t, " F= ") && has(t, "E0=");
}

bool has_oszicar_lines(std::string_view head) {
  bool found = false;
  for_each_line(head, [&](std::string_view line) {
    found = is_oszicar_line(line);
    return !found;
  });
  return found;
}

// Which VASP file this is; the stdout/OSZICAR parser when nothing more
// specific matches (it tells the two apart by their content).
std::string vasp_format(std::string_view head) {
  if (has(head, "<modeling>") || (has(head, "<?xml") && has(head, "<generator>"))) return "vasp-xml";
  if (has(head, " vasp.") && (has(head, "executed on") || has(head, "POTCAR:") || has(head, "INCAR:")))
    return "vasp-outcar";
  return has_oszicar_lines(head) ? "vasp-oszicar" : "vasp-log";
}

bool looks_like_vasp_log(std::string_view head) {
  return has(head, " vasp.") && (has(head, "running on") || has(head, "distrk") || has(head, "POSCAR found"));
}

// The code whose error vocabulary the first such line of `head` uses: a
// log or stderr that holds little more than an error message is still
// recognised ("" if no line is any code's).
std::string format_from_errors(std::string_view head) {
  std::string format;
  for_each_line(head, [&](std::string_view line) {
    if (!vasp_message_code(line).empty() || is_vasp_error_box(line)) format = "vasp-log";
    else if (is_qe_error_line(line)) format = "qe";
    else if (is_crystal_error_line(line)) format = "crystal";
    return format.empty();
  });
  return format;
}

std::unique_ptr<CodeParser> make(const std::string& format) {
  if (format == "qe") return make_qe_parser();
  if (format == "crystal") return make_crystal_parser();
  if (format == "vasp-xml") return make_vasprun_parser();
  if (format == "vasp-outcar") return make_outcar_parser();
  if (format == "vasp-oszicar" || format == "vasp-log") return make_vasp_log_parser();
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
  if (looks_like_vasp_log(head) || has_oszicar_lines(head)) return vasp_format(head);
  return format_from_errors(head);
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
