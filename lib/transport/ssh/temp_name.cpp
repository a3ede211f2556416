#include "transport/ssh/temp_name.h"

#include <unistd.h>

#include <atomic>
#include <random>

namespace xrun::ssh {

std::string temp_suffix() {
  static std::atomic<uint64_t> counter{0};
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(getpid()) + "." + std::to_string(counter++) + "." + std::to_string(rng() % 1000000000);
}

}  // namespace xrun::ssh
