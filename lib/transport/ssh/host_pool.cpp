#include "transport/ssh/host_pool.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "util/clock.h"

namespace xrun::ssh {
namespace {

constexpr int kOpenAttempts = 4;          // first try + 3 retries
constexpr int64_t kFirstBackoffMs = 250;  // then 500, 1000
constexpr int64_t kBudgetWindowMs = 60 * 1000;
// Channels on one session while the server's limit is unknown: sshd's
// default MaxSessions is 10, but a server that allows more gets them; the
// cap bounds what one connection's I/O thread juggles.
constexpr int64_t kChannelsPerSessionCap = 64;

}  // namespace

HostPool::HostPool(SshTarget target, Prompter prompter, Logger logger)
    : target_(std::move(target)), prompter_(std::move(prompter)), logger_(logger),
      counters_(std::make_shared<MuxCounters>()) {
  counters_->on_room = [this] { freed_.notify_all(); };
}

HostPool::~HostPool() {
  // Sessions first (their I/O threads call on_room, which uses freed_).
  std::vector<std::shared_ptr<MuxSession>> sessions;
  {
    std::lock_guard<std::mutex> lk(mu_);
    sessions.swap(sessions_);
  }
  sessions.clear();
}

HostPool::Slot::~Slot() {
  if (session_) pool_->give_back(*session_, for_files_);
}

void HostPool::give_back(MuxSession& session, bool for_files) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    session.reserved--;
    if (for_files) session.file_ops--;
  }
  freed_.notify_all();
}

int64_t HostPool::channels_per_session() const {
  int64_t limit = counters_->channel_limit.load();
  return limit > 0 ? std::min(limit, kChannelsPerSessionCap) : kChannelsPerSessionCap;
}

HostPool::Slot HostPool::acquire(int64_t deadline_ms, bool for_files) {
  std::unique_lock<std::mutex> lk(mu_);
  // The connection attempt this caller waits for, if any: when it fails,
  // its error is this caller's too (a host that refuses would otherwise
  // be retried by each waiter in turn, one after another).
  uint64_t waited_for = 0;
  for (;;) {
    if (waited_for != 0 && failed_open_ >= waited_for) throw Error(failed_open_status_, failed_open_message_);
    // Dead sessions leave the pool (their holders keep them until done);
    // destroyed outside the lock, since that joins their I/O thread.
    std::vector<std::shared_ptr<MuxSession>> dead;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if ((*it)->alive()) {
        ++it;
        continue;
      }
      dead.push_back(std::move(*it));
      it = sessions_.erase(it);
      live_--;
      reconnects_++;
    }
    if (!dead.empty()) {
      lk.unlock();
      dead.clear();
      lk.lock();
      continue;
    }
    const int64_t per_session = channels_per_session();
    std::shared_ptr<MuxSession> best;
    for (auto& s : sessions_) {
      if (s->reserved + s->unreserved_channels() >= per_session) continue;
      // A session without a file operation first: one holds the I/O thread.
      if (!best || (best->file_ops > 0 && s->file_ops == 0)) best = s;
    }
    if (best) {
      best->reserved++;
      if (for_files) best->file_ops++;
      return Slot(this, best, for_files);
    }
    // One connection opened at a time: callers arriving meanwhile wait for
    // it (it has room for them all) instead of each opening their own.
    if (opening_ == 0 && live_ < target_.max_sessions) {
      live_++;
      opening_++;
      const uint64_t attempt = ++open_attempts_;
      lk.unlock();
      try {
        auto session = std::make_shared<MuxSession>(open_with_retry(deadline_ms), counters_, logger_);
        lk.lock();
        opening_--;
        sessions_.push_back(session);
        session->reserved++;
        if (for_files) session->file_ops++;
        lk.unlock();
        freed_.notify_all();
        return Slot(this, session, for_files);
      } catch (const Error& e) {
        lk.lock();
        live_--;
        opening_--;
        failed_open_ = attempt;
        failed_open_status_ = e.status();
        failed_open_message_ = e.what();
        lk.unlock();
        freed_.notify_all();
        throw;
      } catch (...) {
        lk.lock();
        live_--;
        opening_--;
        lk.unlock();
        freed_.notify_all();
        throw;
      }
    }
    if (opening_ > 0 && waited_for == 0) waited_for = open_attempts_;
    int64_t left = deadline_ms - monotonic_ms();
    if (left <= 0)
      throw Error(XRUN_E_TIMEOUT, "no free channel to " + target_.key() + " before the deadline: all " +
                                      std::to_string(live_) + " connection(s) (max_sessions " +
                                      std::to_string(target_.max_sessions) + ") carry " +
                                      std::to_string(per_session) + " channels each" +
                                      (counters_->channel_limit.load() > 0 ? " (the server's MaxSessions)" : ""));
    freed_.wait_for(lk, std::chrono::milliseconds(left));
  }
}

void HostPool::reserve_handshake(int64_t deadline_ms) {
  std::unique_lock<std::mutex> lk(budget_mu_);
  for (;;) {
    int64_t now = monotonic_ms();
    while (!recent_handshakes_.empty() && recent_handshakes_.front() <= now - kBudgetWindowMs)
      recent_handshakes_.pop_front();
    if (static_cast<int64_t>(recent_handshakes_.size()) < target_.max_handshakes_per_minute) {
      recent_handshakes_.push_back(now);
      return;
    }
    int64_t wait = recent_handshakes_.front() + kBudgetWindowMs - now;
    if (now + wait > deadline_ms)
      throw Error(XRUN_E_TRANSPORT,
                  "connection budget for " + target_.key() + " exhausted: " +
                      std::to_string(target_.max_handshakes_per_minute) +
                      " handshakes in the last minute (max_handshakes_per_minute); next one allowed in " +
                      std::to_string((wait + 999) / 1000) + " s");
    lk.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    lk.lock();
  }
}

std::unique_ptr<Connection> HostPool::open_once(StepLog* log, int64_t deadline_ms) {
  // Only a stream that reached the server costs a handshake: "connection
  // refused" is not one (issue 10: refused retries exhausted the budget).
  auto conn = Connection::open(target_, prompter_, logger_, log, deadline_ms, [&] {
    reserve_handshake(deadline_ms);
    handshakes_++;
  });
  sessions_opened_++;
  auths_++;
  logger_.debug("opened session " + std::to_string(sessions_opened_.load()) + " to " + target_.key());
  return conn;
}

std::unique_ptr<Connection> HostPool::open_with_retry(int64_t deadline_ms) {
  // Every try together stays within one connect timeout (the bound the
  // header promises for reaching a machine), whatever the caller allows.
  deadline_ms = std::min(deadline_ms, monotonic_ms() + target_.connect_timeout_ms);
  int64_t backoff = kFirstBackoffMs;
  for (int attempt = 1;; ++attempt) {
    try {
      return open_once(nullptr, deadline_ms);
    } catch (const Error& e) {
      // Host key and authentication failures will not heal by retrying,
      // and retrying them is what gets accounts banned.
      if (e.status() != XRUN_E_TRANSPORT || attempt >= kOpenAttempts ||
          monotonic_ms() + backoff >= deadline_ms)
        throw;
      logger_.warn(std::string(e.what()) + "; retrying in " + std::to_string(backoff) + " ms (attempt " +
                   std::to_string(attempt + 1) + " of " + std::to_string(kOpenAttempts) + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
      backoff *= 2;
    }
  }
}

void HostPool::maintain() {
  const int64_t now = monotonic_ms();
  std::vector<std::shared_ptr<MuxSession>> to_close;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      MuxSession& s = **it;
      if (s.reserved == 0 && (!s.alive() || now - s.last_used_ms() >= target_.idle_timeout_ms)) {
        if (!s.alive()) reconnects_++;
        to_close.push_back(std::move(*it));
        it = sessions_.erase(it);
        live_--;
      } else {
        ++it;
      }
    }
  }
  if (!to_close.empty())
    logger_.debug("closing " + std::to_string(to_close.size()) + " idle session(s) to " + target_.key());
  to_close.clear();  // joins their I/O threads, outside the lock
  freed_.notify_all();
}

std::vector<CheckStep> HostPool::check() {
  StepLog log;
  const int64_t deadline = monotonic_ms() + target_.connect_timeout_ms;
  // The check's fresh session counts against max_sessions like any other:
  // it takes the place of an idle one, or waits for a slot.
  std::shared_ptr<MuxSession> evicted;
  {
    std::unique_lock<std::mutex> lk(mu_);
    while (live_ >= target_.max_sessions) {
      auto idle = std::find_if(sessions_.begin(), sessions_.end(), [](const auto& s) { return s->reserved == 0; });
      if (idle != sessions_.end()) {
        evicted = std::move(*idle);
        sessions_.erase(idle);
        live_--;
        break;
      }
      int64_t left = deadline - monotonic_ms();
      if (left <= 0) {
        log.begin("connect");
        log.fail(Error(XRUN_E_TIMEOUT, "all " + std::to_string(target_.max_sessions) + " sessions to " +
                                           target_.key() + " stayed busy (max_sessions)"));
        return log.steps;
      }
      freed_.wait_for(lk, std::chrono::milliseconds(left));
    }
    live_++;
  }
  evicted.reset();
  std::unique_ptr<Connection> conn;
  try {
    conn = open_once(&log, deadline);
  } catch (const Error& e) {
    if (log.steps.empty() || log.steps.back().ok) log.fail(e);
    {
      std::lock_guard<std::mutex> lk(mu_);
      live_--;
    }
    freed_.notify_one();
    return log.steps;
  }
  // Whatever happens next, the fresh session joins the pool afterwards
  // (or is closed if it broke).
  struct JoinPool {
    HostPool* pool;
    std::unique_ptr<Connection>& conn;
    ~JoinPool() {
      std::shared_ptr<MuxSession> session;
      if (conn && !conn->broken()) {
        try {
          session = std::make_shared<MuxSession>(std::move(conn), pool->counters_, pool->logger_);
        } catch (const Error&) {
        }
      }
      conn.reset();
      {
        std::lock_guard<std::mutex> lk(pool->mu_);
        if (session)
          pool->sessions_.push_back(std::move(session));
        else
          pool->live_--;
      }
      pool->freed_.notify_all();
    }
  } join_pool{this, conn};
  Connection* lease = conn.get();
  try {
    log.begin("run_command");
    bool started = false;
    CommandResult r = lease->exec("true", "", monotonic_ms() + target_.command_timeout_ms, started);
    if (r.exit_status != 0)
      throw Error(XRUN_E_TRANSPORT, "`true` exited with " + std::to_string(r.exit_status) + " on " +
                                        target_.key() + (r.err.empty() ? "" : ": " + r.err));
    commands_++;
    log.ok();
  } catch (const Error& e) {
    log.fail(e);
    return log.steps;
  }
  // Every command runs under /bin/sh (for_any_login_shell); this catches
  // what would still break them: startup files printing text, a shell that
  // cannot start /bin/sh, a /bin/sh that is not POSIX.
  try {
    log.begin("shell");
    bool started = false;
    CommandResult r = lease->exec(kShellProbe, "", monotonic_ms() + target_.command_timeout_ms, started, 4096);
    const std::string want = kShellProbeAnswerPrefix;
    if (r.exit_status != 0 || r.out.rfind(want, 0) != 0 || std::count(r.out.begin(), r.out.end(), '\n') != 1) {
      std::string got = r.out.substr(0, 200), err = r.err.substr(0, 200);
      throw Error(XRUN_E_TRANSPORT,
                  "commands on " + target_.key() + " do not run cleanly under /bin/sh: a probe exited " +
                      std::to_string(r.exit_status) + " and printed \"" + got + "\"" +
                      (err.empty() ? "" : " (stderr \"" + err + "\")") +
                      ". Text before \"" + want + "\" comes from the login shell's startup files (~/.bashrc, "
                      "~/.cshrc, ~/.profile): make them print only for interactive shells");
    }
    std::string shell = r.out.substr(want.size());
    while (!shell.empty() && shell.back() == '\n') shell.pop_back();
    commands_++;
    log.ok("login shell " + shell + ", commands under /bin/sh");
  } catch (const Error& e) {
    log.fail(e);
    return log.steps;
  }
  if (target_.use_sftp) {
    try {
      log.begin("sftp");
      log.ok(lease->sftp() ? "SFTP subsystem" : "no SFTP subsystem: files move over exec channels");
    } catch (const Error& e) {
      log.fail(e);
    }
  }
  return log.steps;
}

TransportStats HostPool::stats() const {
  TransportStats s;
  {
    std::lock_guard<std::mutex> lk(mu_);
    s.sessions_open = live_;
  }
  s.sessions_opened = sessions_opened_;
  s.handshakes = handshakes_;
  s.auths = auths_;
  s.commands = commands_;
  s.reconnects = reconnects_;
  s.transfers = transfers_;
  s.bulk_fetches = bulk_fetches_;
  s.channels_peak = counters_->channels_peak;
  s.channels_refused = counters_->channels_refused;
  s.channel_limit = counters_->channel_limit;
  return s;
}

}  // namespace xrun::ssh
