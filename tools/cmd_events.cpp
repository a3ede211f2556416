// xrun events: the journal of state changes, read from the store only.
// Pages through the whole store (1000 events a call); --follow then
// sleeps in the library (xrun_events_wait) until new events exist.
#include <cjson/cJSON.h>

#include <cstdio>
#include <cstdlib>

#include "commands.h"
#include "tool_common.h"

namespace xrun_tool {

namespace {

constexpr int64_t kPage = 1000;

// Prints the events of one page as elements of a JSON array being streamed
// (so a store of any size prints as ONE array without holding it all).
void print_json_elements(const char* page, bool& first) {
  cJSON* list = cJSON_Parse(page);
  if (!list) return;
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, list) {
    char* text = cJSON_Print(item);
    printf("%s%s", first ? "" : ",\n", text);
    cJSON_free(text);
    first = false;
  }
  cJSON_Delete(list);
}

}  // namespace

int cmd_events(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"--after"}, {"--json", "--follow", "-f"});
  if (!args.error.empty() || !args.positional.empty()) {
    fprintf(stderr, "xrun events: %s\nusage: xrun events [--after SEQ] [--follow] [--json]\n",
            args.error.empty() ? "unexpected argument" : args.error.c_str());
    return 2;
  }
  xrun_ctx* ctx = open_store_reader("events");
  if (!ctx) return 1;
  int64_t after = atoll(args.value("--after", "0").c_str());
  bool follow = args.has("--follow") || args.has("-f");
  bool as_json = args.has("--json");
  bool first_element = true;
  if (as_json && !follow) printf("[\n");
  int result = 0;
  for (;;) {
    xrun_events* events = nullptr;
    int rc = xrun_events_since(&events, ctx, after, kPage);
    if (rc != XRUN_OK) {
      result = report("events", rc);
      break;
    }
    int64_t n = xrun_events_count(events);
    if (as_json) {
      char* json = nullptr;
      if (xrun_events_json(&json, events) == XRUN_OK) {
        if (!follow) print_json_elements(json, first_element);
        else if (n > 0) print_json(json);  // one array per batch while following
      }
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
    if (n == kPage) continue;  // more pages may follow
    if (!follow) break;
    // Sleeps in the library until an event exists (no polling loop here).
    rc = xrun_events_wait(nullptr, ctx, after, -1);
    if (rc != XRUN_OK) {
      result = report("events", rc);
      break;
    }
  }
  if (as_json && !follow) printf("%s]\n", first_element ? "" : "\n");
  xrun_ctx_close(ctx);
  return result;
}

}  // namespace xrun_tool
