// What every DRMAA entry point shares: the exception that carries a DRMAA
// error code, the guard that turns it into the return value plus the
// caller's diagnosis buffer, truncating copies into caller buffers, and the
// translation of xrun status codes.
#pragma once
#include <cstddef>
#include <string>
#include <utility>

namespace xdrmaa {

// Thrown inside an entry point; `code` is a DRMAA_ERRNO_*.
struct Failure {
  int code;
  std::string text;
};

[[noreturn]] void fail(int code, std::string text);

// Copies `text` into `buffer` of `size` bytes, truncated and always
// NUL-terminated; nothing when buffer is NULL or size is 0.
void put(char* buffer, size_t size, const std::string& text);

// The last xrun failure of this thread, copied ("xrun: <message>").
std::string xrun_message();

// An xrun status as a DRMAA error code; `invalid_as` is the code an
// XRUN_E_INVALID becomes in the calling context (a bad attribute value at
// submission, a bad argument elsewhere).
int drmaa_code_for(int xrun_status, int invalid_as);

// Throws Failure for a failed xrun call (rc != XRUN_OK), with the message.
void check_xrun(int rc, const char* what, int invalid_as);

// Runs `body`; a Failure becomes its code and text, std::bad_alloc
// DRMAA_ERRNO_NO_MEMORY, anything else DRMAA_ERRNO_INTERNAL_ERROR. The text
// goes to the caller's diagnosis buffer.
template <typename F>
int guarded(char* diagnosis, size_t diagnosis_len, F&& body) noexcept;

int guard_failure(char* diagnosis, size_t diagnosis_len, const Failure& f) noexcept;
int guard_unknown(char* diagnosis, size_t diagnosis_len, bool no_memory, const char* what) noexcept;

}  // namespace xdrmaa

#include <new>
#include <stdexcept>

template <typename F>
int xdrmaa::guarded(char* diagnosis, size_t diagnosis_len, F&& body) noexcept {
  try {
    std::forward<F>(body)();
    return 0;
  } catch (const Failure& f) {
    return guard_failure(diagnosis, diagnosis_len, f);
  } catch (const std::bad_alloc&) {
    return guard_unknown(diagnosis, diagnosis_len, true, "out of memory");
  } catch (const std::exception& e) {
    return guard_unknown(diagnosis, diagnosis_len, false, e.what());
  } catch (...) {
    return guard_unknown(diagnosis, diagnosis_len, false, "unknown exception");
  }
}
