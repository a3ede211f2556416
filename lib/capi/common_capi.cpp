// Version, status names, the thread's last error, xrun_free, state names.
#include <cstdlib>
#include <cstring>
#include <string>

#include "capi/guard.h"

namespace xrun::capi {

namespace {
thread_local std::string t_last_message;
thread_local int t_last_status = XRUN_OK;
}  // namespace

void set_error(int status, const std::string& message) {
  t_last_status = status;
  t_last_message = message;
}

void clear_error() {
  t_last_status = XRUN_OK;
  t_last_message.clear();
}

char* owned_copy(const std::string& text) {
  char* out = static_cast<char*>(malloc(text.size() + 1));
  if (!out) throw std::bad_alloc();
  memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

}  // namespace xrun::capi

extern "C" {

XRUN_API const char* xrun_version(void) { return XRUN_VERSION_STRING; }
XRUN_API int xrun_version_number(void) { return XRUN_VERSION_NUMBER; }

XRUN_API const char* xrun_status_name(int status) {
  switch (status) {
    case XRUN_OK: return "XRUN_OK";
    case XRUN_E_INVALID: return "XRUN_E_INVALID";
    case XRUN_E_CONFIG: return "XRUN_E_CONFIG";
    case XRUN_E_NOT_FOUND: return "XRUN_E_NOT_FOUND";
    case XRUN_E_STATE: return "XRUN_E_STATE";
    case XRUN_E_STORE: return "XRUN_E_STORE";
    case XRUN_E_IO: return "XRUN_E_IO";
    case XRUN_E_TRANSPORT: return "XRUN_E_TRANSPORT";
    case XRUN_E_AUTH: return "XRUN_E_AUTH";
    case XRUN_E_HOSTKEY: return "XRUN_E_HOSTKEY";
    case XRUN_E_SCHEDULER: return "XRUN_E_SCHEDULER";
    case XRUN_E_TIMEOUT: return "XRUN_E_TIMEOUT";
    case XRUN_E_PARSE: return "XRUN_E_PARSE";
    case XRUN_E_NOMEM: return "XRUN_E_NOMEM";
    case XRUN_E_UNSUPPORTED: return "XRUN_E_UNSUPPORTED";
    case XRUN_E_INTERNAL: return "XRUN_E_INTERNAL";
    case XRUN_E_INTERRUPTED: return "XRUN_E_INTERRUPTED";
    default: return "XRUN_E_UNKNOWN";
  }
}

XRUN_API const char* xrun_last_error(void) { return xrun::capi::t_last_message.c_str(); }
XRUN_API int xrun_last_status(void) { return xrun::capi::t_last_status; }
XRUN_API void xrun_free(void* ptr) { free(ptr); }

}  // extern "C"

#include "core/state.h"

extern "C" {
XRUN_API const char* xrun_state_name(int state) { return xrun::state_name(state); }
XRUN_API int xrun_state_is_terminal(int state) { return xrun::is_terminal(state) ? 1 : 0; }
}
