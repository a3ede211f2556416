// CRYSTAL error messages and the failure class each names.
#pragma once
#include <string_view>

namespace xrun::parse {

// The class of the first CRYSTAL message `line` contains, "" if none.
std::string_view crystal_message_code(std::string_view line);

// True if `line` holds text only CRYSTAL prints when it stops: its
// "ERROR **** ROUTINE **** message" form or one of its specific messages
// (not the generic MPI ones). Used by auto-detection.
bool is_crystal_error_line(std::string_view line);

}  // namespace xrun::parse
