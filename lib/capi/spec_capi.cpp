// Job specs built field by field (xrun_spec_*): each setter hands its value
// to the SpecBuilder, which validates it with the job spec parser.
#include "capi/guard.h"
#include "capi/handles.h"

using namespace xrun;
using xrun::capi::guarded;
using xrun::capi::owned_copy;
using xrun::capi::require;

namespace {

// Runs `change` on the spec's builder after refusing NULL arguments.
template <typename Change>
int change_spec(xrun_spec* spec, std::initializer_list<std::pair<const void*, const char*>> args,
                Change&& change) {
  return guarded([&] {
    require(spec, "spec");
    for (const auto& [pointer, what] : args) require(pointer, what);
    change(spec->builder);
  });
}

}  // namespace

extern "C" {

XRUN_API int xrun_spec_new(xrun_spec** out) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    *out = new xrun_spec;
  });
}

XRUN_API void xrun_spec_free(xrun_spec* spec) { delete spec; }

XRUN_API int xrun_spec_set_name(xrun_spec* spec, const char* name) {
  return change_spec(spec, {{name, "name"}}, [&](SpecBuilder& b) { b.set_string("name", name); });
}

XRUN_API int xrun_spec_set_machine(xrun_spec* spec, const char* machine) {
  return change_spec(spec, {{machine, "machine"}}, [&](SpecBuilder& b) { b.set_string("machine", machine); });
}

XRUN_API int xrun_spec_set_command(xrun_spec* spec, const char* command) {
  return change_spec(spec, {{command, "command"}}, [&](SpecBuilder& b) { b.set_string("command", command); });
}

XRUN_API int xrun_spec_add_arg(xrun_spec* spec, const char* arg) {
  return change_spec(spec, {{arg, "arg"}}, [&](SpecBuilder& b) { b.append("argv", arg); });
}

XRUN_API int xrun_spec_set_workdir(xrun_spec* spec, const char* workdir) {
  return change_spec(spec, {{workdir, "workdir"}}, [&](SpecBuilder& b) { b.set_string("workdir", workdir); });
}

XRUN_API int xrun_spec_set_env(xrun_spec* spec, const char* name, const char* value) {
  return change_spec(spec, {{name, "name"}, {value, "value"}}, [&](SpecBuilder& b) { b.set_env(name, value); });
}

XRUN_API int xrun_spec_set_resource(xrun_spec* spec, const char* key, const char* value) {
  return change_spec(spec, {{key, "key"}, {value, "value"}}, [&](SpecBuilder& b) { b.set_resource(key, value); });
}

XRUN_API int xrun_spec_set_resource_int(xrun_spec* spec, const char* key, int64_t value) {
  return change_spec(spec, {{key, "key"}}, [&](SpecBuilder& b) { b.set_resource_int(key, value); });
}

XRUN_API int xrun_spec_add_upload(xrun_spec* spec, const char* path) {
  return change_spec(spec, {{path, "path"}}, [&](SpecBuilder& b) { b.append("upload", path); });
}

XRUN_API int xrun_spec_add_retrieve(xrun_spec* spec, const char* name) {
  return change_spec(spec, {{name, "name"}}, [&](SpecBuilder& b) { b.append("retrieve", name); });
}

XRUN_API int xrun_spec_set_retrieve_to(xrun_spec* spec, const char* dir) {
  return change_spec(spec, {{dir, "dir"}}, [&](SpecBuilder& b) { b.set_string("retrieve_to", dir); });
}

XRUN_API int xrun_spec_set_parser(xrun_spec* spec, const char* parser) {
  return change_spec(spec, {{parser, "parser"}}, [&](SpecBuilder& b) { b.set_string("parser", parser); });
}

XRUN_API int xrun_spec_set_parse_file(xrun_spec* spec, const char* name) {
  return change_spec(spec, {{name, "name"}}, [&](SpecBuilder& b) { b.set_string("parse_file", name); });
}

XRUN_API int xrun_spec_add_dependency(xrun_spec* spec, const char* job_id) {
  return change_spec(spec, {{job_id, "job_id"}}, [&](SpecBuilder& b) { b.append("depends_on", job_id); });
}

XRUN_API int xrun_spec_set_flag(xrun_spec* spec, const char* flag, int value) {
  return change_spec(spec, {{flag, "flag"}}, [&](SpecBuilder& b) { b.set_flag(flag, value != 0); });
}

XRUN_API int xrun_spec_set_cleanup(xrun_spec* spec, const char* policy) {
  return change_spec(spec, {{policy, "policy"}}, [&](SpecBuilder& b) { b.set_string("cleanup", policy); });
}

XRUN_API int xrun_spec_set_array(xrun_spec* spec, const char* range) {
  return change_spec(spec, {{range, "range"}}, [&](SpecBuilder& b) { b.set_string("array", range); });
}

XRUN_API int xrun_spec_set_retry(xrun_spec* spec, const char* policy_json) {
  return change_spec(spec, {{policy_json, "policy_json"}}, [&](SpecBuilder& b) { b.set_retry(policy_json); });
}

XRUN_API int xrun_spec_set_corrections(xrun_spec* spec, const char* mode) {
  return change_spec(spec, {{mode, "mode"}}, [&](SpecBuilder& b) { b.set_string("corrections", mode); });
}

XRUN_API int xrun_spec_to_json(char** out_json, const xrun_spec* spec) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(spec, "spec");
    *out_json = owned_copy(spec->builder.json());
  });
}

}  // extern "C"
