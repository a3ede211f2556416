#include "common.h"

#include <cstring>

#include "api.h"
#include "xrun.h"

namespace xdrmaa {

void fail(int code, std::string text) { throw Failure{code, std::move(text)}; }

void put(char* buffer, size_t size, const std::string& text) {
  if (!buffer || size == 0) return;
  size_t n = text.size() < size - 1 ? text.size() : size - 1;
  std::memcpy(buffer, text.data(), n);
  buffer[n] = '\0';
}

std::string xrun_message() { return std::string("xrun: ") + xrun_last_error(); }

int drmaa_code_for(int xrun_status, int invalid_as) {
  switch (xrun_status) {
    case XRUN_OK: return DRMAA_ERRNO_SUCCESS;
    case XRUN_E_INVALID: return invalid_as;
    case XRUN_E_CONFIG: return DRMAA_ERRNO_DRMS_INIT_FAILED;
    case XRUN_E_NOT_FOUND: return DRMAA_ERRNO_INVALID_JOB;
    case XRUN_E_TRANSPORT: return DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE;
    case XRUN_E_AUTH:
    case XRUN_E_HOSTKEY: return DRMAA_ERRNO_AUTH_FAILURE;
    case XRUN_E_SCHEDULER:
    case XRUN_E_UNSUPPORTED: return DRMAA_ERRNO_DENIED_BY_DRM;
    case XRUN_E_TIMEOUT: return DRMAA_ERRNO_EXIT_TIMEOUT;
    case XRUN_E_NOMEM: return DRMAA_ERRNO_NO_MEMORY;
    case XRUN_E_STORE:
    case XRUN_E_IO: return DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE;
    default: return DRMAA_ERRNO_INTERNAL_ERROR;
  }
}

void check_xrun(int rc, const char* what, int invalid_as) {
  if (rc == XRUN_OK) return;
  fail(drmaa_code_for(rc, invalid_as), std::string(what) + ": " + xrun_message());
}

int guard_failure(char* diagnosis, size_t diagnosis_len, const Failure& f) noexcept {
  try {
    put(diagnosis, diagnosis_len, f.text);
  } catch (...) {
  }
  return f.code;
}

int guard_unknown(char* diagnosis, size_t diagnosis_len, bool no_memory, const char* what) noexcept {
  try {
    put(diagnosis, diagnosis_len, what);
  } catch (...) {
  }
  return no_memory ? DRMAA_ERRNO_NO_MEMORY : DRMAA_ERRNO_INTERNAL_ERROR;
}

}  // namespace xdrmaa
