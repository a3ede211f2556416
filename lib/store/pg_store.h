// The PostgreSQL store, through libpq: one database shared by every process
// of a user or group, on any number of hosts. The same guarantees as the
// SQLite store (see store.h), kept by the server: row locks make
// transition() a compare-and-set, one counter row gives events gap-free
// numbers in commit order, and lease times are the server's clock.
// Thread-safe: one connection per store guarded by a mutex.
#pragma once
#include <memory>
#include <string>

#include "store/store.h"

namespace xrun {

class PgStore final : public Store {
 public:
  // Connects to the server at `url` (libpq's URL syntax; a password is
  // best kept in ~/.pgpass or $PGPASSFILE, which libpq reads) and migrates
  // the schema. Throws Error(XRUN_E_STORE) when the server cannot be
  // reached, refuses the credentials, or holds a newer schema; the message
  // names the URL without its password. ReadOnly: the schema is only
  // checked (never created or migrated) and the session is read-only, so
  // every write fails with XRUN_E_STORE; a database without xrun's schema
  // is XRUN_E_NOT_FOUND.
  explicit PgStore(const std::string& url, Mode mode = Mode::ReadWrite);
  ~PgStore() override;

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
