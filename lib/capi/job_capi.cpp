// Jobs: submit, open, refresh, wait, cancel, list, poll, recover.
#include "capi/guard.h"
#include "capi/handles.h"
#include "capi/result_handle.h"
#include "core/file_range.h"
#include "core/hold.h"
#include "core/prune.h"
#include "core/state.h"
#include "parse/parse.h"
#include "util/clock.h"
#include "util/json.h"

using namespace xrun;
using xrun::capi::guarded;
using xrun::capi::owned_copy;
using xrun::capi::require;

namespace {

// What xrun_job_read_file(_at) read when the caller gives no limit.
constexpr int64_t kDefaultReadBytes = int64_t{16} << 20;

struct JobFile {
  std::shared_ptr<Transport> transport;
  std::string path;  // absolute on the job's machine
};

// A file of the job's directory by its relative name; refuses names that
// would leave the directory.
JobFile job_file(xrun_job* job, const std::string& name) {
  if (name.empty() || name[0] == '/' || name.find("..") != std::string::npos)
    throw Error(XRUN_E_INVALID, "file name \"" + name + "\" must be relative to the job directory");
  JobRecord record = job->context->job(job->id);
  if (record.job_dir.empty()) throw Error(XRUN_E_NOT_FOUND, "job " + job->id + " has no directory yet");
  Context& context = *job->context;
  std::string file = parse_job_spec(record.spec_json).own_file(name);
  return {context.machines().transport(context.machines().machine(record.machine)), record.job_dir + "/" + file};
}

}  // namespace

namespace xrun::capi {

std::string job_record_json(const JobRecord& r, const std::vector<AttemptRecord>* attempts) {
  json::Ptr root = json::object();
  cJSON* o = root.get();
  json::set_string(o, "id", r.id);
  json::set_string(o, "name", r.name);
  json::set_string(o, "machine", r.machine);
  json::set_string(o, "state", state_name(r.state));
  json::set_bool(o, "terminal", is_terminal(r.state));
  json::set_string(o, "scheduler_id", r.scheduler_id);
  json::set_optional_int(o, "exit_code", r.exit_code);
  json::set_string(o, "reason", r.reason);
  json::set_string(o, "job_dir", r.job_dir);
  JobSpec spec = parse_job_spec(r.spec_json);
  json::set_string(o, "stdout", r.job_dir.empty() ? "" : r.job_dir + "/" + spec.own_file("stdout"));
  json::set_string(o, "stderr", r.job_dir.empty() ? "" : r.job_dir + "/" + spec.own_file("stderr"));
  auto time = [&](const char* key, const std::optional<int64_t>& ms) {
    json::set_optional_string(o, key, ms ? std::optional<std::string>(iso8601_utc(*ms)) : std::nullopt);
  };
  time("created_at", r.created_ms);
  time("submitted_at", r.submitted_ms);
  time("started_at", r.started_ms);
  time("ended_at", r.ended_ms);
  if (r.started_ms && r.submitted_ms) json::set_number(o, "queue_wait_s", (*r.started_ms - *r.submitted_ms) / 1000.0);
  if (r.started_ms && r.ended_ms) json::set_number(o, "run_time_s", (*r.ended_ms - *r.started_ms) / 1000.0);
  json::set_int(o, "attempts", r.attempts);
  json::set_int(o, "attempt", spec.attempt);
  if (attempts) {
    json::Ptr list = json::array();
    for (const auto& a : *attempts) {
      json::Ptr item = json::object();
      cJSON* e = item.get();
      json::set_int(e, "number", a.number);
      json::set_string(e, "scheduler_id", a.scheduler_id);
      json::set_string(e, "state", state_name(a.state));
      json::set_string(e, "reason", a.reason);
      json::set_optional_int(e, "exit_code", a.exit_code);
      auto at = [&](const char* key, const std::optional<int64_t>& ms) {
        json::set_optional_string(e, key, ms ? std::optional<std::string>(iso8601_utc(*ms)) : std::nullopt);
      };
      at("submitted_at", a.submitted_ms);
      at("started_at", a.started_ms);
      at("ended_at", a.ended_ms);
      json::Ptr changes = json::array();
      for (const auto& c : a.corrections) cJSON_AddItemToArray(changes.get(), cJSON_CreateString(c.c_str()));
      json::set_node(e, "corrections", std::move(changes));
      cJSON_AddItemToArray(list.get(), item.release());
    }
    json::set_node(o, "attempt_history", std::move(list));
  }
  if (spec.array_index) {
    json::set_int(o, "array_index", *spec.array_index);
    json::set_string(o, "array_parent", spec.array_parent.empty() ? r.id : spec.array_parent);
  }
  json::set_string(o, "waiting_for", waiting_for_name(r.waiting_for));
  json::set_bool(o, "waiting_for_room", r.state == XRUN_STATE_WAITING && r.waiting_for == WaitingFor::Room);
  json::set_string(o, "last_error", r.last_error);
  json::set_optional_string(o, "next_try_at", r.next_try_ms ? std::optional<std::string>(iso8601_utc(r.next_try_ms))
                                                             : std::nullopt);
  json::set_string(o, "cached_from", r.cached_from);
  json::set_string(o, "content_hash", r.content_hash);
  if (spec.machine_choice) {
    json::Ptr choice = json::object();
    const MachineChoice& c = *spec.machine_choice;
    json::set_string(choice.get(), "machine", r.machine);
    json::set_string(choice.get(), "group", c.group);
    json::set_string(choice.get(), "strategy", c.strategy);
    json::Ptr candidates = json::array();
    for (const auto& name : c.candidates) cJSON_AddItemToArray(candidates.get(), cJSON_CreateString(name.c_str()));
    json::set_node(choice.get(), "candidates", std::move(candidates));
    json::set_string(choice.get(), "why", c.why);
    json::set_node(o, "machine_choice", std::move(choice));
  }
  json::set_node(o, "spec", json::parse(r.spec_json, "stored job spec", XRUN_E_STORE));
  if (!r.result_json.empty()) json::set_node(o, "result", json::parse(r.result_json, "stored result", XRUN_E_STORE));
  return json::print(o);
}

}  // namespace xrun::capi

namespace {

xrun_job* new_job_handle(const std::shared_ptr<Context>& context, const JobRecord& record) {
  auto* job = new xrun_job;
  job->context = context;
  job->id = record.id;
  job->record = record;
  return job;
}

void reload(xrun_job* job) {
  JobRecord record = job->context->job(job->id);
  std::lock_guard<std::mutex> lock(job->mutex);
  job->record = std::move(record);
}

// The v0.1 contract: a failed send gives the caller no handle, so the
// message names the job the store now holds and what becomes of it.
[[noreturn]] void throw_unsent(Context& context, const SendOutcome& sent) {
  const int state = context.job(sent.id).state;
  std::string what;
  if (state == XRUN_STATE_SUBMITTING)
    what = "recorded; whether the scheduler got it is unknown (xrun recover settles it)";
  else if (state == XRUN_STATE_WAITING)
    what = "recorded and waiting (a poll round sends it; do not submit it again)";
  else
    what = std::string("recorded but not sent (state ") + state_name(state) + ", safe to send again)";
  throw Error(sent.status, "job " + sent.id + " " + what + ": " + sent.error);
}

// The _v2 contract: the caller gets the job whenever it was recorded,
// also when its send failed.
void submit_keeping_job(xrun_job** out, xrun_ctx& ctx, JobSpec spec) {
  SendOutcome sent = ctx.context->submission().submit({std::move(spec)}, false)[0];
  *out = new_job_handle(ctx.context, ctx.context->job(sent.id));
  if (sent.status != XRUN_OK) throw Error(sent.status, sent.error);
}

// A batch through the one submission path; the outcomes as the JSON
// array xrun_jobs_submit documents.
std::string submit_batch(xrun_ctx& ctx, std::vector<JobSpec> specs) {
  std::vector<SendOutcome> outcomes = ctx.context->submission().submit(std::move(specs), true);
  json::Ptr out = json::array();
  for (const auto& outcome : outcomes) {
    JobRecord record = ctx.context->job(outcome.id);
    json::Ptr item = json::object();
    json::set_string(item.get(), "id", outcome.id);
    json::set_string(item.get(), "state", state_name(record.state));
    json::set_string(item.get(), "scheduler_id", record.scheduler_id);
    if (!outcome.error.empty()) json::set_string(item.get(), "error", outcome.error);
    cJSON_AddItemToArray(out.get(), item.release());
  }
  return json::print(out.get());
}

}  // namespace

extern "C" {

XRUN_API int xrun_job_submit(xrun_job** out, xrun_ctx* ctx, const char* spec_json) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    require(ctx, "ctx");
    require(spec_json, "spec_json");
    SendOutcome sent = ctx->context->submission().submit({parse_job_request(spec_json)}, false)[0];
    if (sent.status != XRUN_OK) throw_unsent(*ctx->context, sent);
    *out = new_job_handle(ctx->context, ctx->context->job(sent.id));
  });
}

XRUN_API int xrun_job_submit_v2(xrun_job** out, xrun_ctx* ctx, const char* spec_json) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    require(ctx, "ctx");
    require(spec_json, "spec_json");
    submit_keeping_job(out, *ctx, parse_job_request(spec_json));
  });
}

XRUN_API int xrun_job_submit_spec(xrun_job** out, xrun_ctx* ctx, const xrun_spec* spec) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    require(ctx, "ctx");
    require(spec, "spec");
    submit_keeping_job(out, *ctx, spec->builder.spec());
  });
}

XRUN_API int xrun_job_send(xrun_job* job) {
  return guarded([&] {
    require(job, "job");
    SendOutcome sent;
    try {
      sent = job->context->submission().send(job->id);
    } catch (...) {
      reload(job);
      throw;
    }
    reload(job);
    if (sent.status != XRUN_OK) throw Error(sent.status, sent.error);
  });
}

XRUN_API int xrun_job_submit_command(xrun_job** out, xrun_ctx* ctx, const char* machine, const char* name,
                                     const char* command) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    require(ctx, "ctx");
    require(command, "command");
    JobSpec spec;
    spec.machine = machine ? machine : "";
    spec.name = name ? name : "";
    spec.command = command;
    // Validate as a JSON spec would be.
    spec = parse_job_request(job_spec_to_json(spec));
    SendOutcome sent = ctx->context->submission().submit({spec}, false)[0];
    if (sent.status != XRUN_OK) throw_unsent(*ctx->context, sent);
    *out = new_job_handle(ctx->context, ctx->context->job(sent.id));
  });
}

XRUN_API int xrun_jobs_submit(char** out_json, xrun_ctx* ctx, const char* specs_json) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(ctx, "ctx");
    require(specs_json, "specs_json");
    json::Ptr list = json::parse(specs_json, "job specs");
    if (!cJSON_IsArray(list.get())) throw Error(XRUN_E_INVALID, "job specs: expected a JSON array of job specs");
    std::vector<JobSpec> specs;
    int index = 0;
    for (const cJSON* item = list->child; item; item = item->next, ++index) {
      try {
        specs.push_back(parse_job_request(json::print(item)));
      } catch (const Error& e) {
        throw Error(e.status(), "job " + std::to_string(index) + ": " + e.what());
      }
    }
    *out_json = owned_copy(submit_batch(*ctx, std::move(specs)));
  });
}

XRUN_API int xrun_jobs_submit_specs(char** out_json, xrun_ctx* ctx, const xrun_spec* const* specs, size_t count) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(ctx, "ctx");
    if (count > 0) require(specs, "specs");
    std::vector<JobSpec> parsed;
    parsed.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (!specs[i]) throw Error(XRUN_E_INVALID, "specs[" + std::to_string(i) + "] must not be NULL");
      try {
        parsed.push_back(specs[i]->builder.spec());
      } catch (const Error& e) {
        throw Error(e.status(), "job " + std::to_string(i) + ": " + e.what());
      }
    }
    *out_json = owned_copy(submit_batch(*ctx, std::move(parsed)));
  });
}

XRUN_API int xrun_job_open(xrun_job** out, xrun_ctx* ctx, const char* id) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    require(ctx, "ctx");
    require(id, "id");
    *out = new_job_handle(ctx->context, ctx->context->job(id));
  });
}

XRUN_API void xrun_job_free(xrun_job* job) { delete job; }

XRUN_API const char* xrun_job_id(xrun_job* job) { return job ? job->id.c_str() : ""; }

XRUN_API int xrun_job_refresh(xrun_job* job) {
  return guarded([&] {
    require(job, "job");
    JobRecord record = job->context->job(job->id);
    if (!is_terminal(record.state) && record.state != XRUN_STATE_CREATED &&
        record.state != XRUN_STATE_SUBMITTING)
      job->context->polling().poll_machine(record.machine, false);
    reload(job);
  });
}

XRUN_API int xrun_job_state(xrun_job* job) {
  if (!job) return XRUN_STATE_LOST;
  std::lock_guard<std::mutex> lock(job->mutex);
  return job->record.state;
}

XRUN_API int xrun_job_exit_code(xrun_job* job, int* out_code) {
  return guarded([&] {
    require(job, "job");
    require(out_code, "out_code");
    std::lock_guard<std::mutex> lock(job->mutex);
    if (!job->record.exit_code)
      throw Error(XRUN_E_NOT_FOUND, "job " + job->id + " has no exit code (state " +
                                        state_name(job->record.state) + ")");
    *out_code = static_cast<int>(*job->record.exit_code);
  });
}

XRUN_API const char* xrun_job_scheduler_id(xrun_job* job) {
  if (!job) return "";
  std::lock_guard<std::mutex> lock(job->mutex);
  return job->record.scheduler_id.c_str();
}

XRUN_API const char* xrun_job_reason(xrun_job* job) {
  if (!job) return "";
  std::lock_guard<std::mutex> lock(job->mutex);
  return job->record.reason.c_str();
}

XRUN_API int xrun_job_info_json(char** out_json, xrun_job* job) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(job, "job");
    std::vector<AttemptRecord> attempts = job->context->store().attempts(job->id);
    std::lock_guard<std::mutex> lock(job->mutex);
    *out_json = owned_copy(capi::job_record_json(job->record, &attempts));
  });
}

XRUN_API int xrun_job_wait(xrun_job* job, int64_t timeout_ms) {
  return guarded([&] {
    require(job, "job");
    try {
      job->context->waiting().wait(job->id, timeout_ms);
    } catch (...) {
      reload(job);
      throw;
    }
    reload(job);
  });
}

XRUN_API int xrun_job_cancel(xrun_job* job) {
  return guarded([&] {
    require(job, "job");
    try {
      job->context->cancelling().cancel(job->id);
    } catch (...) {
      reload(job);
      throw;
    }
    reload(job);
  });
}

XRUN_API int xrun_job_hold(xrun_job* job) {
  return guarded([&] {
    require(job, "job");
    try {
      hold_job(*job->context, job->id);
    } catch (...) {
      reload(job);
      throw;
    }
    reload(job);
  });
}

XRUN_API int xrun_job_release(xrun_job* job) {
  return guarded([&] {
    require(job, "job");
    try {
      release_job(*job->context, job->id);
    } catch (...) {
      reload(job);
      throw;
    }
    reload(job);
  });
}

XRUN_API int xrun_prune(char** out_report, xrun_ctx* ctx, int64_t older_than_ms) {
  if (out_report) *out_report = nullptr;
  return guarded([&] {
    require(ctx, "ctx");
    Store::PruneCounts counts = prune_terminal_jobs(ctx->context->store(), older_than_ms);
    if (out_report) {
      json::Ptr root = json::object();
      json::set_int(root.get(), "jobs", counts.jobs);
      json::set_int(root.get(), "events", counts.events);
      *out_report = owned_copy(json::print(root.get()));
    }
  });
}

XRUN_API int xrun_job_read_file(char** out_data, size_t* out_size, xrun_job* job, const char* name,
                                int64_t max_bytes) {
  if (out_data) *out_data = nullptr;
  if (out_size) *out_size = 0;
  return guarded([&] {
    require(out_data, "out_data");
    require(job, "job");
    require(name, "name");
    JobFile file = job_file(job, name);
    std::string data = file.transport->read_file(file.path, max_bytes > 0 ? max_bytes : kDefaultReadBytes);
    *out_data = owned_copy(data);
    if (out_size) *out_size = data.size();
  });
}

XRUN_API int xrun_job_read_file_at(char** out_data, size_t* out_size, int64_t* out_total_size, xrun_job* job,
                                   const char* name, int64_t offset, int64_t max_bytes) {
  if (out_data) *out_data = nullptr;
  if (out_size) *out_size = 0;
  if (out_total_size) *out_total_size = 0;
  return guarded([&] {
    require(out_data, "out_data");
    require(job, "job");
    require(name, "name");
    JobFile file = job_file(job, name);
    FileRange range = read_file_range(*file.transport, file.path, offset, max_bytes > 0 ? max_bytes : kDefaultReadBytes);
    *out_data = owned_copy(range.data);
    if (out_size) *out_size = range.data.size();
    if (out_total_size) *out_total_size = range.total_size;
  });
}

XRUN_API int xrun_jobs_list(char** out_json, xrun_ctx* ctx, const char* machine, int state, int64_t limit) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(out_json, "out_json");
    require(ctx, "ctx");
    json::Ptr list = json::array();
    for (const auto& record : ctx->context->store().list_jobs(machine ? machine : "", state, limit))
      cJSON_AddItemToArray(list.get(), json::parse(capi::job_record_json(record), "job").release());
    *out_json = owned_copy(json::print(list.get()));
  });
}

XRUN_API int xrun_poll(xrun_ctx* ctx, int64_t* out_next_ms) {
  if (out_next_ms) *out_next_ms = 0;
  return guarded([&] {
    require(ctx, "ctx");
    int64_t next = ctx->context->polling().poll_all();
    if (out_next_ms) *out_next_ms = next;
  });
}

XRUN_API int xrun_recover(char** out_report, xrun_ctx* ctx) {
  if (out_report) *out_report = nullptr;
  return guarded([&] {
    require(ctx, "ctx");
    RecoverReport report = ctx->context->recovery().recover();
    if (out_report) {
      json::Ptr root = json::object();
      json::set_int(root.get(), "examined", report.examined);
      json::set_int(root.get(), "adopted", report.adopted);
      json::set_int(root.get(), "reset", report.reset);
      json::set_int(root.get(), "unsent", report.unsent);
      json::set_int(root.get(), "in_doubt", report.in_doubt);
      *out_report = owned_copy(json::print(root.get()));
    }
  });
}

XRUN_API int xrun_job_result(xrun_result** out, xrun_job* job) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, "out");
    require(job, "job");
    JobRecord record = job->context->job(job->id);
    if (record.result_json.empty())
      throw Error(XRUN_E_NOT_FOUND, "job " + job->id + " has no parsed result (state " +
                                        state_name(record.state) + ")");
    *out = new xrun_result(parse::result_from_json(record.result_json));
  });
}

}  // extern "C"
