// The status encoding, the state table, and the drmaa_w* decoders.
#include "job_status.h"

#include <csignal>
#include <initializer_list>
#include <string>

#include "api.h"
#include "common.h"

namespace xdrmaa {

int stat_of(const JobFacts& f) {
  if (f.exit_code) {
    int code = *f.exit_code;
    if (code > 128 && code <= 128 + 64) return kStatSignaled | ((code - 128) << 8);
    return kStatExited | (code & 0xff);
  }
  if (f.started_s) return kStatSignaled | (SIGKILL << 8);
  return kStatAborted;
}

namespace {

bool one_of(const std::string& word, std::initializer_list<const char*> words) {
  for (const char* w : words)
    if (word == w) return true;
  return false;
}

// xrun's `held` covers every job the scheduler keeps from running; the
// reason (the scheduler's own word, as xrun's status parsers record it)
// says whose hold it is, or that the job was suspended while running.
int held_status(const std::string& reason) {
  if (one_of(reason, {"Suspended", "Stopped"})) return DRMAA_PS_SYSTEM_SUSPENDED;  // not by xrun: it has no suspend
  if (reason.rfind("JobHeldAdmin", 0) == 0 ||
      one_of(reason, {"RequeueHold", "ReservationDeleted", "SpecialExit", "Error"}))
    return DRMAA_PS_SYSTEM_ON_HOLD;  // an administrator's or the scheduler's hold
  return DRMAA_PS_USER_ON_HOLD;  // JobHeldUser, "held by user" (xrun_job_hold), "Held", ...
}

}  // namespace

int program_status_of(int state, const char* reason) {
  switch (state) {
    case XRUN_STATE_CREATED:  // recorded, sent by xrun when it can (room, connection)
    case XRUN_STATE_SUBMITTED:
    case XRUN_STATE_QUEUED: return DRMAA_PS_QUEUED_ACTIVE;
    case XRUN_STATE_SUBMITTING: return DRMAA_PS_UNDETERMINED;  // outcome unknown until recovered
    case XRUN_STATE_HELD: return held_status(reason ? reason : "");
    case XRUN_STATE_RUNNING: return DRMAA_PS_RUNNING;
    case XRUN_STATE_COMPLETED: return DRMAA_PS_DONE;
    default: break;
  }
  if (xrun_state_is_terminal(state)) return DRMAA_PS_FAILED;  // failed, cancelled, timeout, ..., lost
  if (state == 14) return DRMAA_PS_QUEUED_ACTIVE;  // "waiting": xrun sends it when its condition is met
  return DRMAA_PS_UNDETERMINED;
}

namespace {

const char* signal_name(int sig) {
  switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGCHLD: return "SIGCHLD";
    case SIGCONT: return "SIGCONT";
    case SIGSTOP: return "SIGSTOP";
    case SIGTSTP: return "SIGTSTP";
    case SIGTTIN: return "SIGTTIN";
    case SIGTTOU: return "SIGTTOU";
    case SIGURG: return "SIGURG";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGVTALRM: return "SIGVTALRM";
    case SIGPROF: return "SIGPROF";
    case SIGSYS: return "SIGSYS";
    default: return nullptr;
  }
}

int flag(int* out, bool value, const char* what, char* diag, size_t diag_len) {
  return guarded(diag, diag_len, [&] {
    if (!out) fail(DRMAA_ERRNO_INVALID_ARGUMENT, std::string(what) + " is NULL");
    *out = value ? 1 : 0;
  });
}

}  // namespace

}  // namespace xdrmaa

using namespace xdrmaa;

// The decoders are pure functions of `stat`: they work with or without a
// session.
extern "C" {

int drmaa_wifexited(int* exited, int stat, char* error_diagnosis, size_t error_diag_len) {
  return flag(exited, stat & kStatExited, "exited", error_diagnosis, error_diag_len);
}

int drmaa_wexitstatus(int* exit_status, int stat, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!exit_status) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "exit_status is NULL");
    *exit_status = (stat & kStatExited) ? (stat & 0xff) : 0;
  });
}

int drmaa_wifsignaled(int* signaled, int stat, char* error_diagnosis, size_t error_diag_len) {
  return flag(signaled, stat & kStatSignaled, "signaled", error_diagnosis, error_diag_len);
}

int drmaa_wtermsig(char* signal, size_t signal_len, int stat, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (!signal || signal_len == 0) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "signal buffer is NULL or empty");
    if (!(stat & kStatSignaled)) {
      put(signal, signal_len, "");
      return;
    }
    int sig = (stat >> 8) & 0xff;
    const char* name = signal_name(sig);
    put(signal, signal_len, name ? std::string(name) : "SIG" + std::to_string(sig));
  });
}

int drmaa_wcoredump(int* core_dumped, int stat, char* error_diagnosis, size_t error_diag_len) {
  (void)stat;  // xrun records no core-dump flag: always 0
  return flag(core_dumped, false, "core_dumped", error_diagnosis, error_diag_len);
}

int drmaa_wifaborted(int* aborted, int stat, char* error_diagnosis, size_t error_diag_len) {
  return flag(aborted, stat & kStatAborted, "aborted", error_diagnosis, error_diag_len);
}

}  // extern "C"
