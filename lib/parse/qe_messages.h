// pw.x error messages and the failure class each names.
#pragma once
#include <string_view>

namespace xrun::parse {

// The diagnosis code for an error block of pw.x: `routine` is its "Error in
// routine NAME (N):" line (or the CRASH file's "from NAME : error #"),
// `message` a line of its text. "crashed" when no class fits.
std::string_view classify_qe_error(std::string_view routine, std::string_view message);

}  // namespace xrun::parse
