#include "transport/ssh/known_hosts_markers.h"

#include <fstream>
#include <sstream>

namespace xrun::ssh {
namespace {

// OpenSSH's host patterns: only * and ? are special ("[host]:port" is literal).
bool glob(const char* p, const char* s) {
  for (; *p; ++p, ++s) {
    if (*p == '*') {
      for (const char* t = s;; ++t) {
        if (glob(p + 1, t)) return true;
        if (!*t) return false;
      }
    }
    if (!*s || (*p != '?' && *p != *s)) return false;
  }
  return !*s;
}

}  // namespace

KnownHostsMarkers read_known_hosts_markers(const std::string& path) {
  KnownHostsMarkers m;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string marker, hosts, type, key;
    if (!(words >> marker) || marker.empty() || marker[0] != '@') continue;
    if (!(words >> hosts >> type >> key)) continue;
    if (marker == "@revoked") m.revoked_keys.push_back(key);
    else if (marker == "@cert-authority") m.cert_authority_patterns.push_back(hosts);
  }
  return m;
}

bool known_hosts_patterns_match(const std::string& patterns, const std::string& host, unsigned port) {
  const std::string name = port == 22 ? host : "[" + host + "]:" + std::to_string(port);
  bool matched = false;
  std::istringstream list(patterns);
  std::string p;
  while (std::getline(list, p, ',')) {
    bool negated = !p.empty() && p[0] == '!';
    if (negated) p = p.substr(1);
    if (p.empty() || p[0] == '|') continue;  // hashed: not judged here
    if (glob(p.c_str(), name.c_str())) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

}  // namespace xrun::ssh
