// xrun send ID... | --all-created [-m MACHINE]: send jobs that are recorded
// but not on a scheduler (left created by a failed send or by recover, or
// waiting for a poll round). One line per job: "<id> <state>".
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "tool_common.h"

namespace xrun_tool {

namespace {

const char kUsage[] = "send [--all-created] [-m MACHINE] [--json] [ID...]";

// The created jobs to send: every one, or those of one machine; an array's
// tasks go with the job that carries them, so only carriers are listed.
bool created_jobs(xrun_ctx* ctx, const std::string& machine, std::vector<std::string>* ids) {
  char* text = nullptr;
  int rc = xrun_jobs_list(&text, ctx, machine.empty() ? nullptr : machine.c_str(), XRUN_STATE_CREATED, 0);
  if (rc != XRUN_OK) {
    report("send", rc);
    return false;
  }
  cJSON* list = cJSON_Parse(text);
  xrun_free(text);
  const cJSON* job = nullptr;
  std::vector<std::string> newest_first;
  cJSON_ArrayForEach(job, list) {
    std::string id = json_str(job, "id");
    std::string parent = json_str(job, "array_parent");
    if (parent.empty() || parent == id) newest_first.push_back(id);
  }
  cJSON_Delete(list);
  ids->assign(newest_first.rbegin(), newest_first.rend());  // oldest first
  return true;
}

}  // namespace

int cmd_send(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"-m", "--machine"}, {"--all-created", "--json"});
  const bool all = args.has("--all-created");
  const bool json = args.has("--json");
  if (!args.error.empty() || args.has_dashdash || (all == !args.positional.empty())) {
    fprintf(stderr, "xrun send: %s\nusage: xrun %s\n",
            args.error.empty() ? "give job ids or --all-created (not both)" : args.error.c_str(), kUsage);
    return 2;
  }
  xrun_ctx* ctx = open_context("send");
  if (!ctx) return 1;
  std::vector<std::string> ids = args.positional;
  if (all && !created_jobs(ctx, args.value("-m", args.value("--machine")), &ids)) {
    xrun_ctx_close(ctx);
    return 1;
  }
  int result = 0;
  for (const auto& id : ids) {
    xrun_job* job = nullptr;
    int rc = xrun_job_open(&job, ctx, id.c_str());
    if (rc == XRUN_OK) rc = xrun_job_send(job);
    if (rc != XRUN_OK) result = report("send", rc);
    if (job && json) {
      // One JSON object per line: the job's record after the send.
      char* info = nullptr;
      if (xrun_job_info_json(&info, job) == XRUN_OK) {
        cJSON* doc = cJSON_Parse(info);
        char* line = doc ? cJSON_PrintUnformatted(doc) : nullptr;
        if (line) printf("%s\n", line);
        cJSON_free(line);
        cJSON_Delete(doc);
      }
      xrun_free(info);
    } else if (job) {
      printf("%s %s\n", xrun_job_id(job), xrun_state_name(xrun_job_state(job)));
    }
    xrun_job_free(job);
  }
  xrun_ctx_close(ctx);
  return result;
}

}  // namespace xrun_tool
