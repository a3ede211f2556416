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

// `command` as a line any login shell runs under /bin/sh: sshd hands an
// exec request to the user's login shell, and csh/tcsh read $VAR, `!` and
// newlines differently ("Illegal variable name", "Event not found",
// "Unmatched '"). The line is `exec /bin/sh -c '<command>'`; a command with
// a newline or `!` travels base64-encoded inside the single quotes
// (decoded by the POSIX shell), since csh cannot carry either there.
std::string for_any_login_shell(std::string_view command);

}  // namespace xrun
