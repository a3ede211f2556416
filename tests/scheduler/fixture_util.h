// Helpers for the scheduler tests: recorded outputs from tests/fixtures,
// and a shell to check what a rendered command or script really does.
#pragma once
#include <string>
#include <vector>

#include "scheduler/scheduler.h"
#include "transport/transport.h"

namespace xrun_test {

// tests/fixtures/<relative>, read whole; fails the test if missing.
std::string fixture(const std::string& relative);

// A CommandResult as a transport would give it.
xrun::CommandResult result(int exit_status, const std::string& out, const std::string& err = "");

// Runs `command` with /bin/sh -c; stdout and stderr captured apart;
// `stdin_data` on its stdin.
xrun::CommandResult shell(const std::string& command, const std::string& stdin_data = "");

// The arguments `command` (a "prog arg..." shell line) would pass to its
// program, as the shell splits and unquotes them (prog replaced by a
// function that prints each argument).
std::vector<std::string> shell_words(const std::string& command);

// "xrun_state" -> name, for messages.
std::string state_text(int state);

}  // namespace xrun_test
