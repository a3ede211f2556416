#include "scheduler/submit_batch.h"

#include <cstdlib>

#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

const char* const kSubmitBatchCommand = "/bin/sh -s";

namespace {

const char* const kJobMark = "@@xrun-job ";
const char* const kErrMark = "@@xrun-err";
const char* const kRcMark = "@@xrun-rc ";

}  // namespace

std::string submit_batch_program(const std::vector<BatchedSubmission>& items) {
  // Forks are the cost here: directories are made by ONE mkdir, scripts
  // written and stderr read back by shell builtins, so each job costs one
  // subshell and its submit command.
  std::string p = "umask 077\n";
  // One scratch file for each submit's stderr; every submit reads
  // /dev/null, never the rest of this program.
  p += "__xrun_e=$(mktemp \"${TMPDIR:-/tmp}/xrun-batch.XXXXXX\") || exit 125\n";
  p += "trap 'rm -f \"$__xrun_e\"' EXIT\n";
  std::string dirs;
  for (const auto& item : items) {
    if (item.key.empty() || item.key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                       "0123456789_-") != std::string::npos)
      throw Error(XRUN_E_INVALID, "batch key \"" + item.key + "\" is not [A-Za-z0-9_-]");
    dirs += " " + quote_for_shell(item.job_dir);
  }
  if (!items.empty()) p += "umask 022; mkdir -p --" + dirs + " 2>/dev/null; umask 077\n";
  for (const auto& item : items) {
    std::string script = quote_for_shell(item.script_path);
    p += "if printf '%s' " + quote_for_shell(item.script) + " > " + script + "; then\n";
    p += "__xrun_o=$( { " + item.submit + "\n} </dev/null 2>\"$__xrun_e\" ); __xrun_rc=$?\n";
    p += "else __xrun_o=; echo 'cannot write the job script' >\"$__xrun_e\"; __xrun_rc=126; fi\n";
    p += "printf '%s%s\\n%s\\n%s\\n' '" + std::string(kJobMark) + "' '" + item.key + "' \"$__xrun_o\" '" +
         kErrMark + "'\n";
    p += "while IFS= read -r __xrun_l || [ -n \"$__xrun_l\" ]; do printf '%s\\n' \"$__xrun_l\"; done < \"$__xrun_e\"\n";
    p += "printf '%s%d\\n' '" + std::string(kRcMark) + "' \"$__xrun_rc\"\n";
  }
  return p;
}

std::map<std::string, CommandResult> split_submit_batch_output(const CommandResult& result) {
  std::map<std::string, CommandResult> out;
  std::string key;
  CommandResult current;
  enum { kNone, kOut, kErr } part = kNone;
  for (const auto& line : split_lines(result.out)) {
    if (starts_with(line, kJobMark)) {
      key = line.substr(std::string(kJobMark).size());
      current = CommandResult{};
      part = kOut;
    } else if (part == kOut && line == kErrMark) {
      part = kErr;
    } else if (part == kErr && starts_with(line, kRcMark)) {
      current.exit_status = std::atoi(line.c_str() + std::string(kRcMark).size());
      out[key] = current;
      part = kNone;
    } else if (part == kOut) {
      current.out += line + "\n";
    } else if (part == kErr) {
      current.err += line + "\n";
    }
  }
  return out;
}

}  // namespace xrun
