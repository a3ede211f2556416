// The layout of a job's directory on its machine, in one place.
#pragma once
#include <string>

namespace xrun::job_files {

inline std::string script(const std::string& dir) { return dir + "/job.sh"; }
inline std::string out(const std::string& dir) { return dir + "/stdout"; }
inline std::string err(const std::string& dir) { return dir + "/stderr"; }
inline std::string exit_code(const std::string& dir) { return dir + "/exit_code"; }
// What the submit command printed, saved on the machine by the same shell
// that ran it: after a crash it tells whether (and as what) a job was sent.
inline std::string submit_out(const std::string& dir) { return dir + "/submit.out"; }

}  // namespace xrun::job_files
