// Options, contexts and machines.
#include <cstddef>
#include <cstring>

#include "capi/guard.h"
#include "capi/handles.h"
#include "machine/loader.h"
#include "scheduler/scheduler.h"
#include "util/clock.h"
#include "util/json.h"

using namespace xrun;
using xrun::capi::guarded;
using xrun::capi::owned_copy;
using xrun::capi::require;

namespace {

// Options are read field by field up to the caller's version, so an older
// caller's smaller struct is never read past its end.
ContextOptions to_context_options(const xrun_options* opts) {
  ContextOptions out;
  if (!opts) return out;
  if (opts->version < 1 || opts->version > XRUN_OPTIONS_VERSION)
    throw Error(XRUN_E_INVALID, "xrun_options.version " + std::to_string(opts->version) +
                                    " is not supported (this library knows 1.." +
                                    std::to_string(XRUN_OPTIONS_VERSION) + ")");
  if (opts->home) out.home = opts->home;
  if (opts->store_path) out.store_path = opts->store_path;
  if (opts->version >= 2 && opts->store_url) out.store_path = opts->store_url;
  out.logger = Logger(opts->log, opts->log_level, opts->log_payload);
  out.prompt = opts->prompt;
  out.prompt_payload = opts->prompt_payload;
  return out;
}

// The size of xrun_options as `version` defined it: each version ends
// where the next one's first field begins (offsetof).
size_t options_size(unsigned int version) {
  switch (version) {
    case 1:
      return offsetof(xrun_options, store_url);
    default:
      return sizeof(xrun_options);
  }
}

}  // namespace

extern "C" {

XRUN_API int xrun_options_init(xrun_options* opts, unsigned int version) {
  return guarded([&] {
    require(opts, "opts");
    // Every version this library knows is accepted: a caller compiled
    // against an older header keeps working (fields only ever get appended).
    if (version < 1 || version > XRUN_OPTIONS_VERSION)
      throw Error(XRUN_E_INVALID, "xrun_options_init: unknown version " + std::to_string(version) +
                                      " (this library knows 1 to " + std::to_string(XRUN_OPTIONS_VERSION) + ")");
    xrun_options defaults = XRUN_OPTIONS_INIT;
    defaults.version = version;
    // Only the fields of `version` exist in the caller's struct.
    memcpy(opts, &defaults, options_size(version));
  });
}

XRUN_API int xrun_ctx_open(xrun_ctx** out, const xrun_options* opts) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    auto context = std::make_shared<Context>(to_context_options(opts));
    *out = new xrun_ctx{std::move(context)};
  });
}

XRUN_API int xrun_ctx_open_read_only(xrun_ctx** out, const xrun_options* opts) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    ContextOptions options = to_context_options(opts);
    options.read_only = true;
    auto context = std::make_shared<Context>(options);
    *out = new xrun_ctx{std::move(context)};
  });
}

XRUN_API void xrun_ctx_close(xrun_ctx* ctx) { delete ctx; }

XRUN_API const char* xrun_ctx_home(xrun_ctx* ctx) { return ctx ? ctx->context->home().c_str() : ""; }
XRUN_API const char* xrun_ctx_store_path(xrun_ctx* ctx) {
  return ctx ? ctx->context->store_path().c_str() : "";
}

XRUN_API int xrun_ctx_interrupt(xrun_ctx* ctx) {
  return guarded([&] {
    require(ctx, "ctx");
    ctx->context->wakeup().interrupt();
  });
}

XRUN_API int xrun_machines_list(char** out_json, xrun_ctx* ctx) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(ctx, "ctx");
    const MachineConfig& config = ctx->context->machines().config();
    json::Ptr root = json::object();
    json::set_string(root.get(), "default", config.default_name);
    json::Ptr list = json::array();
    for (const auto& [name, m] : config.machines) {
      json::Ptr item = json::object();
      json::set_string(item.get(), "name", name);
      json::set_string(item.get(), "execution", m.execution == Execution::Local ? "local" : "remote");
      json::set_string(item.get(), "scheduler", m.scheduler);
      json::set_optional_string(item.get(), "host", m.host);
      json::set_string(item.get(), "source", m.source);
      cJSON_AddItemToArray(list.get(), item.release());
    }
    json::set_node(root.get(), "machines", std::move(list));
    *out_json = owned_copy(json::print(root.get()));
  });
}

XRUN_API int xrun_machines_default(char** out_name, xrun_ctx* ctx) {
  if (out_name) *out_name = nullptr;
  return guarded([&] {
    require(out_name, "out_name");
    require(ctx, "ctx");
    *out_name = owned_copy(ctx->context->machines().config().default_name);
  });
}

XRUN_API int xrun_machine_open(xrun_machine** out, xrun_ctx* ctx, const char* name) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    require(ctx, "ctx");
    const Machine& m = ctx->context->machines().machine(name ? name : "");
    *out = new xrun_machine{ctx->context, m.name};
  });
}

XRUN_API void xrun_machine_free(xrun_machine* machine) { delete machine; }

XRUN_API const char* xrun_machine_name(xrun_machine* machine) { return machine ? machine->name.c_str() : ""; }

XRUN_API int xrun_machine_json(char** out_json, xrun_machine* machine) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(machine, "machine");
    *out_json = owned_copy(machine_to_json(machine->context->machines().machine(machine->name)));
  });
}

XRUN_API int xrun_machine_check(char** out_report, xrun_machine* machine) {
  if (out_report) *out_report = nullptr;
  MachineCheck check;
  int rc = guarded([&] {
    require(out_report, "out_report");
    require(machine, "machine");
    check = check_machine(machine->context->machines(), machine->name);
    json::Ptr report = json::object();
    json::set_string(report.get(), "machine", check.machine);
    json::Ptr list = json::array();
    for (const auto& step : check.steps) {
      json::Ptr item = json::object();
      json::set_string(item.get(), "step", step.step);
      json::set_bool(item.get(), "ok", step.ok);
      json::set_int(item.get(), "ms", step.ms);
      json::set_string(item.get(), "detail", step.detail);
      cJSON_AddItemToArray(list.get(), item.release());
    }
    json::set_bool(report.get(), "ok", check.ok);
    json::set_node(report.get(), "steps", std::move(list));
    *out_report = owned_copy(json::print(report.get()));
  });
  if (rc != XRUN_OK) return rc;
  if (!check.ok) xrun::capi::set_error(check.first_failure, check.first_message);
  return check.ok ? XRUN_OK : check.first_failure;
}

XRUN_API int xrun_machine_stats(char** out_json, xrun_machine* machine) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(machine, "machine");
    Context& context = *machine->context;
    TransportStats s = context.machines().transport(context.machines().machine(machine->name))->stats();
    json::Ptr root = json::object();
    json::set_int(root.get(), "sessions_open", s.sessions_open);
    json::set_int(root.get(), "sessions_opened", s.sessions_opened);
    json::set_int(root.get(), "handshakes", s.handshakes);
    json::set_int(root.get(), "auths", s.auths);
    json::set_int(root.get(), "commands", s.commands);
    json::set_int(root.get(), "reconnects", s.reconnects);
    json::set_int(root.get(), "transfers", s.transfers);
    json::set_int(root.get(), "bulk_fetches", s.bulk_fetches);
    json::set_int(root.get(), "channels_peak", s.channels_peak);
    json::set_int(root.get(), "channels_refused", s.channels_refused);
    json::set_int(root.get(), "channel_limit", s.channel_limit);
    *out_json = owned_copy(json::print(root.get()));
  });
}

}  // extern "C"
