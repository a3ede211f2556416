#include "core/file_range.h"

#include <algorithm>

#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

FileRange read_file_range(Transport& transport, const std::string& path, int64_t offset, int64_t max_bytes) {
  if (offset < 0) throw Error(XRUN_E_INVALID, "offset must be >= 0, not " + std::to_string(offset));
  if (max_bytes <= 0) throw Error(XRUN_E_INVALID, "max_bytes must be > 0");
  // Exit 3: no such file; 4: not readable. The size comes first on a line
  // of its own, then exactly the bytes (tail counts from 1).
  // One command reads the range, and what a command may print is capped
  // (kMaxCommandStdout, past it the command is killed): read at most what
  // fits beside the size line. Callers read on from offset + size.
  max_bytes = std::min<int64_t>(max_bytes, static_cast<int64_t>(kMaxCommandStdout) - 32);
  const std::string f = quote_for_shell(path);
  std::string command = "[ -f " + f + " ] || exit 3; [ -r " + f + " ] || exit 4; wc -c < " + f +
                        " | tr -d ' '; tail -c +" + std::to_string(offset + 1) + " " + f + " | head -c " +
                        std::to_string(max_bytes);
  CommandResult result = transport.run(command);
  if (result.exit_status == 3) throw Error(XRUN_E_NOT_FOUND, "no file " + path);
  if (result.exit_status != 0)
    throw Error(XRUN_E_IO, "cannot read " + path + ": " + std::string(trim(result.err)));
  size_t newline = result.out.find('\n');
  if (newline == std::string::npos) throw Error(XRUN_E_IO, "cannot read the size of " + path);
  FileRange range;
  range.total_size = atoll(result.out.substr(0, newline).c_str());
  range.data = result.out.substr(newline + 1);
  if (static_cast<int64_t>(range.data.size()) > max_bytes) range.data.resize(static_cast<size_t>(max_bytes));
  // The file may have grown between the two reads: the size is at least
  // what was read.
  range.total_size = std::max(range.total_size, offset + static_cast<int64_t>(range.data.size()));
  return range;
}

}  // namespace xrun
