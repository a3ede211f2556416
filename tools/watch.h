// `--watch`: redraw a command's output on the terminal until interrupted.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace xrun_tool {

// Takes "--watch [SECONDS]" (or "--watch=SECONDS") out of argv, keeping
// the other arguments in `rest` (rest[0] = argv[0]). Sets *interval_s
// (default 2) and returns true when it was there; `error` is set for a
// bad SECONDS.
bool take_watch_flag(int argc, char** argv, std::vector<char*>* rest, double* interval_s, std::string* error);

// Clears the terminal and calls draw() every interval_s seconds, under a
// title line, until SIGINT or SIGTERM; returns 0 then. A non-zero return of
// draw() ends the loop with that code. stdout must be a terminal (the
// caller checks, so it can say so).
int watch_loop(double interval_s, const std::string& title, const std::function<int()>& draw);

}  // namespace xrun_tool
