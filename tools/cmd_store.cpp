// xrun store info | migrate: which store the tool uses and its schema.
// Opening a context migrates the store, so `migrate` opens it and says
// what happened; `info` only reports.
#include <cstdio>
#include <string>

#include "commands.h"
#include "tool_common.h"

namespace xrun_tool {

int cmd_store(int argc, char** argv) {
  Args args = parse_args(argc, argv, {}, {"--json"});
  const char* usage = "usage: xrun store info | migrate  [--json]";
  if (!args.error.empty() || args.positional.size() != 1 ||
      (args.positional[0] != "info" && args.positional[0] != "migrate")) {
    fprintf(stderr, "xrun store: %s\n%s\n", args.error.empty() ? "wrong arguments" : args.error.c_str(), usage);
    return 2;
  }
  const std::string verb = args.positional[0];
  xrun_ctx* ctx = open_context("store");
  if (!ctx) return 1;
  char* json = nullptr;
  int rc = xrun_store_info_json(&json, ctx);
  int result = 0;
  if (rc != XRUN_OK) {
    result = report(("store " + verb).c_str(), rc);
  } else if (args.has("--json")) {
    print_json(json);
  } else {
    cJSON* root = cJSON_Parse(json);
    auto number = [&](const char* key) {
      const cJSON* n = cJSON_GetObjectItemCaseSensitive(root, key);
      return cJSON_IsNumber(n) ? static_cast<long long>(n->valuedouble) : -1LL;
    };
    const long long now = number("schema_version"), before = number("schema_version_at_open");
    if (verb == "migrate") {
      if (before < now)
        printf("migrated %s from schema version %lld to %lld\n", json_str(root, "location").c_str(), before, now);
      else
        printf("%s is at schema version %lld: nothing to migrate\n", json_str(root, "location").c_str(), now);
    } else {
      printf("backend         %s\n", json_str(root, "backend").c_str());
      printf("location        %s\n", json_str(root, "location").c_str());
      printf("schema version  %lld (this xrun: %lld)\n", now, number("latest_schema_version"));
      printf("jobs            %lld\n", number("jobs"));
      printf("last event      %lld\n", number("last_event_seq"));
    }
    cJSON_Delete(root);
  }
  xrun_free(json);
  xrun_ctx_close(ctx);
  return result;
}

}  // namespace xrun_tool
