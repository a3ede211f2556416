// cJSON behind RAII and a few checked accessors. Only lib/ code includes
// this; JSON crosses the C ABI as text.
#pragma once
#include <cjson/cJSON.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xrun::json {

struct Deleter {
  void operator()(cJSON* node) const { cJSON_Delete(node); }
};
using Ptr = std::unique_ptr<cJSON, Deleter>;

// Parses `text`; throws Error(status) naming `where` and the offset of the
// first bad character.
Ptr parse(std::string_view text, std::string_view where, int status = 1 /* XRUN_E_INVALID */);

// Unformatted (compact) or formatted text of a node.
std::string print(const cJSON* node, bool pretty = false);

Ptr object();
Ptr array();

// Builders that take ownership of nothing: they add copies.
void set_string(cJSON* obj, const char* key, std::string_view value);
void set_number(cJSON* obj, const char* key, double value);
void set_int(cJSON* obj, const char* key, int64_t value);
void set_bool(cJSON* obj, const char* key, bool value);
void set_null(cJSON* obj, const char* key);
// Sets `key` to the string, or to null when absent.
void set_optional_string(cJSON* obj, const char* key, const std::optional<std::string>& value);
void set_optional_int(cJSON* obj, const char* key, const std::optional<int64_t>& value);
// Moves `child` into `obj` under `key`.
void set_node(cJSON* obj, const char* key, Ptr child);

// Readers for optional members: nullopt when absent (or null); throw
// Error(XRUN_E_INVALID) naming `path` when present with the wrong type.
std::optional<std::string> get_string(const cJSON* obj, const char* key, std::string_view path);
std::optional<int64_t> get_int(const cJSON* obj, const char* key, std::string_view path);
std::optional<double> get_number(const cJSON* obj, const char* key, std::string_view path);
std::optional<bool> get_bool(const cJSON* obj, const char* key, std::string_view path);
std::optional<std::vector<std::string>> get_string_array(const cJSON* obj, const char* key,
                                                         std::string_view path);

}  // namespace xrun::json
