// xrun submit / xrun run: build a job spec from the command line (or a spec
// file), submit it; `run` then streams the output and exits with the job's
// exit code.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "commands.h"
#include "tool_common.h"

namespace xrun_tool {

namespace {

const std::vector<std::string> kValued = {"-m", "--machine", "--name", "--spec", "--parser", "--timeout"};
const std::vector<std::string> kSwitches = {"--json", "-q", "--quiet", "--defer"};

// The spec as JSON text, or "" after printing why not.
std::string build_spec(const char* command, const Args& args) {
  cJSON* spec = nullptr;
  if (args.has("--spec")) {
    std::string path = args.value("--spec");
    std::stringstream text;
    if (path == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(path);
      if (!in) {
        fprintf(stderr, "xrun %s: cannot read spec file %s\n", command, path.c_str());
        return "";
      }
      text << in.rdbuf();
    }
    spec = cJSON_Parse(text.str().c_str());
    if (cJSON_IsArray(spec) && std::string(command) == "submit") {
      // A batch: handed to xrun_jobs_submit as it is (--defer marks each).
      if (!args.has("--defer")) {
        cJSON_Delete(spec);
        return text.str();
      }
      cJSON* item = nullptr;
      cJSON_ArrayForEach(item, spec) {
        cJSON_DeleteItemFromObject(item, "defer");
        cJSON_AddBoolToObject(item, "defer", 1);
      }
      char* marked = cJSON_PrintUnformatted(spec);
      std::string out = marked;
      cJSON_free(marked);
      cJSON_Delete(spec);
      return out;
    }
    if (!cJSON_IsObject(spec)) {
      fprintf(stderr, "xrun %s: %s is not a JSON object%s\n", command, path.c_str(),
              std::string(command) == "submit" ? " or array" : "");
      cJSON_Delete(spec);
      return "";
    }
  } else {
    spec = cJSON_CreateObject();
  }
  if (!args.after_dashdash.empty()) {
    cJSON_DeleteItemFromObject(spec, "command");
    cJSON* argv = cJSON_AddArrayToObject(spec, "argv");
    for (const auto& a : args.after_dashdash) cJSON_AddItemToArray(argv, cJSON_CreateString(a.c_str()));
  }
  std::string machine = args.value("-m", args.value("--machine"));
  if (!machine.empty()) {
    cJSON_DeleteItemFromObject(spec, "machine");
    cJSON_AddStringToObject(spec, "machine", machine.c_str());
  }
  if (args.has("--name")) {
    cJSON_DeleteItemFromObject(spec, "name");
    cJSON_AddStringToObject(spec, "name", args.value("--name").c_str());
  }
  if (args.has("--parser")) {
    cJSON_DeleteItemFromObject(spec, "parser");
    cJSON_AddStringToObject(spec, "parser", args.value("--parser").c_str());
  }
  if (args.has("--defer")) {
    // Record only: the next poll round of the machine sends it.
    cJSON_DeleteItemFromObject(spec, "defer");
    cJSON_AddBoolToObject(spec, "defer", 1);
  }
  char* text = cJSON_PrintUnformatted(spec);
  std::string out = text;
  cJSON_free(text);
  cJSON_Delete(spec);
  return out;
}

bool check_args(const char* command, const Args& args) {
  if (!args.error.empty()) {
    fprintf(stderr, "xrun %s: %s (see xrun --help)\n", command, args.error.c_str());
    return false;
  }
  if (!args.positional.empty()) {
    fprintf(stderr, "xrun %s: unexpected argument \"%s\"; put the command after --\n", command,
            args.positional[0].c_str());
    return false;
  }
  if (!args.has("--spec") && args.after_dashdash.empty()) {
    fprintf(stderr, "xrun %s: nothing to run: give -- CMD ARGS... or --spec FILE\n", command);
    return false;
  }
  return true;
}

// Prints what `name` gained since `*printed` bytes, all of it (in chunks),
// reading each byte once.
void stream_new(xrun_job* job, const char* name, FILE* to, int64_t* printed) {
  for (;;) {
    char* data = nullptr;
    size_t size = 0;
    int64_t total = 0;
    if (xrun_job_read_file_at(&data, &size, &total, job, name, *printed, 0) != XRUN_OK) return;
    fwrite(data, 1, size, to);
    xrun_free(data);
    *printed += static_cast<int64_t>(size);
    if (size == 0 || *printed >= total) break;
  }
  fflush(to);
}

}  // namespace

int cmd_submit(int argc, char** argv) {
  Args args = parse_args(argc, argv, kValued, kSwitches);
  if (!check_args("submit", args)) return 2;
  std::string spec = build_spec("submit", args);
  if (spec.empty()) return 2;
  xrun_ctx* ctx = open_context("submit");
  if (!ctx) return 1;
  if (spec[0] == '[') {
    // A batch: one command per machine; one id per line, in input order.
    char* outcomes = nullptr;
    int rc = xrun_jobs_submit(&outcomes, ctx, spec.c_str());
    int result = 0;
    if (rc != XRUN_OK) {
      result = report("submit", rc);
    } else {
      cJSON* list = cJSON_Parse(outcomes);
      const cJSON* item = nullptr;
      cJSON_ArrayForEach(item, list) {
        std::string error = json_str(item, "error");
        if (!error.empty()) {
          fprintf(stderr, "xrun submit: job %s not sent: %s\n", json_str(item, "id").c_str(), error.c_str());
          result = 1;
        }
      }
      if (args.has("--json")) print_json(outcomes);
      cJSON_ArrayForEach(item, list) printf("%s\n", json_str(item, "id").c_str());
      cJSON_Delete(list);
    }
    xrun_free(outcomes);
    xrun_ctx_close(ctx);
    return result;
  }
  xrun_job* job = nullptr;
  int rc = xrun_job_submit(&job, ctx, spec.c_str());
  if (rc != XRUN_OK) {
    report("submit", rc);
    xrun_ctx_close(ctx);
    return 1;
  }
  if (args.has("--json")) {
    char* info = nullptr;
    if (xrun_job_info_json(&info, job) == XRUN_OK) print_json(info);
    xrun_free(info);
  }
  // The id alone on the last line, for scripts: id=$(xrun submit ... | tail -1)
  printf("%s\n", xrun_job_id(job));
  xrun_job_free(job);
  xrun_ctx_close(ctx);
  return 0;
}

int cmd_run(int argc, char** argv) {
  Args args = parse_args(argc, argv, kValued, kSwitches);
  if (!check_args("run", args)) return 2;
  std::string spec = build_spec("run", args);
  if (spec.empty()) return 2;
  xrun_ctx* ctx = open_context("run");
  if (!ctx) return 1;
  xrun_job* job = nullptr;
  int rc = xrun_job_submit(&job, ctx, spec.c_str());
  if (rc != XRUN_OK) {
    report("run", rc);
    xrun_ctx_close(ctx);
    return 1;
  }
  bool quiet = args.has("-q") || args.has("--quiet");
  if (!quiet) fprintf(stderr, "xrun: job %s submitted\n", xrun_job_id(job));
  double timeout_s = atof(args.value("--timeout", "-1").c_str());
  int64_t deadline_ms = timeout_s >= 0 ? static_cast<int64_t>(timeout_s * 1000) : -1;
  int64_t out_printed = 0, err_printed = 0;
  int64_t waited = 0;
  int exit_code = 0;
  for (;;) {
    rc = xrun_job_wait(job, 200);
    stream_new(job, "stdout", stdout, &out_printed);
    stream_new(job, "stderr", stderr, &err_printed);
    if (rc == XRUN_OK) break;
    if (rc != XRUN_E_TIMEOUT) {
      report("run", rc);
      exit_code = 1;
      break;
    }
    waited += 200;
    if (deadline_ms >= 0 && waited >= deadline_ms) {
      fprintf(stderr, "xrun run: job %s still %s after %.0f s; it keeps running (xrun wait %s)\n",
              xrun_job_id(job), xrun_state_name(xrun_job_state(job)), timeout_s, xrun_job_id(job));
      exit_code = 124;
      break;
    }
  }
  if (rc == XRUN_OK) {
    exit_code = exit_code_for(job);
    if (args.has("--json")) {
      char* info = nullptr;
      if (xrun_job_info_json(&info, job) == XRUN_OK) print_json(info);
      xrun_free(info);
    } else if (!quiet && xrun_job_state(job) != XRUN_STATE_COMPLETED) {
      fprintf(stderr, "xrun: job %s %s%s%s\n", xrun_job_id(job), xrun_state_name(xrun_job_state(job)),
              *xrun_job_reason(job) ? ": " : "", xrun_job_reason(job));
    }
  }
  xrun_job_free(job);
  xrun_ctx_close(ctx);
  return exit_code;
}

}  // namespace xrun_tool
