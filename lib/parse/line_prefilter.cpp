#include "parse/line_prefilter.h"

#include <atomic>

namespace xrun::parse {

namespace {
std::atomic<bool> g_enabled{true};
}

LinePrefilter::LinePrefilter(std::initializer_list<std::initializer_list<std::string_view>> prefix_lists) {
  for (const auto& list : prefix_lists) {
    for (std::string_view p : list) add(p);
  }
}

void LinePrefilter::add(std::string_view prefix) {
  if (prefix.empty()) return;
  const unsigned c0 = static_cast<unsigned char>(prefix[0]);
  for (unsigned c1 = 0; c1 < 256; ++c1) {
    if (prefix.size() >= 2 && c1 != static_cast<unsigned char>(prefix[1])) continue;
    const unsigned bit = (c0 << 8) | c1;
    bits_[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

void LinePrefilter::set_enabled(bool on) { g_enabled.store(on, std::memory_order_relaxed); }
bool LinePrefilter::enabled() { return g_enabled.load(std::memory_order_relaxed); }

}  // namespace xrun::parse
