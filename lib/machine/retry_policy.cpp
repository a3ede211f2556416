#include "machine/retry_policy.h"

#include <cmath>
#include <stdexcept>

#include "util/strings.h"

namespace xrun {

const std::vector<std::string> kRetrySchedulerOutcomes = {"node_fail", "preempted", "lost",
                                                          "timeout",   "failed",    "out_of_memory"};

namespace {

const std::vector<std::string> kPolicyKeys = {"on", "max_attempts", "backoff_s", "restart_command", "scale", "env"};
const std::vector<std::string> kScaleKeys = {"walltime", "memory"};
constexpr int64_t kMaxAttempts = 100;
constexpr double kMaxBackoffS = 7 * 86400.0;
constexpr double kMaxScale = 100.0;

[[noreturn]] void refuse(const std::string& path, const std::string& message) {
  throw std::invalid_argument(path + ": " + message);
}

void check_keys(const cJSON* obj, const std::vector<std::string>& known, const std::string& path) {
  for (const cJSON* item = obj->child; item; item = item->next) {
    std::string key = item->string ? item->string : "";
    bool ok = false;
    for (const auto& k : known) ok = ok || k == key;
    if (ok) continue;
    std::string message = "unknown key";
    std::string suggestion = closest_match(key, known);
    if (!suggestion.empty()) message += "; did you mean \"" + suggestion + "\"?";
    refuse(path + "." + key, message);
  }
}

std::string outcome_list() {
  std::string out;
  for (const auto& s : kRetrySchedulerOutcomes) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// A diagnosis code as parsers write them: lower-case words joined by "_".
bool is_code(const std::string& s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

double number(const cJSON* item, const std::string& path, double min, double max, const std::string& expected) {
  if (!cJSON_IsNumber(item) || !std::isfinite(item->valuedouble) || item->valuedouble < min ||
      item->valuedouble > max)
    refuse(path, "expected " + expected);
  return item->valuedouble;
}

}  // namespace

bool operator==(const RetryPolicy& a, const RetryPolicy& b) {
  return a.on == b.on && a.max_attempts == b.max_attempts && a.backoff_s == b.backoff_s &&
         a.restart_command == b.restart_command && a.scale_walltime == b.scale_walltime &&
         a.scale_memory == b.scale_memory && a.env == b.env;
}

RetryPolicy parse_retry_policy(const cJSON* node, const std::string& path) {
  if (!cJSON_IsObject(node)) refuse(path, "expected an object");
  check_keys(node, kPolicyKeys, path);
  RetryPolicy p;
  const cJSON* on = cJSON_GetObjectItemCaseSensitive(node, "on");
  if (!on || !cJSON_IsArray(on) || !on->child)
    refuse(path + ".on", "expected a non-empty array of outcomes (e.g. [\"timeout\", \"node_fail\"])");
  int index = 0;
  for (const cJSON* item = on->child; item; item = item->next, ++index) {
    const std::string at = path + ".on[" + std::to_string(index) + "]";
    if (!cJSON_IsString(item)) refuse(at, "expected a string");
    std::string value = item->valuestring;
    if (value == "ok" || value == "ok_with_warnings" || value == "completed")
      refuse(at, "\"" + value + "\" is a success: only failures are retried");
    if (!is_code(value))
      refuse(at, "expected a scheduler outcome (" + outcome_list() +
                     ") or a parser diagnosis code, got \"" + value + "\"");
    p.on.push_back(value);
  }
  if (const cJSON* n = cJSON_GetObjectItemCaseSensitive(node, "max_attempts"); n && !cJSON_IsNull(n)) {
    double v = number(n, path + ".max_attempts", 1, kMaxAttempts, "a whole number from 1 to 100");
    if (v != std::floor(v)) refuse(path + ".max_attempts", "expected a whole number from 1 to 100");
    p.max_attempts = static_cast<int64_t>(v);
  }
  if (const cJSON* n = cJSON_GetObjectItemCaseSensitive(node, "backoff_s"); n && !cJSON_IsNull(n))
    p.backoff_s = number(n, path + ".backoff_s", 0, kMaxBackoffS, "seconds from 0 to 604800");
  if (const cJSON* n = cJSON_GetObjectItemCaseSensitive(node, "restart_command"); n && !cJSON_IsNull(n)) {
    if (!cJSON_IsString(n) || trim(n->valuestring).empty())
      refuse(path + ".restart_command", "expected a non-empty string (shell text)");
    p.restart_command = n->valuestring;
  }
  if (const cJSON* scale = cJSON_GetObjectItemCaseSensitive(node, "scale"); scale && !cJSON_IsNull(scale)) {
    if (!cJSON_IsObject(scale)) refuse(path + ".scale", "expected an object (\"walltime\", \"memory\")");
    check_keys(scale, kScaleKeys, path + ".scale");
    if (const cJSON* n = cJSON_GetObjectItemCaseSensitive(scale, "walltime"); n && !cJSON_IsNull(n))
      p.scale_walltime = number(n, path + ".scale.walltime", 1, kMaxScale, "a factor from 1 to 100");
    if (const cJSON* n = cJSON_GetObjectItemCaseSensitive(scale, "memory"); n && !cJSON_IsNull(n))
      p.scale_memory = number(n, path + ".scale.memory", 1, kMaxScale, "a factor from 1 to 100");
  }
  if (const cJSON* env = cJSON_GetObjectItemCaseSensitive(node, "env"); env && !cJSON_IsNull(env)) {
    if (!cJSON_IsObject(env)) refuse(path + ".env", "expected an object of strings");
    for (const cJSON* item = env->child; item; item = item->next) {
      if (!cJSON_IsString(item)) refuse(path + ".env." + item->string, "expected a string");
      p.env[item->string] = item->valuestring;
    }
  }
  return p;
}

cJSON* retry_policy_to_json(const RetryPolicy& p) {
  cJSON* o = cJSON_CreateObject();
  cJSON* on = cJSON_AddArrayToObject(o, "on");
  for (const auto& s : p.on) cJSON_AddItemToArray(on, cJSON_CreateString(s.c_str()));
  cJSON_AddNumberToObject(o, "max_attempts", static_cast<double>(p.max_attempts));
  cJSON_AddNumberToObject(o, "backoff_s", p.backoff_s);
  if (p.restart_command) cJSON_AddStringToObject(o, "restart_command", p.restart_command->c_str());
  cJSON* scale = cJSON_AddObjectToObject(o, "scale");
  cJSON_AddNumberToObject(scale, "walltime", p.scale_walltime);
  cJSON_AddNumberToObject(scale, "memory", p.scale_memory);
  if (!p.env.empty()) {
    cJSON* env = cJSON_AddObjectToObject(o, "env");
    for (const auto& [k, v] : p.env) cJSON_AddStringToObject(env, k.c_str(), v.c_str());
  }
  return o;
}

}  // namespace xrun
