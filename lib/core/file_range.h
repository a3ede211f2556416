// Reading part of a job's file: `max_bytes` from `offset`, with the file's
// size at the time of the read, so a follower (xrun run, xrun tail -f)
// reads only what is new and nothing is cut at a fixed limit. One shell
// command on the machine (local or over SSH): the size, then the bytes.
#pragma once
#include <cstdint>
#include <string>

#include "transport/transport.h"

namespace xrun {

struct FileRange {
  std::string data;        // at most max_bytes, from offset
  int64_t total_size = 0;  // the file's size when it was read
};

// Throws Error(XRUN_E_NOT_FOUND) if the file does not exist,
// Error(XRUN_E_IO) if it cannot be read, Error(XRUN_E_INVALID) for a
// negative offset or max_bytes <= 0, and what the transport throws.
FileRange read_file_range(Transport& transport, const std::string& path, int64_t offset, int64_t max_bytes);

}  // namespace xrun
