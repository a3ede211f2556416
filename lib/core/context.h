// The Context: one user's view of xrun, and the composition root of core.
// It owns the machine configuration with the means to reach each machine
// (MachineAccess), the job store, and one service per concern:
//   Submission  record and send jobs (one path: a single submit is a batch
//               of one; xrun_job_send and poll rounds' resends use it too)
//   Polling     when a machine may be polled, and its rounds (in parallel)
//   Finishing   retrieve, parse, clean up an ended job
//   Dependencies  when a job with parents may be sent; ends the jobs whose
//               parents ruled them out, and fail_fast batches
//   Retrying    send an ended job again when its retry policy says so
//   Cancelling, Waiting   a caller's actions on one job
//   Recovery    settle what a crash left in submitting
// lib/capi reaches the services through it. Thread-safe.
#pragma once
#include <memory>
#include <string>

#include "core/dependencies.h"
#include "core/finishing.h"
#include "core/job_control.h"
#include "core/machine_access.h"
#include "core/machine_check.h"
#include "core/polling.h"
#include "core/recovery.h"
#include "core/submission.h"
#include "core/wakeup.h"
#include "store/store.h"
#include "util/log.h"

namespace xrun {

struct ContextOptions {
  std::string home;        // "" = $XRUN_HOME or ~/.xrun
  std::string store_path;  // a file or postgresql:// URL; "" = $XRUN_STORE, else <home>/xrun.db
  Logger logger;
  xrun_prompt_fn prompt = nullptr;
  void* prompt_payload = nullptr;
  // Store only: the store is opened read-only (Store::Mode::ReadOnly) and a
  // broken machine configuration is logged instead of failing the open (a
  // call that needs a machine then gets the configuration error).
  bool read_only = false;
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
  MachineAccess& machines() { return *machines_; }
  Submission& submission() { return *submission_; }
  Polling& polling() { return *polling_; }
  Cancelling& cancelling() { return *cancelling_; }
  Waiting& waiting() { return *waiting_; }
  Recovery& recovery() { return *recovery_; }
  Retrying& retrying() { return *retrying_; }
  // Interrupts (any thread) and same-process store changes for the calls
  // that block: wait, poll_all, waiting for events.
  Wakeup& wakeup() { return wakeup_; }

  // The job's record. Error(XRUN_E_NOT_FOUND) for an unknown id.
  JobRecord job(const std::string& id) const;

 private:
  std::string home_;
  std::string store_path_;
  Logger logger_;
  // Declared in dependency order: destroyed in reverse.
  std::unique_ptr<MachineAccess> machines_;
  Wakeup wakeup_;  // before store_: the store's write listener points here
  std::unique_ptr<Store> store_;
  std::unique_ptr<Dependencies> dependencies_;
  std::unique_ptr<Submission> submission_;
  std::unique_ptr<Retrying> retrying_;
  std::unique_ptr<Finishing> finishing_;
  std::unique_ptr<Polling> polling_;
  std::unique_ptr<Cancelling> cancelling_;
  std::unique_ptr<Waiting> waiting_;
  std::unique_ptr<Recovery> recovery_;
};

}  // namespace xrun
