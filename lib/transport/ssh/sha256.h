// SHA-256, for the checksums of file transfers streamed over exec channels
// (the remote side runs sha256sum; this side checks against it).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace xrun::ssh {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::string hex_digest();  // finishes; 64 lowercase hex digits

 private:
  void block(const unsigned char* p);
  uint32_t h_[8];
  unsigned char buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);

}  // namespace xrun::ssh
