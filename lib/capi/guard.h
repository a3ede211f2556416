// The one guard every extern "C" entry point runs its body through: it
// turns C++ exceptions into a status and this thread's message, so no
// exception ever crosses the C ABI.
#pragma once
#include <new>
#include <string>

#include "util/error.h"
#include "xrun.h"

namespace xrun::capi {

void set_error(int status, const std::string& message);
void clear_error();

// Runs `body` (which returns void) and maps what it throws. Returns XRUN_OK
// or the error status.
template <typename Body>
int guarded(Body&& body) noexcept {
  try {
    clear_error();
    body();
    return XRUN_OK;
  } catch (const Error& e) {
    set_error(e.status(), e.what());
    return e.status();
  } catch (const std::bad_alloc&) {
    set_error(XRUN_E_NOMEM, "out of memory");
    return XRUN_E_NOMEM;
  } catch (const std::exception& e) {
    set_error(XRUN_E_INTERNAL, std::string("internal error: ") + e.what());
    return XRUN_E_INTERNAL;
  } catch (...) {
    set_error(XRUN_E_INTERNAL, "internal error: unknown exception");
    return XRUN_E_INTERNAL;
  }
}

// Refuses NULL arguments at the top of an entry point.
inline void require(const void* pointer, const char* what) {
  if (!pointer) throw Error(XRUN_E_INVALID, std::string(what) + " must not be NULL");
}

// A malloc'ed NUL-terminated copy, for OWNED strings out (xrun_free).
char* owned_copy(const std::string& text);

}  // namespace xrun::capi
