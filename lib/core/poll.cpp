// One poll round for one machine: ONE status query for all its active
// jobs, then ONE accounting query for those that left the queue, then ONE
// read of their exit-code files. A job that left the queue is settled only
// on evidence; with none it becomes LOST -- never assumed completed.
#include <cstdlib>
#include <set>

#include "core/polling.h"
#include "core/retrying.h"
#include "core/job_files.h"
#include "core/state.h"
#include "util/clock.h"
#include "util/deadline.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

namespace {

// How long a batch job may be missing from both queue and accounting before
// it is declared lost: accounting can lag the queue by a few seconds.
// XRUN_LOST_GRACE_MS overrides it (tests use a short one).
int64_t batch_lost_grace_ms() {
  const char* env = getenv("XRUN_LOST_GRACE_MS");
  if (env && *env) return std::max<int64_t>(0, atoll(env));
  return 60000;
}
// A job submitted this recently may not be visible to the queue yet.
constexpr int64_t kJustSubmittedMs = 5000;

// ONE command reading the exit-code files of jobs (id -> path): "<id> <code>"
// lines for those that have one.
// (job id, job directory, exit record name): the record is read from the
// directory's .xrun/ (job_files), or from the top for an older job.
// `started` names the job's started_at record, "" when it has none of its
// own (an array's tasks share one directory and so one started_at file).
struct ExitFile {
  std::string id, job_dir, name, started;
};

// Each line also carries the job's started_at (unix s, written by its
// script) when it has one: "<id> <code> [<started>]".
std::string exit_files_command(const std::vector<ExitFile>& files) {
  std::string s = "__xrun_e() { " + job_files::shell_pick("__xrun_f", "2", "$3") + "; __xrun_s=/dev/null; " +
                  "if [ -n \"$4\" ]; then " + job_files::shell_pick("__xrun_s", "2", "$4") + "; fi" +
                  "; [ -f \"$__xrun_f\" ] && echo \"$1 $(head -c 32 \"$__xrun_f\" | tr -d '\\n') "
                  "$(head -c 32 \"$__xrun_s\" 2>/dev/null | tr -d '\\n')\"; true; }";
  for (const auto& f : files)
    s += "; __xrun_e " + quote_for_shell(f.id) + " " + quote_for_shell(f.job_dir) + " " + quote_for_shell(f.name) +
         " " + quote_for_shell(f.started);
  return s;
}

std::map<std::string, JobStatus> parse_exit_files(const CommandResult& result) {
  std::map<std::string, JobStatus> out;
  for (const auto& line : split_lines(result.out)) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string rest(trim(line.substr(space + 1)));
    size_t gap = rest.find(' ');
    std::string code(trim(rest.substr(0, gap)));
    std::string started(gap == std::string::npos ? "" : trim(rest.substr(gap + 1)));
    if (code.empty() || code.find_first_not_of("0123456789") != std::string::npos) continue;
    JobStatus status;
    status.exit_code = std::stoi(code.substr(0, 9));
    if (!started.empty() && started.size() <= 12 && started.find_first_not_of("0123456789") == std::string::npos)
      status.started_ms = std::stoll(started) * 1000;
    status.state = *status.exit_code == 0 ? XRUN_STATE_COMPLETED : XRUN_STATE_FAILED;
    status.reason = *status.exit_code == 0 ? "" : "NonZeroExitCode";
    status.raw_state = "exit_code file";
    out[line.substr(0, space)] = status;
  }
  return out;
}

// "<id> <unix s>" for each job directory that has a started_at.
std::string started_files_command(const std::vector<ExitFile>& files) {
  std::string s = "__xrun_t() { " + job_files::shell_pick("__xrun_s", "2", "started_at") +
                  "; [ -f \"$__xrun_s\" ] && echo \"$1 $(head -c 32 \"$__xrun_s\" | tr -d '\\n')\"; true; }";
  for (const auto& f : files) s += "; __xrun_t " + quote_for_shell(f.id) + " " + quote_for_shell(f.job_dir);
  return s;
}

// Only started_ms is set in the statuses returned.
std::map<std::string, JobStatus> parse_started_files(const CommandResult& result) {
  std::map<std::string, JobStatus> out;
  for (const auto& line : split_lines(result.out)) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string secs(trim(line.substr(space + 1)));
    if (secs.empty() || secs.size() > 12 || secs.find_first_not_of("0123456789") != std::string::npos) continue;
    out[line.substr(0, space)].started_ms = std::stoll(secs) * 1000;
  }
  return out;
}

// What the scheduler is asked about a job, with what its records must show
// to be evidence for it (the name carries the array carrier's id for a task).
TrackedJob tracked_job(const JobRecord& job) {
  TrackedJob t{job.id, job.scheduler_id, job.job_dir};
  std::string carrier = parse_job_spec(job.spec_json).array_parent;
  t.name_id = carrier.empty() ? job.id : carrier;
  t.created_s = job.created_ms / 1000;
  t.submitted_s = job.submitted_ms.value_or(0) / 1000;
  return t;
}

// A command reaches the shell as ONE argument (sh -c, locally or by sshd),
// and Linux caps one argument at 128 KiB: a query about more jobs than fit
// is asked in as few parts as keep each command under this size.
constexpr size_t kMaxCommandBytes = 96 * 1024;

template <typename Item, typename Make, typename Parse>
std::map<std::string, JobStatus> ask_in_parts(Transport& t, const std::vector<Item>& items, const Make& make,
                                              const Parse& parse) {
  std::map<std::string, JobStatus> out;
  if (items.empty()) return out;
  const std::string command = make(items);
  if (command.size() <= kMaxCommandBytes || items.size() < 2) {
    if (!command.empty()) out = parse(items, t.run(command));
    return out;
  }
  const auto middle = items.begin() + static_cast<std::ptrdiff_t>(items.size() / 2);
  for (auto& part : {std::vector<Item>(items.begin(), middle), std::vector<Item>(middle, items.end())})
    for (auto& [id, status] : ask_in_parts(t, part, make, parse)) out[id] = status;
  return out;
}

}  // namespace

void Polling::round(const Machine& m) {
  std::vector<JobRecord> jobs = store_.active_jobs(m.name);
  if (jobs.empty()) {
    submission_.send_waiting(m);
    return;
  }
  auto t = machines_.transport(m);
  const Scheduler& sched = machines_.scheduler(m);
  std::vector<JobRecord> ended;  // as recorded once finished
  auto finish = [&](const JobRecord& job, const JobStatus& status) {
    finishing_.finish(m, job, status);
    if (auto now = store_.get_job(job.id); now && is_terminal(now->state)) ended.push_back(*now);
    std::lock_guard<std::mutex> lock(mutex_);
    vanished_since_.erase(job.id);
  };
  std::vector<TrackedJob> tracked;
  for (const auto& job : jobs) tracked.push_back(tracked_job(job));

  // A failed query changes nothing: the error propagates, states stay.
  std::map<std::string, JobStatus> statuses = ask_in_parts(
      *t, tracked, [&](const std::vector<TrackedJob>& part) { return sched.status_command(part); },
      [&](const std::vector<TrackedJob>& part, const CommandResult& r) { return sched.parse_status_output(part, r); });

  std::vector<TrackedJob> left;
  for (const auto& job : tracked)
    if (!statuses.count(job.job_id)) left.push_back(job);
  if (!left.empty()) {
    try {
      auto accounted = ask_in_parts(
          *t, left, [&](const std::vector<TrackedJob>& part) { return sched.accounting_command(part); },
          [&](const std::vector<TrackedJob>& part, const CommandResult& r) {
            return sched.parse_accounting_output(part, r);
          });
      for (auto& [id, status] : accounted) statuses[id] = status;
    } catch (const Error& e) {
      logger_.warn("machine " + m.name + ": accounting query failed: " + e.what());
    }
    std::vector<ExitFile> unexplained;
    for (const auto& job : jobs)
      if (!statuses.count(job.id)) {
        JobSpec spec = parse_job_spec(job.spec_json);
        unexplained.push_back({job.id, job.job_dir, spec.own_file("exit_code"),
                               spec.array_index ? std::string() : std::string("started_at")});
      }
    auto recorded = ask_in_parts(*t, unexplained, exit_files_command,
                                 [](const std::vector<ExitFile>&, const CommandResult& r) { return parse_exit_files(r); });
    for (auto& [id, status] : recorded) statuses[id] = status;
  }

  // Jobs that ended before any round saw them run (the scheduler's record
  // says so, or their exit record did without a start): the time their
  // script wrote when it started, for all of them in ONE command.
  std::vector<ExitFile> unstarted;
  for (const auto& job : jobs) {
    auto found = statuses.find(job.id);
    if (job.started_ms || found == statuses.end() || found->second.started_ms ||
        !is_terminal(found->second.state) || found->second.state == XRUN_STATE_LOST)
      continue;
    JobSpec spec = parse_job_spec(job.spec_json);
    if (!spec.array.empty()) continue;  // tasks share one directory and one started_at
    unstarted.push_back({job.id, job.job_dir, "", ""});
  }
  for (auto& [id, started] : ask_in_parts(*t, unstarted, started_files_command,
                                          [](const std::vector<ExitFile>&, const CommandResult& r) {
                                            return parse_started_files(r);
                                          }))
    statuses[id].started_ms = started.started_ms;

  // The files of every job that ended, in one transfer before finishing them.
  std::vector<std::pair<JobRecord, JobStatus>> ending;
  for (const auto& job : jobs) {
    auto found = statuses.find(job.id);
    if (found != statuses.end() && is_terminal(found->second.state)) ending.emplace_back(job, found->second);
  }
  finishing_.prefetch(m, ending);

  const int64_t now = wall_ms();
  bool never_satisfied = false;
  for (const auto& job : jobs) {
    auto found = statuses.find(job.id);
    if (found == statuses.end()) {
      bool batch = sched.name() != "direct";
      if (job.submitted_ms && now - *job.submitted_ms < kJustSubmittedMs) continue;
      if (batch) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto [it, inserted] = vanished_since_.emplace(job.id, now);
        if (now - it->second < batch_lost_grace_ms()) continue;
        (void)inserted;
      }
      JobStatus lost;
      lost.state = XRUN_STATE_LOST;
      lost.reason = "no scheduler record and no exit record";
      finish(job, lost);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      vanished_since_.erase(job.id);
    }
    const JobStatus& status = found->second;
    if (is_terminal(status.state)) {
      finish(job, status);
      continue;
    }
    // Slurm keeps a job whose native dependency can no longer be met
    // pending for ever: settled below even if its parent ended unseen.
    if (status.reason == "DependencyNeverSatisfied") never_satisfied = true;
    if (status.state == job.state && status.reason == job.reason) continue;
    JobUpdate update;
    update.reason = status.reason;
    if (status.state == XRUN_STATE_RUNNING && !job.started_ms) update.started_ms = now;
    std::string message = state_name(status.state);
    if (!status.reason.empty()) message += " (" + status.reason + ")";
    // Queued again after it ran: the scheduler requeued it (a node failure,
    // a preemption, an operator's requeue); its next attempt runs under the
    // same id.
    if (job.state == XRUN_STATE_RUNNING && (status.state == XRUN_STATE_QUEUED || status.state == XRUN_STATE_HELD))
      Retrying::note_requeue(job, status, update, message);
    store_.transition(job.id, states_leading_to(status.state), status.state, update, message);
  }
  // Jobs that ended may rule out jobs waiting for them (on any machine, or
  // on this one's scheduler): those end now, transitively.
  if (!ended.empty() || never_satisfied) dependencies_.settle(ended, jobs);
  // Jobs that left the queue may have made room for waiting ones, or
  // satisfied their dependencies.
  submission_.send_waiting(m);
}

}  // namespace xrun
