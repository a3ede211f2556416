#include "transport/ssh/connection.h"

#include <libssh/callbacks.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "transport/ssh/known_hosts_markers.h"
#include "transport/ssh/session_options.h"
#include "util/clock.h"
#include "util/deadline.h"
#include "util/shell_quote.h"

namespace xrun::ssh {

// ---------------------------------------------------------------- StepLog

void StepLog::begin(const char* step) {
  current_ = step;
  start_ms_ = monotonic_ms();
}

void StepLog::ok(const std::string& detail) {
  CheckStep s;
  s.step = current_;
  s.ok = true;
  s.ms = monotonic_ms() - start_ms_;
  s.detail = detail;
  steps.push_back(std::move(s));
  current_.clear();
}

void StepLog::fail(const Error& e) {
  CheckStep s;
  // A failure before any step began (the handshake budget) is a connect failure.
  s.step = current_.empty() ? "connect" : current_;
  s.ok = false;
  // No step began (start_ms_ still 0): it failed at once, not after uptime.
  s.ms = start_ms_ ? monotonic_ms() - start_ms_ : 0;
  s.detail = e.what();
  s.status = e.status();
  steps.push_back(std::move(s));
  current_.clear();
}

// ---------------------------------------------------------------- callbacks

namespace {

// libssh asks for key passphrases through this (publickey_auto and
// ssh_pki_import_privkey_file).
int passphrase_callback(const char* prompt, char* buf, size_t len, int echo, int /*verify*/,
                        void* userdata) {
  const auto* prompter = static_cast<const Prompter*>(userdata);
  std::string answer;
  if (!prompter->ask("passphrase", prompt ? prompt : "Key passphrase:", echo != 0, answer)) return -1;
  if (answer.size() + 1 > len) {
    wipe(answer);
    return -1;
  }
  memcpy(buf, answer.c_str(), answer.size() + 1);
  wipe(answer);
  return 0;
}

}  // namespace

int signal_number(const char* name) {
  static const struct { const char* name; int number; } table[] = {
      {"HUP", 1},   {"INT", 2},   {"QUIT", 3},  {"ILL", 4},   {"ABRT", 6},  {"FPE", 8},
      {"KILL", 9},  {"USR1", 10}, {"SEGV", 11}, {"USR2", 12}, {"PIPE", 13}, {"ALRM", 14},
      {"TERM", 15}};
  for (const auto& e : table)
    if (name && strcmp(name, e.name) == 0) return e.number;
  return 0;
}

namespace {

struct ExitInfo {
  int signal = 0;
};

void on_exit_signal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*,
                    void* userdata) {
  static_cast<ExitInfo*>(userdata)->signal = signal_number(signal);
}

}  // namespace

struct Connection::SessionCallbacks {
  struct ssh_callbacks_struct cb;
};

// ---------------------------------------------------------------- open

Connection::Connection(const SshTarget& target, const Prompter& prompter, const Logger& logger)
    : target_(target), prompter_(prompter), logger_(logger) {}

Connection::~Connection() {
  sftp_.reset();  // before the session it lives on
}

std::string Connection::last_error() const {
  return session_ ? ssh_get_error(session_.get()) : "no session";
}

void Connection::fail_transport(const std::string& what) {
  broken_ = true;
  throw Error(XRUN_E_TRANSPORT, what + " on " + target_.key() + " (machine " + target_.machine +
                                    "): " + last_error());
}

std::unique_ptr<Connection> Connection::open(const SshTarget& target, const Prompter& prompter,
                                             const Logger& logger, StepLog* log, int64_t deadline_ms,
                                             const std::function<void()>& before_handshake) {
  std::unique_ptr<Connection> c(new Connection(target, prompter, logger));
  c->connect(log, deadline_ms, before_handshake);
  return c;
}

void Connection::connect(StepLog* log, int64_t deadline_ms, const std::function<void()>& before_handshake) {
  StepLog scratch;
  StepLog& steps = log ? *log : scratch;
  const std::string where = target_.key() + " (machine " + target_.machine + ")";
  const int64_t connect_deadline = std::min(deadline_ms, monotonic_ms() + target_.connect_timeout_ms);

  session_.reset(ssh_new());
  if (!session_) throw Error(XRUN_E_NOMEM, "ssh_new failed");
  apply_session_options(session_.get(), target_);
  // A ProxyCommand/ProxyJump from the ssh config: we run it ourselves too,
  // so its failure is reported as the proxy's.
  std::string proxy = target_.proxy_command.value_or("");
  if (proxy.empty()) {
    char* pc = nullptr;
    if (ssh_options_get(session_.get(), SSH_OPTIONS_PROXYCOMMAND, &pc) == SSH_OK && pc) {
      proxy = pc;
      ssh_string_free_char(pc);
      if (proxy == "none") proxy.clear();
    }
  }

  steps.begin("resolve");
  if (!proxy.empty()) {
    steps.ok("through ProxyCommand: " + proxy);
  } else {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo* res = nullptr;
    int rc = getaddrinfo(target_.host.c_str(), nullptr, &hints, &res);
    if (rc != 0)
      throw Error(XRUN_E_TRANSPORT, "cannot resolve host " + target_.host + " for " + where + ": " +
                                        gai_strerror(rc));
    freeaddrinfo(res);
    steps.ok(target_.host);
  }

  steps.begin("connect");
  if (!proxy.empty() && before_handshake) before_handshake();  // the proxy shakes hands with the jump host
  stream_ = dial(target_, proxy, connect_deadline);
  if (proxy.empty() && before_handshake) before_handshake();
  int fd = stream_.release_fd();
  if (ssh_options_set(session_.get(), SSH_OPTIONS_FD, &fd) != SSH_OK) {
    ::close(fd);
    throw Error(XRUN_E_TRANSPORT, "libssh refused the socket for " + where + ": " + last_error());
  }
  set_blocking_timeout(session_.get(), connect_deadline - monotonic_ms());
  callbacks_ = std::make_unique<SessionCallbacks>();
  memset(&callbacks_->cb, 0, sizeof callbacks_->cb);
  callbacks_->cb.userdata = &prompter_;
  callbacks_->cb.auth_function = passphrase_callback;
  ssh_callbacks_init(&callbacks_->cb);
  ssh_set_callbacks(session_.get(), &callbacks_->cb);
  if (ssh_connect(session_.get()) != SSH_OK) {
    if (stream_.through_proxy())
      throw Error(XRUN_E_TRANSPORT, "cannot connect to " + where + " through " +
                                        (target_.proxy_jump.empty() ? "its ProxyCommand"
                                                                    : "the jump host (proxy_jump " +
                                                                          target_.proxy_jump + ")") +
                                        ": " + stream_.proxy_report() + " [" + last_error() + "]");
    if (monotonic_ms() >= connect_deadline)
      throw Error(XRUN_E_TRANSPORT, "cannot connect to " + where + ": the server accepted the TCP connection "
                                        "but did not complete the SSH handshake within the connect timeout (" +
                                        std::to_string(target_.connect_timeout_ms / 1000) + " s): " + last_error());
    throw Error(XRUN_E_TRANSPORT, "cannot connect to " + where + ": " + last_error());
  }
  steps.ok();

  steps.begin("host_key");
  verify_host_key();
  steps.ok(target_.known_hosts_for_messages());

  steps.begin("authenticate");
  steps.ok(authenticate());
}

void Connection::verify_host_key() {
  ssh_session s = session_.get();
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(s, &raw) != SSH_OK) fail_transport("no host key from server");
  KeyPtr key(raw);
  unsigned char* hash = nullptr;
  size_t hlen = 0;
  std::string fingerprint = "(unknown)";
  if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == SSH_OK) {
    if (char* fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen)) {
      fingerprint = fp;
      ssh_string_free_char(fp);
    }
    ssh_clean_pubkey_hash(&hash);
  }
  const std::string type = ssh_key_type_to_char(ssh_key_type(key.get()));
  const std::string offered = type + " key " + fingerprint;
  const std::string file = target_.known_hosts_for_messages();
  // As known_hosts writes it.
  const std::string host =
      target_.port == 22 ? target_.host : "[" + target_.host + "]:" + std::to_string(target_.port);
  // The markers libssh skips: a revoked key is refused whatever else the
  // file says (checked for every host: stricter than a per-host match).
  const KnownHostsMarkers markers = read_known_hosts_markers(file);
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key.get(), &b64) == SSH_OK && b64) {
    const std::string offered_blob = b64;
    ssh_string_free_char(b64);
    for (const auto& revoked : markers.revoked_keys)
      if (revoked == offered_blob)
        throw Error(XRUN_E_HOSTKEY, "host key of " + host + " (machine " + target_.machine + ") is REVOKED: " +
                                        offered + " is listed as @revoked in " + file +
                                        ". Do not connect; ask the site for the host's new key");
  }
  const auto ksh = ssh_session_is_known_server(s);
  if (ksh == SSH_KNOWN_HOSTS_NOT_FOUND || ksh == SSH_KNOWN_HOSTS_UNKNOWN) {
    for (const auto& patterns : markers.cert_authority_patterns)
      if (known_hosts_patterns_match(patterns, target_.host, target_.port))
        throw Error(XRUN_E_HOSTKEY,
                    "host key of " + host + " (machine " + target_.machine + ") is not listed in " + file +
                        "; a @cert-authority line (" + patterns +
                        ") vouches for this host's certificates, but xrun (libssh 0.10) cannot verify host "
                        "certificates. Check the fingerprint (" + offered + ") with the site and add the host key "
                        "itself (ssh-keyscan -p " + std::to_string(target_.port) + " " + target_.host + " >> " +
                        file + ")");
  }
  switch (ksh) {
    case SSH_KNOWN_HOSTS_OK:
      return;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      throw Error(XRUN_E_HOSTKEY,
                  "host key of " + host + " (machine " + target_.machine + ") has CHANGED: the server offers " +
                      offered + ", which does not match " + file +
                      ". Someone may be intercepting the connection; if the change is expected, remove "
                      "the old entry (ssh-keygen -R '" + host + "' -f " + file + ") and connect again");
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      if (target_.host_key_policy == HostKeyPolicy::AcceptNew) {
        if (ssh_session_update_known_hosts(s) != SSH_OK)
          throw Error(XRUN_E_HOSTKEY, "cannot add the host key of " + host + " (" + offered + ") to " +
                                          file + ": " + last_error());
        logger_.warn("added host key of " + host + " (" + offered + ") to " + file +
                     " (host_key_policy accept-new)");
        return;
      }
      throw Error(XRUN_E_HOSTKEY, "host key of " + host + " (machine " + target_.machine +
                                      ") is unknown: the server offers " + offered + ", not in " + file +
                                      ". Check the fingerprint with the site, then add it (ssh-keyscan "
                                      "-p " + std::to_string(target_.port) + " " + target_.host + " >> " + file +
                                      ") or set \"host_key_policy\": \"accept-new\"");
    case SSH_KNOWN_HOSTS_ERROR:
    default:
      throw Error(XRUN_E_HOSTKEY, "cannot check the host key of " + host + " (" + offered + ") against " +
                                      file + ": " + last_error());
  }
}

int Connection::auth_with_key_file(const std::string& path) {
  ssh_key raw = nullptr;
  int rc = ssh_pki_import_privkey_file(path.c_str(), nullptr, passphrase_callback,
                                       const_cast<Prompter*>(&prompter_), &raw);
  if (rc != SSH_OK)
    throw Error(XRUN_E_AUTH, "cannot load key file " + path + " for " + target_.key() +
                                 " (missing, unreadable, or wrong/no passphrase given)");
  KeyPtr key(raw);
  return ssh_userauth_publickey(session_.get(), nullptr, key.get());
}

int Connection::auth_kbdint() {
  ssh_session s = session_.get();
  int rc = ssh_userauth_kbdint(s, nullptr, nullptr);
  for (int round = 0; rc == SSH_AUTH_INFO && round < 16; ++round) {
    int n = ssh_userauth_kbdint_getnprompts(s);
    for (int i = 0; i < n; ++i) {
      char echo = 0;
      const char* prompt = ssh_userauth_kbdint_getprompt(s, static_cast<unsigned>(i), &echo);
      std::string answer;
      if (!prompter_.ask("kbdint", prompt ? prompt : "", echo != 0, answer))
        throw Error(XRUN_E_AUTH, "keyboard-interactive login to " + target_.key() +
                                     ": no answer to \"" + (prompt ? prompt : "") +
                                     "\" (no prompt callback, or it refused)");
      ssh_userauth_kbdint_setanswer(s, static_cast<unsigned>(i), answer.c_str());
      wipe(answer);
    }
    rc = ssh_userauth_kbdint(s, nullptr, nullptr);
  }
  return rc;
}

int Connection::auth_password() {
  std::string answer;
  if (!prompter_.ask("password", target_.user + "@" + target_.host + "'s password: ", false, answer))
    throw Error(XRUN_E_AUTH, "password login to " + target_.key() +
                                 ": no password (no prompt callback, or it refused)");
  int rc = ssh_userauth_password(session_.get(), nullptr, answer.c_str());
  wipe(answer);
  return rc;
}

std::string Connection::authenticate() {
  ssh_session s = session_.get();
  int rc = SSH_AUTH_DENIED;
  std::string tried;
  auto attempt = [&](const std::string& what, auto&& fn) {
    if (!tried.empty()) tried += ", ";
    tried += what;
    rc = fn();
    if (rc == SSH_AUTH_ERROR) fail_transport("authentication (" + what + ") failed");
    return rc == SSH_AUTH_SUCCESS;
  };
  auto publickey = [&] {
    if (target_.auth.key_file) return attempt("key file " + *target_.auth.key_file, [&] { return auth_with_key_file(*target_.auth.key_file); });
    return attempt("agent and default keys", [&] { return ssh_userauth_publickey_auto(s, nullptr, nullptr); });
  };
  // A key goes first, unasked: asking the server which methods it offers
  // (a "none" request) costs a round trip, and OpenSSH delays every failed
  // attempt a little, that one included. What is offered is known after
  // any failed attempt.
  const bool key_first = target_.auth.method == AuthMethod::Key || target_.auth.method == AuthMethod::Auto;
  bool done = key_first && publickey();
  if (done) return tried;
  // (No key to offer sends nothing: then ask.)
  if (!key_first || ssh_userauth_list(s, nullptr) == 0) {
    rc = ssh_userauth_none(s, nullptr);
    if (rc == SSH_AUTH_SUCCESS) return "none";
    if (rc == SSH_AUTH_ERROR) fail_transport("authentication exchange failed");
  }
  const int offered = ssh_userauth_list(s, nullptr);
  switch (target_.auth.method) {
    case AuthMethod::Agent:
      done = attempt("agent", [&] { return ssh_userauth_agent(s, nullptr); });
      break;
    case AuthMethod::Key:  // tried above
      break;
    case AuthMethod::Password:
      done = (offered & SSH_AUTH_METHOD_PASSWORD) ? attempt("password", [&] { return auth_password(); })
                                                  : attempt("keyboard-interactive", [&] { return auth_kbdint(); });
      break;
    case AuthMethod::KeyboardInteractive:
      done = attempt("keyboard-interactive", [&] { return auth_kbdint(); });
      break;
    case AuthMethod::Auto:  // keys tried above
      if (prompter_.available() && (offered & SSH_AUTH_METHOD_INTERACTIVE))
        done = attempt("keyboard-interactive", [&] { return auth_kbdint(); });
      if (!done && prompter_.available() && (offered & SSH_AUTH_METHOD_PASSWORD))
        done = attempt("password", [&] { return auth_password(); });
      break;
  }
  if (done) return tried.substr(tried.rfind(", ") == std::string::npos ? 0 : tried.rfind(", ") + 2);
  std::string allowed;
  auto add = [&](int bit, const char* name) {
    if (offered & bit) allowed += allowed.empty() ? name : std::string(",") + name;
  };
  add(SSH_AUTH_METHOD_PUBLICKEY, "publickey");
  add(SSH_AUTH_METHOD_PASSWORD, "password");
  add(SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive");
  add(SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic");
  throw Error(XRUN_E_AUTH, "authentication as " + target_.key() + " (machine " + target_.machine +
                               ") was refused; tried: " + (tried.empty() ? "nothing" : tried) +
                               "; the server accepts: " + (allowed.empty() ? "?" : allowed));
}

// ---------------------------------------------------------------- exec

CommandResult Connection::exec(const std::string& command, const std::string& stdin_data,
                               int64_t deadline_ms, bool& started, size_t max_stdout) {
  size_t given = 0;
  StdinSource from_string = [&](char* dst, size_t cap) {
    size_t n = std::min(cap, stdin_data.size() - given);
    memcpy(dst, stdin_data.data() + given, n);
    given += n;
    return n;
  };
  return exec_streaming(command, from_string, nullptr, deadline_ms, started, max_stdout);
}

CommandResult Connection::exec_streaming(const std::string& command, const StdinSource& stdin_source,
                                         const StdoutSink& stdout_sink, int64_t deadline_ms, bool& started,
                                         size_t max_stdout) {
  started = false;
  ssh_session s = session_.get();
  auto remaining = [&] { return deadline_ms - monotonic_ms(); };
  auto bound = [&](int64_t cap) { set_blocking_timeout(s, std::max<int64_t>(1, std::min(cap, remaining()))); };
  auto timed_out = [&](const char* when) {
    return Error(XRUN_E_TIMEOUT, std::string("command timed out ") + when + " on " + target_.key() + ": " +
                                     command.substr(0, 200));
  };

  bound(target_.connect_timeout_ms);
  ChannelPtr ch(ssh_channel_new(s));
  if (!ch) fail_transport("cannot create a channel");
  if (ssh_channel_open_session(ch.get()) != SSH_OK) {
    if (remaining() <= 0) {
      broken_ = true;
      throw timed_out("while opening a channel");
    }
    if (ssh_is_connected(s) && !(ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR)))
      throw ChannelRefused(XRUN_E_TRANSPORT, "the server refused a channel on " + target_.key() + ": " + last_error());
    fail_transport("cannot open a channel");
  }
  ExitInfo exit_info;
  struct ssh_channel_callbacks_struct ccb;
  memset(&ccb, 0, sizeof ccb);
  ccb.userdata = &exit_info;
  ccb.channel_exit_signal_function = on_exit_signal;
  ssh_callbacks_init(&ccb);
  ssh_set_channel_callbacks(ch.get(), &ccb);
  // A channel freed before the server closed it lingers in the session and
  // may still get an exit-signal: unhook our stack-held callbacks first.
  struct Unhook {
    ssh_channel ch;
    ssh_channel_callbacks cb;
    ~Unhook() { ssh_remove_channel_callbacks(ch, cb); }
  } unhook{ch.get(), &ccb};

  started = true;
  // Under /bin/sh whatever the login shell (csh and tcsh read $, ! and
  // newlines their own way).
  if (ssh_channel_request_exec(ch.get(), for_any_login_shell(command).c_str()) != SSH_OK)
    fail_transport("exec request failed");

  CommandResult result;
  char buf[32 * 1024];
  auto kill_and_throw = [&](const char* when) {
    ssh_channel_request_send_signal(ch.get(), "KILL");
    ssh_channel_close(ch.get());
    throw timed_out(when);
  };
  // Stdin and output are interleaved: stdin is written only as far as the
  // server's window allows, and output is read in between, because a
  // command that writes while it reads (cat) stops reading once its own
  // output is not consumed.
  // `pending` holds stdin read from the source but not yet accepted by the
  // server's window.
  std::string pending;
  size_t off = 0;
  bool source_done = false;
  bool eof_sent = false;
  auto stdin_waiting = [&] {
    if (off == pending.size() && !source_done) {
      pending.resize(64 * 1024);
      size_t n = stdin_source ? stdin_source(pending.data(), pending.size()) : 0;
      pending.resize(n);
      off = 0;
      source_done = n == 0;
    }
    return off < pending.size();
  };
  for (;;) {
    bool progressed = false;
    while (!ssh_channel_is_closed(ch.get()) && stdin_waiting()) {
      uint32_t window = ssh_channel_window_size(ch.get());
      if (window == 0) break;
      size_t chunk = std::min<size_t>(std::min<size_t>(pending.size() - off, window), 32 * 1024);
      int n = ssh_channel_write(ch.get(), pending.data() + off, static_cast<uint32_t>(chunk));
      if (n < 0) {
        // A command that exits without reading all its stdin closes the
        // channel: that is its business, not a broken connection.
        if (ssh_is_connected(s) && (ssh_channel_is_closed(ch.get()) || ssh_channel_is_eof(ch.get()))) {
          source_done = true;
          off = pending.size();
          break;
        }
        fail_transport("sending stdin failed");
      }
      off += static_cast<size_t>(n);
      progressed = progressed || n > 0;
      if (n == 0) break;
    }
    if (!eof_sent && ((source_done && off == pending.size()) || ssh_channel_is_closed(ch.get()))) {
      eof_sent = true;
      if (!ssh_channel_is_closed(ch.get()) && ssh_channel_send_eof(ch.get()) != SSH_OK && !ssh_is_connected(s))
        fail_transport("sending EOF failed");
    }
    for (int is_stderr = 0; is_stderr <= 1; ++is_stderr) {
      int n = ssh_channel_read_nonblocking(ch.get(), buf, sizeof buf, is_stderr);
      if (n == SSH_ERROR) fail_transport("reading command output failed");
      if (n > 0) {
        if (is_stderr)
          result.err.append(buf, static_cast<size_t>(n));
        else if (stdout_sink)
          stdout_sink(buf, static_cast<size_t>(n));
        else
          result.out.append(buf, static_cast<size_t>(n));
        progressed = true;
      }
    }
    if (result.out.size() > max_stdout || result.err.size() > kMaxCommandStderr) {
      // Keep what fits, stop the command: its output is not worth memory.
      if (result.out.size() > max_stdout) result.out.resize(max_stdout);
      if (result.err.size() > kMaxCommandStderr) result.err.resize(kMaxCommandStderr);
      ssh_channel_request_send_signal(ch.get(), "KILL");
      ssh_channel_close(ch.get());
      logger_.warn("command on " + target_.key() + " killed: its output passed the cap (" +
                   std::to_string(max_stdout) + " bytes of stdout, " + std::to_string(kMaxCommandStderr) +
                   " of stderr): " + command.substr(0, 200));
      result.exit_status = 128 + 9;
      result.output_capped = true;
      return result;
    }
    if (eof_sent && ssh_channel_is_eof(ch.get())) break;
    if (progressed) continue;
    // Reading may have handled a window adjust: write again before waiting.
    if (off < pending.size() && !ssh_channel_is_closed(ch.get()) && ssh_channel_window_size(ch.get()) > 0)
      continue;
    if (!ssh_is_connected(s)) fail_transport("connection lost while the command ran");
    int64_t left = remaining();
    if (left <= 0) kill_and_throw(eof_sent ? "while it ran" : "while sending stdin");
    // Wait inside libssh, not on the socket: libssh may already hold the
    // next packets (the rest of the output, the EOF) in its own buffer,
    // which a poll() on the fd would not see until its timeout -- a 1 s
    // stall on outputs of a few tens of KB. The short cap bounds the wait
    // for stderr-only data and window adjusts.
    int pr = ssh_channel_poll_timeout(ch.get(), static_cast<int>(std::min<int64_t>(left, 50)), 0);
    if (pr == SSH_ERROR && !ssh_is_connected(s)) fail_transport("connection lost while the command ran");
  }
  if (remaining() <= 0) kill_and_throw("after its output ended");
  bound(target_.command_timeout_ms);
  int status = ssh_channel_get_exit_status(ch.get());
  if (status == SSH_ERROR && ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR))
    fail_transport("connection lost before the exit status arrived");
  if (status < 0 && exit_info.signal) status = 128 + exit_info.signal;
  if (status < 0 && remaining() <= 0) kill_and_throw("waiting for its exit status");
  result.exit_status = status;
  ssh_channel_close(ch.get());
  return result;
}

// ---------------------------------------------------------------- sftp

sftp_session Connection::sftp() {
  if (sftp_) return sftp_.get();
  if (sftp_missing_) return nullptr;
  SftpPtr sf(sftp_new(session_.get()));
  if (!sf) {
    if (!ssh_is_connected(session_.get())) fail_transport("cannot open an SFTP channel");
    // A channel the server refuses (MaxSessions) is not a server without
    // SFTP: tell them apart by opening a plain channel.
    const std::string why = last_error();
    {
      ChannelPtr probe(ssh_channel_new(session_.get()));
      if (!probe || ssh_channel_open_session(probe.get()) != SSH_OK) {
        if (!ssh_is_connected(session_.get())) fail_transport("cannot open an SFTP channel");
        throw ChannelRefused(XRUN_E_TRANSPORT, "the server refused a channel for SFTP on " + target_.key() + ": " + why);
      }
      ssh_channel_close(probe.get());
    }
    // The channel opened but the subsystem was refused: a site without SFTP.
    sftp_missing_ = true;
    logger_.info("no SFTP subsystem on " + target_.key() + ": " + why +
                 "; file transfer streams over exec channels");
    return nullptr;
  }
  if (sftp_init(sf.get()) != SSH_OK) {
    std::string why = last_error();
    sf.reset();
    if (ssh_is_connected(session_.get())) {
      // The usual cause: shell startup files that print for every login
      // (sshd starts sftp-server through the login shell).
      std::string banner = startup_output();
      if (!banner.empty())
        throw Error(XRUN_E_TRANSPORT,
                    "SFTP does not work on " + target_.key() + " (machine " + target_.machine +
                        "): the login shell prints text for non-interactive sessions (\"" + banner +
                        "\"), which corrupts the SFTP stream (" + why +
                        "). Make ~/.bashrc (or ~/.cshrc, ~/.profile) print only for interactive shells, e.g. "
                        "start ~/.bashrc with: [ -z \"$PS1\" ] && return (the same text also reaches every "
                        "command's output, so \"sftp\": false would not help)");
    }
    fail_transport("SFTP handshake failed");
  }
  sftp_ = std::move(sf);
  return sftp_.get();
}

std::string Connection::startup_output() {
  try {
    bool started = false;
    CommandResult r = exec(std::string(kShellProbe), "", bounded_deadline(monotonic_ms() + target_.connect_timeout_ms),
                          started, 4096);
    size_t at = r.out.find(kShellProbeAnswerPrefix);
    std::string before = at == std::string::npos ? r.out : r.out.substr(0, at);
    while (!before.empty() && (before.back() == '\n' || before.back() == '\r')) before.pop_back();
    return before.substr(0, 120);
  } catch (const Error&) {
    return "";
  }
}

}  // namespace xrun::ssh
