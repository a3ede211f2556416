// xrun machines list | show NAME | check NAME
#include <cstdio>
#include <string>

#include "commands.h"
#include "tool_common.h"

namespace xrun_tool {

int cmd_machines(int argc, char** argv) {
  Args args = parse_args(argc, argv, {}, {"--json"});
  const char* usage = "usage: xrun machines list | show [NAME] | check [NAME]  [--json]";
  if (!args.error.empty() || args.positional.empty() || args.positional.size() > 2) {
    fprintf(stderr, "xrun machines: %s\n%s\n", args.error.empty() ? "wrong arguments" : args.error.c_str(), usage);
    return 2;
  }
  const std::string& verb = args.positional[0];
  if (verb != "list" && verb != "show" && verb != "check") {
    fprintf(stderr, "xrun machines: unknown verb \"%s\"\n%s\n", verb.c_str(), usage);
    return 2;
  }
  xrun_ctx* ctx = open_context("machines");
  if (!ctx) return 1;
  int result = 0;
  if (verb == "list") {
    char* json = nullptr;
    int rc = xrun_machines_list(&json, ctx);
    if (rc != XRUN_OK) {
      result = report("machines list", rc);
    } else if (args.has("--json")) {
      print_json(json);
    } else {
      cJSON* root = cJSON_Parse(json);
      std::string def = json_str(root, "default");
      std::vector<std::vector<std::string>> rows = {{"", "NAME", "EXECUTION", "SCHEDULER", "HOST", "SOURCE"}};
      const cJSON* m = nullptr;
      cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(root, "machines")) {
        std::string name = json_str(m, "name");
        rows.push_back({name == def ? "*" : "", name, json_str(m, "execution"), json_str(m, "scheduler"),
                        json_str(m, "host"), json_str(m, "source")});
      }
      print_table(rows);
      cJSON_Delete(root);
    }
    xrun_free(json);
  } else {
    const char* name = args.positional.size() > 1 ? args.positional[1].c_str() : nullptr;
    xrun_machine* machine = nullptr;
    int rc = xrun_machine_open(&machine, ctx, name);
    if (rc != XRUN_OK) {
      result = report(("machines " + verb).c_str(), rc);
    } else if (verb == "show") {
      char* json = nullptr;
      rc = xrun_machine_json(&json, machine);
      if (rc == XRUN_OK) print_json(json); else result = report("machines show", rc);
      xrun_free(json);
    } else {
      char* report_json = nullptr;
      rc = xrun_machine_check(&report_json, machine);
      if (report_json && args.has("--json")) {
        print_json(report_json);
      } else if (report_json) {
        cJSON* root = cJSON_Parse(report_json);
        std::vector<std::vector<std::string>> rows = {{"STEP", "RESULT", "MS", "DETAIL"}};
        const cJSON* step = nullptr;
        cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(root, "steps")) {
          rows.push_back({json_str(step, "step"),
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "ok")) ? "ok" : "FAILED",
                          json_num(step, "ms"), json_str(step, "detail")});
        }
        print_table(rows);
        cJSON_Delete(root);
      }
      xrun_free(report_json);
      if (rc != XRUN_OK) result = report("machines check", rc);
    }
    xrun_machine_free(machine);
  }
  xrun_ctx_close(ctx);
  return result;
}

}  // namespace xrun_tool
