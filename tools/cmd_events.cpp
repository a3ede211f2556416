// xrun events: the journal of state changes, read from the store only.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "commands.h"
#include "tool_common.h"

namespace xrun_tool {

int cmd_events(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"--after"}, {"--json", "--follow", "-f"});
  if (!args.error.empty() || !args.positional.empty()) {
    fprintf(stderr, "xrun events: %s\nusage: xrun events [--after SEQ] [--follow] [--json]\n",
            args.error.empty() ? "unexpected argument" : args.error.c_str());
    return 2;
  }
  xrun_ctx* ctx = open_context("events");
  if (!ctx) return 1;
  int64_t after = atoll(args.value("--after", "0").c_str());
  bool follow = args.has("--follow") || args.has("-f");
  int result = 0;
  for (;;) {
    xrun_events* events = nullptr;
    int rc = xrun_events_since(&events, ctx, after, 1000);
    if (rc != XRUN_OK) {
      result = report("events", rc);
      break;
    }
    int64_t n = xrun_events_count(events);
    if (args.has("--json")) {
      char* json = nullptr;
      if (xrun_events_json(&json, events) == XRUN_OK && (n > 0 || !follow)) print_json(json);
      xrun_free(json);
    } else {
      for (int64_t i = 0; i < n; ++i)
        printf("%lld  %s  %-10s  %s\n", static_cast<long long>(xrun_events_seq(events, i)),
               xrun_events_job_id(events, i), xrun_state_name(xrun_events_state(events, i)),
               xrun_events_message(events, i));
    }
    fflush(stdout);
    if (n > 0) after = xrun_events_seq(events, n - 1);
    xrun_events_free(events);
    if (!follow) break;
    if (n == 0) usleep(500000);
  }
  xrun_ctx_close(ctx);
  return result;
}

}  // namespace xrun_tool
