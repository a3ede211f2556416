#include "core/retrying.h"

#include <algorithm>
#include <cmath>

#include "campaign/corrections.h"
#include "core/state.h"
#include "machine/units.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace xrun {

namespace {

constexpr int64_t kMaxBackoffMs = 86400LL * 1000;
// Inputs a correction reads are small text files; bigger ones are skipped.
constexpr int64_t kMaxInputBytes = 4 << 20;
constexpr size_t kMaxCandidates = 16;

bool in_policy(const RetryPolicy& p, const std::string& outcome) {
  return !outcome.empty() && std::find(p.on.begin(), p.on.end(), outcome) != p.on.end();
}

std::string format_memory(int64_t megabytes) {
  if (megabytes % (1024 * 1024) == 0) return std::to_string(megabytes / (1024 * 1024)) + "T";
  if (megabytes % 1024 == 0) return std::to_string(megabytes / 1024) + "G";
  return std::to_string(megabytes) + "M";
}

// A plain file name of the job directory (no "/", not "." or "..").
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// The corrections library's code for a parser: "qe", "vasp" (every vasp*
// parser), "auto" (decided from the inputs); "" for none (crystal).
std::string correction_code(const std::string& parser) {
  if (parser == "qe" || parser == "auto") return parser;
  if (starts_with(parser, "vasp")) return "vasp";
  return "";
}

}  // namespace

std::string retry_outcome_name(xrun_state state) {
  switch (state) {
    case XRUN_STATE_FAILED: return "failed";
    case XRUN_STATE_TIMEOUT: return "timeout";
    case XRUN_STATE_OUT_OF_MEMORY: return "out_of_memory";
    case XRUN_STATE_NODE_FAIL: return "node_fail";
    case XRUN_STATE_PREEMPTED: return "preempted";
    case XRUN_STATE_LOST: return "lost";
    default: return "";
  }
}

int64_t retry_backoff_ms(const RetryPolicy& policy, int64_t ended) {
  const double factor = std::ldexp(1.0, static_cast<int>(std::clamp<int64_t>(ended - 1, 0, 30)));
  const double ms = policy.backoff_s * 1000.0 * factor;
  return ms >= static_cast<double>(kMaxBackoffMs) ? kMaxBackoffMs : static_cast<int64_t>(ms);
}

bool retry_takes_node_failures(const Machine& m, const JobSpec& spec) {
  auto policy = Retrying::policy_for(m, spec);
  return policy && (in_policy(*policy, "node_fail") || in_policy(*policy, "preempted"));
}

Retrying::Retrying(Store& store, MachineAccess& machines, const Logger& logger)
    : store_(store), machines_(machines), logger_(logger) {}

void Retrying::set_hook(RetryHook hook) {
  std::lock_guard<std::mutex> lock(mutex_);
  hook_ = std::move(hook);
}

std::optional<RetryPolicy> Retrying::policy_for(const Machine& m, const JobSpec& spec) {
  if (!spec.array.empty() || spec.array_index || !spec.array_parent.empty()) return std::nullopt;
  if (spec.retry) return spec.retry;
  return m.retry;
}

AttemptRecord Retrying::ended_attempt(const JobRecord& job, const JobSpec& spec, const JobStatus& status,
                                      const JobUpdate& update) {
  AttemptRecord a;
  a.job_id = job.id;
  a.number = spec.attempt;
  a.scheduler_id = job.scheduler_id;
  a.state = status.state;
  a.reason = status.reason;
  if (status.exit_code) a.exit_code = *status.exit_code;
  a.submitted_ms = job.submitted_ms;
  a.started_ms = update.started_ms ? update.started_ms : job.started_ms;
  a.ended_ms = update.ended_ms;
  return a;
}

void Retrying::note_requeue(const JobRecord& job, const JobStatus& status, JobUpdate& update, std::string& message) {
  JobSpec spec = parse_job_spec(job.spec_json);
  if (!spec.array.empty() || spec.array_index) return;  // one record per task would need the tasks' own ids
  AttemptRecord a;
  a.job_id = job.id;
  a.number = spec.attempt;
  a.scheduler_id = job.scheduler_id;
  a.state = XRUN_STATE_PREEMPTED;
  a.reason = "requeued by the scheduler" + (status.reason.empty() ? std::string() : " (" + status.reason + ")");
  a.submitted_ms = job.submitted_ms;
  a.started_ms = job.started_ms;
  a.ended_ms = wall_ms();
  update.add_attempt = a;
  JobSpec next = spec;
  next.attempt = spec.attempt + 1;
  update.spec_json = job_spec_to_json(next);
  // Same scheduler job: its id and submission time stay, its start and
  // exit code are the next attempt's.
  update.clear_run = true;
  update.scheduler_id = job.scheduler_id;
  if (job.submitted_ms) update.submitted_ms = *job.submitted_ms;
  message = "attempt " + std::to_string(spec.attempt) + " " + a.reason + "; attempt " +
            std::to_string(next.attempt) + " runs as the same scheduler job " + job.scheduler_id + ": " + message;
}

std::vector<std::string> Retrying::apply_builtin_corrections(const Machine& m, const JobRecord& job,
                                                             const JobSpec& spec, const std::string& diagnosis,
                                                             const std::string& result_json) {
  std::vector<std::string> edits;
  const std::string code = correction_code(spec.parser);
  if (code.empty() || diagnosis.empty()) return edits;
  auto t = machines_.transport(m);
  auto read = [&](const std::string& name) -> std::optional<std::string> {
    if (!plain_name(name)) return std::nullopt;
    try {
      FileInfo info = t->stat(job.job_dir + "/" + name);
      if (!info.exists || !info.is_regular) return std::nullopt;  // never a FIFO, which would block
      return t->read_file(job.job_dir + "/" + name, kMaxInputBytes);
    } catch (const Error& e) {
      if (e.status() == XRUN_E_TRANSPORT || e.status() == XRUN_E_TIMEOUT) throw;  // a later round tries again
      logger_.warn("job " + job.id + ": correction input " + name + ": " + e.what());
      return std::nullopt;
    }
  };
  campaign::InputFiles files;
  if (code != "qe")
    for (const auto& name : campaign::correction_inputs(code == "auto" ? "vasp" : code))
      if (auto text = read(name)) files.text[name] = *text;
  if (code != "vasp") {
    // The pw.x input is one of the uploaded files: the library tells which.
    std::map<std::string, std::string> candidates;
    for (const auto& path : spec.upload) {
      if (candidates.size() >= kMaxCandidates) break;
      const std::string name = base_name(path);
      if (auto text = read(name)) candidates[name] = *text;
    }
    const std::string input = campaign::find_pw_input(candidates);
    if (!input.empty() && candidates.count(input)) files.text[input] = candidates[input];
  }
  if (files.text.empty()) return edits;
  // How many times this diagnosis has now been corrected for the job (the
  // library escalates): the earlier attempts' records say.
  const std::string mark = " (" + diagnosis + "): ";
  int times = 1;
  for (const auto& earlier : store_.attempts(job.id))
    for (const auto& change : earlier.corrections)
      if (change.find(mark) != std::string::npos) {
        ++times;
        break;
      }
  const auto before = files.text;
  std::optional<campaign::AppliedCorrection> applied;
  try {
    applied = campaign::apply_builtin_correction(code, diagnosis, times, result_json, files);
  } catch (const Error& e) {
    // A malformed input: the retry goes on with the policy's changes.
    logger_.warn("job " + job.id + ": built-in correction for " + diagnosis + ": " + e.what());
    edits.push_back("correction for " + diagnosis + " not applied: " + e.what());
    return edits;
  }
  if (!applied) return edits;
  for (const auto& [name, text] : files.text) {
    auto old = before.find(name);
    if (!plain_name(name) || (old != before.end() && old->second == text)) continue;
    t->write_file(job.job_dir + "/" + name, text);
  }
  for (const auto& edit : applied->edits) edits.push_back(applied->name + mark + edit);
  if (applied->edits.empty()) edits.push_back(applied->name + mark + "no edit");
  return edits;
}

bool Retrying::retry(const Machine& m, const JobRecord& job, const JobSpec& spec, const JobStatus& status,
                     const std::string& diagnosis, const JobUpdate& update) {
  auto policy = policy_for(m, spec);
  if (!policy || spec.attempt >= policy->max_attempts || job.job_dir.empty()) return false;
  // A cancelled job was stopped on purpose, whatever its output says.
  if (status.state == XRUN_STATE_CANCELLED || status.state == XRUN_STATE_COMPLETED) return false;
  // The diagnosis says more than the state (a walltime_exceeded beats
  // "failed"); either one in the policy retries.
  std::string outcome;
  if (!diagnosis.empty() && in_policy(*policy, diagnosis)) outcome = diagnosis;
  const std::string state_outcome = retry_outcome_name(status.state);
  if (outcome.empty() && in_policy(*policy, state_outcome)) outcome = state_outcome;
  if (outcome.empty()) return false;

  JobSpec next = spec;
  next.attempt = spec.attempt + 1;
  // What held the first send back was met or released already: a retry is
  // neither held nor deferred, and its parents need not finish again.
  next.hold = false;
  next.defer = false;
  next.depends_on.clear();
  std::vector<std::string> changes;
  const Resources effective = m.resources.merged_with(spec.resources);
  if (policy->scale_walltime != 1 && effective.walltime) {
    if (auto seconds = parse_walltime_seconds(*effective.walltime)) {
      const auto scaled = static_cast<int64_t>(std::ceil(static_cast<double>(*seconds) * policy->scale_walltime));
      next.resources.walltime = format_walltime(scaled);
      changes.push_back("walltime " + format_walltime(*seconds) + " -> " + *next.resources.walltime);
    }
  }
  if (policy->scale_memory != 1 && effective.memory) {
    if (auto normal = normalize_memory(*effective.memory)) {
      const int64_t mb = memory_megabytes(*normal);
      const auto scaled = static_cast<int64_t>(std::ceil(static_cast<double>(mb) * policy->scale_memory));
      next.resources.memory = format_memory(scaled);
      changes.push_back("memory " + format_memory(mb) + " -> " + *next.resources.memory);
    }
  }
  for (const auto& [key, value] : policy->env) {
    auto old = next.env.find(key);
    if (old != next.env.end() && old->second == value) continue;
    next.env[key] = value;
    changes.push_back("env " + key + "=" + value);
  }
  if (policy->restart_command && next.command != policy->restart_command) {
    next.command = policy->restart_command;
    next.argv.clear();
    changes.push_back("command: the restart_command");
  }

  // Corrections to the inputs in the job directory (before the transition:
  // a failure here leaves the job as it was, for the next round).
  if (spec.corrections == "builtin") {
    for (auto& edit : apply_builtin_corrections(m, job, spec, diagnosis, update.result_json.value_or("")))
      changes.push_back(std::move(edit));
  } else if (spec.corrections == "callback") {
    RetryHook hook;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      hook = hook_;
    }
    if (!hook) {
      changes.push_back("callback: none set in this process, retried with the policy alone");
    } else {
      RetryRequest request{job.id, spec.attempt, outcome, diagnosis, job_spec_to_json(next)};
      RetryAnswer answer = hook(request);
      if (answer.action == RetryAnswer::Action::Stop) {
        logger_.info("job " + job.id + ": the retry callback stopped its retries");
        return false;
      }
      if (answer.action == RetryAnswer::Action::Replace) {
        try {
          // The callback may hand back the spec it was given, attempt and all.
          json::Ptr root = json::parse(answer.spec_json, "the retry callback's spec");
          if (cJSON_IsObject(root.get())) cJSON_DeleteItemFromObjectCaseSensitive(root.get(), "attempt");
          JobSpec replaced = parse_job_request(json::print(root.get()));
          if (!replaced.array.empty()) throw Error(XRUN_E_INVALID, "a retry cannot become a job array");
          replaced.attempt = next.attempt;
          replaced.machine = next.machine;
          replaced.hold = false;
          replaced.defer = false;
          replaced.depends_on.clear();
          next = std::move(replaced);
          changes.push_back("callback: spec replaced");
        } catch (const Error& e) {
          logger_.warn("job " + job.id + ": the retry callback's spec is refused, the policy's is used: " +
                       e.what());
          changes.push_back(std::string("callback: spec refused (") + e.what() + ")");
        }
      }
    }
  }

  const int64_t backoff = retry_backoff_ms(*policy, spec.attempt);
  JobUpdate retry;
  retry.add_attempt = ended_attempt(job, spec, status, update);
  retry.add_attempt->corrections = changes;
  retry.clear_run = true;
  retry.spec_json = job_spec_to_json(next);
  retry.waiting_for = WaitingFor::RetryBackoff;
  retry.next_try_ms = wall_ms() + backoff;
  retry.result_json = update.result_json;
  retry.last_error = "";
  std::string ended = state_name(status.state);
  if (status.exit_code) ended += " (exit " + std::to_string(*status.exit_code) + ")";
  if (outcome != state_outcome) ended += ", diagnosis " + outcome;
  retry.reason = "retry " + std::to_string(next.attempt) + " of " + std::to_string(policy->max_attempts) +
                 " after " + outcome;
  std::string message = "attempt " + std::to_string(spec.attempt) + " ended " + ended + "; retry " +
                        std::to_string(next.attempt) + " in " + std::to_string(backoff / 1000) + " s";
  for (size_t i = 0; i < changes.size(); ++i) message += (i == 0 ? ": " : "; ") + changes[i];
  const std::vector<xrun_state> from = {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED, XRUN_STATE_HELD,
                                        XRUN_STATE_RUNNING};
  if (!store_.transition(job.id, from, XRUN_STATE_WAITING, retry, message)) return true;  // another process did
  logger_.info("job " + job.id + ": " + message);
  return true;
}

}  // namespace xrun
