#include "machine/config_object.h"

#include <cctype>
#include <cmath>
#include <set>

#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace xrun {

namespace {

bool is_plain_identifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string quoted(std::string_view text) {
  json::Ptr node(cJSON_CreateString(std::string(text).c_str()));
  return json::print(node.get());
}

std::string join_quoted(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ", ") + quoted(word);
  return out;
}

}  // namespace

std::string child_path(const std::string& path, std::string_view key) {
  if (is_plain_identifier(key)) return path + "." + std::string(key);
  return path + "[" + quoted(key) + "]";
}

std::string describe_json(const cJSON* value) {
  if (!value) return "nothing";
  if (cJSON_IsObject(value)) return "an object";
  if (cJSON_IsArray(value)) return "an array";
  std::string text = json::print(value);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

ConfigObject::ConfigObject(const cJSON* node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {
  if (!cJSON_IsObject(node_)) fail_here("expected an object, got " + describe_json(node_));
}

void ConfigObject::fail_here(const std::string& message) const {
  throw Error(XRUN_E_CONFIG, file_ + ": " + path_ + ": " + message);
}

void ConfigObject::fail(const char* key, const std::string& message) const {
  throw Error(XRUN_E_CONFIG, file_ + ": " + child_path(path_, key) + ": " + message);
}

void ConfigObject::check_keys(const std::vector<std::string>& known) const {
  std::set<std::string> seen;
  for (const cJSON* item = node_->child; item; item = item->next) {
    std::string key = item->string ? item->string : "";
    if (key == "password" || key == "passphrase")
      fail(key.c_str(),
           "secrets are never stored in machine files; a " + key +
               " is asked through the prompt callback (xrun_options.prompt) when needed");
    bool is_known = false;
    for (const auto& k : known) is_known = is_known || k == key;
    if (!is_known) {
      std::string suggestion = closest_match(key, known);
      fail(key.c_str(), suggestion.empty()
                            ? "unknown key; known keys are " + join_quoted(known)
                            : "unknown key; did you mean " + quoted(suggestion) + "?");
    }
    if (!seen.insert(key).second) fail(key.c_str(), "duplicate key");
  }
}

const cJSON* ConfigObject::member(const char* key) const {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(node_, key);
  return (item && !cJSON_IsNull(item)) ? item : nullptr;
}

std::optional<std::string> ConfigObject::string(const char* key) const {
  const cJSON* item = member(key);
  if (!item) return std::nullopt;
  if (!cJSON_IsString(item)) fail(key, "expected a string, got " + describe_json(item));
  std::string value = item->valuestring;
  if (value.empty()) fail(key, "expected a non-empty string, got \"\"");
  return value;
}

std::optional<int64_t> ConfigObject::integer(const char* key, int64_t min, int64_t max,
                                             const std::string& expected) const {
  const cJSON* item = member(key);
  if (!item) return std::nullopt;
  double value = cJSON_IsNumber(item) ? item->valuedouble : NAN;
  if (!cJSON_IsNumber(item) || std::floor(value) != value || value < static_cast<double>(min) ||
      value > static_cast<double>(max))
    fail(key, "expected " + expected + ", got " + describe_json(item));
  return static_cast<int64_t>(value);
}

std::optional<bool> ConfigObject::boolean(const char* key) const {
  const cJSON* item = member(key);
  if (!item) return std::nullopt;
  if (!cJSON_IsBool(item)) fail(key, "expected true or false, got " + describe_json(item));
  return cJSON_IsTrue(item) != 0;
}

std::optional<std::string> ConfigObject::choice(const char* key,
                                                const std::vector<std::string>& allowed) const {
  const cJSON* item = member(key);
  if (!item) return std::nullopt;
  if (cJSON_IsString(item))
    for (const auto& value : allowed)
      if (value == item->valuestring) return value;
  fail(key, "expected one of " + join_quoted(allowed) + ", got " + describe_json(item));
}

std::optional<std::vector<std::string>> ConfigObject::string_array(const char* key) const {
  const cJSON* item = member(key);
  if (!item) return std::nullopt;
  if (!cJSON_IsArray(item)) fail(key, "expected an array of strings, got " + describe_json(item));
  std::vector<std::string> out;
  int index = 0;
  for (const cJSON* element = item->child; element; element = element->next, ++index) {
    if (!cJSON_IsString(element))
      throw Error(XRUN_E_CONFIG, file_ + ": " + child_path(path_, key) + "[" +
                                     std::to_string(index) + "]: expected a string, got " +
                                     describe_json(element));
    out.emplace_back(element->valuestring);
  }
  return out;
}

std::optional<ConfigObject> ConfigObject::object(const char* key) const {
  const cJSON* item = member(key);
  if (!item) return std::nullopt;
  return ConfigObject(item, file_, child_path(path_, key));
}

}  // namespace xrun
