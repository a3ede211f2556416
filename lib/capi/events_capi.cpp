// The events journal, read from the store.
#include "capi/guard.h"
#include "capi/handles.h"
#include "core/event_wait.h"
#include "core/state.h"
#include "util/json.h"

using namespace xrun;
using xrun::capi::guarded;
using xrun::capi::owned_copy;
using xrun::capi::require;

namespace {
const Event* at(xrun_events* events, int64_t i) {
  if (!events || i < 0 || i >= static_cast<int64_t>(events->events.size())) return nullptr;
  return &events->events[static_cast<size_t>(i)];
}
}  // namespace

extern "C" {

XRUN_API int xrun_events_since(xrun_events** out, xrun_ctx* ctx, int64_t after_seq, int64_t max) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    require(ctx, "ctx");
    auto* events = new xrun_events;
    try {
      events->events = ctx->context->store().events_since(after_seq, max > 0 ? max : 1000);
    } catch (...) {
      delete events;
      throw;
    }
    *out = events;
  });
}

XRUN_API int xrun_events_wait(int64_t* out_last_seq, xrun_ctx* ctx, int64_t after_seq, int64_t timeout_ms) {
  return guarded([&] {
    require(ctx, "ctx");
    Context& context = *ctx->context;
    int64_t last = wait_for_events(context.store(), context.wakeup(), after_seq, timeout_ms);
    if (out_last_seq) *out_last_seq = last;
  });
}

XRUN_API void xrun_events_free(xrun_events* events) { delete events; }
XRUN_API int64_t xrun_events_count(xrun_events* events) {
  return events ? static_cast<int64_t>(events->events.size()) : 0;
}
XRUN_API int64_t xrun_events_seq(xrun_events* events, int64_t i) {
  const Event* e = at(events, i);
  return e ? e->seq : 0;
}
XRUN_API int64_t xrun_events_time_ms(xrun_events* events, int64_t i) {
  const Event* e = at(events, i);
  return e ? e->time_ms : 0;
}
XRUN_API const char* xrun_events_job_id(xrun_events* events, int64_t i) {
  const Event* e = at(events, i);
  return e ? e->job_id.c_str() : "";
}
XRUN_API int xrun_events_state(xrun_events* events, int64_t i) {
  const Event* e = at(events, i);
  return e ? e->state : -1;
}
XRUN_API const char* xrun_events_message(xrun_events* events, int64_t i) {
  const Event* e = at(events, i);
  return e ? e->message.c_str() : "";
}

XRUN_API const char* xrun_events_kind(xrun_events* events, int64_t i) {
  const Event* e = at(events, i);
  return e ? (e->reason_only ? "reason" : "state") : "";
}

XRUN_API int xrun_events_json(char** out_json, xrun_events* events) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(events, "events");
    json::Ptr list = json::array();
    for (const auto& e : events->events) {
      json::Ptr item = json::object();
      json::set_int(item.get(), "seq", e.seq);
      json::set_int(item.get(), "time_ms", e.time_ms);
      json::set_string(item.get(), "job_id", e.job_id);
      json::set_string(item.get(), "state", state_name(e.state));
      json::set_string(item.get(), "kind", e.reason_only ? "reason" : "state");
      json::set_string(item.get(), "message", e.message);
      cJSON_AddItemToArray(list.get(), item.release());
    }
    *out_json = owned_copy(json::print(list.get()));
  });
}

}  // extern "C"
