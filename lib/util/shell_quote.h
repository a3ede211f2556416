// The one quoting function: every string that reaches a shell (local or
// remote) goes through quote_for_shell, so names, paths and arguments with
// spaces, quotes, $(), backticks or newlines arrive unchanged.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace xrun {

// POSIX single-quote quoting: 'it'\''s'. Safe for sh, bash, dash, zsh.
// Throws Error(XRUN_E_INVALID) for a string with a NUL byte, which no
// shell argument can carry.
std::string quote_for_shell(std::string_view text);

// Each argument quoted, joined by single spaces.
std::string join_quoted(const std::vector<std::string>& argv);

}  // namespace xrun
