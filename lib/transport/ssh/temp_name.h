// Unique suffixes for the temporary names that make writes atomic (write
// under a temporary name in the target directory, then rename).
#pragma once
#include <string>

namespace xrun::ssh {

// "<pid>.<counter>.<random>": unique across threads and processes.
std::string temp_suffix();

}  // namespace xrun::ssh
