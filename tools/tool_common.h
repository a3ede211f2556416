// Shared by the subcommands: opening a context, reporting errors, parsing
// flags, printing tables. The tool uses only the public header.
#pragma once
#include <cjson/cJSON.h>

#include <string>
#include <vector>

#include "xrun.h"

namespace xrun_tool {

// Prints "xrun <cmd>: <status name>: <message>" to stderr and returns the
// tool's exit code for library errors (1).
int report(const char* command, int status);

// Opens a context from the environment (XRUN_HOME etc.), logging warnings
// to stderr. Returns NULL after reporting on failure.
xrun_ctx* open_context(const char* command);
// A context that only reads the store (xrun list, events): no write lock,
// works on a read-only store file and despite a broken machine file (which
// is named on stderr). Falls back to open_context() when there is no store
// yet or it needs migrating.
xrun_ctx* open_store_reader(const char* command);
// open_context(), but when the machine configuration is broken (reported,
// naming the file) a store reader instead, so `xrun status` still shows jobs.
xrun_ctx* open_context_or_store_reader(const char* command);

// Minimal flag parsing: flags before positional arguments; "--" ends flags.
struct Args {
  std::vector<std::string> positional;
  std::vector<std::string> after_dashdash;
  bool has_dashdash = false;
  std::vector<std::pair<std::string, std::string>> options;  // --flag value / -m value
  std::vector<std::string> switches;                         // --json
  std::string error;
  bool has(const std::string& name) const;
  std::string value(const std::string& name, const std::string& fallback = "") const;
};
// `valued` lists the flags that take a value ("-m", "--machine", ...);
// `switches` the ones that do not. Anything else starting with '-' is an
// error.
Args parse_args(int argc, char** argv, const std::vector<std::string>& valued,
                const std::vector<std::string>& switches);

// Prints rows as aligned columns (first row is the header). With
// max_columns > 0 no line is longer: the `shrinkable` columns (indexes, the
// first narrowed first) are narrowed and their cells cut with an ellipsis;
// then the `droppable` columns are left out, in order, until it fits; a
// line still too long is cut at max_columns.
void print_table(const std::vector<std::vector<std::string>>& rows, size_t max_columns = 0,
                 const std::vector<size_t>& shrinkable = {}, const std::vector<size_t>& droppable = {});

// Pretty-prints JSON text to stdout.
void print_json(const char* text);

// JSON accessors tolerant of missing keys.
std::string json_str(const cJSON* obj, const char* key);
std::string json_num(const cJSON* obj, const char* key);  // "" if null

// The exit code `xrun run`/`xrun wait` use for a finished job.
int exit_code_for(xrun_job* job);

}  // namespace xrun_tool
