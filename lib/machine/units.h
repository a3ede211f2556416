// Walltime and memory as people write them in machine files and job specs.
// One canonical text form for each, so every scheduler renderer reads the
// same thing: walltime "HH:MM:SS" (hours may exceed 24), memory "<n><K|M|G|T>".
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xrun {

// Slurm's forms: "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM",
// "D-HH:MM:SS" (the leading field unbounded: "100:00:00"). nullopt if
// malformed or zero. The one walltime grammar of xrun (machine files, job
// specs, every scheduler).
std::optional<int64_t> parse_walltime_seconds(std::string_view text);
// 3725 -> "01:02:05"; 200000 -> "55:33:20".
std::string format_walltime(int64_t seconds);

// "64G", "500M", "512K", "2T" (case-insensitive, optional trailing "B" or
// "iB"), or
// a bare number of megabytes ("4000"). nullopt if malformed or zero.
std::optional<std::string> normalize_memory(std::string_view text);
// Megabytes of a normalized memory text, rounded up ("512K" -> 1).
int64_t memory_megabytes(std::string_view normalized);

}  // namespace xrun
