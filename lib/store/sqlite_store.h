// The SQLite store: one file (WAL, busy timeout, schema migrations, mode
// 0600) shared by every process of one user on one host. Thread-safe: one
// connection per store guarded by a mutex; several processes coordinate
// through SQLite's locking (busy timeout + retry, never a "database is
// locked" error surfacing to the caller under normal contention).
#pragma once
#include <memory>
#include <string>

#include "store/store.h"

namespace xrun {

class SqliteStore final : public Store {
 public:
  // Opens or creates the database at `path` (parent directory must exist),
  // migrating the schema to the current version. Throws Error(XRUN_E_STORE)
  // naming the path, or if the file's schema is newer than this build.
  // ReadOnly: see Store::Mode; the file is opened without a write lock, or
  // as an immutable snapshot when it is not writable.
  explicit SqliteStore(const std::string& path, Mode mode = Mode::ReadWrite);
  ~SqliteStore() override;

  const std::string& path() const override;
  int schema_version() const override;
  int schema_version_at_open() const override;
  const char* backend() const override;
  int64_t job_count() const override;

  void insert_job(const JobRecord& job) override;
  void insert_jobs(const std::vector<JobRecord>& jobs) override;
  int64_t delete_unsent_jobs(const std::vector<std::string>& ids) override;
  std::optional<JobRecord> get_job(const std::string& id) const override;
  std::vector<JobRecord> list_jobs(const std::string& machine, int state, int64_t limit) const override;
  std::vector<JobRecord> active_jobs(const std::string& machine) const override;
  std::vector<JobRecord> unsent_jobs() const override;
  std::vector<JobRecord> waiting_jobs(const std::string& machine) const override;
  std::optional<JobRecord> cache_source(const std::string& content_hash) const override;
  std::vector<std::string> machines_with_work() const override;

  bool transition(const std::string& id, const std::vector<xrun_state>& allowed_from, xrun_state to,
                  const JobUpdate& update, const std::string& message) override;
  void update(const std::string& id, const JobUpdate& update) override;

  std::vector<AttemptRecord> attempts(const std::string& job_id) const override;
  std::vector<Event> events_since(int64_t after_seq, int64_t max) const override;
  int64_t last_event_seq() const override;
  PruneCounts prune_jobs(const std::vector<int>& states, int64_t before_ms) override;

  void set_write_listener(std::function<void()> listener) override;
  int64_t data_version() const override;

  bool acquire_lease(const std::string& name, const std::string& owner, int64_t ttl_ms) override;
  void release_lease(const std::string& name, const std::string& owner) override;
  std::string lease_owner(const std::string& name) const override;
  int64_t last_poll_ms(const std::string& name) const override;
  void set_last_poll_ms(const std::string& name, int64_t ms) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xrun
