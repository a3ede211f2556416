// Running a local program with its stdin fed, its stdout and stderr
// collected (or stdout streamed), within a deadline. The one place where
// xrun starts a child process and waits for it: the local transport runs
// /bin/sh through it, the OpenSSH transport the user's `ssh`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "transport/transport.h"

namespace xrun {

struct ProcessIo {
  // Fed to stdin, then stdin is closed; or, when set, pulled from
  // stdin_source (returns the bytes it put in the buffer, 0 at the end).
  std::string stdin_data;
  std::function<size_t(char* buffer, size_t capacity)> stdin_source;
  // When set, stdout goes here instead of into the result (not capped).
  std::function<void(const char* data, size_t size)> stdout_sink;
  size_t max_stdout = kMaxCommandStdout;
  size_t max_stderr = kMaxCommandStderr;
  // Where the child's stdout/stderr go instead of pipes ("" = a pipe):
  // a program that leaves a daemon behind (ssh's ControlMaster) must not
  // hold our pipes open.
  std::string stdout_file, stderr_file;
};

// Runs argv[0] (looked up in PATH) in a process group of its own. Returns
// when stdout and stderr reach EOF and the child exited. Past the output
// caps the group is killed (exit 137, output_capped). Throws
// Error(XRUN_E_TIMEOUT) at `deadline_ms` (monotonic; the group is killed,
// the message names `what`), Error(XRUN_E_IO) if the program cannot start
// (naming it), or what stdin_source/stdout_sink throw (the group is killed).
CommandResult run_process(const std::vector<std::string>& argv, const ProcessIo& io, int64_t deadline_ms,
                          const std::string& what);

}  // namespace xrun
