// Opens the byte stream an SSH session runs over, before any SSH byte is
// sent: a TCP connection of our own (each address in turn, bounded by the
// caller's deadline), or the machine's ProxyCommand (proxy_jump) run as our
// child with its stderr kept. Dialing first lets the pool tell "nothing
// listens there" (not a handshake: it does not count against
// max_handshakes_per_minute) from a failed handshake, and lets a broken
// jump host be named as such.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "transport/ssh/ssh_target.h"

namespace xrun::ssh {

class Stream {
 public:
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& o) noexcept { *this = std::move(o); }
  Stream& operator=(Stream&& o) noexcept;
  ~Stream();

  // Gives the socket to libssh (which closes it with the session).
  int release_fd();
  bool through_proxy() const { return proxy_pid_ > 0; }
  // What the proxy command printed on stderr so far (bounded, without
  // blocking), and whether it has exited; for messages only.
  std::string proxy_report();

 private:
  friend Stream dial(const SshTarget& target, const std::string& proxy_command, int64_t deadline_ms);
  int fd_ = -1;
  pid_t proxy_pid_ = -1;
  int proxy_err_ = -1;
  std::string proxy_text_;
  int proxy_status_ = -1;  // wait status once reaped
};

// `proxy_command` "" dials TCP; otherwise it is run through /bin/sh with
// %h, %p, %r expanded. Throws Error(XRUN_E_TRANSPORT) naming the host and
// port and why (refused, timed out, unreachable, the proxy did not start).
Stream dial(const SshTarget& target, const std::string& proxy_command, int64_t deadline_ms);

}  // namespace xrun::ssh
