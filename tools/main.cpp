// xrun: the command-line tool. One file per subcommand; this file only
// dispatches.
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.h"

static const char kUsage[] =
          "usage: xrun <command> [options]\n"
          "\n"
          "  run [-m MACHINE] [--json] -- CMD ARGS...   submit, wait, stream output, exit with its code\n"
          "  submit [-m MACHINE] [--name N] [--defer] [--spec FILE|-] [-- CMD ARGS...]   print the new job id\n"
          "         (--defer: record only; the next poll round sends it)\n"
          "         (a spec file holding a JSON array submits a batch: one id per line)\n"
          "  status [--json] [ID]                        one job, or all active jobs\n"
          "  list [-m MACHINE] [--state S] [--limit N] [--json] [--watch [SECONDS]]   (--watch: redraw every 2 s)\n"
          "  wait [--timeout SECONDS] [--json] ID...    until the jobs end; a progress line on a terminal\n"
          "  cancel [--json] ID\n"
          "  send [--all-created] [-m MACHINE] [--json] [ID...]  send jobs recorded but not on a scheduler\n"
          "  poll [--json]                               one poll round over all machines\n"
          "  events [--after SEQ] [--follow|-f] [--json]   the journal; --follow waits for new events\n"
          "  recover [--json]                            reconcile jobs left by a crash (a JSON report)\n"
          "  tail [-f] [-n LINES] ID [FILE]              end of a job's file (stdout); -f follows it\n"
          "  prune --older-than AGE [--json]             delete finished jobs (and events) older than AGE (30d)\n"
          "  machines list|show NAME|check NAME [--json]\n"
          "  parse [--parser qe|vasp|crystal|auto] [--json] FILE\n"
          "  store info|migrate [--json]                 the job store ($XRUN_STORE: a file or postgresql://...)\n"
          "  version [--json]\n"
          "\n"
          "exit codes:\n"
          "  0       success; for run and wait: the job completed (wait on several: all completed)\n"
          "  1-255   for run and wait: the job's own non-zero exit code (above 255: 255); wait on\n"
          "          several jobs: that of the first one, in the order given, that did not complete\n"
          "  1       an error (the message names the status, e.g. XRUN_E_CONFIG)\n"
          "  2       a usage error (also list --watch when stdout is not a terminal)\n"
          "  124     for run and wait: the job ended in timeout, or --timeout ran out\n"
          "  125     for run and wait: the job was lost (the scheduler no longer knows it)\n"
          "  130     for run and wait: the job was cancelled\n";

static void usage(FILE* out) { fputs(kUsage, out); }

// `xrun COMMAND --help`: the lines of the usage that describe COMMAND (its
// line and the indented notes under it). False if none does.
static bool command_usage(const std::string& command, FILE* out) {
  bool found = false, inside = false;
  const std::string text = kUsage;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    const bool entry = line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ';
    if (entry) inside = line.compare(2, command.size() + 1, command + " ") == 0 || line.substr(2) == command;
    else if (line.empty() || line.compare(0, 2, "  ") != 0) inside = false;
    if (inside) {
      if (!found) fputs("usage: xrun", out);
      fprintf(out, found ? "%s\n" : " %s\n", found ? line.c_str() : line.c_str() + 2);
      found = true;
    }
  }
  return found;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string command = argv[1];
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  if (command == "-h" || command == "--help" || command == "help") {
    usage(stdout);
    return 0;
  }
  for (const auto& entry : xrun_tool::commands()) {
    if (command != entry.name) continue;
    // `xrun COMMAND --help` (anywhere before a "--"): that command's usage.
    for (int i = 2; i < argc && std::strcmp(argv[i], "--") != 0; ++i)
      if (std::strcmp(argv[i], "--help") == 0 && command_usage(command, stdout)) return 0;
    return entry.run(sub_argc, sub_argv);
  }
  fprintf(stderr, "xrun: unknown command \"%s\"\n\n", command.c_str());
  usage(stderr);
  return 2;
}
