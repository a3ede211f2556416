// xrun status / list / cancel / poll / recover: jobs as the store
// and the poller see them.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "commands.h"
#include "term.h"
#include "tool_common.h"
#include "watch.h"

namespace xrun_tool {

namespace {

bool usage_error(const char* command, const Args& args, size_t min_pos, size_t max_pos, const char* usage) {
  if (!args.error.empty()) {
    fprintf(stderr, "xrun %s: %s\nusage: xrun %s\n", command, args.error.c_str(), usage);
    return true;
  }
  if (args.positional.size() < min_pos || args.positional.size() > max_pos || args.has_dashdash) {
    fprintf(stderr, "xrun %s: wrong arguments\nusage: xrun %s\n", command, usage);
    return true;
  }
  return false;
}

std::string short_time(const std::string& iso) {
  // "2026-11-23T04:34:53.123Z" -> "2026-11-23 04:34:53"
  if (iso.size() < 19) return iso;
  std::string s = iso.substr(0, 19);
  s[10] = ' ';
  return s;
}

void print_jobs_table(const char* json_text) {
  cJSON* list = cJSON_Parse(json_text);
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "MACHINE", "STATE", "SCHED_ID", "EXIT", "CREATED", "REASON"}};
  const cJSON* job = nullptr;
  cJSON_ArrayForEach(job, list) {
    std::string reason = json_str(job, "reason");
    if (reason.size() > 50) reason = reason.substr(0, 47) + "...";
    rows.push_back({json_str(job, "id"), json_str(job, "name"), json_str(job, "machine"),
                    json_str(job, "state"), json_str(job, "scheduler_id"), json_num(job, "exit_code"),
                    short_time(json_str(job, "created_at")), reason});
  }
  cJSON_Delete(list);
  if (rows.size() == 1) {
    printf("no jobs\n");
    return;
  }
  // To fit the terminal: REASON and NAME are cut first, then CREATED,
  // SCHED_ID, EXIT and REASON left out.
  print_table(rows, output_columns(), {7, 1}, {6, 4, 5, 7});
}

void print_job_details(xrun_job* job) {
  char* info = nullptr;
  if (xrun_job_info_json(&info, job) != XRUN_OK) return;
  cJSON* o = cJSON_Parse(info);
  std::vector<std::vector<std::string>> rows;
  for (const char* key : {"id", "name", "machine", "state", "reason", "scheduler_id", "exit_code", "job_dir",
                          "created_at", "submitted_at", "started_at", "ended_at", "queue_wait_s",
                          "run_time_s", "cached_from"}) {
    std::string value = json_str(o, key);
    if (value.empty()) value = json_num(o, key);
    if (!value.empty()) rows.push_back({std::string(key) + ":", value});
  }
  if (const cJSON* choice = cJSON_GetObjectItemCaseSensitive(o, "machine_choice"))
    rows.push_back({"machine_choice:", json_str(choice, "why")});
  const cJSON* result = cJSON_GetObjectItemCaseSensitive(o, "result");
  if (result) {
    const cJSON* diagnosis = cJSON_GetObjectItemCaseSensitive(result, "diagnosis");
    rows.push_back({"diagnosis:", json_str(diagnosis, "code")});
    std::string energy = json_num(result, "total_energy_ev");
    if (!energy.empty()) rows.push_back({"total_energy_ev:", energy});
  }
  print_table(rows, output_columns(), {1});
  // A job retried by its policy: one row per ended attempt.
  const cJSON* attempts = cJSON_GetObjectItemCaseSensitive(o, "attempt_history");
  const cJSON* spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
  if (cJSON_GetArraySize(attempts) > 1 ||
      (cJSON_GetArraySize(attempts) == 1 && cJSON_GetObjectItemCaseSensitive(spec, "retry"))) {
    std::vector<std::vector<std::string>> table = {{"ATTEMPT", "SCHED_ID", "STATE", "EXIT", "STARTED", "ENDED",
                                                    "REASON", "CHANGES FOR THE NEXT"}};
    const cJSON* a = nullptr;
    cJSON_ArrayForEach(a, attempts) {
      std::string changes;
      const cJSON* c = nullptr;
      cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(a, "corrections")) {
        if (cJSON_IsString(c)) changes += (changes.empty() ? "" : "; ") + std::string(c->valuestring);
      }
      table.push_back({json_num(a, "number"), json_str(a, "scheduler_id"), json_str(a, "state"),
                       json_num(a, "exit_code"), short_time(json_str(a, "started_at")),
                       short_time(json_str(a, "ended_at")), json_str(a, "reason"), changes});
    }
    printf("\n");
    print_table(table, output_columns(), {7, 6}, {4, 5});
  }
  cJSON_Delete(o);
  xrun_free(info);
}

}  // namespace

int cmd_status(int argc, char** argv) {
  Args args = parse_args(argc, argv, {}, {"--json"});
  if (usage_error("status", args, 0, 1, "status [--json] [ID]")) return 2;
  xrun_ctx* ctx = open_context_or_store_reader("status");
  if (!ctx) return 1;
  int result = 0;
  if (args.positional.empty()) {
    // All active jobs, after one poll round.
    int rc = xrun_poll(ctx, nullptr);
    if (rc != XRUN_OK) report("status", rc);
    // One read of the store; the terminal jobs are left out here.
    std::string combined = "[]";
    char* json = nullptr;
    if (xrun_jobs_list(&json, ctx, nullptr, -1, 0) == XRUN_OK) {
      cJSON* all = cJSON_Parse(json);
      cJSON* active = cJSON_CreateArray();
      const cJSON* job = nullptr;
      cJSON_ArrayForEach(job, all) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(job, "terminal")))
          cJSON_AddItemToArray(active, cJSON_Duplicate(job, 1));
      }
      char* text = cJSON_PrintUnformatted(active);
      combined = text;
      cJSON_free(text);
      cJSON_Delete(active);
      cJSON_Delete(all);
    }
    xrun_free(json);
    if (args.has("--json")) print_json(combined.c_str()); else print_jobs_table(combined.c_str());
  } else {
    xrun_job* job = nullptr;
    int rc = xrun_job_open(&job, ctx, args.positional[0].c_str());
    if (rc == XRUN_OK) rc = xrun_job_refresh(job);
    if (rc != XRUN_OK && !job) {
      result = report("status", rc);
    } else {
      if (rc != XRUN_OK) report("status", rc);
      if (args.has("--json")) {
        char* info = nullptr;
        if (xrun_job_info_json(&info, job) == XRUN_OK) print_json(info);
        xrun_free(info);
      } else {
        print_job_details(job);
      }
    }
    xrun_job_free(job);
  }
  xrun_ctx_close(ctx);
  return result;
}

int cmd_list(int argc, char** argv) {
  const char* usage = "list [-m MACHINE] [--state STATE] [--limit N] [--json] [--watch [SECONDS]]";
  std::vector<char*> rest;
  double interval_s = 2;
  std::string watch_error;
  bool watch = take_watch_flag(argc, argv, &rest, &interval_s, &watch_error);
  Args args = parse_args(static_cast<int>(rest.size()), rest.data(), {"-m", "--machine", "--state", "--limit"},
                         {"--json"});
  if (!watch_error.empty() && args.error.empty()) args.error = watch_error;
  if (usage_error("list", args, 0, 0, usage)) return 2;
  if (watch && args.has("--json")) {
    fprintf(stderr, "xrun list: --watch redraws a table; it does not go with --json\nusage: xrun %s\n", usage);
    return 2;
  }
  if (watch && !isatty(STDOUT_FILENO)) {
    fprintf(stderr,
            "xrun list: --watch needs a terminal and stdout is not one; "
            "without --watch the list is printed once\n");
    return 2;
  }
  int state = -1;
  if (args.has("--state")) {
    std::string wanted = args.value("--state");
    for (int s = 0; s < 64; ++s)
      if (wanted == xrun_state_name(s)) state = s;
    if (state < 0) {
      fprintf(stderr, "xrun list: unknown state \"%s\" (e.g. running, completed, failed)\n", wanted.c_str());
      return 2;
    }
  }
  xrun_ctx* ctx = open_store_reader("list");
  if (!ctx) return 1;
  std::string machine = args.value("-m", args.value("--machine"));
  long long limit = atoll(args.value("--limit", "0").c_str());
  auto list_once = [&](long long max_jobs) {
    char* json = nullptr;
    int rc = xrun_jobs_list(&json, ctx, machine.empty() ? nullptr : machine.c_str(), state, max_jobs);
    int result = 0;
    if (rc != XRUN_OK) {
      result = report("list", rc);
    } else if (args.has("--json")) {
      print_json(json);
    } else {
      print_jobs_table(json);
    }
    xrun_free(json);
    return result;
  };
  int result;
  if (watch) {
    std::string title = "xrun";
    for (size_t i = 0; i < rest.size(); ++i) title += std::string(" ") + rest[i];
    result = watch_loop(interval_s, title, [&] {
      // As many jobs as the screen holds below the title and the header.
      long long max_jobs = limit;
      long long room = static_cast<long long>(output_rows()) - 4;
      if (room > 0 && (max_jobs <= 0 || max_jobs > room)) max_jobs = room;
      return list_once(max_jobs);
    });
  } else {
    result = list_once(limit);
  }
  xrun_ctx_close(ctx);
  return result;
}

int cmd_cancel(int argc, char** argv) {
  Args args = parse_args(argc, argv, {}, {"--json"});
  if (usage_error("cancel", args, 1, 1, "cancel [--json] ID")) return 2;
  xrun_ctx* ctx = open_context("cancel");
  if (!ctx) return 1;
  xrun_job* job = nullptr;
  int rc = xrun_job_open(&job, ctx, args.positional[0].c_str());
  if (rc == XRUN_OK) rc = xrun_job_cancel(job);
  int result = rc == XRUN_OK ? 0 : report("cancel", rc);
  if (rc == XRUN_OK && args.has("--json")) {
    char* info = nullptr;
    if (xrun_job_info_json(&info, job) == XRUN_OK) print_json(info);
    xrun_free(info);
  } else if (rc == XRUN_OK) {
    printf("%s %s\n", xrun_job_id(job), xrun_state_name(xrun_job_state(job)));
  }
  xrun_job_free(job);
  xrun_ctx_close(ctx);
  return result;
}

int cmd_poll(int argc, char** argv) {
  Args args = parse_args(argc, argv, {}, {"--json"});
  if (usage_error("poll", args, 0, 0, "poll [--json]")) return 2;
  xrun_ctx* ctx = open_context("poll");
  if (!ctx) return 1;
  int64_t next = 0;
  int rc = xrun_poll(ctx, &next);
  int result = rc == XRUN_OK ? 0 : report("poll", rc);
  if (rc == XRUN_OK && args.has("--json")) printf("{\"next_poll_ms\": %lld}\n", static_cast<long long>(next));
  else if (rc == XRUN_OK) printf("next poll in %lld ms\n", static_cast<long long>(next));
  xrun_ctx_close(ctx);
  return result;
}

int cmd_recover(int argc, char** argv) {
  // Its report is JSON either way; --json is accepted as on every command.
  Args args = parse_args(argc, argv, {}, {"--json"});
  if (usage_error("recover", args, 0, 0, "recover [--json]")) return 2;
  xrun_ctx* ctx = open_context("recover");
  if (!ctx) return 1;
  char* report_json = nullptr;
  int rc = xrun_recover(&report_json, ctx);
  int result = rc == XRUN_OK ? 0 : report("recover", rc);
  if (rc == XRUN_OK) print_json(report_json);
  xrun_free(report_json);
  xrun_ctx_close(ctx);
  return result;
}

}  // namespace xrun_tool
