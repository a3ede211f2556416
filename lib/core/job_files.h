// The layout of a job's directory on its machine, in one place.
//
// xrun's own files (the script, its exit record, what the submit command
// printed) live in the ".xrun" subfolder, where no upload can land (an
// upload named ".xrun" is refused): an uploaded "exit_code" or
// "submit.out", or one the job writes in its directory, is the user's file,
// never xrun's evidence. stdout and stderr stay at the top: users read them.
// Jobs sent by releases before the subfolder have their files at the top;
// readers tell them apart by whether ".xrun" exists.
#pragma once
#include <string>

namespace xrun::job_files {

constexpr const char* kOwnDirName = ".xrun";

inline std::string own_dir(const std::string& dir) { return dir + "/" + kOwnDirName; }
inline std::string script(const std::string& dir) { return own_dir(dir) + "/job.sh"; }
inline std::string out(const std::string& dir) { return dir + "/stdout"; }
inline std::string err(const std::string& dir) { return dir + "/stderr"; }
inline std::string exit_code(const std::string& dir) { return own_dir(dir) + "/exit_code"; }
// What the submit command printed, saved on the machine by the same shell
// that ran it: after a crash it tells whether (and as what) a job was sent.
inline std::string submit_out(const std::string& dir) { return own_dir(dir) + "/submit.out"; }

// A shell fragment that sets variable `var` to xrun's file `name` in the
// job directory held by shell variable `dir_var`: in .xrun/ when the
// directory has one, else at the top (a job sent by an older release).
inline std::string shell_pick(const std::string& var, const std::string& dir_var, const std::string& name) {
  return "if [ -d \"$" + dir_var + "/" + kOwnDirName + "\" ]; then " + var + "=\"$" + dir_var + "/" + kOwnDirName +
         "/" + name + "\"; else " + var + "=\"$" + dir_var + "/" + name + "\"; fi";
}

}  // namespace xrun::job_files
