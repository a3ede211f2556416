// xrun parse: placeholder until the parsers land (issue 5).
#include <cstdio>

#include "commands.h"

namespace xrun_tool {
int cmd_parse(int, char**) {
  fprintf(stderr, "xrun parse: not built yet\n");
  return 2;
}
}  // namespace xrun_tool
