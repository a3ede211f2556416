// xrun: the command-line tool. One file per subcommand; this file only
// dispatches.
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.h"

static void usage(FILE* out) {
  fprintf(out,
          "usage: xrun <command> [options]\n"
          "\n"
          "  run [-m MACHINE] [--json] -- CMD ARGS...   submit, wait, stream output, exit with its code\n"
          "  submit [-m MACHINE] [--name N] [--defer] [--spec FILE|-] [-- CMD ARGS...]   print the new job id\n"
          "         (--defer: record only; the next poll round sends it)\n"
          "         (a spec file holding a JSON array submits a batch: one id per line)\n"
          "  status [--json] [ID]                        one job, or all active jobs\n"
          "  list [-m MACHINE] [--state S] [--limit N] [--json] [--watch [SECONDS]]   (--watch: redraw every 2 s)\n"
          "  wait [--timeout SECONDS] [--json] ID...    until the jobs end; a progress line on a terminal\n"
          "  cancel ID\n"
          "  send [--all-created] [-m MACHINE] [ID...]  send jobs recorded but not on a scheduler\n"
          "  poll                                        one poll round over all machines\n"
          "  events [--after SEQ] [--json]\n"
          "  recover                                     reconcile jobs left by a crash\n"
          "  tail [-f] [-n LINES] ID [FILE]              end of a job's file (stdout); -f follows it\n"
          "  prune --older-than AGE [--json]             delete finished jobs (and events) older than AGE (30d)\n"
          "  machines list|show NAME|check NAME [--json]\n"
          "  parse [--parser qe|vasp|crystal|auto] [--json] FILE\n"
          "  store info|migrate [--json]                 the job store ($XRUN_STORE: a file or postgresql://...)\n"
          "  version\n"
          "\n"
          "exit codes:\n"
          "  0       success; for run and wait: the job completed (wait on several: all completed)\n"
          "  1-255   for run and wait: the job's own non-zero exit code (above 255: 255); wait on\n"
          "          several jobs: that of the first one, in the order given, that did not complete\n"
          "  1       an error (the message names the status, e.g. XRUN_E_CONFIG)\n"
          "  2       a usage error (also list --watch when stdout is not a terminal)\n"
          "  124     for run and wait: the job ended in timeout, or --timeout ran out\n"
          "  125     for run and wait: the job was lost (the scheduler no longer knows it)\n"
          "  130     for run and wait: the job was cancelled\n");
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
    if (command == entry.name) return entry.run(sub_argc, sub_argv);
  }
  fprintf(stderr, "xrun: unknown command \"%s\"\n\n", command.c_str());
  usage(stderr);
  return 2;
}
