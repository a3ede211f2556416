// libFuzzer target: the native-specification parser of libxrun-drmaa
// (drmaa/src/native_spec.cpp). Any input must give a clean accept or a
// refusal with a message -- no crash, hang or leak -- and what is accepted
// must turn into JSON members that parse as the resources object.
#include <cjson/cJSON.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "native_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  xdrmaa::NativeSpec spec;
  std::string error;
  if (!xdrmaa::parse_native_spec(text, spec, error)) {
    if (error.empty()) abort();  // a refusal always says why
    return 0;
  }
  std::string members;
  if (!xdrmaa::native_spec_resources(spec, members, error)) {
    if (error.empty()) abort();
    return 0;
  }
  cJSON* parsed = cJSON_Parse(("{" + members + "}").c_str());
  if (!parsed) abort();  // accepted values must be valid JSON as written
  cJSON_Delete(parsed);
  return 0;
}
