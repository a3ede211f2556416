#include "commands.h"

namespace xrun_tool {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"parse", cmd_parse},
  };
  return table;
}

}  // namespace xrun_tool
