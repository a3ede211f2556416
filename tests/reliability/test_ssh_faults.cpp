// SSH faults at the job level, through the C API on a remote `direct`
// machine: server-side sessions killed again and again while jobs are
// submitted and polled, the server restarted while jobs run, and a command
// that hangs. Every job must run exactly once or not at all, its state must
// follow the evidence, and the next call must work. Each job appends its id
// to a run log on the "remote" side, which counts real executions
// independently of the store. A private sshd (tests/ssh/ssh_testbed.h) is
// used so that killing and restarting it disturbs no other test.
#include <sys/stat.h>

#include <atomic>
#include <random>
#include <thread>

#include "../ssh/ssh_testbed.h"
#include "transport/local.h"
#include "transport/ssh/ssh_pool.h"
#include "util/clock.h"
#include "xrun.h"

static sshtest::Testbed tb;

static void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// A directory both this process (root) and the testbed user can write:
// the remote workdir and the run log live there.
static std::string shared_dir(const char* tag) {
  std::string d = xrun_test_tempdir(tag);
  chmod(d.c_str(), 0777);
  return d;
}

struct RemoteCtx {
  std::string home, workdir, runlog;
  xrun_ctx* ctx = nullptr;
  ~RemoteCtx() {
    xrun_ctx_close(ctx);
    if (!home.empty()) sshtest::sh("rm -rf '" + home + "' '" + workdir + "'");
  }
};

static void open_remote(RemoteCtx& r, const sshtest::PrivateSshd& sshd, const char* tag, int handshakes_per_minute = 200) {
  r.home = xrun_test_tempdir(tag);
  r.workdir = shared_dir(tag);
  r.runlog = r.workdir + "/runlog";
  std::string machines = "{\"default\": \"remote\", \"machines\": {\"remote\": {\"execution\": \"remote\","
                         " \"scheduler\": \"direct\", \"host\": \"127.0.0.1\", \"port\": " +
                         std::to_string(sshd.port) + ", \"username\": \"" + tb.user +
                         "\", \"auth\": {\"method\": \"key\", \"key_file\": \"" + tb.key +
                         "\"}, \"known_hosts\": \"" + sshd.known_hosts +
                         "\", \"ssh_config\": \"none\", \"workdir\": \"" + r.workdir +
                         "\", \"min_poll_interval\": 0, \"max_sessions\": 2, \"connect_timeout\": 5,"
                         " \"command_timeout\": 30, \"max_handshakes_per_minute\": " + std::to_string(handshakes_per_minute) +
                         "}}}";
  sshtest::spit(r.home + "/machines.json", machines);
  xrun_options opts = XRUN_OPTIONS_INIT;
  std::string home = r.home;
  opts.home = home.c_str();
  int rc = xrun_ctx_open(&r.ctx, &opts);
  if (rc != XRUN_OK) fail_msg("xrun_ctx_open: %s", xrun_last_error());
}

// The spec of a job that records its own run: one line with its id.
static std::string logging_spec(const RemoteCtx& r, const char* before = "") {
  return std::string("{\"command\": \"") + before + "echo $XRUN_JOB_ID >> '" + r.runlog + "'\"}";
}

static int runs_of(const std::string& log, const std::string& id) {
  int n = 0;
  for (size_t p = 0; (p = log.find(id, p)) != std::string::npos; p += id.size()) ++n;
  return n;
}

static std::vector<std::string> all_job_ids(xrun_ctx* ctx) {
  char* list = nullptr;
  if (xrun_jobs_list(&list, ctx, nullptr, -1, 0) != XRUN_OK) fail_msg("list: %s", xrun_last_error());
  std::vector<std::string> ids;
  for (const char* p = list; (p = strstr(p, "{\"id\":\"")) != nullptr; p += 7) ids.emplace_back(p + 7, 26);
  xrun_free(list);
  return ids;
}

static int state_of(xrun_ctx* ctx, const std::string& id) {
  xrun_job* job = nullptr;
  if (xrun_job_open(&job, ctx, id.c_str()) != XRUN_OK) fail_msg("open %s: %s", id.c_str(), xrun_last_error());
  int s = xrun_job_state(job);
  xrun_job_free(job);
  return s;
}

// Whether a call's status is one a dying connection may give: a clear
// transport error (or a timeout), never a store or internal error.
static bool acceptable_fault_status(int rc) {
  return rc == XRUN_OK || rc == XRUN_E_TRANSPORT || rc == XRUN_E_TIMEOUT;
}

// (a) Server-side sessions killed at random moments while 40+ jobs are
// submitted and polled over them.
static void sessions_killed_during_submit_and_poll(void**) {
  sshtest::PrivateSshd sshd(tb, "reliab kill", "");
  RemoteCtx r;
  open_remote(r, sshd, "faults-kill");
  const std::string spec = logging_spec(r, "sleep 0.2; ");
  // One session up before the chaos starts.
  xrun_job* first = nullptr;
  if (xrun_job_submit(&first, r.ctx, spec.c_str()) != XRUN_OK) fail_msg("first submit: %s", xrun_last_error());
  xrun_job_free(first);

  std::atomic<bool> stop{false};
  std::atomic<int> kills{0}, killed_processes{0};
  std::thread killer([&] {
    std::mt19937 rng(static_cast<unsigned>(getpid()));
    while (!stop) {
      sleep_ms(40 + static_cast<int>(rng() % 160));
      int n = sshd.kill_sessions();
      if (n > 0) {
        ++kills;
        killed_processes += n;
      }
    }
  });
  int ok = 0, transport = 0, timeouts = 0, polls_ok = 0, polls_failed = 0;
  std::vector<std::string> bad;
  // At least 40 submissions and at least 10 kills that hit a live session
  // (a slow build sees fewer per submission), at most 150 submissions.
  int submits = 0;
  for (int i = 0; i < 150 && (i < 40 || kills < 10); ++i, ++submits) {
    xrun_job* job = nullptr;
    int rc = xrun_job_submit(&job, r.ctx, spec.c_str());
    if (rc == XRUN_OK) ++ok;
    else if (rc == XRUN_E_TRANSPORT) ++transport;
    else if (rc == XRUN_E_TIMEOUT) ++timeouts;
    if (!acceptable_fault_status(rc))
      bad.push_back(std::string("submit: ") + xrun_status_name(rc) + ": " + xrun_last_error());
    // A clear error names the host it could not talk to.
    if (rc == XRUN_E_TRANSPORT && !strstr(xrun_last_error(), "127.0.0.1"))
      bad.push_back(std::string("submit: unclear transport error: ") + xrun_last_error());
    if (rc != XRUN_OK && strstr(xrun_last_error(), "database is locked"))
      bad.push_back(std::string("submit: store error: ") + xrun_last_error());
    xrun_job_free(job);
    if (i % 3 == 2) {
      int64_t next = 0;
      int prc = xrun_poll(r.ctx, &next);
      (prc == XRUN_OK ? polls_ok : polls_failed)++;
      if (!acceptable_fault_status(prc))
        bad.push_back(std::string("poll: ") + xrun_status_name(prc) + ": " + xrun_last_error());
    }
  }
  stop = true;
  killer.join();
  for (const auto& b : bad) fprintf(stderr, "UNEXPECTED: %s\n", b.c_str());
  assert_int_equal(bad.size(), 0);

  // The next call works.
  xrun_machine* m = nullptr;
  assert_int_equal(xrun_machine_open(&m, r.ctx, "remote"), XRUN_OK);
  char* report = nullptr;
  int crc = xrun_machine_check(&report, m);
  if (crc != XRUN_OK) fprintf(stderr, "check after the faults: %s\n%s\n", xrun_last_error(), report);
  assert_int_equal(crc, XRUN_OK);
  xrun_free(report);
  char* stats = nullptr;
  assert_int_equal(xrun_machine_stats(&stats, m), XRUN_OK);
  fprintf(stderr, "transport after the faults: %s\n", stats);
  // The faults reached the client: it had to reconnect.
  const char* rec = strstr(stats, "\"reconnects\":");
  assert_non_null(rec);
  assert_true(atoll(rec + strlen("\"reconnects\":")) >= 1);
  xrun_free(stats);
  xrun_machine_free(m);

  // Jobs left in `submitting` (the connection died during the submit
  // command) are settled by recover, from the evidence on the machine.
  std::vector<std::string> ids = all_job_ids(r.ctx);
  int submitting = 0;
  for (const auto& id : ids) submitting += state_of(r.ctx, id) == XRUN_STATE_SUBMITTING;
  setenv("XRUN_RECOVER_SETTLE_MS", "0", 1);
  char* rep = nullptr;
  assert_int_equal(xrun_recover(&rep, r.ctx), XRUN_OK);
  fprintf(stderr, "recover: %s\n", rep);
  assert_non_null(strstr(rep, "\"in_doubt\":0"));
  xrun_free(rep);

  int completed = 0, never_sent = 0, duplicates = 0, lost = 0, wrong = 0;
  for (const auto& id : ids) {
    xrun_job* job = nullptr;
    assert_int_equal(xrun_job_open(&job, r.ctx, id.c_str()), XRUN_OK);
    if (xrun_job_state(job) != XRUN_STATE_CREATED) {
      int rc = xrun_job_wait(job, 30000);
      if (rc != XRUN_OK) fprintf(stderr, "wait %s: %s\n", id.c_str(), xrun_last_error());
      assert_int_equal(rc, XRUN_OK);
    }
    xrun_job_free(job);
  }
  std::string log = sshtest::slurp(r.runlog);
  for (const auto& id : ids) {
    int s = state_of(r.ctx, id);
    int n = runs_of(log, id);
    if (s == XRUN_STATE_CREATED) {
      ++never_sent;
      if (n != 0) {
        fprintf(stderr, "job %s is marked not sent but ran %d times\n", id.c_str(), n);
        ++wrong;
      }
    } else if (s == XRUN_STATE_COMPLETED) {
      ++completed;
      if (n > 1) ++duplicates;
      if (n == 0) ++lost;
    } else {
      fprintf(stderr, "job %s ended %s\n", id.c_str(), xrun_state_name(s));
      ++wrong;
    }
  }
  int lines = 0;
  for (char c : log) lines += c == '\n';
  printf("ssh-faults/kill: %d kills (%d server processes), %d submits ok, %d transport errors, %d timeouts, "
         "polls %d ok %d failed, %d left submitting -> recovered; %zu jobs: %d completed, %d never sent; "
         "runs logged %d; duplicates %d, lost %d, wrong state %d\n",
         kills.load(), killed_processes.load(), ok + 1, transport, timeouts, polls_ok, polls_failed, submitting,
         ids.size(), completed, never_sent, lines, duplicates, lost, wrong);
  assert_true(kills >= 10);
  assert_int_equal(duplicates, 0);
  assert_int_equal(lost, 0);
  assert_int_equal(wrong, 0);
  assert_int_equal(lines, completed);
  assert_int_equal(static_cast<int>(ids.size()), submits + 1);  // every submission recorded
}

// (b) The server goes down and comes back (same keys, same port) while jobs
// run: calls in between fail clearly without touching job states, and the
// jobs complete afterwards with the right states.
static void server_restart_while_jobs_run(void**) {
  sshtest::PrivateSshd sshd(tb, "reliab restart", "");
  RemoteCtx r;
  open_remote(r, sshd, "faults-restart");
  const std::string spec = logging_spec(r, "sleep 3; ");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    xrun_job* job = nullptr;
    if (xrun_job_submit(&job, r.ctx, spec.c_str()) != XRUN_OK) fail_msg("submit: %s", xrun_last_error());
    ids.emplace_back(xrun_job_id(job));
    xrun_job_free(job);
  }
  xrun_job* failing = nullptr;
  {
    std::string exit7 = "{\"command\": \"sleep 2; exit 7\"}";
    if (xrun_job_submit(&failing, r.ctx, exit7.c_str()) != XRUN_OK) fail_msg("submit: %s", xrun_last_error());
  }
  sshd.stop();
  // Down: a poll round fails with a transport error, in bounded time, and
  // changes nothing. (xrun_poll logs a machine's failure and goes on with
  // the other machines; a job's refresh reports it.)
  int64_t t0 = xrun::monotonic_ms();
  xrun_job* probe = nullptr;
  assert_int_equal(xrun_job_open(&probe, r.ctx, ids[0].c_str()), XRUN_OK);
  int rc = xrun_job_refresh(probe);
  int64_t poll_ms = xrun::monotonic_ms() - t0;
  fprintf(stderr, "refresh while down: %s after %lld ms: %s\n", xrun_status_name(rc),
          static_cast<long long>(poll_ms), xrun_last_error());
  assert_int_equal(rc, XRUN_E_TRANSPORT);
  assert_int_equal(xrun_job_state(probe), XRUN_STATE_RUNNING);
  xrun_job_free(probe);
  assert_true(poll_ms < 30000);
  int64_t next = 0;
  assert_int_equal(xrun_poll(r.ctx, &next), XRUN_OK);
  for (const auto& id : ids) assert_int_equal(state_of(r.ctx, id), XRUN_STATE_RUNNING);
  // A submission while down is kept, waiting for the connection, with the
  // reason; the v1 call gives no handle, so its message names the job.
  xrun_job* unsent = nullptr;
  rc = xrun_job_submit(&unsent, r.ctx, spec.c_str());
  assert_int_equal(rc, XRUN_E_TRANSPORT);
  assert_null(unsent);
  std::string waiting_id;
  {
    const std::string message = xrun_last_error();
    size_t at = message.find("job ");
    assert_true(at != std::string::npos);
    waiting_id = message.substr(at + 4, 26);
  }
  assert_int_equal(state_of(r.ctx, waiting_id), XRUN_STATE_WAITING);
  char* waiting = nullptr;
  assert_int_equal(xrun_jobs_list(&waiting, r.ctx, nullptr, XRUN_STATE_WAITING, 0), XRUN_OK);
  assert_non_null(strstr(waiting, "waiting for the connection"));
  xrun_free(waiting);
  sleep_ms(1000);
  sshd.start();
  for (const auto& id : ids) {
    xrun_job* job = nullptr;
    assert_int_equal(xrun_job_open(&job, r.ctx, id.c_str()), XRUN_OK);
    int wrc = xrun_job_wait(job, 30000);
    if (wrc != XRUN_OK) fprintf(stderr, "wait %s: %s\n", id.c_str(), xrun_last_error());
    assert_int_equal(wrc, XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    int code = -1;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 0);
    xrun_job_free(job);
  }
  assert_int_equal(xrun_job_wait(failing, 30000), XRUN_OK);
  assert_int_equal(xrun_job_state(failing), XRUN_STATE_FAILED);
  int code = -1;
  assert_int_equal(xrun_job_exit_code(failing, &code), XRUN_OK);
  assert_int_equal(code, 7);
  xrun_job_free(failing);

  // The job submitted while down is sent by poll rounds once the server is
  // back (after its backoff), and runs once.
  const int64_t resend_start = xrun::monotonic_ms();
  while (state_of(r.ctx, waiting_id) != XRUN_STATE_COMPLETED) {
    assert_true(xrun::monotonic_ms() - resend_start < 60000);
    assert_int_equal(xrun_poll(r.ctx, &next), XRUN_OK);
    sleep_ms(200);
  }
  std::string log = sshtest::slurp(r.runlog);
  int lines = 0;
  for (char c : log) lines += c == '\n';
  for (const auto& id : ids) assert_int_equal(runs_of(log, id), 1);
  assert_int_equal(runs_of(log, waiting_id), 1);
  assert_int_equal(lines, 6);
  printf("ssh-faults/restart: 1 restart, 6 running jobs: 5 completed once, 1 failed with exit 7, "
         "1 submission while down waited and was sent by a poll round (%lld ms after the restart's jobs); "
         "poll while down failed in %lld ms\n",
         static_cast<long long>(xrun::monotonic_ms() - resend_start), static_cast<long long>(poll_ms));
}

// "[s]leep": the pattern must not match the shell that runs pgrep.
static bool process_with_args(const std::string& needle) {
  return sshtest::sh("pgrep -f -- '[" + needle.substr(0, 1) + "]" + needle.substr(1) + "' >/dev/null") == 0;
}

// (c) A command that hangs: the transport gives XRUN_E_TIMEOUT close to the
// machine's command_timeout, kills what it started, and works afterwards.
static void hanging_command_times_out(void**) {
  sshtest::PrivateSshd sshd(tb, "reliab hang", "");
  xrun::Machine m = sshd.machine();
  m.command_timeout_s = 1;
  const std::string marker = "sleep 97." + std::to_string(getpid());
  {
    xrun::SshPool pool(xrun::SshCallbacks{});
    auto t = pool.transport_for(m);
    assert_string_equal(t->run("echo before").out.c_str(), "before\n");
    int64_t t0 = xrun::monotonic_ms();
    int status = XRUN_OK;
    try {
      t->run(marker);
    } catch (const xrun::Error& e) {
      status = e.status();
      fprintf(stderr, "hang: %s\n", e.what());
    }
    int64_t took = xrun::monotonic_ms() - t0;
    printf("ssh-faults/hang: ssh command with command_timeout 1 s -> %s after %lld ms\n", xrun_status_name(status),
           static_cast<long long>(took));
    assert_int_equal(status, XRUN_E_TIMEOUT);
    assert_true(took >= 900 && took < 5000);
    t0 = xrun::monotonic_ms();
    assert_string_equal(t->run("echo after").out.c_str(), "after\n");
    assert_true(xrun::monotonic_ms() - t0 < 5000);
  }
  // Nothing it started is left running on the server once the pool is gone.
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = !process_with_args(marker);
    if (!gone) sleep_ms(100);
  }
  if (!gone) sshtest::sh("pkill -f -- '" + marker + "'");
  assert_true(gone);

  // The same on this host.
  xrun::LocalTransport local(1000);
  const std::string local_marker = "sleep 96." + std::to_string(getpid());
  int64_t t0 = xrun::monotonic_ms();
  int status = XRUN_OK;
  try {
    local.run(local_marker);
  } catch (const xrun::Error& e) {
    status = e.status();
  }
  int64_t took = xrun::monotonic_ms() - t0;
  printf("ssh-faults/hang: local command with timeout 1 s -> %s after %lld ms\n", xrun_status_name(status),
         static_cast<long long>(took));
  assert_int_equal(status, XRUN_E_TIMEOUT);
  assert_true(took >= 900 && took < 5000);
  sleep_ms(200);
  assert_false(process_with_args(local_marker));
  assert_string_equal(local.run("echo after").out.c_str(), "after\n");
}

// (d) An exhausted handshake budget fails at once, clearly, and the check
// report's times stay honest.
static void handshake_budget_fails_fast(void**) {
  sshtest::PrivateSshd sshd(tb, "reliab budget", "");
  RemoteCtx r;
  open_remote(r, sshd, "faults-budget", 1);
  xrun_machine* m = nullptr;
  assert_int_equal(xrun_machine_open(&m, r.ctx, "remote"), XRUN_OK);
  char* report = nullptr;
  assert_int_equal(xrun_machine_check(&report, m), XRUN_OK);
  xrun_free(report);
  sshd.kill_sessions();
  int64_t t0 = xrun::monotonic_ms();
  int rc = xrun_machine_check(&report, m);
  int64_t took = xrun::monotonic_ms() - t0;
  fprintf(stderr, "check over budget: %s after %lld ms: %s\n", xrun_status_name(rc), static_cast<long long>(took),
          report ? report : "");
  assert_int_equal(rc, XRUN_E_TRANSPORT);
  assert_true(took < 5000);
  assert_non_null(report);
  assert_non_null(strstr(report, "max_handshakes_per_minute"));
  // Every step's time is within the call's own duration.
  for (const char* p = report; (p = strstr(p, "\"ms\":")) != nullptr; p += 5)
    assert_true(atoll(p + 5) <= took + 1);
  xrun_free(report);
  xrun_machine_free(m);
}

int main() {
  tb = sshtest::load_testbed();
  const struct CMUnitTest tests[] = {
      SSH_TEST(sessions_killed_during_submit_and_poll),
      SSH_TEST(server_restart_while_jobs_run),
      SSH_TEST(hanging_command_times_out),
      SSH_TEST(handshake_budget_fails_fast),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
