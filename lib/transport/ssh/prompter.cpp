#include "transport/ssh/prompter.h"

#include <cstring>

namespace xrun::ssh {

void wipe(std::string& secret) {
  // volatile: the compiler may not drop a store to memory about to be freed.
  volatile char* p = secret.data();
  for (size_t i = 0; i < secret.size(); ++i) p[i] = 0;
  secret.clear();
}

bool Prompter::ask(const char* kind, const std::string& prompt, bool echo, std::string& answer) const {
  if (!fn_) return false;
  char buf[1024];
  memset(buf, 0, sizeof buf);
  int rc = fn_(kind, machine_.c_str(), prompt.c_str(), echo ? 1 : 0, buf, sizeof buf, payload_);
  buf[sizeof buf - 1] = '\0';
  if (rc == 0) answer.assign(buf);
  volatile char* p = buf;
  for (size_t i = 0; i < sizeof buf; ++i) p[i] = 0;
  return rc == 0;
}

}  // namespace xrun::ssh
