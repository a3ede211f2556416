// What file operations over exec need from a connection: run one command
// with its stdin and stdout (collected or streamed), within a deadline.
// A libssh Connection is one; the OpenSSH transport's `ssh` process is
// another. No libssh here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "transport/transport.h"

namespace xrun::ssh {

class CommandChannel {
 public:
  virtual ~CommandChannel() = default;
  // `started` becomes true once the command may have begun running: before
  // that a failure means it surely did not run. Throws XRUN_E_TRANSPORT or
  // XRUN_E_TIMEOUT. Past `max_stdout` collected bytes (or
  // kMaxCommandStderr of stderr) the command is killed (output_capped).
  virtual CommandResult exec(const std::string& command, const std::string& stdin_data, int64_t deadline_ms,
                             bool& started, size_t max_stdout = kMaxCommandStdout) = 0;
  // Streaming: stdin pulled from `stdin_source` (0 at the end; may be
  // empty), stdout pushed to `stdout_sink` (empty: collected). Either may
  // throw to abandon the command.
  using StdinSource = std::function<size_t(char* buffer, size_t capacity)>;
  using StdoutSink = std::function<void(const char* data, size_t size)>;
  virtual CommandResult exec_streaming(const std::string& command, const StdinSource& stdin_source,
                                       const StdoutSink& stdout_sink, int64_t deadline_ms, bool& started,
                                       size_t max_stdout = kMaxCommandStdout) = 0;
  // "user@host:port", for messages.
  virtual std::string name() const = 0;
};

}  // namespace xrun::ssh
