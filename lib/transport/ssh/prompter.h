// Asks the caller's xrun_prompt_fn for a secret (passphrase, password,
// keyboard-interactive answer). Answers are wiped after use, never stored.
#pragma once
#include <string>

#include "xrun.h"

namespace xrun::ssh {

class Prompter {
 public:
  Prompter(xrun_prompt_fn fn, void* payload, std::string machine)
      : fn_(fn), payload_(payload), machine_(std::move(machine)) {}
  bool available() const { return fn_ != nullptr; }
  // False if there is no callback or it refused.
  bool ask(const char* kind, const std::string& prompt, bool echo, std::string& answer) const;

 private:
  xrun_prompt_fn fn_;
  void* payload_;
  std::string machine_;
};

// Overwrites a secret before its memory is released.
void wipe(std::string& secret);

}  // namespace xrun::ssh
