// drmaa_init / drmaa_exit and the session's job bookkeeping.
#include "session.h"

#include <cjson/cJSON.h>

#include "api.h"
#include "common.h"

namespace xdrmaa {

namespace {
std::mutex g_mutex;
std::shared_ptr<Session> g_session;

// The "scheduler" of a machine's resolved configuration ("" if absent).
std::string scheduler_of(xrun_machine* machine) {
  char* json = nullptr;
  if (xrun_machine_json(&json, machine) != XRUN_OK) return "";
  std::string out;
  if (cJSON* root = cJSON_Parse(json)) {
    const cJSON* s = cJSON_GetObjectItemCaseSensitive(root, "scheduler");
    if (cJSON_IsString(s)) out = s->valuestring;
    cJSON_Delete(root);
  }
  xrun_free(json);
  return out;
}
}  // namespace

void Session::add_jobs(const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  jobs_.insert(jobs_.end(), ids.begin(), ids.end());
}

std::vector<std::string> Session::jobs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return jobs_;
}

std::vector<std::string> Session::unreaped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const auto& id : jobs_)
    if (!reaped_.count(id)) out.push_back(id);
  return out;
}

bool Session::is_reaped(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reaped_.count(id) != 0;
}

bool Session::reap(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return reaped_.insert(id).second;
}

std::shared_ptr<Session> session_if_open() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_session;
}

std::shared_ptr<Session> current_session() {
  std::shared_ptr<Session> s = session_if_open();
  if (!s) fail(DRMAA_ERRNO_NO_ACTIVE_SESSION, "no active DRMAA session: call drmaa_init first");
  return s;
}

void open_session(const char* contact) {
  // The lock is held across the open so that two threads racing into
  // drmaa_init get one session and one DRMAA_ERRNO_ALREADY_ACTIVE_SESSION.
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_session) fail(DRMAA_ERRNO_ALREADY_ACTIVE_SESSION, "a DRMAA session is already active");
  xrun_ctx* ctx = nullptr;
  int rc = xrun_ctx_open(&ctx, nullptr);
  if (rc != XRUN_OK) fail(DRMAA_ERRNO_DRMS_INIT_FAILED, "opening the xrun context: " + xrun_message());
  xrun_machine* machine = nullptr;
  rc = xrun_machine_open(&machine, ctx, contact && *contact ? contact : nullptr);
  if (rc != XRUN_OK) {
    std::string text = xrun_message();
    xrun_ctx_close(ctx);
    if (rc == XRUN_E_NOT_FOUND)
      fail(contact && *contact ? DRMAA_ERRNO_INVALID_CONTACT_STRING : DRMAA_ERRNO_DEFAULT_CONTACT_STRING_ERROR,
           "contact string names no xrun machine: " + text);
    fail(DRMAA_ERRNO_DRMS_INIT_FAILED, "opening the machine: " + text);
  }
  std::string name = xrun_machine_name(machine);
  std::string scheduler = scheduler_of(machine);
  xrun_machine_free(machine);
  try {
    g_session = std::make_shared<Session>(ctx, name, scheduler);
  } catch (...) {
    xrun_ctx_close(ctx);
    throw;
  }
}

void close_session() {
  std::shared_ptr<Session> old;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_session) fail(DRMAA_ERRNO_NO_ACTIVE_SESSION, "no active DRMAA session");
    old.swap(g_session);
  }
  // `old` is released here, outside the lock; a wait still running in
  // another thread keeps the context alive until it returns.
}

}  // namespace xdrmaa
