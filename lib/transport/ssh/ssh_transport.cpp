#include "transport/ssh/ssh_transport.h"
#include "transport/nul_guard.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transport/fetch_tree.h"
#include "transport/ssh/session_options.h"
#include "util/clock.h"
#include "util/deadline.h"

namespace xrun::ssh {

SshTransport::SshTransport(std::shared_ptr<HostPool> pool, SshTarget target)
    : pool_(std::move(pool)), target_(std::move(target)) {}

CommandResult SshTransport::run(const std::string& command, const std::string& stdin_data, int64_t timeout_ms) {
  refuse_nul(command, "command");
  const int64_t deadline =
      bounded_deadline(monotonic_ms() + (timeout_ms > 0 ? timeout_ms : target_.command_timeout_ms));
  for (int attempt = 0;; ++attempt) {
    auto lease = pool_->acquire(deadline);
    bool started = false;
    auto guard = pool_->watchdog().arm(ssh_get_fd(lease->session()), deadline);
    try {
      CommandResult r = lease->exec(command, stdin_data, deadline, started);
      pool_->note_command();
      return r;
    } catch (const Error& e) {
      if (guard.fired()) throw overdue(*lease, "the command", started);
      if (e.status() != XRUN_E_TRANSPORT) throw;
      pool_->note_dead_session();
      // Before the exec request went out the command surely did not run:
      // replaying it on a fresh session is safe. After, it is not.
      if (!started && attempt == 0) continue;
      if (started)
        throw Error(XRUN_E_TRANSPORT, std::string(e.what()) +
                                          "; the connection died while the command was running, so it may "
                                          "or may not have completed");
      throw;
    }
  }
}

Error SshTransport::overdue(Connection& conn, const std::string& what, bool started) {
  conn.mark_broken();
  pool_->note_dead_session();
  return Error(XRUN_E_TIMEOUT, what + " on " + target_.key() + " did not finish by its deadline and the server "
                                   "stopped answering; the connection was closed" +
                                   (started ? " (a command may or may not have completed)" : ""));
}

void SshTransport::use_files(const std::function<void(RemoteFiles&)>& op) {
  for (int attempt = 0;; ++attempt) {
    const int64_t deadline = bounded_deadline(monotonic_ms() + target_.command_timeout_ms);
    auto lease = pool_->acquire(deadline);
    // libssh waits for SFTP replies without limit: the watchdog ends it.
    auto guard = pool_->watchdog().arm(ssh_get_fd(lease->session()), deadline);
    try {
      set_blocking_timeout(lease->session(), deadline - monotonic_ms());
      sftp_session sf = nullptr;
      if (target_.use_sftp && !pool_->sftp_missing) {
        sf = lease->sftp();
        if (!sf) pool_->sftp_missing = true;
      }
      std::unique_ptr<RemoteFiles> files = sf ? sftp_files(*lease, sf, deadline) : exec_files(*lease, deadline);
      op(*files);
      return;
    } catch (const Error& e) {
      if (guard.fired()) throw overdue(*lease, "a file operation", false);
      if (e.status() == XRUN_E_TRANSPORT && lease->broken()) {
        pool_->note_dead_session();
        if (attempt == 0) continue;
      }
      throw;
    }
  }
}

void SshTransport::note_transfer() { pool_->note_transfer(); }

void SshTransport::note_bulk_fetch() { pool_->note_bulk_fetch(); }

std::string SshTransport::target_name() const { return target_.key(); }

std::vector<CheckStep> SshTransport::check() { return pool_->check(); }

TransportStats SshTransport::stats() const { return pool_->stats(); }

}  // namespace xrun::ssh
