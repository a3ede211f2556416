// Many commands multiplexed on one SSH connection, each on its own
// channel: one login serves concurrent callers on any thread; a second
// connection is opened only when the server refuses a channel (sshd's
// MaxSessions), which is never the caller's error; a dead connection fails
// exactly the commands in flight on it; one command's deadline, stdin or
// large output never leaks into the others. The server's own log and the
// kernel's socket table are asked too, not only xrun's counters.
#include <atomic>
#include <thread>

#include "ssh_testbed.h"
#include "test_common.h"
#include "transport/ssh/ssh_pool.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/shell_quote.h"

using namespace xrun;

static sshtest::Testbed tb;

static void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

static std::string accepted_line() { return "Accepted publickey for " + tb.user; }

// Established TCP connections from this process to `port`, as `ss` lists
// them (-1 if ss could not be run): what the kernel says, whatever the
// pool's counters say.
static int connections_from_here(int port) {
  std::string cmd = "ss -tnpH state established '( dport = :" + std::to_string(port) + " )' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  if (pclose(p) != 0) return -1;
  const std::string mine = "pid=" + std::to_string(getpid()) + ",";
  int count = 0;
  for (size_t pos = 0; (pos = text.find(mine, pos)) != std::string::npos; pos += mine.size()) ++count;
  return count;
}

static void eight_threads_one_login(void**) {
  const int before = sshtest::count_in_file(tb.sshd_log, accepted_line());
  SshPool pool(SshCallbacks{});
  Machine m = sshtest::testbed_machine(tb);
  m.max_sessions = 4;  // room for four connections: one must be enough
  auto t = pool.transport_for(m);
  const int threads_n = 8, per_thread = 100;
  std::atomic<int> wrong{0}, errors{0}, done{0}, parked{0};
  std::atomic<bool> sampled{false};
  std::vector<std::thread> threads;
  int64_t t0 = monotonic_ms();
  for (int th = 0; th < threads_n; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < per_thread; ++i) {
        // Every thread pauses once, mid-run, until the main thread has
        // looked at the socket table: the look happens while all of them
        // are between commands, not after the last one.
        if (i == 10) {
          parked++;
          while (!sampled.load()) sleep_ms(1);
        }
        try {
          std::string tag = std::to_string(th) + "-" + std::to_string(i);
          int code = (th * per_thread + i) % 7;
          CommandResult r = t->run("echo " + quote_for_shell(tag) + "; echo e" + tag + " >&2; exit " +
                                   std::to_string(code));
          if (r.exit_status != code || r.out != tag + "\n" || r.err != "e" + tag + "\n") wrong++;
        } catch (const Error& e) {
          if (errors++ < 5) fprintf(stderr, "thread %d: %s\n", th, e.what());
        }
        done++;
      }
    });
  }
  while (parked.load() < threads_n && monotonic_ms() - t0 < 60000) sleep_ms(1);
  int parked_conns = connections_from_here(tb.port);
  sampled = true;
  // And again while they run, as often as ss allows.
  int samples = 1, fewest = parked_conns, most = parked_conns;
  while (done.load() < threads_n * per_thread - threads_n) {
    int c = connections_from_here(tb.port);
    if (done.load() >= threads_n * per_thread - threads_n) break;  // the run may have ended meanwhile
    ++samples;
    fewest = std::min(fewest, c);
    most = std::max(most, c);
    sleep_ms(10);
  }
  for (auto& th : threads) th.join();
  TransportStats s = t->stats();
  fprintf(stderr,
          "%d commands on %d threads: %lld ms; connections seen by ss: %d mid-run, %d..%d over %d samples; "
          "sessions_opened %lld, auths %lld, channels_peak %lld\n",
          threads_n * per_thread, threads_n, static_cast<long long>(monotonic_ms() - t0), parked_conns, fewest,
          most, samples, static_cast<long long>(s.sessions_opened), static_cast<long long>(s.auths),
          static_cast<long long>(s.channels_peak));
  if (parked_conns < 0 || fewest < 0) fail_msg("`ss -tnp` (iproute2) could not be run: no count of connections");
  assert_int_equal(errors.load(), 0);
  assert_int_equal(wrong.load(), 0);
  assert_int_equal(s.commands, threads_n * per_thread);
  assert_int_equal(s.auths, 1);
  assert_int_equal(s.sessions_opened, 1);
  assert_true(s.channels_peak >= 2);  // the commands did overlap on the one session
  assert_int_equal(s.reconnects, 0);
  // The kernel agrees: one connection from this process while they ran.
  assert_int_equal(parked_conns, 1);
  assert_int_equal(fewest, 1);
  assert_int_equal(most, 1);
  // And the server: one login.
  sleep_ms(100);
  assert_int_equal(sshtest::count_in_file(tb.sshd_log, accepted_line()) - before, 1);
}

static void channel_limit_detected(void**) {
  sshtest::PrivateSshd sshd(tb, "two channels", "MaxSessions 2\n");
  assert_non_null(strstr(sshtest::slurp(sshd.config).c_str(), "MaxSessions 2\n"));
  assert_null(strstr(sshtest::slurp(sshd.config).c_str(), "MaxSessions 64"));
  SshPool pool(SshCallbacks{});
  Machine m = sshd.machine();
  m.max_sessions = 4;
  auto t = pool.transport_for(m);
  const int threads_n = 8, per_thread = 30;
  std::atomic<int> wrong{0}, errors{0};
  std::vector<std::thread> threads;
  int64_t t0 = monotonic_ms();
  for (int th = 0; th < threads_n; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < per_thread; ++i) {
        try {
          std::string tag = "t" + std::to_string(th) + "-" + std::to_string(i);
          CommandResult r = t->run("sleep 0.2; echo " + tag);
          if (r.exit_status != 0 || r.out != tag + "\n" || !r.err.empty()) wrong++;
        } catch (const Error& e) {
          if (errors++ < 5) fprintf(stderr, "thread %d: %s\n", th, e.what());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  TransportStats s = t->stats();
  sleep_ms(100);
  const int logins = sshtest::count_in_file(sshd.log, accepted_line());
  fprintf(stderr,
          "%d overlapping commands against MaxSessions 2: %lld ms; sessions_opened %lld, channel_limit %lld, "
          "channels_refused %lld, channels_peak %lld, server logins %d\n",
          threads_n * per_thread, static_cast<long long>(monotonic_ms() - t0),
          static_cast<long long>(s.sessions_opened), static_cast<long long>(s.channel_limit),
          static_cast<long long>(s.channels_refused), static_cast<long long>(s.channels_peak), logins);
  // A refused channel is retried elsewhere, never the caller's error.
  assert_int_equal(errors.load(), 0);
  assert_int_equal(wrong.load(), 0);
  assert_int_equal(s.commands, threads_n * per_thread);
  assert_int_equal(s.channel_limit, 2);
  assert_true(s.channels_refused >= 1);
  assert_true(s.channels_peak <= 2);
  assert_true(s.sessions_opened >= 2);
  assert_true(s.sessions_opened <= 4);  // max_sessions still caps connections
  assert_int_equal(s.reconnects, 0);
  assert_int_equal(logins, s.sessions_opened);
}

static void killed_session_fails_in_flight_then_reconnects(void**) {
  sshtest::PrivateSshd sshd(tb, "kill in flight", "");
  SshPool pool(SshCallbacks{});
  Machine m = sshd.machine();
  m.max_sessions = 4;
  auto t = pool.transport_for(m);
  const std::string key = tb.user + "@" + tb.host + ":" + std::to_string(sshd.port);
  struct Outcome {
    bool threw = false;
    int status = 0;
    std::string what;
    int64_t ended_ms = 0;
  };
  const int threads_n = 6;
  std::vector<Outcome> outcomes(threads_n);
  std::vector<std::thread> threads;
  for (int th = 0; th < threads_n; ++th) {
    threads.emplace_back([&, th] {
      try {
        t->run("sleep 5", "", 20000);
      } catch (const Error& e) {
        outcomes[th].threw = true;
        outcomes[th].status = e.status();
        outcomes[th].what = e.what();
      }
      outcomes[th].ended_ms = monotonic_ms();
    });
  }
  // All six are running their sleep well before it ends.
  sleep_ms(1500);
  TransportStats before = t->stats();
  int64_t killed_at = monotonic_ms();
  int connections_killed = sshd.kill_sessions();
  for (auto& th : threads) th.join();
  fprintf(stderr, "killed %d connection(s) with %lld channels peak; outcomes:\n", connections_killed,
          static_cast<long long>(before.channels_peak));
  for (const auto& o : outcomes)
    fprintf(stderr, "  after %lld ms: %s (status %d) %s\n", static_cast<long long>(o.ended_ms - killed_at),
            o.threw ? "threw" : "returned", o.status, o.what.c_str());
  for (const auto& o : outcomes) {
    assert_true(o.threw);
    assert_int_equal(o.status, XRUN_E_TRANSPORT);
    assert_true(o.ended_ms - killed_at <= 3000);
    assert_non_null(strstr(o.what.c_str(), key.c_str()));
  }
  // The six shared one connection, so one kill reached them all.
  assert_int_equal(connections_killed, 1);
  assert_int_equal(before.sessions_opened, 1);
  // The next call reconnects by itself.
  CommandResult r = t->run("echo ok");
  assert_int_equal(r.exit_status, 0);
  assert_string_equal(r.out.c_str(), "ok\n");
  assert_true(t->stats().reconnects >= 1);
}

static void deadline_of_one_does_not_stall_others(void**) {
  SshPool pool(SshCallbacks{});
  Machine m = sshtest::testbed_machine(tb);
  m.max_sessions = 1;  // one connection: the sleep and the echoes share it
  auto t = pool.transport_for(m);
  assert_int_equal(t->run("true").exit_status, 0);
  int sleep_status = 0;
  int64_t sleep_took = 0;
  std::atomic<bool> sleep_over{false};
  std::thread sleeper([&] {
    int64_t t0 = monotonic_ms();
    try {
      t->run("sleep 30", "", 1000);
    } catch (const Error& e) {
      sleep_status = e.status();
    }
    sleep_took = monotonic_ms() - t0;
    sleep_over = true;
  });
  sleep_ms(200);
  std::atomic<int> ok{0}, wrong{0}, errors{0}, during_sleep{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      int64_t end = monotonic_ms() + 2000;
      for (int i = 0; monotonic_ms() < end; ++i) {
        try {
          std::string tag = std::to_string(th) + "." + std::to_string(i);
          CommandResult r = t->run("echo " + tag);
          if (r.exit_status == 0 && r.out == tag + "\n") {
            ok++;
            if (!sleep_over.load()) during_sleep++;
          } else {
            wrong++;
          }
        } catch (const Error& e) {
          if (errors++ < 5) fprintf(stderr, "echo thread %d: %s\n", th, e.what());
        }
      }
    });
  }
  sleeper.join();
  for (auto& th : threads) th.join();
  TransportStats s = t->stats();
  fprintf(stderr,
          "sleep ended after %lld ms (status %d); %d echoes ok (%d while the sleep ran), %d wrong, %d errors; "
          "sessions_opened %lld\n",
          static_cast<long long>(sleep_took), sleep_status, ok.load(), during_sleep.load(), wrong.load(),
          errors.load(), static_cast<long long>(s.sessions_opened));
  assert_int_equal(sleep_status, XRUN_E_TIMEOUT);
  assert_true(sleep_took >= 1000);
  assert_true(sleep_took <= 2000);
  assert_int_equal(errors.load(), 0);
  assert_int_equal(wrong.load(), 0);
  assert_true(ok.load() >= 4);
  // The timed-out command's channel went, its session stayed.
  assert_int_equal(s.sessions_opened, 1);
  assert_int_equal(s.reconnects, 0);
  assert_string_equal(t->run("echo after").out.c_str(), "after\n");
  assert_int_equal(t->stats().sessions_opened, 1);
}

// Bytes that differ per thread and round, NULs included.
static std::string distinct_bytes(int thread, int round, size_t n) {
  std::string s(n, '\0');
  uint32_t x = 2654435761u * static_cast<uint32_t>(thread * 131 + round + 1);
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x & 0xff);
  }
  return s;
}

static void stdin_and_large_output_isolated(void**) {
  SshPool pool(SshCallbacks{});
  Machine m = sshtest::testbed_machine(tb);
  m.max_sessions = 1;  // every stream on one connection
  auto t = pool.transport_for(m);
  const int threads_n = 4, rounds = 3;
  std::atomic<int> wrong{0}, errors{0};
  std::vector<std::thread> threads;
  int64_t t0 = monotonic_ms();
  for (int th = 0; th < threads_n; ++th) {
    threads.emplace_back([&, th] {
      const char letter = static_cast<char>('A' + th);
      for (int round = 0; round < rounds; ++round) {
        try {
          // Its own stdin back on stdout, its own letter on stderr.
          std::string in = distinct_bytes(th, round, 200 * 1024);
          CommandResult r = t->run(std::string("cat; head -c 300000 /dev/zero | tr '\\0' ") + letter + " >&2",
                                   in);
          if (r.exit_status != 0 || r.out != in || r.err != std::string(300000, letter)) {
            if (wrong++ < 5)
              fprintf(stderr, "thread %d round %d: exit %d, %zu bytes out, %zu err\n", th, round, r.exit_status,
                      r.out.size(), r.err.size());
          }
          // Large stdout, no stdin.
          char lower = static_cast<char>('a' + th);
          r = t->run(std::string("head -c 300000 /dev/zero | tr '\\0' ") + lower);
          if (r.exit_status != 0 || r.out != std::string(300000, lower) || !r.err.empty()) wrong++;
        } catch (const Error& e) {
          if (errors++ < 5) fprintf(stderr, "thread %d: %s\n", th, e.what());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  TransportStats s = t->stats();
  fprintf(stderr, "%d streams of 200 KB in and 300 KB out on %d threads: %lld ms, channels_peak %lld\n",
          threads_n * rounds * 2, threads_n, static_cast<long long>(monotonic_ms() - t0),
          static_cast<long long>(s.channels_peak));
  assert_int_equal(errors.load(), 0);
  assert_int_equal(wrong.load(), 0);
  assert_int_equal(s.commands, threads_n * rounds * 2);
  assert_int_equal(s.sessions_opened, 1);
  assert_int_equal(s.reconnects, 0);
}

int main(void) {
  tb = sshtest::load_testbed();
  const struct CMUnitTest tests[] = {
      SSH_TEST(eight_threads_one_login),
      SSH_TEST(channel_limit_detected),
      SSH_TEST(killed_session_fails_in_flight_then_reconnects),
      SSH_TEST(deadline_of_one_does_not_stall_others),
      SSH_TEST(stdin_and_large_output_isolated),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
