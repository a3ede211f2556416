// drmaa_run_job and drmaa_run_bulk_jobs: a template becomes an xrun job spec
// (JSON built with cJSON, so every value is escaped), submitted on the
// session's machine. Bulk jobs are one xrun array (one scheduler submission)
// on a batch scheduler, and one batch of specs (one command) on the direct
// scheduler, which has no arrays.
#include <cjson/cJSON.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "api.h"
#include "common.h"
#include "job_template.h"
#include "job_wrapper.h"
#include "native_spec.h"
#include "session.h"
#include "vectors.h"

namespace xdrmaa {

namespace {

// xrun ids are 26-character ULIDs (include/xrun.h, xrun_job_id).
constexpr size_t kJobIdBuffer = 27;
constexpr int64_t kMaxBulkTasks = 100000;  // xrun's own limit for an array

struct JsonDeleter {
  void operator()(cJSON* p) const { cJSON_Delete(p); }
};
using Json = std::unique_ptr<cJSON, JsonDeleter>;

struct XrunText {
  char* p = nullptr;
  ~XrunText() { xrun_free(p); }
};

cJSON* checked(cJSON* node) {
  if (!node) throw std::bad_alloc();
  return node;
}

void add_string(cJSON* obj, const char* key, const std::string& value) {
  checked(cJSON_AddStringToObject(obj, key, value.c_str()));
}

// "[[h:]m:]s" -> "D-HH:MM:SS" / "HH:MM:SS".
std::string walltime_of(const std::string& amount) {
  long long total = 0, field = 0;
  for (char c : amount) {
    if (c == ':') {
      total = (total + field) * 60;
      field = 0;
    } else {
      field = field * 10 + (c - '0');
    }
  }
  total += field;
  if (total < 1) fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "drmaa_wct_hlimit must be at least 1 second");
  if (total > 365LL * 86400) fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "drmaa_wct_hlimit is over a year");
  char buf[48];
  long long days = total / 86400, rest = total % 86400;
  if (days > 0)
    std::snprintf(buf, sizeof buf, "%lld-%02lld:%02lld:%02lld", days, rest / 3600, rest / 60 % 60, rest % 60);
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", rest / 3600, rest / 60 % 60, rest % 60);
  return buf;
}

// The xrun job spec of a template. `index` is the bulk index ("" for a
// single job or an array task, which reads it from the scheduler).
Json spec_of(const Session& session, const TemplateValues& t, const std::string& index) {
  WrappedJob w;
  w.command = t.scalar(DRMAA_REMOTE_COMMAND);
  if (w.command.empty()) fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "drmaa_remote_command is not set");
  w.args = t.vector(DRMAA_V_ARGV);
  w.index = index;
  w.wd = t.scalar(DRMAA_WD);
  w.input = path_of(t.scalar(DRMAA_INPUT_PATH));
  w.output = path_of(t.scalar(DRMAA_OUTPUT_PATH));
  w.error = path_of(t.scalar(DRMAA_ERROR_PATH));
  w.join = t.scalar(DRMAA_JOIN_FILES) == "y";

  Json spec(checked(cJSON_CreateObject()));
  add_string(spec.get(), "machine", session.machine());
  std::string name = t.scalar(DRMAA_JOB_NAME);
  if (!name.empty()) add_string(spec.get(), "name", name);
  cJSON* argv = checked(cJSON_AddArrayToObject(spec.get(), "argv"));
  for (const auto& a : wrapped_argv(w)) cJSON_AddItemToArray(argv, checked(cJSON_CreateString(a.c_str())));

  std::vector<std::string> env = t.vector(DRMAA_V_ENV);
  if (!env.empty()) {
    cJSON* obj = checked(cJSON_AddObjectToObject(spec.get(), "env"));
    for (const auto& e : env) {
      size_t eq = e.find('=');
      std::string key = e.substr(0, eq);
      cJSON_DeleteItemFromObjectCaseSensitive(obj, key.c_str());  // the last one wins
      add_string(obj, key.c_str(), e.substr(eq + 1));
    }
  }

  // Resources: the native specification, and drmaa_wct_hlimit as the
  // walltime unless the native specification gives one.
  NativeSpec native;
  std::string error, members;
  if (!parse_native_spec(t.scalar(DRMAA_NATIVE_SPECIFICATION), native, error) ||
      !native_spec_resources(native, members, error))
    fail(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, error);
  std::string hlimit = t.scalar(DRMAA_WCT_HLIMIT);
  if (!native.walltime && !hlimit.empty()) {
    if (!members.empty()) members += ", ";
    members += "\"walltime\": \"" + walltime_of(hlimit) + "\"";
  }
  if (!members.empty()) {
    cJSON* resources = cJSON_Parse(("{" + members + "}").c_str());
    if (!resources) fail(DRMAA_ERRNO_INTERNAL_ERROR, "resources of the native specification are not JSON");
    cJSON_AddItemToObject(spec.get(), "resources", resources);
  }
  if (t.scalar(DRMAA_JS_STATE) == DRMAA_SUBMISSION_STATE_HOLD) checked(cJSON_AddTrueToObject(spec.get(), "hold"));
  return spec;
}

std::string printed(const Json& json) {
  char* text = cJSON_PrintUnformatted(json.get());
  if (!text) throw std::bad_alloc();
  std::string out = text;
  cJSON_free(text);
  return out;
}

// A failed submission as a DRMAA error: xrun's "bad spec" is a bad
// attribute value, an unknown machine means the configuration changed
// under the session.
[[noreturn]] void submission_failed(int rc) {
  if (rc == XRUN_E_NOT_FOUND)
    fail(DRMAA_ERRNO_DENIED_BY_DRM, "submitting: the session's machine is gone: " + xrun_message());
  check_xrun(rc, "submitting", DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE);
  fail(DRMAA_ERRNO_INTERNAL_ERROR, "submitting failed");
}

// The tasks of the array whose first task is `first`, in index order.
std::vector<std::string> array_tasks(const Session& session, const std::string& first, size_t expected) {
  for (int64_t limit : {static_cast<int64_t>(expected) + 64, static_cast<int64_t>(0)}) {
    XrunText list;
    int rc = xrun_jobs_list(&list.p, session.ctx(), session.machine().c_str(), -1, limit);
    check_xrun(rc, "listing the array's tasks", DRMAA_ERRNO_INTERNAL_ERROR);
    Json root(cJSON_Parse(list.p));
    if (!cJSON_IsArray(root.get())) fail(DRMAA_ERRNO_INTERNAL_ERROR, "xrun_jobs_list did not return an array");
    std::vector<std::pair<double, std::string>> tasks;
    const cJSON* item = nullptr;
    cJSON_ArrayForEach(item, root.get()) {
      const cJSON* parent = cJSON_GetObjectItemCaseSensitive(item, "array_parent");
      const cJSON* index = cJSON_GetObjectItemCaseSensitive(item, "array_index");
      const cJSON* id = cJSON_GetObjectItemCaseSensitive(item, "id");
      if (cJSON_IsString(parent) && first == parent->valuestring && cJSON_IsNumber(index) && cJSON_IsString(id))
        tasks.emplace_back(index->valuedouble, id->valuestring);
    }
    if (tasks.size() == expected) {
      std::sort(tasks.begin(), tasks.end());
      std::vector<std::string> ids;
      for (auto& t : tasks) ids.push_back(std::move(t.second));
      return ids;
    }
  }
  fail(DRMAA_ERRNO_INTERNAL_ERROR, "the array's tasks were not all found in the store (first task " + first + ")");
}

std::vector<std::string> submit_array(Session& session, const TemplateValues& t, int start, int end, int incr,
                                      size_t count) {
  Json spec = spec_of(session, t, "");
  add_string(spec.get(), "array", std::to_string(start) + "-" + std::to_string(end) + ":" + std::to_string(incr));
  xrun_job* job = nullptr;
  int rc = xrun_job_submit(&job, session.ctx(), printed(spec).c_str());
  if (rc != XRUN_OK) submission_failed(rc);
  std::string first = xrun_job_id(job);
  xrun_job_free(job);
  return array_tasks(session, first, count);
}

// Cancels what a partly failed batch did send, so that a failed call leaves
// no job running that the caller has no id for.
void cancel_all(Session& session, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    xrun_job* job = nullptr;
    if (xrun_job_open(&job, session.ctx(), id.c_str()) == XRUN_OK) xrun_job_cancel(job);
    xrun_job_free(job);
  }
}

std::vector<std::string> submit_batch(Session& session, const TemplateValues& t, int start, int end, int incr) {
  Json specs(checked(cJSON_CreateArray()));
  for (long long i = start; i <= end; i += incr)
    cJSON_AddItemToArray(specs.get(), spec_of(session, t, std::to_string(i)).release());
  XrunText out;
  int rc = xrun_jobs_submit(&out.p, session.ctx(), printed(specs).c_str());
  if (rc != XRUN_OK) submission_failed(rc);
  Json results(cJSON_Parse(out.p));
  if (!cJSON_IsArray(results.get())) fail(DRMAA_ERRNO_INTERNAL_ERROR, "xrun_jobs_submit did not return an array");
  std::vector<std::string> ids, sent;
  std::string first_error;
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, results.get()) {
    const cJSON* id = cJSON_GetObjectItemCaseSensitive(item, "id");
    const cJSON* error = cJSON_GetObjectItemCaseSensitive(item, "error");
    if (!cJSON_IsString(id)) fail(DRMAA_ERRNO_INTERNAL_ERROR, "xrun_jobs_submit returned an entry without id");
    ids.push_back(id->valuestring);
    if (cJSON_IsString(error)) {
      if (first_error.empty()) first_error = error->valuestring;
    } else {
      sent.push_back(id->valuestring);
    }
  }
  if (!first_error.empty()) {
    cancel_all(session, sent);
    fail(DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE, "submitting the bulk job: " + first_error);
  }
  return ids;
}

}  // namespace

}  // namespace xdrmaa

using namespace xdrmaa;

extern "C" {

int drmaa_run_job(char* job_id, size_t job_id_len, const drmaa_job_template_t* jt, char* error_diagnosis,
                  size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    std::shared_ptr<Session> session = current_session();
    if (!jt) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jt is NULL");
    // Checked before sending: a truncated id would leave a job nobody can name.
    if (!job_id || job_id_len < kJobIdBuffer)
      fail(DRMAA_ERRNO_INVALID_ARGUMENT, "job_id buffer must hold 27 bytes (an xrun id and its NUL)");
    Json spec = spec_of(*session, values_of(*jt), "");
    xrun_job* job = nullptr;
    int rc = xrun_job_submit(&job, session->ctx(), printed(spec).c_str());
    if (rc != XRUN_OK) submission_failed(rc);
    std::string id = xrun_job_id(job);
    xrun_job_free(job);
    session->add_jobs({id});
    put(job_id, job_id_len, id);
  });
}

int drmaa_run_bulk_jobs(drmaa_job_ids_t** jobids, const drmaa_job_template_t* jt, int start, int end, int incr,
                        char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (jobids) *jobids = nullptr;
    std::shared_ptr<Session> session = current_session();
    if (!jobids) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jobids is NULL");
    if (!jt) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jt is NULL");
    if (start < 1 || end < start || incr < 1)
      fail(DRMAA_ERRNO_INVALID_ARGUMENT, "bulk job indexes need 1 <= start <= end and incr >= 1");
    int64_t count = (static_cast<int64_t>(end) - start) / incr + 1;
    if (count > kMaxBulkTasks) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "a bulk job has at most 100000 tasks");
    TemplateValues t = values_of(*jt);
    std::vector<std::string> ids = session->scheduler() == "direct"
                                       ? submit_batch(*session, t, start, end, incr)
                                       : submit_array(*session, t, start, end, incr, static_cast<size_t>(count));
    session->add_jobs(ids);
    *jobids = new_vector<drmaa_job_ids_t>(std::move(ids));
  });
}

}  // extern "C"
