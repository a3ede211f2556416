// SHA-256, for the checksums of file transfers streamed over exec channels
// (the remote side runs sha256sum; this side checks against it). Backed by
// OpenSSL's libcrypto, which libssh already depends on.
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace xrun::ssh {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string hex_digest();  // finishes; 64 lowercase hex digits

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

std::string sha256_hex(std::string_view data);

}  // namespace xrun::ssh
