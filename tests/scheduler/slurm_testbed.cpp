#include "slurm_testbed.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "core/state.h"
#include "fixture_util.h"
#include "util/shell_quote.h"

#include "test_common.h"  // last: cmocka's fail() macro clashes with <ios>

namespace xrun_test {

std::string read_file_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

SlurmTestbed SlurmTestbed::require() {
  SlurmTestbed bed;
  const char* d = getenv("TESTBED_DIR");
  bed.dir = d && *d ? d : "/tmp/xrun-testbed";
  bed.slurm_conf = bed.dir + "/slurm/slurm.conf";
  bed.user = "xruntest";
  if (getuid() != 0) fail_msg("the Slurm tests run as root (they submit as %s through runuser)", bed.user.c_str());
  struct passwd* pw = getpwnam(bed.user.c_str());
  if (!pw) fail_msg("user %s missing: run scripts/testbed-slurm.sh up (ctest's slurm_up fixture)", bed.user.c_str());
  auto ping = bed.run("scontrol ping");
  if (ping.exit_status != 0 || ping.out.find("is UP") == std::string::npos)
    fail_msg("the Slurm testbed in %s is not up (scontrol ping: %s%s); run scripts/testbed-slurm.sh up",
             bed.dir.c_str(), ping.out.c_str(), ping.err.c_str());
  bed.base = xrun_test_tempdir("slurm");
  if (chown(bed.base.c_str(), pw->pw_uid, pw->pw_gid) != 0 || chmod(bed.base.c_str(), 0755) != 0)
    fail_msg("cannot give %s to %s", bed.base.c_str(), bed.user.c_str());
  return bed;
}

xrun::CommandResult SlurmTestbed::run(const std::string& command, const std::string& stdin_data) const {
  return shell("runuser -u " + user + " -- env SLURM_CONF=" + xrun::quote_for_shell(slurm_conf) +
               " /bin/sh -c " + xrun::quote_for_shell(command), stdin_data);
}

xrun::ScriptRequest SlurmTestbed::new_job(const std::string& tag, const std::string& command) const {
  static int counter = 0;
  xrun::ScriptRequest r;
  char id[64];
  snprintf(id, sizeof id, "01TEST%02dSLURM%015d", getpid() % 100, ++counter);
  r.job_id = id;
  r.name = tag;
  r.job_dir = base + "/" + tag + " " + std::to_string(counter);
  r.command = command;
  r.stdout_path = r.job_dir + "/stdout";
  r.stderr_path = r.job_dir + "/stderr";
  r.exit_code_path = r.job_dir + "/exit_code";
  auto made = run("mkdir -p " + xrun::quote_for_shell(r.job_dir));
  assert_int_equal(made.exit_status, 0);
  return r;
}

std::string SlurmTestbed::submit(const xrun::Scheduler& s, const xrun::ScriptRequest& r) const {
  std::string script = r.job_dir + "/job.sh";
  auto wrote = run("cat > " + xrun::quote_for_shell(script) + " <<'XRUN_EOF'\n" + s.render_script(r) + "XRUN_EOF\n");
  assert_int_equal(wrote.exit_status, 0);
  auto out = run(s.submit_command(r, script));
  try {
    return s.parse_submit_output(out);
  } catch (const std::exception& e) {
    fail_msg("submit of %s failed: %s", r.name.c_str(), e.what());
  }
  return "";
}

std::map<std::string, Settled> PollRounds::round(const std::vector<xrun::TrackedJob>& jobs,
                                                 const std::map<std::string, std::string>& exit_code_paths) {
  std::map<std::string, Settled> out;
  ++calls.status;
  auto queue = s_.parse_status_output(jobs, bed_.run(s_.status_command(jobs)));
  std::vector<xrun::TrackedJob> left;
  for (const auto& job : jobs) {
    auto it = queue.find(job.job_id);
    if (it != queue.end()) out[job.job_id] = {it->second, "squeue"};
    else left.push_back(job);
  }
  if (left.empty()) return out;
  ++calls.accounting;
  auto acct = s_.parse_accounting_output(left, bed_.run(s_.accounting_command(left)));
  for (const auto& job : left) {
    auto it = acct.find(job.job_id);
    if (it != acct.end() && xrun::is_terminal(it->second.state)) {
      out[job.job_id] = {it->second, "sacct"};
      continue;
    }
    ++calls.exit_files;
    std::string code = read_file_text(exit_code_paths.at(job.job_id));
    Settled s;
    if (!code.empty()) {
      s.status.exit_code = atoi(code.c_str());
      s.status.state = *s.status.exit_code == 0 ? XRUN_STATE_COMPLETED : XRUN_STATE_FAILED;
      s.evidence = "exit_code";
    } else {
      s.status.state = XRUN_STATE_LOST;
      s.status.reason = "no scheduler record and no exit-code file";
      s.evidence = "none";
    }
    out[job.job_id] = s;
  }
  return out;
}

std::map<std::string, Settled> PollRounds::settle(const std::vector<xrun::TrackedJob>& jobs,
                                                  const std::map<std::string, std::string>& exit_code_paths,
                                                  int timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::map<std::string, Settled> done;
  for (;;) {
    std::vector<xrun::TrackedJob> open;
    for (const auto& job : jobs)
      if (!done.count(job.job_id)) open.push_back(job);
    if (open.empty()) return done;
    for (auto& [id, settled] : round(open, exit_code_paths))
      if (xrun::is_terminal(settled.status.state)) done[id] = settled;
    if (done.size() == jobs.size()) return done;
    if (std::chrono::steady_clock::now() > end) fail_msg("%zu jobs not settled after %d s", open.size(), timeout_s);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

Settled PollRounds::wait_for(const xrun::TrackedJob& job, xrun_state state, int timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::map<std::string, std::string> paths = {{job.job_id, job.job_dir + "/exit_code"}};
  for (;;) {
    auto r = round({job}, paths);
    const Settled& s = r[job.job_id];
    if (s.status.state == state) return s;
    if (xrun::is_terminal(s.status.state))
      fail_msg("job %s ended %s (%s) while waiting for %s", job.scheduler_id.c_str(), state_text(s.status.state).c_str(),
               s.status.reason.c_str(), state_text(state).c_str());
    if (std::chrono::steady_clock::now() > end)
      fail_msg("job %s still %s after %d s, want %s", job.scheduler_id.c_str(), state_text(s.status.state).c_str(),
               timeout_s, state_text(state).c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace xrun_test
