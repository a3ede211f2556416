// The known_hosts lines libssh 0.10 skips: "@revoked" (the key must be
// refused for any host, even where it is also listed normally, as OpenSSH
// does) and "@cert-authority" (a CA key: hosts whose certificates it signs
// are trusted -- never a host key itself; libssh 0.10 cannot verify host
// certificates, so such a host needs its own key listed).
#pragma once
#include <string>
#include <vector>

namespace xrun::ssh {

struct KnownHostsMarkers {
  // The base64 key blob of each @revoked line (the blob names its type).
  std::vector<std::string> revoked_keys;
  // Host patterns of each @cert-authority line (comma-separated, as written).
  std::vector<std::string> cert_authority_patterns;
};

// Reads the marker lines of `path` (missing or unreadable file: none).
KnownHostsMarkers read_known_hosts_markers(const std::string& path);

// Whether a known_hosts pattern list ("*.example.org,[host]:2222,!bad")
// matches `host` on `port` (plain patterns with * and ?; hashed entries
// never match here).
bool known_hosts_patterns_match(const std::string& patterns, const std::string& host, unsigned port);

}  // namespace xrun::ssh
