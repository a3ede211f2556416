#include "commands.h"

#include <cstdio>

#include "xrun.h"

namespace xrun_tool {

int cmd_version(int, char**) {
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
