// Secrets are never stored or logged: a password login through the C API's
// prompt callback (and a wrong password), with every log line at DEBUG
// captured; afterwards neither password may appear in any log line, error
// message, job record, event, or any byte of any file under the home (the
// SQLite store with its WAL, job directories) or the remote workdir.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <mutex>

#include "../ssh/ssh_testbed.h"
#include "xrun.h"

static sshtest::Testbed tb;

struct Captured {
  std::mutex mutex;
  std::string log;
  std::string answer;
  int prompts = 0;
};

static void log_cb(int level, const char* message, void* payload) {
  auto* c = static_cast<Captured*>(payload);
  std::lock_guard<std::mutex> lock(c->mutex);
  c->log += std::to_string(level) + " " + message + "\n";
}

static int prompt_cb(const char* kind, const char*, const char*, int, char* answer, size_t size, void* payload) {
  auto* c = static_cast<Captured*>(payload);
  std::lock_guard<std::mutex> lock(c->mutex);
  ++c->prompts;
  if (strcmp(kind, "password") != 0 || c->answer.size() + 1 > size) return 1;
  memcpy(answer, c->answer.c_str(), c->answer.size() + 1);
  return 0;
}

// Every byte of every regular file under `dir`, concatenated.
static std::string all_bytes_under(const std::string& dir) {
  std::string out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) out += all_bytes_under(path);
    else if (S_ISREG(st.st_mode)) out += sshtest::slurp(path);
  }
  closedir(d);
  return out;
}

static void passwords_are_neither_stored_nor_logged(void**) {
  sshtest::PrivateSshd sshd(tb, "reliab secrets",
                            "PasswordAuthentication yes\nKbdInteractiveAuthentication no\nPubkeyAuthentication no\n");
  const std::string wrong = "xrun-wrong-secret-" + std::to_string(getpid());
  std::string home = xrun_test_tempdir("secrets");
  std::string workdir = xrun_test_tempdir("secrets-wd");
  chmod(workdir.c_str(), 0777);
  sshtest::spit(home + "/machines.json",
                "{\"default\": \"remote\", \"machines\": {\"remote\": {\"execution\": \"remote\", \"scheduler\": "
                "\"direct\", \"host\": \"127.0.0.1\", \"port\": " + std::to_string(sshd.port) +
                    ", \"username\": \"" + tb.user + "\", \"auth\": {\"method\": \"password\"}, \"known_hosts\": \"" +
                    sshd.known_hosts + "\", \"ssh_config\": \"none\", \"workdir\": \"" + workdir +
                    "\", \"min_poll_interval\": 0}}}");
  Captured c;
  xrun_options opts = XRUN_OPTIONS_INIT;
  opts.home = home.c_str();
  opts.log = log_cb;
  opts.log_level = XRUN_LOG_DEBUG;
  opts.log_payload = &c;
  opts.prompt = prompt_cb;
  opts.prompt_payload = &c;
  std::string errors;

  // A wrong password first: refused, and the attempt leaves no trace of it.
  c.answer = wrong;
  xrun_ctx* ctx = nullptr;
  assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_OK);
  xrun_job* job = nullptr;
  int rc = xrun_job_submit(&job, ctx, "{\"command\": \"echo refused\"}");
  errors += std::string(xrun_last_error()) + "\n";
  fprintf(stderr, "wrong password: %s: %s\n", xrun_status_name(rc), xrun_last_error());
  assert_int_equal(rc, XRUN_E_AUTH);
  xrun_ctx_close(ctx);

  // The right one: jobs run; the password is asked for once.
  c.answer = tb.password;
  c.prompts = 0;
  assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_OK);
  for (int i = 0; i < 3; ++i) {
    rc = xrun_job_submit(&job, ctx, "{\"command\": \"echo ran; env | grep -c XRUN_JOB_ID\"}");
    if (rc != XRUN_OK) fail_msg("submit: %s", xrun_last_error());
    assert_int_equal(xrun_job_wait(job, 30000), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char* info = nullptr;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    errors += info;
    xrun_free(info);
    xrun_job_free(job);
  }
  assert_int_equal(c.prompts, 1);
  char* list = nullptr;
  assert_int_equal(xrun_jobs_list(&list, ctx, nullptr, -1, 0), XRUN_OK);
  errors += list;
  xrun_free(list);
  xrun_events* events = nullptr;
  assert_int_equal(xrun_events_since(&events, ctx, 0, 0), XRUN_OK);
  char* ev = nullptr;
  assert_int_equal(xrun_events_json(&ev, events), XRUN_OK);
  errors += ev;
  xrun_free(ev);
  xrun_events_free(events);
  xrun_machine* m = nullptr;
  assert_int_equal(xrun_machine_open(&m, ctx, "remote"), XRUN_OK);
  char* cfg = nullptr;
  assert_int_equal(xrun_machine_json(&cfg, m), XRUN_OK);
  errors += cfg;
  xrun_free(cfg);
  xrun_machine_free(m);
  xrun_ctx_close(ctx);

  std::string files = all_bytes_under(home) + all_bytes_under(workdir);
  std::string log;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    log = c.log;
  }
  size_t log_lines = static_cast<size_t>(std::count(log.begin(), log.end(), '\n'));
  printf("secrets: %zu log lines (DEBUG), %zu bytes of store and job files, records/events/config checked; "
         "password found: log %d, files %d, records %d; wrong password found: log %d, files %d, errors %d\n",
         log_lines, files.size(), log.find(tb.password) != std::string::npos,
         files.find(tb.password) != std::string::npos, errors.find(tb.password) != std::string::npos,
         log.find(wrong) != std::string::npos, files.find(wrong) != std::string::npos,
         errors.find(wrong) != std::string::npos);
  assert_true(log_lines > 5);       // the log was really captured
  assert_true(files.size() > 4096);  // the store was really read
  assert_true(log.find(tb.password) == std::string::npos);
  assert_true(files.find(tb.password) == std::string::npos);
  assert_true(errors.find(tb.password) == std::string::npos);
  assert_true(log.find(wrong) == std::string::npos);
  assert_true(files.find(wrong) == std::string::npos);
  assert_true(errors.find(wrong) == std::string::npos);
}

int main() {
  tb = sshtest::load_testbed();
  // Another testbed may have reset the test user's password: set it again.
  if (sshtest::sh("usermod -p \"$(openssl passwd -6 '" + tb.password + "')\" " + tb.user) != 0)
    sshtest::die("cannot set the password of " + tb.user);
  const struct CMUnitTest tests[] = {
      SSH_TEST(passwords_are_neither_stored_nor_logged),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
