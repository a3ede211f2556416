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
  bool replayed = false;
  for (;;) {
    auto slot = pool_->acquire(deadline);
    bool started = false;
    try {
      CommandResult r;
      // Refused (the server's MaxSessions): the pool now knows the limit
      // and finds another session, or waits for a free channel.
      if (!slot->run(command, stdin_data, deadline, kMaxCommandStdout, started, r)) continue;
      pool_->note_command();
      return r;
    } catch (const Error& e) {
      if (e.status() != XRUN_E_TRANSPORT) throw;
      // Before the exec request went out the command surely did not run:
      // replaying it on a fresh session is safe. After, it is not.
      if (!started && !replayed) {
        replayed = true;
        continue;
      }
      if (started)
        throw Error(XRUN_E_TRANSPORT, std::string(e.what()) +
                                          "; the connection died while the command was running, so it may "
                                          "or may not have completed");
      throw;
    }
  }
}

void SshTransport::use_files(const std::function<void(RemoteFiles&)>& op) {
  const int64_t deadline = bounded_deadline(monotonic_ms() + target_.command_timeout_ms);
  for (int attempt = 0;; ++attempt) {
    auto slot = pool_->acquire(deadline, true);
    bool overdue = false;
    try {
      // On the session's I/O thread, in blocking mode: libssh's SFTP calls
      // block, and wait for replies without limit; the watchdog ends that.
      slot->exclusive([&](Connection& conn) {
        auto guard = pool_->watchdog().arm(ssh_get_fd(conn.session()), deadline);
        try {
          set_blocking_timeout(conn.session(), deadline - monotonic_ms());
          sftp_session sf = nullptr;
          if (target_.use_sftp && !pool_->sftp_missing) {
            sf = conn.sftp();
            if (!sf) pool_->sftp_missing = true;
          }
          std::unique_ptr<RemoteFiles> files = sf ? sftp_files(conn, sf, deadline) : exec_files(conn, deadline);
          op(*files);
        } catch (const Error&) {
          if (guard.fired()) {
            overdue = true;
            conn.mark_broken();
          }
          throw;
        }
      });
      return;
    } catch (const ChannelRefused&) {
      // The server's MaxSessions: the pool learnt it; another session or a
      // free channel, within the deadline.
      if (monotonic_ms() >= deadline) throw;
      continue;
    } catch (const Error& e) {
      if (overdue)
        throw Error(XRUN_E_TIMEOUT, "a file operation on " + target_.key() +
                                        " did not finish by its deadline and the server stopped answering; the "
                                        "connection was closed");
      if (e.status() == XRUN_E_TRANSPORT && !slot->alive() && attempt == 0) continue;
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
