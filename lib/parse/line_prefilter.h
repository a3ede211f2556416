// Which lines a parser can act on, by their first two non-blank bytes, so
// the line reader skips every other line without calling the parser: most
// of a large output (eigenvalues, force contributions, SCF iteration lines)
// matters to no parser, and deciding that from two bytes is what makes the
// reader fast. A parser inside a block (positions, forces, an error block)
// asks for every line instead (LineSink::set_every_line).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace xrun::parse {

class LinePrefilter {
 public:
  // Each prefix is what a wanted line starts with after its blanks; a
  // one-byte prefix wants every line starting with that byte.
  LinePrefilter(std::initializer_list<std::initializer_list<std::string_view>> prefix_lists);

  LinePrefilter() = default;
  void add(std::string_view prefix);

  bool wants(unsigned char c0, unsigned char c1) const {
    const unsigned bit = (static_cast<unsigned>(c0) << 8) | c1;
    return (bits_[bit >> 6] >> (bit & 63)) & 1;
  }

  // For tests: whether filtering is on (it is by default). With it off,
  // every line reaches the parser; results must be identical either way.
  static void set_enabled(bool on);
  static bool enabled();

 private:
  uint64_t bits_[65536 / 64] = {};
};

}  // namespace xrun::parse
