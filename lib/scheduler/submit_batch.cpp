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
// Submit commands running at once: enough to hide each RPC's latency,
// few enough not to flood the scheduler's daemon.
constexpr size_t kSubmitConcurrency = 8;

}  // namespace

std::string submit_batch_program(const std::vector<BatchedSubmission>& items) {
  // Submit commands are RPCs to the scheduler (a few ms each): they run
  // kSubmitConcurrency at a time, each job's block in a background subshell
  // writing its own section to a scratch file; the sections are printed in
  // input order at the end. Directories are made by ONE mkdir.
  std::string p = "umask 077\n";
  p += "__xrun_d=$(mktemp -d \"${TMPDIR:-/tmp}/xrun-batch.XXXXXX\") || exit 125\n";
  p += "trap 'rm -rf \"$__xrun_d\"' EXIT\n";
  std::string dirs;
  for (const auto& item : items) {
    if (item.key.empty() || item.key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                       "0123456789_-") != std::string::npos)
      throw Error(XRUN_E_INVALID, "batch key \"" + item.key + "\" is not [A-Za-z0-9_-]");
    // The script's own folder (the job's .xrun/) with the job directory.
    const size_t slash = item.script_path.rfind('/');
    dirs += " " + quote_for_shell(slash == std::string::npos ? item.job_dir : item.script_path.substr(0, slash));
  }
  if (!items.empty()) p += "umask 022; mkdir -p --" + dirs + " 2>/dev/null; umask 077\n";
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    const std::string n = std::to_string(i);
    const std::string err = "\"$__xrun_d/" + n + ".err\"";
    std::string script = quote_for_shell(item.script_path);
    p += "(\nif printf '%s' " + quote_for_shell(item.script) + " > " + script + "; then\n";
    p += "__xrun_o=$( { " + item.submit + "\n} </dev/null 2>" + err + " ); __xrun_rc=$?\n";
    p += "else __xrun_o=; echo 'cannot write the job script' >" + err + "; __xrun_rc=126; fi\n";
    p += "printf '%s%s\\n%s\\n%s\\n' '" + std::string(kJobMark) + "' '" + item.key + "' \"$__xrun_o\" '" +
         kErrMark + "'\n";
    p += "while IFS= read -r __xrun_l || [ -n \"$__xrun_l\" ]; do printf '%s\\n' \"$__xrun_l\"; done < " + err + "\n";
    p += "printf '%s%d\\n' '" + std::string(kRcMark) + "' \"$__xrun_rc\"\n";
    p += ") > \"$__xrun_d/" + n + ".out\" &\n";
    if ((i + 1) % kSubmitConcurrency == 0) p += "wait\n";
  }
  p += "wait\n";
  if (!items.empty())
    p += "__xrun_i=0; while [ \"$__xrun_i\" -lt " + std::to_string(items.size()) +
         " ]; do [ -f \"$__xrun_d/$__xrun_i.out\" ] && cat \"$__xrun_d/$__xrun_i.out\"; "
         "__xrun_i=$((__xrun_i + 1)); done\n";
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
