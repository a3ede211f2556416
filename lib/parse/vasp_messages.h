// VASP error messages and the class each names. The texts and the names
// are those custodian's VASP handlers match (custodian/vasp/handlers.py:
// VaspErrorHandler.error_msgs, LrfCommutatorHandler, StdErrHandler,
// AliasingErrorHandler, MeshSymmetryErrorHandler), so a custodian user
// recognises them.
#pragma once
#include <cstdint>
#include <string_view>

#include "parse/diagnosis.h"

namespace xrun::parse {

// Reports the first VASP message `line` contains; true if one matched.
bool scan_vasp_messages(std::string_view line, int64_t number, DiagnosisPicker& picker);

// The class of the first VASP message `line` contains ("" if none), warnings
// included. Used by auto-detection: a log holding only an error is VASP's.
std::string_view vasp_message_code(std::string_view line);

// VASP 6 frames a fatal error in a box drawn with "EEEEEEE  RRRRRR ..."
// letters; true for such a line.
bool is_vasp_error_box(std::string_view line);

}  // namespace xrun::parse
