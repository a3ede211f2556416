#include "util/shell_quote.h"

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

}  // namespace xrun
