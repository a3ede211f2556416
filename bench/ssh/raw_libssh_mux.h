// The reference floor for many commands over one SSH session: a plain
// libssh client (no xrun code) that keeps `in_flight` channels busy from
// one non-blocking loop. Benchmark code only.
#pragma once
#include "ssh_testbed.h"

struct RawMuxResult {
  int commands = 0;
  double connect_ms = 0;  // connect + host key + auth, part of wall_ms
  double wall_ms = 0;
  double per_s() const { return wall_ms > 0 ? commands * 1000.0 / wall_ms : 0; }
};

// Connects to the testbed sshd as its user with its key (known_hosts
// checked), then runs `command` `total` times, `in_flight` channels at once:
// at most half the server's MaxSessions, as sshd counts a closed channel
// until it has reaped it. Exits the bench on any failure.
RawMuxResult raw_libssh_mux(const sshtest::Testbed& tb, int in_flight, int total, const std::string& command);
