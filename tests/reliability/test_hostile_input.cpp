// Hostile input, table-driven: quotes, $(), backticks, ';', newlines, a
// NUL, 100 KB, non-UTF-8 ... as job names, directories, arguments, env
// values and file names, through every scheduler's script rendering
// (`bash -n` on the script and on the submit command; the script run for
// real with bash, locally and over SSH) and through both transports (run,
// stdin, write_file/read_file/list_dir/upload/download). Each value must
// arrive unchanged or be refused with a clear xrun::Error; nothing may run
// that was not asked for (canary files /tmp/xrun-pwned-reliab-* must not
// appear).
#include <sys/stat.h>

#include <functional>
#include <set>
#include <thread>

#include "../ssh/ssh_testbed.h"
#include "scheduler/scheduler.h"
#include "transport/local.h"
#include "transport/ssh/ssh_pool.h"
#include "util/shell_quote.h"
#include "xrun.h"

using xrun::Error;

static sshtest::Testbed tb;

struct Hostile {
  const char* label;
  std::string value;
};

static const char* kCanary = "/tmp/xrun-pwned-reliab-";

static std::vector<Hostile> hostile_values() {
  std::string canary = kCanary;
  return {
      {"single quote", "it's 'quoted'"},
      {"double quote", "say \"hi\" \"\""},
      {"command substitution", "$(touch " + canary + "1)"},
      {"backticks", "`touch " + canary + "2`"},
      {"semicolon", "a; touch " + canary + "3; b"},
      {"newline", "line1\nline2; touch " + canary + "4\n"},
      {"and/or/pipe", "x && touch " + canary + "5 || y | z &"},
      {"redirections", "> " + canary + "6 < /etc/passwd 2>&1"},
      {"variables and globs", "$HOME ${PATH} $1 $@ * ? [a] ~ \\ !! %s %n"},
      {"leading dash", "-n"},
      {"CR, tab, escape", "a\r\tb\x1b[2J"},
      {"non-UTF-8", "\xff\xfe\xc3(\x80"},
      {"UTF-8", "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93"},
      {"heredoc marker", "EOF\n'EOF'\n__XRUN_EOF__"},
      {"empty", ""},
      {"100 KB", std::string(100 * 1024, 'x') + "'$(touch " + canary + "7)`touch " + canary + "8`"},
  };
}

static const std::string kNul("a\0b", 3);

static void remove_canaries() { sshtest::sh(std::string("rm -f ") + kCanary + "*"); }

static int count_canaries() {
  return sshtest::sh(std::string("ls ") + kCanary + "* >/dev/null 2>&1") == 0 ? 1 : 0;
}

// A directory both root and the testbed user may write.
static std::string shared_dir(const char* tag) {
  std::string d = xrun_test_tempdir(tag);
  chmod(d.c_str(), 0777);
  return d;
}

// A file name made from a value: no '/', at most NAME_MAX bytes; "" -> "_".
static std::string as_file_name(const std::string& v) {
  std::string s;
  for (char c : v) s += c == '/' ? '_' : c;
  if (s.size() > 200) s = s.substr(0, 200);
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

static std::string printable(const std::string& v) {
  std::string s;
  for (unsigned char c : v.substr(0, 60)) {
    if (c >= 32 && c < 127) s += static_cast<char>(c);
    else {
      char b[8];
      snprintf(b, sizeof b, "\\x%02x", c);
      s += b;
    }
  }
  return v.size() > 60 ? s + "..." : s;
}

static int failures = 0;
static void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    fprintf(stderr, "FAILED: %s\n", what.c_str());
  }
}

// A refusal must be an xrun::Error with a status and a message.
template <class F>
static void expect_refused(F&& f, const std::string& what, int status = -1) {
  try {
    f();
    expect(false, what + ": accepted, should be refused");
  } catch (const Error& e) {
    expect(e.status() != XRUN_OK && *e.what(), what + ": refusal without status or message");
    if (status >= 0) expect(e.status() == status, what + ": refused with " + xrun_status_name(e.status()));
  }
}

// Commands and files through one transport.
static void transport_carries_values(xrun::Transport& t, const std::string& dir, const char* which) {
  for (const auto& h : hostile_values()) {
    std::string where = std::string(which) + " / " + h.label;
    try {
      xrun::CommandResult r = t.run("printf '%s' " + xrun::quote_for_shell(h.value));
      expect(r.exit_status == 0 && r.out == h.value, where + ": argument came back as " + printable(r.out));
      r = t.run("cat", h.value);
      expect(r.out == h.value, where + ": stdin came back as " + printable(r.out));
      r = t.run("X=" + xrun::quote_for_shell(h.value) + "; printf '%s' \"$X\"");
      expect(r.out == h.value, where + ": variable came back as " + printable(r.out));
    } catch (const Error& e) {
      expect(false, where + ": run threw " + e.what());
    }
    std::string name = as_file_name(h.value);
    try {
      t.write_file(dir + "/" + name, h.value, 0600);
      expect(t.read_file(dir + "/" + name, 0) == h.value, where + ": file content changed");
      auto names = t.list_dir(dir);
      expect(std::find(names.begin(), names.end(), name) != names.end(),
             where + ": file name not listed as " + printable(name));
      expect(t.stat(dir + "/" + name).exists, where + ": stat does not see the file");
      t.remove(dir + "/" + name, false);
      expect(!t.stat(dir + "/" + name).exists, where + ": file not removed");
    } catch (const Error& e) {
      expect(false, where + ": file operations threw " + e.what());
    }
  }
  // Names no file system can carry: refused, and nothing else is written.
  size_t before = t.list_dir(dir).size();
  expect_refused([&] { t.write_file(dir + "/" + std::string(300, 'n'), "x"); }, std::string(which) + " / name over NAME_MAX");
  expect_refused([&] { t.write_file(dir + "/" + kNul, "x"); }, std::string(which) + " / NUL in a file name");
  expect_refused([&] { t.read_file(dir + "/" + kNul, 0); }, std::string(which) + " / NUL in a read path");
  expect_refused([&] { t.make_dirs(dir + "/" + kNul + "/d"); }, std::string(which) + " / NUL in a directory");
  expect_refused([&] { t.run("printf '%s' " + xrun::quote_for_shell(kNul)); }, std::string(which) + " / NUL argument",
                 XRUN_E_INVALID);
  // A command text with a NUL (not through quote_for_shell) must not be cut.
  expect_refused([&] { t.run("true " + kNul + "; touch " + kCanary + "nul"); }, std::string(which) + " / NUL in a command");
  auto after = t.list_dir(dir);
  expect(after.size() == before, std::string(which) + ": a refused name left a file behind");
  for (const auto& n : after) expect(n != "a", std::string(which) + ": a NUL name was cut to \"a\"");
  expect(!t.stat(dir + "/a").exists, std::string(which) + ": a NUL name was cut to \"a\"");
}

static void transports_carry_hostile_values(void**) {
  remove_canaries();
  std::string dir = shared_dir("hostile-local");
  xrun::LocalTransport local;
  transport_carries_values(local, dir, "local");

  xrun::SshPool pool(xrun::SshCallbacks{});
  auto ssh = pool.transport_for(sshtest::testbed_machine(tb));
  std::string rdir = shared_dir("hostile-ssh");
  transport_carries_values(*ssh, rdir, "ssh");

  // Upload and download with hostile names on both sides.
  std::string up = shared_dir("hostile-up");
  for (const auto& h : hostile_values()) {
    std::string name = as_file_name(h.value);
    std::string where = std::string("upload/download / ") + h.label;
    try {
      sshtest::spit(up + "/" + name, h.value);
      ssh->upload(up + "/" + name, rdir + "/up-" + name.substr(0, 190));
      expect(ssh->read_file(rdir + "/up-" + name.substr(0, 190), 0) == h.value, where + ": upload changed it");
      ssh->download(rdir + "/up-" + name.substr(0, 190), up + "/down-" + name.substr(0, 190));
      expect(sshtest::slurp(up + "/down-" + name.substr(0, 190)) == h.value, where + ": download changed it");
    } catch (const Error& e) {
      expect(false, where + ": threw " + e.what());
    }
  }
  expect(count_canaries() == 0, "a canary file exists: something ran that was not asked for");
  sshtest::sh("rm -rf '" + dir + "' '" + rdir + "' '" + up + "'");
  printf("hostile/transports: %zu values x (run, stdin, variable, write/read/list/stat/remove) x {local, ssh} "
         "+ upload/download; 5 refusals each; %d failures\n",
         hostile_values().size(), failures);
  assert_int_equal(failures, 0);
}

static const char* kJobId = "01HZZZZZZZZZZZZZZZZZZZZZZZ";

static xrun::ScriptRequest request_for(const std::string& value, const std::string& job_dir) {
  xrun::ScriptRequest req;
  req.job_id = kJobId;
  req.name = value;
  req.job_dir = job_dir;
  req.run_dir = job_dir;
  req.command = "printf '%s' " + xrun::quote_for_shell(value) + " > arg.out; printf '%s' \"$HOSTILE\" > env.out";
  req.env["HOSTILE"] = value;
  req.stdout_path = job_dir + "/stdout";
  req.stderr_path = job_dir + "/stderr";
  req.exit_code_path = job_dir + "/exit_code";
  return req;
}

// Refusals of a name or a submit command, counted for the figures.
static int directive_lines(const std::string& script) {
  int n = 0;
  for (const auto& prefix : {"\n#SBATCH", "\n#PBS", "\n#$", "\n#BSUB"})
    for (size_t p = 0; (p = script.find(prefix, p)) != std::string::npos; ++p) ++n;
  return n;
}

static bool bash_syntax_ok(const std::string& path) { return sshtest::sh("bash -n '" + path + "' 2>/dev/null") == 0; }

static bool wait_for(const std::function<bool()>& done, int ms) {
  for (int i = 0; i < ms / 50; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Runs a rendered script through a transport as the direct scheduler
// submits it, and checks that the job saw the value unchanged.
static void run_for_real(xrun::Transport& t, const xrun::Scheduler& sched, const xrun::ScriptRequest& req,
                         const std::string& value, const std::string& where, bool use_submit_command) {
  try {
    t.make_dirs(req.job_dir, 0755);
    std::string script = req.job_dir + "/job.sh";
    t.write_file(script, sched.render_script(req), 0700);
    std::string command = use_submit_command ? sched.submit_command(req, script)
                                             : "bash " + xrun::quote_for_shell(script) + " >" +
                                                   xrun::quote_for_shell(req.stdout_path) + " 2>" +
                                                   xrun::quote_for_shell(req.stderr_path);
    xrun::CommandResult r = t.run(command);
    expect(r.exit_status == 0, where + ": submit exit " + std::to_string(r.exit_status) + ": " + r.err);
    bool done = wait_for([&] { return t.stat(req.exit_code_path).exists; }, 10000);
    expect(done, where + ": no exit_code after 10 s");
    if (!done) return;
    expect(t.read_file(req.exit_code_path, 0) == "0\n", where + ": exit code " + t.read_file(req.exit_code_path, 0) +
                                                         ", stderr: " + t.read_file(req.stderr_path, 4096));
    expect(t.read_file(req.job_dir + "/arg.out", 0) == value, where + ": argument changed");
    expect(t.read_file(req.job_dir + "/env.out", 0) == value, where + ": env value changed");
  } catch (const Error& e) {
    expect(false, where + ": threw " + e.what());
  }
}

static void schedulers_render_hostile_values(void**) {
  remove_canaries();
  std::string base = shared_dir("hostile-sched");
  xrun::LocalTransport local;
  xrun::SshPool pool(xrun::SshCallbacks{});
  auto ssh = pool.transport_for(sshtest::testbed_machine(tb));
  int rendered = 0, refused = 0, ran = 0, case_no = 0;
  std::vector<std::string> missing;
  for (const char* name : {"direct", "slurm", "pbs", "sge", "lsf"}) {
    std::unique_ptr<xrun::Scheduler> sched;
    try {
      sched = xrun::make_scheduler(name);
    } catch (const Error&) {
      missing.push_back(name);
      continue;
    }
    std::string plain_dir = base + "/" + name + "-plain/" + kJobId;
    const int baseline = directive_lines(sched->render_script(request_for("plain", plain_dir)));
    for (const auto& h : hostile_values()) {
      ++case_no;
      std::string where = std::string(name) + " / " + h.label;
      // The value as name, env value, argument, and in the job directory
      // (a machine's workdir is free text too).
      std::string job_dir = base + "/" + std::to_string(case_no) + " " + as_file_name(h.value).substr(0, 80) + "/" + kJobId;
      xrun::ScriptRequest req = request_for(h.value, job_dir);
      std::string script;
      try {
        script = sched->render_script(req);
      } catch (const Error& e) {
        // Refusing is fine (a directive cannot carry a newline) if clear.
        expect(e.status() == XRUN_E_INVALID && *e.what(), where + ": unclear refusal: " + e.what());
        ++refused;
        // The same value must still be carried where the scheduler has no
        // directive for it: as env value and argument.
        req.name = "plain";
        try {
          script = sched->render_script(req);
        } catch (const Error& e2) {
          expect(false, where + ": refused even without the name: " + e2.what());
          continue;
        }
      }
      ++rendered;
      expect(directive_lines(script) == baseline, where + ": the value added or removed scheduler directives");
      std::string path = base + "/script-" + std::to_string(case_no) + ".sh";
      sshtest::spit(path, script, 0700);
      expect(bash_syntax_ok(path), where + ": bash -n rejects the script " + path);
      try {
        sshtest::spit(path + ".submit", sched->submit_command(req, job_dir + "/job.sh"));
        expect(bash_syntax_ok(path + ".submit"), where + ": bash -n rejects the submit command " + path + ".submit");
      } catch (const Error& e) {
        // e.g. sbatch strips backslashes from --output paths: refused.
        expect(e.status() == XRUN_E_INVALID && *e.what(), where + ": unclear refusal of the submit command: " + e.what());
        ++refused;
      }
      // Every script is bash: run it, as the scheduler would, on this host.
      run_for_real(local, *sched, req, h.value, where + " (bash, local)", false);
      ++ran;
      if (std::string(name) == "direct") {
        // The direct scheduler's own submit command, locally and over SSH.
        xrun::ScriptRequest lreq = request_for(h.value, job_dir + "-submit");
        run_for_real(local, *sched, lreq, h.value, where + " (submitted, local)", true);
        // Under the shared base: the testbed user creates its own dirs.
        xrun::ScriptRequest sreq = request_for(
            h.value, base + "/" + std::to_string(case_no) + "-ssh " + as_file_name(h.value).substr(0, 80) + "/" + kJobId);
        run_for_real(*ssh, *sched, sreq, h.value, where + " (submitted, ssh)", true);
        ran += 2;
      }
    }
    // A NUL cannot reach a script: refused with XRUN_E_INVALID wherever it is.
    for (int field = 0; field < 3; ++field) {
      xrun::ScriptRequest req = request_for("plain", plain_dir);
      if (field == 0) req.env["HOSTILE"] = kNul;
      if (field == 1) req.run_dir = plain_dir + kNul;
      if (field == 2) req.name = kNul;
      std::string script;
      try {
        script = sched->render_script(req);
      } catch (const Error& e) {
        expect(e.status() == XRUN_E_INVALID, std::string(name) + " / NUL: refused with " + xrun_status_name(e.status()));
        continue;
      }
      // Accepted only if the NUL (and what follows) did not reach the text
      // in a way that changes it: the name may be dropped, never cut.
      expect(script.find('\0') == std::string::npos && script.find("#SBATCH --job-name=a\n") == std::string::npos,
             std::string(name) + " / NUL in field " + std::to_string(field) + " reached the script");
      expect(field == 2, std::string(name) + " / NUL in field " + std::to_string(field) + " was accepted");
    }
  }
  expect(count_canaries() == 0, "a canary file exists: something ran that was not asked for");
  if (failures == 0) sshtest::sh("rm -rf '" + base + "'");  // kept for inspection on failure
  printf("hostile/schedulers: %d renderings (%d clear refusals of a name or submit command), %d real runs, bash -n on every script and "
         "submit command; %d failures%s\n",
         rendered, refused, ran, failures, missing.empty() ? "" : "; not in this build:");
  for (const auto& m : missing) printf(" %s", m.c_str());
  if (!missing.empty()) printf("\n");
  // direct and slurm are always built; the others join when merged.
  assert_true(std::find(missing.begin(), missing.end(), "direct") == missing.end());
  assert_true(std::find(missing.begin(), missing.end(), "slurm") == missing.end());
  assert_int_equal(failures, 0);
}

// Through the C API: a job spec with hostile name, env, argv and workdir
// on the local machine; a NUL anywhere is refused before anything is
// recorded.
static void job_specs_with_hostile_values(void**) {
  remove_canaries();
  std::string home = xrun_test_tempdir("hostile-capi");
  xrun_options opts = XRUN_OPTIONS_INIT;
  opts.home = home.c_str();
  xrun_ctx* ctx = nullptr;
  assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_OK);
  std::string canary = kCanary;
  std::string workdir = home + "/wd $(touch " + canary + "9) `x` 'q'";
  xrun::LocalTransport().make_dirs(workdir);  // nested: the canary path has slashes
  const char* spec =
      "{\"name\": \"n'\\\"$(touch /tmp/xrun-pwned-reliab-10)`x`;\\nz\","
      " \"workdir\": \"%s\","
      " \"env\": {\"H\": \"v'\\\"$(touch /tmp/xrun-pwned-reliab-11)\\n`x`;\"},"
      " \"argv\": [\"sh\", \"-c\", \"printf '%%s|%%s|%%s' \\\"$H\\\" \\\"$1\\\" \\\"$(pwd)\\\"\", \"_\","
      " \"a'b\\\"c $(touch /tmp/xrun-pwned-reliab-12) `id` ; \\u00e9\\n\"]}";
  char text[4096];
  std::string escaped_workdir;
  for (char c : workdir) {
    if (c == '"' || c == '\\') escaped_workdir += '\\';
    escaped_workdir += c;
  }
  snprintf(text, sizeof text, spec, escaped_workdir.c_str());
  xrun_job* job = nullptr;
  int rc = xrun_job_submit(&job, ctx, text);
  if (rc != XRUN_OK) fprintf(stderr, "submit: %s\n", xrun_last_error());
  assert_int_equal(rc, XRUN_OK);
  assert_int_equal(xrun_job_wait(job, 30000), XRUN_OK);
  if (xrun_job_state(job) != XRUN_STATE_COMPLETED) {
    char* err = nullptr;
    xrun_job_read_file(&err, nullptr, job, "stderr", 0);
    fprintf(stderr, "job %s: %s; stderr: %s\n", xrun_state_name(xrun_job_state(job)), xrun_job_reason(job),
            err ? err : "");
    xrun_free(err);
  }
  assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
  char* out = nullptr;
  assert_int_equal(xrun_job_read_file(&out, nullptr, job, "stdout", 0), XRUN_OK);
  std::string expected = "v'\"$(touch /tmp/xrun-pwned-reliab-11)\n`x`;|a'b\"c $(touch /tmp/xrun-pwned-reliab-12) `id` ; "
                         "\xc3\xa9\n|" + workdir;
  expect(out == expected, "C API job saw " + printable(out));
  xrun_free(out);
  char* info = nullptr;
  assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
  expect(strstr(info, "\"name\":\"n'\\\"$(touch /tmp/xrun-pwned-reliab-10)`x`;\\nz\"") != nullptr,
         std::string("the name is stored changed: ") + info);
  xrun_free(info);
  xrun_job_free(job);

  // NUL: refused, nothing recorded.
  const char* nul_specs[] = {
      "{\"argv\": [\"echo\", \"a\\u0000b\"]}",
      "{\"command\": \"echo a\\u0000; touch /tmp/xrun-pwned-reliab-13\"}",
      "{\"name\": \"a\\u0000b\", \"command\": \"true\"}",
      "{\"env\": {\"K\": \"a\\u0000b\"}, \"command\": \"true\"}",
      "{\"workdir\": \"/tmp\\u0000/x\", \"command\": \"true\"}",
  };
  for (const char* s : nul_specs) {
    job = nullptr;
    rc = xrun_job_submit(&job, ctx, s);
    expect(rc == XRUN_E_INVALID, std::string("NUL spec accepted or wrong status: ") + s + " -> " + xrun_status_name(rc));
    expect(strstr(xrun_last_error(), "NUL") != nullptr, std::string("NUL refusal does not say why: ") + xrun_last_error());
    xrun_job_free(job);
  }
  char* list = nullptr;
  assert_int_equal(xrun_jobs_list(&list, ctx, nullptr, -1, 0), XRUN_OK);
  int jobs = 0;
  for (const char* p = list; (p = strstr(p, "{\"id\":\"")) != nullptr; p += 7) ++jobs;
  expect(jobs == 1, "a refused spec was recorded: " + std::to_string(jobs) + " jobs");
  xrun_free(list);
  xrun_ctx_close(ctx);
  expect(count_canaries() == 0, "a canary file exists: something ran that was not asked for");
  printf("hostile/capi: 1 job with hostile name/env/argv/workdir ran unchanged, %zu NUL specs refused; %d failures\n",
         sizeof nul_specs / sizeof *nul_specs, failures);
  assert_int_equal(failures, 0);
}

int main() {
  tb = sshtest::load_testbed();
  const struct CMUnitTest tests[] = {
      SSH_TEST(transports_carry_hostile_values),
      SSH_TEST(schedulers_render_hostile_values),
      SSH_TEST(job_specs_with_hostile_values),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
