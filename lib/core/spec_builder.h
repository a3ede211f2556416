// A job spec built field by field (the C API's xrun_spec, for callers that
// cannot or should not write JSON: C, Fortran). The document is JSON inside,
// and every change is validated by the one job spec parser
// (parse_job_request) before it is kept, so a rejected value leaves the
// builder as it was and the message names the field's JSON path.
#pragma once
#include <cstdint>
#include <string>

#include "core/job_spec.h"
#include "util/json.h"

namespace xrun {

class SpecBuilder {
 public:
  SpecBuilder();
  SpecBuilder(const SpecBuilder& other);
  SpecBuilder& operator=(const SpecBuilder&) = delete;

  // A top-level string member: "name", "machine", "command", "workdir",
  // "retrieve_to", "parser", "parse_file", "cleanup", "array".
  void set_string(const char* key, const std::string& value);
  // Appends to a top-level string array: "argv", "upload", "retrieve",
  // "depends_on".
  void append(const char* key, const std::string& value);
  void set_env(const std::string& name, const std::string& value);
  // A resource from text: a whole number for the counts (nodes,
  // tasks_per_node, cpus_per_task), the text itself for the others.
  void set_resource(const std::string& key, const std::string& value);
  void set_resource_int(const std::string& key, int64_t value);
  // "hold" or "defer".
  void set_flag(const std::string& key, bool value);
  // The retry policy, a JSON object ("retry"; docs/CAMPAIGNS.md#retries).
  void set_retry(const std::string& policy_json);

  // The complete spec as compact JSON; refuses one without command/argv.
  std::string json() const;
  JobSpec spec() const;

 private:
  // Applies `change` to a copy of the document, validates the copy and
  // keeps it only if it passes.
  template <typename Change>
  void edit(Change&& change);

  json::Ptr doc_;
};

}  // namespace xrun
