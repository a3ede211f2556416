#include "tool_common.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "progress.h"
#include "term.h"

namespace xrun_tool {

int report(const char* command, int status) {
  fprintf(stderr, "xrun %s: %s: %s\n", command, xrun_status_name(status), xrun_last_error());
  return 1;
}

static void log_to_stderr(int level, const char* message, void*) {
  progress_clear_for_message();  // a message never lands on `xrun wait`'s line
  static const char* names[] = {"error", "warning", "info", "debug"};
  fprintf(stderr, "xrun: %s: %s\n", (level >= 0 && level <= 3) ? names[level] : "log", message);
}

namespace {
xrun_options tool_options() {
  xrun_options opts = XRUN_OPTIONS_INIT;
  opts.log = log_to_stderr;
  const char* verbose = getenv("XRUN_VERBOSE");
  opts.log_level = (verbose && *verbose) ? XRUN_LOG_DEBUG : XRUN_LOG_WARN;
  return opts;
}
}  // namespace

xrun_ctx* open_store_reader(const char* command) {
  xrun_options opts = tool_options();
  xrun_ctx* ctx = nullptr;
  int rc = xrun_ctx_open_read_only(&ctx, &opts);
  if (rc == XRUN_OK) return ctx;
  // No store yet, or one that needs migrating: the ordinary open makes it.
  if (rc == XRUN_E_NOT_FOUND || rc == XRUN_E_STORE) return open_context(command);
  report(command, rc);
  return nullptr;
}

xrun_ctx* open_context_or_store_reader(const char* command) {
  xrun_options opts = tool_options();
  xrun_ctx* ctx = nullptr;
  int rc = xrun_ctx_open(&ctx, &opts);
  if (rc == XRUN_OK) return ctx;
  report(command, rc);
  if (rc != XRUN_E_CONFIG) return nullptr;
  fprintf(stderr, "xrun %s: showing what the job store knows, without polling\n", command);
  rc = xrun_ctx_open_read_only(&ctx, &opts);
  if (rc == XRUN_OK) return ctx;
  report(command, rc);
  return nullptr;
}

xrun_ctx* open_context(const char* command) {
  xrun_options opts = tool_options();
  xrun_ctx* ctx = nullptr;
  int rc = xrun_ctx_open(&ctx, &opts);
  if (rc != XRUN_OK) {
    report(command, rc);
    return nullptr;
  }
  return ctx;
}

bool Args::has(const std::string& name) const {
  for (const auto& s : switches) if (s == name) return true;
  for (const auto& [k, v] : options) if (k == name) return true;
  return false;
}

std::string Args::value(const std::string& name, const std::string& fallback) const {
  for (const auto& [k, v] : options) if (k == name) return v;
  return fallback;
}

Args parse_args(int argc, char** argv, const std::vector<std::string>& valued,
                const std::vector<std::string>& switch_names) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      args.has_dashdash = true;
      for (int j = i + 1; j < argc; ++j) args.after_dashdash.push_back(argv[j]);
      break;
    }
    if (a.size() > 1 && a[0] == '-') {
      bool known = false;
      for (const auto& v : valued) {
        if (a == v) {
          if (i + 1 >= argc) {
            args.error = "option " + a + " needs a value";
            return args;
          }
          args.options.emplace_back(a, argv[++i]);
          known = true;
          break;
        }
      }
      for (const auto& s : switch_names) {
        if (!known && a == s) {
          args.switches.push_back(a);
          known = true;
        }
      }
      if (!known) {
        args.error = "unknown option " + a;
        return args;
      }
      continue;
    }
    args.positional.push_back(a);
  }
  return args;
}

void print_table(const std::vector<std::vector<std::string>>& rows, size_t max_columns,
                 const std::vector<size_t>& shrinkable, const std::vector<size_t>& droppable) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], text_columns(row[i]));
    }
  std::vector<bool> shown(widths.size(), true);
  auto total = [&] {
    size_t sum = 0, count = 0;
    for (size_t i = 0; i < widths.size(); ++i)
      if (shown[i]) sum += widths[i], ++count;
    return count ? sum + 2 * (count - 1) : 0;
  };
  if (max_columns > 0 && total() > max_columns) {
    const std::vector<size_t> natural = widths;
    // Narrow the shrinkable columns, in the order given, down to a few
    // characters each; their cells are then cut with an ellipsis.
    const size_t min_width = 6;
    for (size_t col : shrinkable) {
      size_t now = total();
      if (now <= max_columns) break;
      if (col >= widths.size() || widths[col] <= min_width) continue;
      widths[col] -= std::min(now - max_columns, widths[col] - min_width);
    }
    // Still too wide: leave out the droppable columns, in order, then give
    // the room this freed back to the narrowed columns (last given first).
    for (size_t col : droppable) {
      if (total() <= max_columns) break;
      if (col < shown.size()) shown[col] = false;
    }
    for (auto it = shrinkable.rbegin(); it != shrinkable.rend(); ++it) {
      size_t now = total();
      if (*it >= widths.size() || !shown[*it] || now >= max_columns) continue;
      widths[*it] += std::min(max_columns - now, natural[*it] - widths[*it]);
    }
  }
  for (const auto& row : rows) {
    std::string line, pad;
    for (size_t i = 0; i < row.size(); ++i) {
      if (!shown[i]) continue;
      std::string cell = cut_to_columns(row[i], widths[i]);
      line += pad + cell;
      pad = std::string(widths[i] - text_columns(cell) + 2, ' ');
    }
    // A terminal too narrow even so: cut the line rather than let it wrap.
    if (max_columns > 0) line = cut_to_columns(line, max_columns);
    printf("%s\n", line.c_str());
  }
}

void print_json(const char* text) {
  cJSON* root = cJSON_Parse(text);
  if (!root) {
    printf("%s\n", text);
    return;
  }
  char* pretty = cJSON_Print(root);
  printf("%s\n", pretty);
  cJSON_free(pretty);
  cJSON_Delete(root);
}

std::string json_str(const cJSON* obj, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(item) ? item->valuestring : "";
}

std::string json_num(const cJSON* obj, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsNumber(item)) return "";
  char buf[64];
  if (item->valuedouble == static_cast<double>(static_cast<long long>(item->valuedouble)))
    snprintf(buf, sizeof buf, "%lld", static_cast<long long>(item->valuedouble));
  else
    snprintf(buf, sizeof buf, "%.6g", item->valuedouble);
  return buf;
}

int exit_code_for(xrun_job* job) {
  int code = 0;
  int state = xrun_job_state(job);
  if (state == XRUN_STATE_COMPLETED) return 0;
  if (xrun_job_exit_code(job, &code) == XRUN_OK && code != 0) return code > 255 ? 255 : code;
  switch (state) {
    case XRUN_STATE_CANCELLED: return 130;
    case XRUN_STATE_TIMEOUT: return 124;
    case XRUN_STATE_LOST: return 125;
    default: return 1;
  }
}

}  // namespace xrun_tool
