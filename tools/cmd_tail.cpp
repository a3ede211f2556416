// xrun tail [-f] [-n LINES] ID [FILE]: the end of a job's file (default
// stdout); with -f, follows it until the job ends, reading each byte once
// (xrun_job_read_file_at from the last offset).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.h"
#include "tool_common.h"

namespace xrun_tool {

namespace {

// Prints from `*offset` to the end of the file as it is now; false if the
// file could not be read (not there yet is not an error while following).
bool print_from(xrun_job* job, const char* name, int64_t* offset, int* status) {
  for (;;) {
    char* data = nullptr;
    size_t size = 0;
    int64_t total = 0;
    *status = xrun_job_read_file_at(&data, &size, &total, job, name, *offset, 0);
    if (*status != XRUN_OK) return false;
    fwrite(data, 1, size, stdout);
    xrun_free(data);
    *offset += static_cast<int64_t>(size);
    if (size == 0 || *offset >= total) break;
  }
  fflush(stdout);
  return true;
}

// Where the last `lines` lines of the file begin (reads at most its last 1 MiB).
int64_t start_of_last_lines(xrun_job* job, const char* name, int64_t lines, int* status) {
  char* data = nullptr;
  size_t size = 0;
  int64_t total = 0;
  *status = xrun_job_read_file_at(&data, &size, &total, job, name, 0, 1);
  xrun_free(data);
  if (*status != XRUN_OK) return 0;
  const int64_t window = int64_t{1} << 20;
  int64_t from = total > window ? total - window : 0;
  *status = xrun_job_read_file_at(&data, &size, &total, job, name, from, window);
  if (*status != XRUN_OK) return 0;
  std::string text(data, size);
  xrun_free(data);
  // A final newline ends the last line; it does not start a new one.
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int64_t seen = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++seen == lines) break;
  }
  return from + static_cast<int64_t>(pos);
}

}  // namespace

int cmd_tail(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"-n"}, {"-f", "--follow"});
  if (!args.error.empty() || args.positional.empty() || args.positional.size() > 2) {
    fprintf(stderr, "xrun tail: %s\nusage: xrun tail [-f] [-n LINES] ID [FILE]\n",
            args.error.empty() ? "wrong arguments" : args.error.c_str());
    return 2;
  }
  const bool follow = args.has("-f") || args.has("--follow");
  const int64_t lines = atoll(args.value("-n", "10").c_str());
  const std::string name = args.positional.size() > 1 ? args.positional[1] : "stdout";
  xrun_ctx* ctx = open_context("tail");
  if (!ctx) return 1;
  xrun_job* job = nullptr;
  int rc = xrun_job_open(&job, ctx, args.positional[0].c_str());
  if (rc != XRUN_OK) {
    int code = report("tail", rc);
    xrun_ctx_close(ctx);
    return code;
  }
  int status = XRUN_OK;
  int64_t offset = lines > 0 ? start_of_last_lines(job, name.c_str(), lines, &status) : 0;
  int result = 0;
  if (!follow) {
    if (status == XRUN_OK) print_from(job, name.c_str(), &offset, &status);
    if (status != XRUN_OK) result = report("tail", status);
  } else {
    // Until the job ends: print what is new, refresh the job (its machine's
    // poll interval bounds how often a refresh really polls), pause.
    for (;;) {
      print_from(job, name.c_str(), &offset, &status);
      if (status != XRUN_OK && status != XRUN_E_NOT_FOUND) {
        result = report("tail", status);
        break;
      }
      if (xrun_state_is_terminal(xrun_job_state(job))) {
        print_from(job, name.c_str(), &offset, &status);  // what it wrote last
        break;
      }
      usleep(300000);
      rc = xrun_job_refresh(job);
      if (rc != XRUN_OK) report("tail", rc);  // a failed poll: keep following
    }
  }
  xrun_job_free(job);
  xrun_ctx_close(ctx);
  return result;
}

int cmd_prune(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"--older-than"}, {"--json"});
  std::string age = args.value("--older-than", "");
  if (!args.error.empty() || !args.positional.empty() || age.empty()) {
    fprintf(stderr,
            "xrun prune: %s\nusage: xrun prune --older-than AGE [--json]   (AGE: N followed by s, m, h or d;"
            " 0 prunes every finished job)\n",
            args.error.empty() ? (age.empty() ? "--older-than is required" : "wrong arguments") : args.error.c_str());
    return 2;
  }
  char* end = nullptr;
  double amount = strtod(age.c_str(), &end);
  std::string unit = end ? end : "";
  double scale = unit == "s" ? 1e3 : unit == "m" ? 60e3 : unit == "h" ? 3600e3 : unit == "d" ? 86400e3 : -1;
  if (end == age.c_str() || amount < 0 || (scale < 0 && !(unit.empty() && amount == 0))) {
    fprintf(stderr, "xrun prune: AGE \"%s\" must be a number followed by s, m, h or d (e.g. 30d)\n", age.c_str());
    return 2;
  }
  xrun_ctx* ctx = open_context("prune");
  if (!ctx) return 1;
  char* report_json = nullptr;
  int rc = xrun_prune(&report_json, ctx, static_cast<int64_t>(amount * (scale < 0 ? 0 : scale)));
  int result = 0;
  if (rc != XRUN_OK) {
    result = report("prune", rc);
  } else if (args.has("--json")) {
    print_json(report_json);
  } else {
    cJSON* o = cJSON_Parse(report_json);
    printf("pruned %s jobs and %s events\n", json_num(o, "jobs").c_str(), json_num(o, "events").c_str());
    cJSON_Delete(o);
  }
  xrun_free(report_json);
  xrun_ctx_close(ctx);
  return result;
}

}  // namespace xrun_tool
