// Batched submission: N jobs of one machine in ONE command (the scheduler's
// submit_batch program fed on stdin). Over SSH that is one round trip for N
// jobs instead of three per job. The same record-first rules as a single
// submission: every job is in the store before anything is sent, and each
// outcome is settled from its own section of the output.
#include <map>

#include "core/context.h"
#include "core/job_files.h"
#include "core/submission.h"
#include "scheduler/submit_batch.h"
#include "util/error.h"

namespace xrun {

std::vector<Context::BatchOutcome> Context::submit_batch(std::vector<JobSpec> specs) {
  // 1. Check every spec; one bad spec refuses the whole batch.
  std::vector<CheckedSpec> checked;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!specs[i].array.empty())
      throw Error(XRUN_E_INVALID, "job " + std::to_string(i) + ": arrays are submitted one at a time");
    try {
      checked.push_back(check_spec(specs[i]));
    } catch (const Error& e) {
      throw Error(e.status(), "job " + std::to_string(i) + ": " + e.what());
    }
  }
  // 2. Record every job.
  std::vector<BatchOutcome> outcomes(specs.size());
  std::map<std::string, std::vector<size_t>> by_machine;
  std::vector<JobRecord> records(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    records[i] = record_jobs(specs[i], checked[i])[0];
    outcomes[i].id = records[i].id;
    by_machine[specs[i].machine].push_back(i);
  }
  // 3. One command per machine.
  for (const auto& [name, indexes] : by_machine) {
    const Machine& m = machine(name);
    const Scheduler& sched = scheduler(m);
    auto fail = [&](size_t i, const Error& e, xrun_state to, const std::string& reason) {
      outcomes[i].status = e.status();
      outcomes[i].error = e.what();
      JobUpdate update;
      update.reason = reason + e.what();
      store_->transition(records[i].id, {XRUN_STATE_SUBMITTING}, to, update, *update.reason);
    };
    std::vector<size_t> sending;
    std::vector<BatchedSubmission> items;
    std::shared_ptr<Transport> t;
    JobUpdate attempt;
    attempt.bump_attempts = true;
    for (size_t i : indexes) {
      if (!store_->transition(records[i].id, {XRUN_STATE_CREATED}, XRUN_STATE_SUBMITTING, attempt, "submitting"))
        continue;
      try {
        t = transport(m);
        std::string job_dir = workdir(m) + "/" + records[i].id;
        const JobSpec& spec = specs[i];
        std::string run_dir = spec.workdir ? t->resolve_path(*spec.workdir) : job_dir;
        ScriptRequest req = script_request(m, spec, records[i].id, job_dir, run_dir, checked[i].dependency_ids);
        if (!spec.upload.empty()) {
          // Inputs need their own transfers; the script and submission
          // still go in the one batch command.
          t->make_dirs(job_dir, 0755);
          for (const auto& path : spec.upload) {
            std::string base = path.substr(path.find_last_of('/') + 1);
            t->upload(path, job_dir + "/" + base);
          }
        }
        std::string script_path = job_files::script(job_dir);
        items.push_back({records[i].id, job_dir, script_path, sched.render_script(req),
                         recorded_submit(sched.submit_command(req, script_path), job_dir)});
        sending.push_back(i);
      } catch (const Error& e) {
        fail(i, e, XRUN_STATE_CREATED, "not submitted: ");
      }
    }
    if (items.empty()) continue;
    CommandResult result;
    try {
      result = t->run(kSubmitBatchCommand, submit_batch_program(items));
    } catch (const Error& e) {
      // The batch may have run in part: recover() settles these.
      for (size_t i : sending) fail(i, e, XRUN_STATE_SUBMITTING, "submission outcome unknown: ");
      continue;
    }
    std::map<std::string, CommandResult> parts = split_submit_batch_output(result);
    for (size_t k = 0; k < sending.size(); ++k) {
      size_t i = sending[k];
      auto part = parts.find(records[i].id);
      if (part == parts.end()) {
        fail(i, Error(XRUN_E_SCHEDULER, "the batch stopped before this job (exit " +
                                            std::to_string(result.exit_status) + "): " + result.err),
             XRUN_STATE_SUBMITTING, "submission outcome unknown: ");
        continue;
      }
      try {
        record_submission(m, {records[i]}, items[k].job_dir, part->second);
      } catch (const Error& e) {
        outcomes[i].status = e.status();
        outcomes[i].error = e.what();
      }
    }
  }
  return outcomes;
}

}  // namespace xrun
