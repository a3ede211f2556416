// pw.x error messages and the failure class each names.
#pragma once
#include <string_view>

namespace xrun::parse {

// The diagnosis code for an error block of pw.x: `routine` is its "Error in
// routine NAME (N):" line (or the CRASH file's "from NAME : error #"),
// `message` a line of its text. "crashed" when no class fits.
std::string_view classify_qe_error(std::string_view routine, std::string_view message);

// True if `line` holds text only pw.x prints when it stops: an "Error in
// routine" line, a CRASH file's "from NAME : error #", or one of the
// messages above. Used by auto-detection.
bool is_qe_error_line(std::string_view line);

}  // namespace xrun::parse
