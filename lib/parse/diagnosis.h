// Diagnosis codes and the rule that picks one: every parser reports what it
// sees; the most telling report wins (a specific error beats running out of
// time, which beats an unconverged SCF, which beats a cut-off output).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "parse/line_prefilter.h"
#include "parse/result_data.h"

namespace xrun::parse {

// How telling a code is; higher wins. Unknown codes count as specific
// errors.
int diagnosis_priority(std::string_view code);

class DiagnosisPicker {
 public:
  // Records `code` shown by `line` (1-based) of the file; keeps the first
  // report of the highest priority.
  void report(std::string_view code, int64_t line, std::string_view text);
  // A warning that does not make the run fail (kept in `warnings`).
  void warn(std::string_view code, int64_t line, std::string_view text);
  bool any() const { return priority_ >= 0; }
  const std::string& code() const { return best_.code; }
  // Moves the outcome into `data`: the best report, or `ok`/`ok_with_warnings`
  // when nothing was reported. Then makes the flags agree with what was
  // reported: a geometry failure anywhere (e.g. a BFGS history failure that
  // pw.x follows with "bfgs converged") makes geometry_converged false, an
  // unconverged SCF as the diagnosis makes scf_converged false.
  void finish(ResultData& data);

 private:
  bool geometry_failure_reported_ = false;
  Diagnosis best_;
  int priority_ = -1;
  std::vector<Diagnosis> warnings_;
};

// Messages any code's output or stderr can carry: scheduler kills, memory
// exhaustion, MPI aborts, Fortran run-time errors. `trimmed` is the line
// without leading blanks.
void scan_common_messages(std::string_view trimmed, int64_t number, DiagnosisPicker& picker);

// Adds the line starts scan_common_messages acts on to `filter`.
void add_common_message_prefixes(LinePrefilter& filter);

// Copies a line into printable ASCII (bounded), for diagnosis texts.
std::string printable_excerpt(std::string_view line);

}  // namespace xrun::parse
