// What a caller does to one job after submitting it: cancel it, or wait for
// its end (polling its machine no more often than it allows).
#pragma once
#include <cstdint>
#include <string>

#include "core/dependencies.h"
#include "core/machine_access.h"
#include "core/polling.h"
#include "core/wakeup.h"
#include "store/store.h"

namespace xrun {

class Cancelling {
 public:
  Cancelling(Store& store, MachineAccess& machines, Polling& polling, Dependencies& dependencies)
      : store_(store), machines_(machines), polling_(polling), dependencies_(dependencies) {}
  // Error(XRUN_E_STATE) for a job that already ended or is being sent.
  void cancel(const std::string& id);

 private:
  Store& store_;
  MachineAccess& machines_;
  Polling& polling_;
  Dependencies& dependencies_;
};

class Waiting {
 public:
  Waiting(Store& store, Polling& polling, Wakeup& wakeup) : store_(store), polling_(polling), wakeup_(wakeup) {}
  // Until terminal or timeout (<0 forever); returns the record. A job in
  // created was not sent and will not be by itself: Error(XRUN_E_STATE).
  // An interrupt ends it with Error(XRUN_E_INTERRUPTED).
  JobRecord wait(const std::string& id, int64_t timeout_ms);

 private:
  Store& store_;
  Polling& polling_;
  Wakeup& wakeup_;
};

}  // namespace xrun
