#include "job_facts.h"

#include <cjson/cJSON.h>

#include <cstdio>
#include <ctime>

#include "api.h"
#include "common.h"

namespace xdrmaa {

JobHandle::JobHandle(xrun_ctx* ctx, const std::string& id) {
  int rc = xrun_job_open(&job_, ctx, id.c_str());
  if (rc == XRUN_E_NOT_FOUND || rc == XRUN_E_INVALID)
    fail(DRMAA_ERRNO_INVALID_JOB, "no job with id \"" + id + "\"");
  check_xrun(rc, "opening the job", DRMAA_ERRNO_INVALID_JOB);
}

std::optional<double> epoch_seconds(const char* text) {
  if (!text) return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  int n = std::sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &y, &mo, &d, &h, &mi, &s, &ms);
  if (n < 6) return std::nullopt;
  struct tm tm_utc = {};
  tm_utc.tm_year = y - 1900;
  tm_utc.tm_mon = mo - 1;
  tm_utc.tm_mday = d;
  tm_utc.tm_hour = h;
  tm_utc.tm_min = mi;
  tm_utc.tm_sec = s;
  time_t t = timegm(&tm_utc);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<double>(t) + (n == 7 ? ms / 1000.0 : 0.0);
}

JobFacts facts_of(xrun_job* job) {
  JobFacts f;
  f.state = xrun_job_state(job);
  f.terminal = xrun_state_is_terminal(f.state) != 0;
  int code = 0;
  if (xrun_job_exit_code(job, &code) == XRUN_OK) f.exit_code = code;
  char* json = nullptr;
  if (xrun_job_info_json(&json, job) != XRUN_OK) return f;  // times are optional extras
  if (cJSON* root = cJSON_Parse(json)) {
    auto time = [&](const char* key) {
      const cJSON* v = cJSON_GetObjectItemCaseSensitive(root, key);
      return cJSON_IsString(v) ? epoch_seconds(v->valuestring) : std::nullopt;
    };
    f.created_s = time("created_at");
    f.submitted_s = time("submitted_at");
    f.started_s = time("started_at");
    f.ended_s = time("ended_at");
    cJSON_Delete(root);
  }
  xrun_free(json);
  return f;
}

}  // namespace xdrmaa
