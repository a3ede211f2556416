#include "core/spec_builder.h"

#include "util/error.h"

namespace xrun {

namespace {

const char* const kCountResources[] = {"nodes", "tasks_per_node", "cpus_per_task"};
const char* const kFlags[] = {"hold", "defer", "cache"};

bool is_count_resource(const std::string& key) {
  for (const char* k : kCountResources)
    if (key == k) return true;
  return false;
}

// A whole number written in decimal, as a C or Fortran caller would pass
// a count in text ("2"); nullopt for anything else.
std::optional<int64_t> decimal(const std::string& text) {
  const bool negative = !text.empty() && text[0] == '-';
  const std::string digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

cJSON* member(cJSON* obj, const char* key, bool object) {
  cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (item) return item;
  json::set_node(obj, key, object ? json::object() : json::array());
  return cJSON_GetObjectItemCaseSensitive(obj, key);
}

}  // namespace

SpecBuilder::SpecBuilder() : doc_(json::object()) {
  if (!doc_) throw Error(XRUN_E_NOMEM, "cannot build JSON");
}

SpecBuilder::SpecBuilder(const SpecBuilder& other) : doc_(cJSON_Duplicate(other.doc_.get(), 1)) {
  if (!doc_) throw Error(XRUN_E_NOMEM, "cannot build JSON");
}

template <typename Change>
void SpecBuilder::edit(Change&& change) {
  json::Ptr next(cJSON_Duplicate(doc_.get(), 1));
  if (!next) throw Error(XRUN_E_NOMEM, "cannot build JSON");
  change(next.get());
  // The command may come later: check the rest with a stand-in.
  json::Ptr probe(cJSON_Duplicate(next.get(), 1));
  if (!probe) throw Error(XRUN_E_NOMEM, "cannot build JSON");
  if (!cJSON_HasObjectItem(probe.get(), "command") && !cJSON_HasObjectItem(probe.get(), "argv"))
    json::set_string(probe.get(), "command", "true");
  parse_job_request(json::print(probe.get()));
  doc_ = std::move(next);
}

void SpecBuilder::set_retry(const std::string& policy_json) {
  json::Ptr policy = json::parse(policy_json, "job spec: $.retry");
  if (!cJSON_IsObject(policy.get())) throw Error(XRUN_E_INVALID, "job spec: $.retry: expected an object");
  edit([&](cJSON* doc) {
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "retry");
    json::set_node(doc, "retry", json::Ptr(cJSON_Duplicate(policy.get(), 1)));
  });
}

void SpecBuilder::set_string(const char* key, const std::string& value) {
  edit([&](cJSON* doc) { json::set_string(doc, key, value); });
}

void SpecBuilder::append(const char* key, const std::string& value) {
  edit([&](cJSON* doc) {
    cJSON* item = cJSON_CreateString(value.c_str());
    if (!item) throw Error(XRUN_E_NOMEM, "cannot build JSON");
    cJSON_AddItemToArray(member(doc, key, false), item);
  });
}

void SpecBuilder::set_env(const std::string& name, const std::string& value) {
  if (name.empty()) throw Error(XRUN_E_INVALID, "job spec: $.env: a variable name must not be empty");
  edit([&](cJSON* doc) { json::set_string(member(doc, "env", true), name.c_str(), value); });
}

void SpecBuilder::set_resource(const std::string& key, const std::string& value) {
  auto count = is_count_resource(key) ? decimal(value) : std::nullopt;
  edit([&](cJSON* doc) {
    cJSON* resources = member(doc, "resources", true);
    if (count)
      json::set_int(resources, key.c_str(), *count);
    else
      json::set_string(resources, key.c_str(), value);
  });
}

void SpecBuilder::set_resource_int(const std::string& key, int64_t value) {
  edit([&](cJSON* doc) { json::set_int(member(doc, "resources", true), key.c_str(), value); });
}

void SpecBuilder::set_flag(const std::string& key, bool value) {
  bool known = false;
  for (const char* k : kFlags) known = known || key == k;
  if (!known)
    throw Error(XRUN_E_INVALID, "job spec: $." + key + ": not a flag (the flags are \"hold\", \"defer\" and \"cache\")");
  edit([&](cJSON* doc) { json::set_bool(doc, key.c_str(), value); });
}

std::string SpecBuilder::json() const {
  std::string text = json::print(doc_.get());
  parse_job_request(text);
  return text;
}

JobSpec SpecBuilder::spec() const { return parse_job_request(json::print(doc_.get())); }

}  // namespace xrun
