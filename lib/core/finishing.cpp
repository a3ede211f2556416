// Finishing a job that ended: retrieve, parse, clean up, record.
#include "core/finishing.h"

#include <sys/stat.h>

#include "core/job_spec.h"
#include "core/state.h"
#include "parse/parse.h"
#include "util/clock.h"
#include "util/deadline.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

Finishing::Finishing(Store& store, MachineAccess& machines, const Logger& logger, std::string home,
                     Retrying& retrying)
    : store_(store), machines_(machines), logger_(logger), home_(std::move(home)), retrying_(retrying) {}

namespace {

// The files a finished job wants here, as names in its job directory.
std::vector<std::string> wanted_files(const JobSpec& spec) {
  std::vector<std::string> wanted;
  for (const auto& name : spec.retrieve) wanted.push_back(spec.own_file(name));
  if (!spec.parser.empty()) wanted.push_back(spec.own_file(spec.parse_file));
  return wanted;
}

std::string results_dir(const JobSpec& spec, const std::string& home, const std::string& id) {
  return spec.retrieve_to ? expand_user(*spec.retrieve_to) : home + "/results/" + id;
}

}  // namespace

bool Finishing::take_prefetched(const std::string& job_id, const std::string& name) {
  std::lock_guard<std::mutex> lock(prefetched_mu_);
  auto it = prefetched_.find(job_id);
  if (it == prefetched_.end()) return false;
  bool found = it->second.erase(name) > 0;
  if (it->second.empty()) prefetched_.erase(it);
  return found;
}

void Finishing::prefetch(const Machine& m, const std::vector<std::pair<JobRecord, JobStatus>>& ended) {
  if (m.execution != Execution::Remote) return;  // the job directory is already here
  std::vector<FileFetch> items;
  std::vector<std::string> owner;
  for (const auto& [job, status] : ended) {
    if (status.state == XRUN_STATE_LOST || job.job_dir.empty()) continue;
    JobSpec spec = parse_job_spec(job.spec_json);
    for (const auto& name : wanted_files(spec)) {
      if (name.find('/') != std::string::npos) continue;  // nested: retrieve walks it
      items.push_back({job.job_dir, name, results_dir(spec, home_, job.id)});
      owner.push_back(job.id);
    }
  }
  if (items.size() < 2) return;  // one file: retrieve is one transfer anyway
  std::vector<bool> fetched;
  try {
    fetched = machines_.transport(m)->fetch_files(items);
  } catch (const Error& e) {
    if (e.status() == XRUN_E_TIMEOUT && monotonic_ms() >= outer_deadline_ms()) throw;
    logger_.warn("machine " + m.name + ": fetching the files of " + std::to_string(ended.size()) +
                 " finished jobs in one transfer failed (each is fetched by itself): " + e.what());
    return;
  }
  std::lock_guard<std::mutex> lock(prefetched_mu_);
  for (size_t i = 0; i < items.size(); ++i)
    if (fetched[i]) prefetched_[owner[i]].insert(items[i].name);
}

void Finishing::finish(const Machine& m, const JobRecord& job, JobStatus status) {
  JobSpec spec = parse_job_spec(job.spec_json);
  auto t = machines_.transport(m);
  JobUpdate update;
  update.ended_ms = wall_ms();
  if (status.exit_code) update.exit_code = *status.exit_code;
  // Started and ended between two polls: never seen running, but its
  // script recorded when it started.
  if (!job.started_ms && status.started_ms) update.started_ms = *status.started_ms;

  // Retrieve what the spec asked for. Local machines need no copy unless a
  // destination was given: the job directory is already here.
  std::string local_dir = job.job_dir;
  bool remote = m.execution == Execution::Remote;
  const std::vector<std::string> wanted = wanted_files(spec);
  const std::string parse_file = spec.own_file(spec.parse_file);
  if ((remote || spec.retrieve_to) && !wanted.empty() && status.state != XRUN_STATE_LOST) {
    local_dir = results_dir(spec, home_, job.id);
    // Confined on both sides (Transport::retrieve): nothing the remote
    // lists or links can make xrun write outside local_dir.
    std::string not_retrieved;
    for (const auto& name : wanted) {
      if (take_prefetched(job.id, name)) continue;  // came with the round's bulk transfer
      try {
        t->retrieve(job.job_dir, name, local_dir);
      } catch (const Error& e) {
        // Cut by the caller's deadline (a wait's timeout): not the job's
        // fault; the round fails and a later one finishes the job.
        if (e.status() == XRUN_E_TIMEOUT && monotonic_ms() >= outer_deadline_ms()) throw;
        logger_.warn("job " + job.id + ": cannot retrieve " + name + ": " + e.what());
        not_retrieved += (not_retrieved.empty() ? "" : ", ") + name;
      }
    }
    // The job says what it does not have (its state is the scheduler's).
    if (!not_retrieved.empty())
      status.reason += (status.reason.empty() ? "" : "; ") + std::string("not retrieved: ") + not_retrieved;
  }

  // Apply the parser: a failed diagnosis says why a "successful" run failed.
  std::string diagnosis;  // a failure's code, for the retry policy
  if (!spec.parser.empty() && status.state != XRUN_STATE_LOST) {
    std::string path = local_dir + "/" + parse_file;
    try {
      // A FIFO (or device) as parse_file would block the parser's open().
      struct stat st;
      if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        throw Error(XRUN_E_IO, "not a regular file (a FIFO or device would block)");
      auto result = parse::parse_file(path, spec.parser);
      update.result_json = result->to_json();
      std::string code = result->diagnosis();
      if (parse::diagnosis_is_failure(code)) diagnosis = code;
      if (parse::diagnosis_is_failure(code) && status.state == XRUN_STATE_COMPLETED) {
        status.state = XRUN_STATE_FAILED;
        status.reason = code;
      }
    } catch (const Error& e) {
      logger_.warn("job " + job.id + ": parser " + spec.parser + " on " + path + ": " + e.what());
      if (status.state == XRUN_STATE_COMPLETED) {
        status.state = XRUN_STATE_FAILED;
        status.reason = std::string("output not parsed: ") + e.what();
      }
    }
  }

  // Retried by its policy: the next attempt runs in the same directory.
  update.reason = status.reason;
  if (status.state != XRUN_STATE_COMPLETED && retrying_.retry(m, job, spec, status, diagnosis, update)) return;

  std::string cleanup = spec.cleanup.value_or(m.cleanup);
  // An array's tasks share one directory: it is never removed under them.
  bool shared_dir = !spec.array.empty();
  if (!shared_dir && (cleanup == "always" || (cleanup == "on_success" && status.state == XRUN_STATE_COMPLETED))) {
    try {
      t->remove(job.job_dir, true);
    } catch (const Error& e) {
      logger_.warn("job " + job.id + ": cannot remove " + job.job_dir + ": " + e.what());
    }
  }

  update.add_attempt = Retrying::ended_attempt(job, spec, status, update);
  std::string message = state_name(status.state);
  if (status.exit_code) message += " (exit " + std::to_string(*status.exit_code) + ")";
  if (!status.reason.empty()) message += ": " + status.reason;
  if (spec.attempt > 1 || Retrying::policy_for(m, spec))
    message = "attempt " + std::to_string(spec.attempt) + " ended " + message;
  store_.transition(job.id, states_leading_to(status.state), status.state, update, message);
}

}  // namespace xrun
