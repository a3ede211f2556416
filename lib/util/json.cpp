#include "util/json.h"

#include <cmath>
#include <cstdlib>

#include "util/error.h"

namespace xrun::json {

Ptr parse(std::string_view text, std::string_view where, int status) {
  const char* end = nullptr;
  Ptr root(cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, 0));
  if (!root) {
    size_t offset = end ? static_cast<size_t>(end - text.data()) : 0;
    size_t line = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i)
      if (text[i] == '\n') ++line;
    throw Error(static_cast<xrun_status>(status),
                std::string(where) + ": malformed JSON near line " + std::to_string(line) +
                    " (byte " + std::to_string(offset) + ")");
  }
  return root;
}

std::string print(const cJSON* node, bool pretty) {
  char* text = pretty ? cJSON_Print(node) : cJSON_PrintUnformatted(node);
  if (!text) throw Error(XRUN_E_NOMEM, "cannot serialise JSON");
  std::string out(text);
  cJSON_free(text);
  return out;
}

Ptr object() { return Ptr(cJSON_CreateObject()); }
Ptr array() { return Ptr(cJSON_CreateArray()); }

static void replace(cJSON* obj, const char* key, cJSON* item) {
  if (!item) throw Error(XRUN_E_NOMEM, "cannot build JSON");
  if (cJSON_GetObjectItemCaseSensitive(obj, key))
    cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
  else
    cJSON_AddItemToObject(obj, key, item);
}

void set_string(cJSON* obj, const char* key, std::string_view value) {
  replace(obj, key, cJSON_CreateString(std::string(value).c_str()));
}
void set_number(cJSON* obj, const char* key, double value) {
  replace(obj, key, std::isfinite(value) ? cJSON_CreateNumber(value) : cJSON_CreateNull());
}
void set_int(cJSON* obj, const char* key, int64_t value) {
  replace(obj, key, cJSON_CreateNumber(static_cast<double>(value)));
}
void set_bool(cJSON* obj, const char* key, bool value) { replace(obj, key, cJSON_CreateBool(value)); }
void set_null(cJSON* obj, const char* key) { replace(obj, key, cJSON_CreateNull()); }
void set_optional_string(cJSON* obj, const char* key, const std::optional<std::string>& value) {
  if (value) set_string(obj, key, *value); else set_null(obj, key);
}
void set_optional_int(cJSON* obj, const char* key, const std::optional<int64_t>& value) {
  if (value) set_int(obj, key, *value); else set_null(obj, key);
}
void set_node(cJSON* obj, const char* key, Ptr child) { replace(obj, key, child.release()); }

static std::string member_path(std::string_view path, const char* key) {
  std::string p(path);
  p += p.empty() ? "" : ".";
  p += key;
  return p;
}

static const cJSON* member(const cJSON* obj, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
  return (item && !cJSON_IsNull(item)) ? item : nullptr;
}

std::optional<std::string> get_string(const cJSON* obj, const char* key, std::string_view path) {
  const cJSON* item = member(obj, key);
  if (!item) return std::nullopt;
  if (!cJSON_IsString(item))
    throw Error(XRUN_E_INVALID, member_path(path, key) + ": expected a string");
  return std::string(item->valuestring);
}

std::optional<double> get_number(const cJSON* obj, const char* key, std::string_view path) {
  const cJSON* item = member(obj, key);
  if (!item) return std::nullopt;
  if (!cJSON_IsNumber(item))
    throw Error(XRUN_E_INVALID, member_path(path, key) + ": expected a number");
  return item->valuedouble;
}

std::optional<int64_t> get_int(const cJSON* obj, const char* key, std::string_view path) {
  auto value = get_number(obj, key, path);
  if (!value) return std::nullopt;
  if (std::floor(*value) != *value || std::fabs(*value) > 9.0e15)
    throw Error(XRUN_E_INVALID, member_path(path, key) + ": expected a whole number");
  return static_cast<int64_t>(*value);
}

std::optional<bool> get_bool(const cJSON* obj, const char* key, std::string_view path) {
  const cJSON* item = member(obj, key);
  if (!item) return std::nullopt;
  if (!cJSON_IsBool(item))
    throw Error(XRUN_E_INVALID, member_path(path, key) + ": expected true or false");
  return cJSON_IsTrue(item) != 0;
}

std::optional<std::vector<std::string>> get_string_array(const cJSON* obj, const char* key,
                                                         std::string_view path) {
  const cJSON* item = member(obj, key);
  if (!item) return std::nullopt;
  if (!cJSON_IsArray(item))
    throw Error(XRUN_E_INVALID, member_path(path, key) + ": expected an array of strings");
  std::vector<std::string> out;
  int index = 0;
  for (const cJSON* el = item->child; el; el = el->next, ++index) {
    if (!cJSON_IsString(el))
      throw Error(XRUN_E_INVALID,
                  member_path(path, key) + "[" + std::to_string(index) + "]: expected a string");
    out.emplace_back(el->valuestring);
  }
  return out;
}

}  // namespace xrun::json
