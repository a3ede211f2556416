// Options, contexts and machines.
#include <cstddef>
#include <cstring>

#include "capi/guard.h"
#include "capi/handles.h"
#include "machine/loader.h"
#include "scheduler/scheduler.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/shell_quote.h"

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

}  // namespace

extern "C" {

XRUN_API int xrun_options_init(xrun_options* opts, unsigned int version) {
  return guarded([&] {
    require(opts, "opts");
    if (version < 1 || version > XRUN_OPTIONS_VERSION)
      throw Error(XRUN_E_INVALID, "xrun_options_init: unknown version " + std::to_string(version));
    xrun_options defaults = XRUN_OPTIONS_INIT;
    defaults.version = version;
    // An older caller's struct ends before the fields it does not know.
    const size_t size = version == 1 ? offsetof(xrun_options, store_url) : sizeof defaults;
    memcpy(opts, &defaults, size);
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
    const MachineConfig& config = ctx->context->machines();
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
    *out_name = owned_copy(ctx->context->machines().default_name);
  });
}

XRUN_API int xrun_machine_open(xrun_machine** out, xrun_ctx* ctx, const char* name) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    require(ctx, "ctx");
    const Machine& m = ctx->context->machine(name ? name : "");
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
    *out_json = owned_copy(machine_to_json(machine->context->machine(machine->name)));
  });
}

XRUN_API int xrun_machine_check(char** out_report, xrun_machine* machine) {
  if (out_report) *out_report = nullptr;
  int first_failure = XRUN_OK;
  std::string first_message;
  int rc = guarded([&] {
    require(out_report, "out_report");
    require(machine, "machine");
    Context& context = *machine->context;
    const Machine& m = context.machine(machine->name);
    std::vector<CheckStep> steps;
    auto timed = [&](const char* name, auto&& body) {
      CheckStep step;
      step.step = name;
      int64_t t0 = monotonic_ms();
      try {
        step.detail = body();
        step.ok = true;
      } catch (const Error& e) {
        step.detail = e.what();
        step.status = e.status();
      }
      step.ms = monotonic_ms() - t0;
      steps.push_back(step);
      return step.ok;
    };
    std::shared_ptr<Transport> transport;
    bool ok = timed("configuration", [&] {
      transport = context.transport(m);
      return std::string("execution ") + (m.execution == Execution::Local ? "local" : "remote") +
             ", scheduler " + m.scheduler;
    });
    if (ok) {
      for (auto& step : transport->check()) {
        steps.push_back(step);
        ok = ok && step.ok;
      }
    }
    if (ok) {
      ok = timed("workdir_writable", [&] {
        std::string dir = context.workdir(m);
        transport->make_dirs(dir, 0755);
        std::string probe = dir + "/.xrun-check-" + std::to_string(wall_ms());
        transport->write_file(probe, "ok\n", 0600);
        transport->remove(probe, false);
        return dir;
      });
    }
    if (ok) {
      timed("scheduler_commands", [&] {
        const Scheduler& sched = context.scheduler(m);
        std::string command = "__xrun_m=''; for c in";
        for (const auto& name : sched.required_commands()) command += " " + quote_for_shell(name);
        command += "; do command -v \"$c\" >/dev/null 2>&1 || __xrun_m=\"$__xrun_m $c\"; done; "
                   "[ -z \"$__xrun_m\" ] || { echo \"missing:$__xrun_m\"; exit 1; }";
        CommandResult r = transport->run(command);
        if (r.exit_status != 0) throw Error(XRUN_E_SCHEDULER, std::string(r.out.empty() ? r.err : r.out));
        std::string found;
        for (const auto& name : sched.required_commands()) found += (found.empty() ? "" : " ") + name;
        return found;
      });
    }
    json::Ptr report = json::object();
    json::set_string(report.get(), "machine", m.name);
    json::Ptr list = json::array();
    bool all_ok = true;
    for (const auto& step : steps) {
      json::Ptr item = json::object();
      json::set_string(item.get(), "step", step.step);
      json::set_bool(item.get(), "ok", step.ok);
      json::set_int(item.get(), "ms", step.ms);
      json::set_string(item.get(), "detail", step.detail);
      cJSON_AddItemToArray(list.get(), item.release());
      if (!step.ok && all_ok) {
        all_ok = false;
        first_failure = step.status ? step.status : XRUN_E_TRANSPORT;
        first_message = "machine " + m.name + ": step " + step.step + " failed: " + step.detail;
      }
    }
    json::set_bool(report.get(), "ok", all_ok);
    json::set_node(report.get(), "steps", std::move(list));
    *out_report = owned_copy(json::print(report.get()));
  });
  if (rc != XRUN_OK) return rc;
  if (first_failure != XRUN_OK) xrun::capi::set_error(first_failure, first_message);
  return first_failure;
}

XRUN_API int xrun_machine_stats(char** out_json, xrun_machine* machine) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(machine, "machine");
    Context& context = *machine->context;
    TransportStats s = context.transport(context.machine(machine->name))->stats();
    json::Ptr root = json::object();
    json::set_int(root.get(), "sessions_open", s.sessions_open);
    json::set_int(root.get(), "sessions_opened", s.sessions_opened);
    json::set_int(root.get(), "handshakes", s.handshakes);
    json::set_int(root.get(), "auths", s.auths);
    json::set_int(root.get(), "commands", s.commands);
    json::set_int(root.get(), "reconnects", s.reconnects);
    json::set_int(root.get(), "transfers", s.transfers);
    *out_json = owned_copy(json::print(root.get()));
  });
}

}  // extern "C"
