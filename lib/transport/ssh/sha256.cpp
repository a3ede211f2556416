#include "transport/ssh/sha256.h"

#include <openssl/evp.h>

#include "util/error.h"

namespace xrun::ssh {

struct Sha256::Context {
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  if (!context_->ctx || EVP_DigestInit_ex(context_->ctx.get(), EVP_sha256(), nullptr) != 1)
    throw Error(XRUN_E_INTERNAL, "cannot initialise SHA-256 (libcrypto)");
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(context_->ctx.get(), data.data(), data.size()) != 1)
    throw Error(XRUN_E_INTERNAL, "SHA-256 update failed (libcrypto)");
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_->ctx.get(), digest, &length) != 1)
    throw Error(XRUN_E_INTERNAL, "SHA-256 final failed (libcrypto)");
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 sum;
  sum.update(data);
  return sum.hex_digest();
}

}  // namespace xrun::ssh
