// The Context: one user's view of xrun -- the machine configuration, the
// job store, and the transports (with their SSH pool). Everything the C
// ABI does goes through it. Thread-safe.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/job_spec.h"
#include "core/wakeup.h"
#include "machine/loader.h"
#include "scheduler/scheduler.h"
#include "store/store.h"
#include "transport/transport.h"
#include "util/log.h"

namespace xrun {

class SshPool;

// The reason prefix of a job that waits in xrun because the scheduler's
// per-user cap refused it; such jobs are sent again by poll rounds.
extern const char* const kWaitingForRoom;

struct ContextOptions {
  std::string home;        // "" = $XRUN_HOME or ~/.xrun
  std::string store_path;  // a file or postgresql:// URL; "" = $XRUN_STORE, else <home>/xrun.db
  Logger logger;
  xrun_prompt_fn prompt = nullptr;
  void* prompt_payload = nullptr;
};

struct RecoverReport {
  int64_t examined = 0;  // jobs in created or submitting
  int64_t adopted = 0;   // found on the scheduler: now submitted
  int64_t reset = 0;     // found nowhere: back to created, safe to resubmit
  int64_t unsent = 0;    // created: never sent
  int64_t in_doubt = 0;  // submitting too recently to decide; try later
  std::vector<std::string> messages;
};

class Context {
 public:
  explicit Context(const ContextOptions& options);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const std::string& home() const { return home_; }
  const std::string& store_path() const { return store_path_; }
  const Logger& logger() const { return logger_; }
  Store& store() { return *store_; }
  const MachineConfig& machines() const { return machines_; }
  // Interrupts (any thread) and same-process store changes for the calls
  // that block: wait(), poll_all(), waiting for events.
  Wakeup& wakeup() { return wakeup_; }

  // "" = the default machine. Throws Error(XRUN_E_NOT_FOUND).
  const Machine& machine(const std::string& name) const;
  std::shared_ptr<Transport> transport(const Machine& machine);
  const Scheduler& scheduler(const Machine& machine);
  // The machine's workdir as an absolute path on the machine.
  std::string workdir(const Machine& machine);

  // Jobs. submit() records the job before sending it; on a send failure
  // the job stays in the store (created, with the reason) and the error is
  // rethrown.
  JobRecord submit(const JobSpec& spec);
  // Several jobs: all are checked (one bad spec refuses them all) and
  // recorded first; then, per machine, ONE command makes their directories,
  // writes their scripts and submits them. Returns one outcome per spec.
  struct BatchOutcome {
    std::string id;
    int status = 0;        // xrun_status of a failed send, 0 if sent or waiting
    std::string error;
  };
  std::vector<BatchOutcome> submit_batch(std::vector<JobSpec> specs);
  JobRecord job(const std::string& id) const;  // Error(XRUN_E_NOT_FOUND)
  void cancel(const std::string& id);
  // One poll round for one machine if its interval allows (or `force`).
  // Returns ms until the machine may be polled again.
  int64_t poll_machine(const std::string& machine, bool force);
  // One round over every machine with active jobs; ms until the next.
  // An interrupt stops it between machines: Error(XRUN_E_INTERRUPTED).
  int64_t poll_all();
  // Waits until terminal or timeout (<0 forever); returns the record.
  // An interrupt ends it with Error(XRUN_E_INTERRUPTED).
  JobRecord wait(const std::string& id, int64_t timeout_ms);
  RecoverReport recover();

 private:
  struct PollGate;  // single-flight per machine within this process
  PollGate& poll_gate(const std::string& machine);
  void poll_round(const Machine& machine);
  void finish_job(const Machine& machine, const JobRecord& job, JobStatus status);
  struct CheckedSpec {
    const Machine* machine;
    std::vector<std::string> dependency_ids;
    std::vector<int64_t> array_indexes;
  };
  // Refuses what cannot be submitted before anything is recorded; fills in
  // spec.machine.
  CheckedSpec check_spec(JobSpec& spec);
  std::vector<JobRecord> record_jobs(const JobSpec& spec, const CheckedSpec& checked);
  // Settles SUBMITTING records from the submit command's result.
  bool record_submission(const Machine& machine, const std::vector<JobRecord>& records,
                         const std::string& job_dir, const CommandResult& result);
  // Sends one submission (a job, or an array carried by records[0]).
  // Returns false if the scheduler's per-user cap refused it (the jobs
  // wait, CREATED, with kWaitingForRoom) or another process is sending it.
  bool send_job(const Machine& machine, const JobSpec& spec, const std::vector<JobRecord>& records);
  void resend_waiting(const Machine& machine);

  std::string home_;
  std::string store_path_;
  Logger logger_;
  std::string owner_;  // lease owner: host/pid/address
  MachineConfig machines_;
  Wakeup wakeup_;  // before store_: the store's write listener points here
  std::unique_ptr<Store> store_;
  std::unique_ptr<SshPool> ssh_pool_;
  std::mutex mutex_;   // guards the maps below
  std::map<std::string, std::shared_ptr<Transport>> transports_;
  std::map<std::string, std::unique_ptr<Scheduler>> schedulers_;
  std::map<std::string, std::string> workdirs_;
  std::map<std::string, std::unique_ptr<PollGate>> poll_gates_;
  std::map<std::string, int64_t> vanished_since_;  // job id -> first round it was missing
};

}  // namespace xrun
