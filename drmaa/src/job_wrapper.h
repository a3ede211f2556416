// How a DRMAA job becomes an xrun argv. xrun quotes every argv element for
// the shell, so no text of the template is ever pasted into shell code: a
// fixed POSIX sh program receives the working directory, the stdin/stdout/
// stderr paths, the join flag and the bulk index as positional arguments,
// replaces the DRMAA placeholders at run time on the execution host
// ($drmaa_hd_ph$ -> $HOME there, $drmaa_wd_ph$ -> the working directory,
// $drmaa_incr_ph$ -> the bulk index), sets up the redirections and execs
// the remote command with its arguments.
#pragma once
#include <string>
#include <vector>

namespace xdrmaa {

struct WrappedJob {
  std::string index;  // bulk index; "" -> read from the array task variable
  std::string wd, input, output, error;  // "" -> xrun's defaults
  bool join = false;
  std::string command;
  std::vector<std::string> args;
};

std::vector<std::string> wrapped_argv(const WrappedJob& job);

// A DRMAA path "[hostname]:file_path" without its hostname part (xrun runs
// the job on the session's machine, so a hostname adds nothing).
std::string path_of(const std::string& drmaa_path);

}  // namespace xdrmaa
