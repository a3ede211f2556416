// Walltime and memory as people write them in machine files and job specs.
// One canonical text form for each, so every scheduler renderer reads the
// same thing: walltime "HH:MM:SS" (hours may exceed 24), memory "<n><K|M|G|T>".
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xrun {

// "HH:MM:SS", "D-HH:MM:SS" or whole minutes ("90"). nullopt if malformed
// or zero.
std::optional<int64_t> parse_walltime_seconds(std::string_view text);
// 3725 -> "01:02:05"; 200000 -> "55:33:20".
std::string format_walltime(int64_t seconds);

// "64G", "500M", "512K", "2T" (case-insensitive, optional trailing "B"), or
// a bare number of megabytes ("4000"). nullopt if malformed or zero.
std::optional<std::string> normalize_memory(std::string_view text);
// Megabytes of a normalized memory text, rounded up ("512K" -> 1).
int64_t memory_megabytes(std::string_view normalized);

}  // namespace xrun
