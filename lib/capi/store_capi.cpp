// What the job store is: backend, location, schema versions.
#include "capi/guard.h"
#include "capi/handles.h"
#include "util/json.h"

using namespace xrun;
using xrun::capi::guarded;
using xrun::capi::owned_copy;
using xrun::capi::require;

extern "C" {

XRUN_API int xrun_store_info_json(char** out_json, xrun_ctx* ctx) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(ctx, "ctx");
    Store& store = ctx->context->store();
    json::Ptr root = json::object();
    json::set_string(root.get(), "backend", store.backend());
    json::set_string(root.get(), "location", store.path());
    json::set_int(root.get(), "schema_version", store.schema_version());
    json::set_int(root.get(), "schema_version_at_open", store.schema_version_at_open());
    json::set_int(root.get(), "latest_schema_version", Store::latest_schema_version());
    json::set_int(root.get(), "jobs", store.job_count());
    json::set_int(root.get(), "last_event_seq", store.last_event_seq());
    *out_json = owned_copy(json::print(root.get()));
  });
}

}  // extern "C"
