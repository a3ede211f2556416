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

}  // namespace xrun::parse
