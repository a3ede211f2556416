// The subcommands of the xrun tool. Each lives in its own cmd_*.cpp.
#pragma once
#include <vector>

namespace xrun_tool {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand's name
};

const std::vector<Command>& commands();

int cmd_run(int argc, char** argv);
int cmd_submit(int argc, char** argv);
int cmd_status(int argc, char** argv);
int cmd_list(int argc, char** argv);
int cmd_wait(int argc, char** argv);
int cmd_cancel(int argc, char** argv);
int cmd_send(int argc, char** argv);
int cmd_poll(int argc, char** argv);
int cmd_events(int argc, char** argv);
int cmd_recover(int argc, char** argv);
int cmd_machines(int argc, char** argv);
int cmd_parse(int argc, char** argv);
int cmd_tail(int argc, char** argv);
int cmd_prune(int argc, char** argv);
int cmd_store(int argc, char** argv);
int cmd_version(int argc, char** argv);

}  // namespace xrun_tool
