// xrun wait: until one job, or several, end. On several jobs a live
// progress line goes to stderr when it is a terminal.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "progress.h"
#include "tool_common.h"

namespace xrun_tool {

namespace {

const char* kUsage = "wait [--timeout SECONDS] [--json] ID...";

void print_outcome(xrun_job* job, bool json) {
  if (json) {
    char* info = nullptr;
    if (xrun_job_info_json(&info, job) == XRUN_OK) print_json(info);
    xrun_free(info);
  } else {
    printf("%s %s\n", xrun_job_id(job), xrun_state_name(xrun_job_state(job)));
  }
}

int wait_one(xrun_ctx* ctx, const std::string& id, double timeout_s, bool json) {
  xrun_job* job = nullptr;
  int rc = xrun_job_open(&job, ctx, id.c_str());
  if (rc == XRUN_OK) rc = xrun_job_wait(job, timeout_s >= 0 ? static_cast<int64_t>(timeout_s * 1000) : -1);
  int result;
  if (rc != XRUN_OK) {
    report("wait", rc);
    result = rc == XRUN_E_TIMEOUT ? 124 : 1;
  } else {
    print_outcome(job, json);
    result = exit_code_for(job);
  }
  xrun_job_free(job);
  return result;
}

// Several jobs: each round refreshes every job not ended yet (a poll of its
// machine when the machine's interval allows), then redraws the progress
// line. Prints one line per job (a JSON array with --json), in the order
// given, once all ended or the time ran out.
int wait_many(xrun_ctx* ctx, const std::vector<std::string>& ids, double timeout_s, bool json) {
  using clock = std::chrono::steady_clock;
  std::vector<xrun_job*> jobs;
  for (const auto& id : ids) {
    xrun_job* job = nullptr;
    int rc = xrun_job_open(&job, ctx, id.c_str());
    if (rc != XRUN_OK) {
      fprintf(stderr, "xrun wait: %s: %s: %s\n", id.c_str(), xrun_status_name(rc), xrun_last_error());
      for (xrun_job* j : jobs) xrun_job_free(j);
      return 1;
    }
    jobs.push_back(job);
  }
  std::vector<bool> ended(jobs.size(), false);
  const auto start = clock::now();
  const auto failing_limit = std::chrono::minutes(5);
  clock::time_point failing_since{};
  bool failing = false, timed_out = false;
  int error = XRUN_OK;
  ProgressLine progress;
  for (;;) {
    bool round_failed = false;
    const bool was_failing = failing;
    for (size_t i = 0; i < jobs.size() && error == XRUN_OK; ++i) {
      if (ended[i]) continue;
      int rc = xrun_job_refresh(jobs[i]);
      int state = xrun_job_state(jobs[i]);
      if (xrun_state_is_terminal(state)) {
        ended[i] = true;
      } else if (rc == XRUN_E_TRANSPORT || rc == XRUN_E_SCHEDULER || rc == XRUN_E_TIMEOUT) {
        // Retried next round, as xrun_job_wait does; given up on after
        // failing for 5 minutes.
        if (!was_failing && !round_failed) failing_since = clock::now();
        round_failed = true;
        if (clock::now() - failing_since > failing_limit) error = rc;
      } else if (rc != XRUN_OK || state == XRUN_STATE_CREATED) {
        progress.finish();
        if (rc != XRUN_OK)
          fprintf(stderr, "xrun wait: %s: %s: %s\n", xrun_job_id(jobs[i]), xrun_status_name(rc), xrun_last_error());
        else
          fprintf(stderr, "xrun wait: XRUN_E_STATE: job %s was not submitted: %s\n", xrun_job_id(jobs[i]),
                  xrun_job_reason(jobs[i]));
        error = rc != XRUN_OK ? rc : XRUN_E_STATE;
      }
    }
    failing = round_failed;
    size_t done = 0;
    std::map<int, size_t> by_state;
    for (size_t i = 0; i < jobs.size(); ++i) {
      done += ended[i];
      ++by_state[xrun_job_state(jobs[i])];
    }
    progress.update(done, jobs.size(), by_state);
    if (error != XRUN_OK || done == jobs.size()) break;
    double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    if (timeout_s >= 0 && elapsed >= timeout_s) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  progress.finish();
  int result = 0;
  if (error != XRUN_OK) {
    if (error == XRUN_E_TRANSPORT || error == XRUN_E_SCHEDULER || error == XRUN_E_TIMEOUT) report("wait", error);
    result = 1;
  } else if (timed_out) {
    size_t open = 0;
    for (bool e : ended) open += !e;
    fprintf(stderr, "xrun wait: XRUN_E_TIMEOUT: %zu of %zu jobs not ended after %g s\n", open, jobs.size(),
            timeout_s);
    result = 124;
  }
  if (json) {
    printf("[\n");
    for (size_t i = 0; i < jobs.size(); ++i) {
      char* info = nullptr;
      if (xrun_job_info_json(&info, jobs[i]) == XRUN_OK) printf("%s%s\n", info, i + 1 < jobs.size() ? "," : "");
      xrun_free(info);
    }
    printf("]\n");
  } else {
    for (xrun_job* job : jobs) print_outcome(job, false);
  }
  // All ended: the first job (in the order given) that did not complete
  // sets the exit code, as `xrun wait ID` would for it alone.
  for (size_t i = 0; i < jobs.size() && result == 0; ++i) result = exit_code_for(jobs[i]);
  for (xrun_job* job : jobs) xrun_job_free(job);
  return result;
}

}  // namespace

int cmd_wait(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"--timeout"}, {"--json"});
  if (!args.error.empty()) {
    fprintf(stderr, "xrun wait: %s\nusage: xrun %s\n", args.error.c_str(), kUsage);
    return 2;
  }
  if (args.positional.empty() || args.has_dashdash) {
    fprintf(stderr, "xrun wait: wrong arguments\nusage: xrun %s\n", kUsage);
    return 2;
  }
  xrun_ctx* ctx = open_context("wait");
  if (!ctx) return 1;
  double timeout_s = atof(args.value("--timeout", "-1").c_str());
  bool json = args.has("--json");
  int result = args.positional.size() == 1 ? wait_one(ctx, args.positional[0], timeout_s, json)
                                           : wait_many(ctx, args.positional, timeout_s, json);
  xrun_ctx_close(ctx);
  return result;
}

}  // namespace xrun_tool
