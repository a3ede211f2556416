// The one DRMAA session of the process: an xrun context, the machine the
// contact string named, and the ids of the jobs submitted through it (with
// those already reaped by drmaa_wait / drmaa_synchronize). Held through a
// shared_ptr so that drmaa_exit in one thread never frees what a wait in
// another thread still uses.
#pragma once
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "xrun.h"

namespace xdrmaa {

class Session {
 public:
  Session(xrun_ctx* ctx, std::string machine, std::string scheduler)
      : ctx_(ctx), machine_(std::move(machine)), scheduler_(std::move(scheduler)) {}
  ~Session() { xrun_ctx_close(ctx_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  xrun_ctx* ctx() const { return ctx_; }
  const std::string& machine() const { return machine_; }
  const std::string& scheduler() const { return scheduler_; }

  void add_jobs(const std::vector<std::string>& ids);
  // Jobs submitted in this session, in submission order.
  std::vector<std::string> jobs() const;
  // Jobs of this session not reaped yet.
  std::vector<std::string> unreaped() const;
  bool is_reaped(const std::string& id) const;
  // Marks `id` reaped; false if it already was (another thread won).
  bool reap(const std::string& id);

 private:
  xrun_ctx* ctx_;
  std::string machine_;
  std::string scheduler_;
  mutable std::mutex mutex_;
  std::vector<std::string> jobs_;
  std::set<std::string> reaped_;
};

// The open session; throws Failure(DRMAA_ERRNO_NO_ACTIVE_SESSION) if none.
std::shared_ptr<Session> current_session();
// The open session or null.
std::shared_ptr<Session> session_if_open();

// drmaa_init / drmaa_exit.
void open_session(const char* contact);
void close_session();

}  // namespace xdrmaa
