// Wall and monotonic clocks in milliseconds, and ISO 8601 formatting.
#pragma once
#include <cstdint>
#include <string>

namespace xrun {

int64_t wall_ms();       // ms since the Unix epoch
int64_t monotonic_ms();  // for timeouts and intervals
std::string iso8601_utc(int64_t epoch_ms);  // "2026-11-23T04:34:53.123Z"

}  // namespace xrun
