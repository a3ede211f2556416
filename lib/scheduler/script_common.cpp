#include "scheduler/script_common.h"

#include "util/error.h"
#include "util/shell_quote.h"

namespace xrun {

static void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
}

std::string expand_launcher(const ScriptRequest& request) {
  if (!request.launcher || request.launcher->empty()) return "";
  const Resources& r = request.resources;
  int64_t nodes = r.nodes.value_or(1);
  int64_t per_node = r.tasks_per_node.value_or(1);
  std::string launcher = *request.launcher;
  replace_all(launcher, "{tasks}", std::to_string(nodes * per_node));
  replace_all(launcher, "{nodes}", std::to_string(nodes));
  replace_all(launcher, "{tasks_per_node}", std::to_string(per_node));
  replace_all(launcher, "{cpus_per_task}", std::to_string(r.cpus_per_task.value_or(1)));
  return launcher;
}

std::string checked_directive_value(const std::string& value, const char* what) {
  for (char c : value) {
    bool bad = c == '\n' || c == '\r' || c == '\0' || c == '\'' || c == '"' || c == '`' ||
               c == '$' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' ||
               c == '\\' || c == ' ' || c == '\t';
    if (bad)
      throw Error(XRUN_E_INVALID, std::string(what) + " \"" + value +
                                      "\" contains a character a scheduler directive cannot carry");
  }
  return value;
}

std::string script_literal(std::string_view value) {
  std::string quoted = quote_for_shell(value);
  std::string out;
  out.reserve(quoted.size());
  for (char c : quoted) {
    if (c == '\n') out += "'$'\\n''";
    else if (c == '\r') out += "'$'\\r''";
    else out.push_back(c);
  }
  return out;
}

std::string script_body(const ScriptRequest& request, const std::string& after_command) {
  const std::string exit_tmp = request.exit_code_path + ".tmp";
  std::string s;
  s += "__xrun_record() { printf '%s\\n' \"$1\" > " + script_literal(exit_tmp) + " && mv -f " +
       script_literal(exit_tmp) + " " + script_literal(request.exit_code_path) + "; }\n";
  // Beside the exit record (xrun's own folder): never over a user's file.
  const size_t slash = request.exit_code_path.rfind('/');
  const std::string own_dir = slash == std::string::npos ? request.job_dir : request.exit_code_path.substr(0, slash);
  s += "date +%s > " + script_literal(own_dir + "/started_at") + " 2>/dev/null\n";
  s += "export XRUN_JOB_ID=" + script_literal(request.job_id) + "\n";
  s += "export XRUN_JOB_DIR=" + script_literal(request.job_dir) + "\n";
  s += "cd " + script_literal(request.run_dir.empty() ? request.job_dir : request.run_dir) +
       " || { __xrun_record 127; exit 127; }\n";
  for (const auto& line : request.prepend) {
    // Machine lines are the site admin's own shell (module load ...): they
    // are written as given, one per line, but never from a job spec.
    s += line + "\n";
  }
  for (const auto& [key, value] : request.env) {
    for (char c : key) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      if (!ok) throw Error(XRUN_E_INVALID, "env: \"" + key + "\" is not a valid variable name");
    }
    if (key.empty() || (key[0] >= '0' && key[0] <= '9'))
      throw Error(XRUN_E_INVALID, "env: \"" + key + "\" is not a valid variable name");
    s += "export " + key + "=" + script_literal(value) + "\n";
  }
  std::string launcher = expand_launcher(request);
  std::string command = (launcher.empty() ? "" : launcher + " ") + request.command;
  s += "(\n";
  // A command of several lines (a user's script, or an argument holding a
  // newline) runs through eval of one quoted line: written as is, any of
  // its lines could be read as a directive.
  if (command.find_first_of("\n\r") == std::string::npos) s += command + "\n)\n";
  else s += "eval " + script_literal(command) + "\n)\n";
  s += "__xrun_status=$?\n";
  s += after_command;
  s += "__xrun_record \"$__xrun_status\"\n";
  s += "exit \"$__xrun_status\"\n";
  return s;
}

}  // namespace xrun
