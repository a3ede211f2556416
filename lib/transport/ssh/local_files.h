// The local side of transfers.
#pragma once
#include <cstdint>
#include <string>

namespace xrun::ssh {

std::string read_local_file(const std::string& path);  // XRUN_E_IO / XRUN_E_NOT_FOUND
// Writes under a temporary name next to `path`, then renames it over.
void write_local_file_atomic(const std::string& path, const std::string& content, uint32_t mode);
// A unique suffix for temporary names ("<pid>.<counter>.<random>").
std::string temp_suffix();

}  // namespace xrun::ssh
