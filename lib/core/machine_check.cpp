#include "core/machine_check.h"

#include "util/clock.h"
#include "util/error.h"
#include "util/shell_quote.h"

namespace xrun {

namespace {

// ONE command that names the scheduler commands missing on the machine.
std::string missing_commands_probe(const Scheduler& sched) {
  std::string command = "__xrun_m=''; for c in";
  for (const auto& name : sched.required_commands()) command += " " + quote_for_shell(name);
  command += "; do command -v \"$c\" >/dev/null 2>&1 || __xrun_m=\"$__xrun_m $c\"; done; "
             "[ -z \"$__xrun_m\" ] || { echo \"missing:$__xrun_m\"; exit 1; }";
  return command;
}

}  // namespace

MachineCheck check_machine(MachineAccess& machines, const std::string& name) {
  const Machine& m = machines.machine(name);
  MachineCheck report;
  report.machine = m.name;
  auto timed = [&](const char* step_name, auto&& body) {
    CheckStep step;
    step.step = step_name;
    int64_t t0 = monotonic_ms();
    try {
      step.detail = body();
      step.ok = true;
    } catch (const Error& e) {
      step.detail = e.what();
      step.status = e.status();
    }
    step.ms = monotonic_ms() - t0;
    report.steps.push_back(step);
    return step.ok;
  };
  std::shared_ptr<Transport> transport;
  bool ok = timed("configuration", [&] {
    transport = machines.transport(m);
    std::string how = std::string("execution ") + (m.execution == Execution::Local ? "local" : "remote") +
                      ", scheduler " + m.scheduler;
    if (m.execution == Execution::Remote)
      how += m.transport == "openssh"
                 ? ", transport openssh (the machine's \"transport\": your ssh and its ControlMaster)"
                 : ", transport libssh (the default; \"transport\": \"openssh\" uses your ssh, its config and "
                   "one ControlMaster connection shared by every process)";
    return how;
  });
  if (ok) {
    for (auto& step : transport->check()) {
      report.steps.push_back(step);
      ok = ok && step.ok;
    }
  }
  if (ok) {
    ok = timed("workdir_writable", [&] {
      std::string dir = machines.workdir(m);
      transport->make_dirs(dir, 0755);
      std::string probe = dir + "/.xrun-check-" + std::to_string(wall_ms());
      transport->write_file(probe, "ok\n", 0600);
      transport->remove(probe, false);
      return dir;
    });
  }
  if (ok) {
    timed("scheduler_commands", [&] {
      const Scheduler& sched = machines.scheduler(m);
      CommandResult r = transport->run(missing_commands_probe(sched));
      if (r.exit_status != 0) throw Error(XRUN_E_SCHEDULER, std::string(r.out.empty() ? r.err : r.out));
      std::string found;
      for (const auto& command : sched.required_commands()) found += (found.empty() ? "" : " ") + command;
      return found;
    });
  }
  for (const auto& step : report.steps) {
    if (!step.ok && report.ok) {
      report.ok = false;
      report.first_failure = step.status ? step.status : XRUN_E_TRANSPORT;
      report.first_message = "machine " + m.name + ": step " + step.step + " failed: " + step.detail;
    }
  }
  return report;
}

}  // namespace xrun
