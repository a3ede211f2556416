// drmaa_init, drmaa_exit and the auxiliary functions (version, contact,
// DRM system, implementation, strerror).
#include <cjson/cJSON.h>

#include <string>

#include "api.h"
#include "common.h"
#include "session.h"

namespace xdrmaa {

namespace {

// The configured machines, comma separated, without a session (the
// specification's answer to drmaa_get_contact before drmaa_init); "" if the
// configuration cannot be read.
std::string machine_names() {
  xrun_ctx* ctx = nullptr;
  if (xrun_ctx_open(&ctx, nullptr) != XRUN_OK) return "";
  std::string out;
  char* json = nullptr;
  if (xrun_machines_list(&json, ctx) == XRUN_OK) {
    if (cJSON* root = cJSON_Parse(json)) {
      const cJSON* m = nullptr;
      cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(root, "machines")) {
        const cJSON* name = cJSON_GetObjectItemCaseSensitive(m, "name");
        if (!cJSON_IsString(name)) continue;
        if (!out.empty()) out += ",";
        out += name->valuestring;
      }
      cJSON_Delete(root);
    }
    xrun_free(json);
  }
  xrun_ctx_close(ctx);
  return out;
}

const char* const kImplementation = "xrun-drmaa 1.0 (xrun ";

}  // namespace

}  // namespace xdrmaa

using namespace xdrmaa;

extern "C" {

int drmaa_init(const char* contact, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] { open_session(contact); });
}

int drmaa_exit(char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] { close_session(); });
}

int drmaa_version(unsigned int* major, unsigned int* minor, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!major || !minor) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "major or minor is NULL");
    *major = 1;
    *minor = 0;
  });
}

int drmaa_get_contact(char* contact, size_t contact_len, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!contact || contact_len == 0) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "contact buffer is NULL or empty");
    std::shared_ptr<Session> s = session_if_open();
    put(contact, contact_len, s ? s->machine() : machine_names());
  });
}

int drmaa_get_DRM_system(char* drm_system, size_t drm_system_len, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!drm_system || drm_system_len == 0) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "drm_system buffer is NULL or empty");
    std::shared_ptr<Session> s = session_if_open();
    std::string text = std::string("xrun ") + xrun_version();
    if (s) text += " (" + (s->scheduler().empty() ? std::string("?") : s->scheduler()) + " on " + s->machine() + ")";
    put(drm_system, drm_system_len, text);
  });
}

int drmaa_get_DRMAA_implementation(char* drmaa_impl, size_t drmaa_impl_len, char* error_diagnosis,
                                   size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!drmaa_impl || drmaa_impl_len == 0) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "drmaa_impl buffer is NULL or empty");
    put(drmaa_impl, drmaa_impl_len, std::string(kImplementation) + xrun_version() + ")");
  });
}

const char* drmaa_strerror(int drmaa_errno) {
  switch (drmaa_errno) {
    case DRMAA_ERRNO_SUCCESS: return "success";
    case DRMAA_ERRNO_INTERNAL_ERROR: return "internal error";
    case DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE: return "could not contact the DRM system";
    case DRMAA_ERRNO_AUTH_FAILURE: return "authorization failed";
    case DRMAA_ERRNO_INVALID_ARGUMENT: return "invalid argument";
    case DRMAA_ERRNO_NO_ACTIVE_SESSION: return "no active session";
    case DRMAA_ERRNO_NO_MEMORY: return "out of memory";
    case DRMAA_ERRNO_INVALID_CONTACT_STRING: return "invalid contact string";
    case DRMAA_ERRNO_DEFAULT_CONTACT_STRING_ERROR: return "cannot use the default contact string";
    case DRMAA_ERRNO_NO_DEFAULT_CONTACT_STRING_SELECTED: return "no default contact string selected";
    case DRMAA_ERRNO_DRMS_INIT_FAILED: return "initialization of the DRM system failed";
    case DRMAA_ERRNO_ALREADY_ACTIVE_SESSION: return "a session is already active";
    case DRMAA_ERRNO_DRMS_EXIT_ERROR: return "disengaging from the DRM system failed";
    case DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT: return "invalid attribute format";
    case DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE: return "invalid attribute value";
    case DRMAA_ERRNO_CONFLICTING_ATTRIBUTE_VALUES: return "conflicting attribute values";
    case DRMAA_ERRNO_TRY_LATER: return "DRM system overloaded: try later";
    case DRMAA_ERRNO_DENIED_BY_DRM: return "denied by the DRM system";
    case DRMAA_ERRNO_INVALID_JOB: return "invalid job";
    case DRMAA_ERRNO_RESUME_INCONSISTENT_STATE: return "the job cannot be resumed in its state";
    case DRMAA_ERRNO_SUSPEND_INCONSISTENT_STATE: return "the job cannot be suspended in its state";
    case DRMAA_ERRNO_HOLD_INCONSISTENT_STATE: return "the job cannot be held in its state";
    case DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE: return "the job cannot be released in its state";
    case DRMAA_ERRNO_EXIT_TIMEOUT: return "timeout while waiting";
    case DRMAA_ERRNO_NO_RUSAGE: return "no resource usage data";
    case DRMAA_ERRNO_NO_MORE_ELEMENTS: return "no more elements";
    default: return "unknown error code";
  }
}

}  // extern "C"
