#include "util/shell_quote.h"

#include <cstdint>

#include "util/error.h"

namespace xrun {

std::string quote_for_shell(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  for (char c : text) {
    if (c == '\0') throw Error(XRUN_E_INVALID, "a shell argument cannot contain a NUL byte");
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string join_quoted(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out.push_back(' ');
    out += quote_for_shell(arg);
  }
  return out;
}

namespace {

std::string base64(std::string_view in) {
  static const char* const table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += i + 1 < in.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

std::string for_any_login_shell(std::string_view command) {
  if (command.find_first_of("\n!") == std::string_view::npos) return "exec /bin/sh -c " + quote_for_shell(command);
  (void)quote_for_shell(command);  // the same refusal of NUL bytes
  return "exec /bin/sh -c 'eval \"$(printf %s " + base64(command) + " | base64 -d)\"'";
}

}  // namespace xrun
