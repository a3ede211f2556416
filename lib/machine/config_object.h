// Strict reading of one JSON object from a machine file: every error is
// Error(XRUN_E_CONFIG, "FILE: $.json.path: what was expected, got what").
#pragma once
#include <cjson/cJSON.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xrun {

// "$.machines" + "cluster1" -> "$.machines.cluster1"; names that are not
// plain identifiers are bracketed so the path stays unambiguous:
// $.machines["login.example"].
std::string child_path(const std::string& path, std::string_view key);

// The offending value as it appears in the file, shortened: "22", true,
// an object.
std::string describe_json(const cJSON* value);

class ConfigObject {
 public:
  // Throws unless `node` is an object.
  ConfigObject(const cJSON* node, std::string file, std::string path);

  // Refuses keys outside `known` (naming the closest known key), duplicate
  // keys, and any key that would hold a secret.
  void check_keys(const std::vector<std::string>& known) const;

  // The member, or nullptr when absent or null (null means "not set").
  const cJSON* member(const char* key) const;

  std::optional<std::string> string(const char* key) const;  // refuses ""
  // Whole numbers in [min, max]; `expected` reads "an integer from 1 to 65535".
  std::optional<int64_t> integer(const char* key, int64_t min, int64_t max,
                                 const std::string& expected) const;
  std::optional<bool> boolean(const char* key) const;
  std::optional<std::string> choice(const char* key, const std::vector<std::string>& allowed) const;
  std::optional<std::vector<std::string>> string_array(const char* key) const;
  std::optional<ConfigObject> object(const char* key) const;

  [[noreturn]] void fail(const char* key, const std::string& message) const;
  [[noreturn]] void fail_here(const std::string& message) const;

  const cJSON* node() const { return node_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  const cJSON* node_;
  std::string file_;
  std::string path_;
};

}  // namespace xrun
