#include "commands.h"

#include <cstdio>

#include "tool_common.h"
#include "xrun.h"

namespace xrun_tool {

int cmd_version(int argc, char** argv) {
  Args args = parse_args(argc, argv, {}, {"--json"});
  if (!args.error.empty() || !args.positional.empty() || args.has_dashdash) {
    fprintf(stderr, "xrun version: %s\nusage: xrun version [--json]\n",
            args.error.empty() ? "takes no arguments" : args.error.c_str());
    return 2;
  }
  if (args.has("--json"))
    printf("{\"tool\": \"%s\", \"library\": \"%s\"}\n", XRUN_VERSION_STRING, xrun_version());
  else
    printf("xrun %s (library %s)\n", XRUN_VERSION_STRING, xrun_version());
  return 0;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"run", cmd_run},         {"submit", cmd_submit},   {"status", cmd_status},   {"list", cmd_list},
      {"wait", cmd_wait},       {"cancel", cmd_cancel},   {"poll", cmd_poll},       {"events", cmd_events},
      {"send", cmd_send},       {"recover", cmd_recover}, {"machines", cmd_machines}, {"parse", cmd_parse},
      {"version", cmd_version}, {"tail", cmd_tail},       {"prune", cmd_prune},     {"store", cmd_store},
  };
  return table;
}

}  // namespace xrun_tool
