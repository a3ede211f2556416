// C API of the output parsers: parse a file or buffer, read the result as
// JSON or through typed accessors.
#include <algorithm>
#include <string>
#include <vector>

#include "capi/guard.h"
#include "capi/result_handle.h"

using xrun::capi::guarded;
using xrun::capi::require;

extern "C" {

XRUN_API int xrun_parse_file(xrun_result** out, const char* path, const char* parser) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(path, "path");
    auto result = xrun::parse::parse_file(path, parser ? parser : "auto");
    *out = new xrun_result(std::move(result));
  });
}

XRUN_API int xrun_parse_buffer(xrun_result** out, const char* data, size_t size, const char* parser) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    if (size > 0) require(data, "data");
    auto result = xrun::parse::parse_buffer(std::string_view(data ? data : "", size), parser ? parser : "auto");
    *out = new xrun_result(std::move(result));
  });
}

XRUN_API void xrun_result_free(xrun_result* result) { delete result; }

XRUN_API int xrun_result_json(char** out_json, xrun_result* result) {
  return guarded([&] {
    require(out_json, "out_json");
    *out_json = nullptr;
    require(result, "result");
    *out_json = xrun::capi::owned_copy(result->result->to_json());
  });
}

XRUN_API int xrun_result_double(xrun_result* result, const char* key, double* out_value) {
  return guarded([&] {
    require(result, "result");
    require(key, "key");
    require(out_value, "out_value");
    if (!result->result->number(key, out_value)) {
      throw xrun::Error(XRUN_E_NOT_FOUND, std::string("the result has no number '") + key + "'");
    }
  });
}

XRUN_API const char* xrun_result_code(xrun_result* result) { return result ? result->code.c_str() : ""; }

XRUN_API const char* xrun_result_diagnosis(xrun_result* result) {
  return result ? result->diagnosis.c_str() : "";
}

XRUN_API int64_t xrun_result_diagnosis_line(xrun_result* result) {
  return result ? result->result->diagnosis_line() : 0;
}

XRUN_API const char* xrun_result_diagnosis_text(xrun_result* result) {
  return result ? result->diagnosis_text.c_str() : "";
}

XRUN_API int xrun_result_array(xrun_result* result, const char* key, double* out, size_t capacity,
                               size_t* out_len) {
  return guarded([&] {
    require(out_len, "out_len");
    *out_len = 0;
    require(result, "result");
    require(key, "key");
    if (capacity > 0) require(out, "out");
    std::vector<double> values;
    if (!result->result->array(key, &values)) {
      throw xrun::Error(XRUN_E_NOT_FOUND, std::string("the result has no array '") + key + "'");
    }
    *out_len = values.size();
    std::copy_n(values.begin(), std::min(capacity, values.size()), out);
  });
}

XRUN_API const char* xrun_result_string_at(xrun_result* result, const char* key, size_t index) {
  if (!result || !key) return nullptr;
  const std::string* s = result->result->string_at(key, index);
  return s ? s->c_str() : nullptr;
}

}  // extern "C"
