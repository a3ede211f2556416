#include "native_spec.h"

#include <cctype>
#include <vector>

namespace xdrmaa {

namespace {

enum class Kind { Count, Memory, Time, Name };

struct Option {
  const char* long_name;
  char short_name;
  Kind kind;
  std::optional<int64_t> NativeSpec::*count;
  std::optional<std::string> NativeSpec::*text;
};

const Option kOptions[] = {
    {"nodes", 'N', Kind::Count, &NativeSpec::nodes, nullptr},
    {"ntasks", 'n', Kind::Count, &NativeSpec::ntasks, nullptr},
    {"ntasks-per-node", 0, Kind::Count, &NativeSpec::tasks_per_node, nullptr},
    {"cpus-per-task", 'c', Kind::Count, &NativeSpec::cpus_per_task, nullptr},
    {"mem", 0, Kind::Memory, nullptr, &NativeSpec::memory},
    {"time", 't', Kind::Time, nullptr, &NativeSpec::walltime},
    {"partition", 'p', Kind::Name, nullptr, &NativeSpec::partition},
    {"account", 'A', Kind::Name, nullptr, &NativeSpec::account},
    {"qos", 'q', Kind::Name, nullptr, &NativeSpec::qos},
};

constexpr size_t kMaxLength = 4096;
constexpr int64_t kMaxCount = 1000000;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string> tokens_of(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_blank(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool parse_count(const std::string& v, int64_t& out) {
  if (v.empty() || v.size() > 7) return false;
  int64_t n = 0;
  for (char c : v) {
    if (!is_digit(c)) return false;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > kMaxCount) return false;
  out = n;
  return true;
}

// "500M", "64G", "2T", "1024", optional trailing "B"/"iB", any case.
bool valid_memory(const std::string& v) {
  size_t i = 0;
  while (i < v.size() && is_digit(v[i])) ++i;
  if (i == 0 || i > 12) return false;
  std::string unit;
  for (size_t j = i; j < v.size(); ++j) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(v[j])));
  static const char* const kUnits[] = {"", "K", "M", "G", "T", "KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB"};
  for (const char* u : kUnits)
    if (unit == u) return true;
  return false;
}

// Slurm's forms: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. Only the
// shape is checked here; xrun checks the ranges at submission.
bool valid_time(const std::string& v) {
  if (v.empty() || v.size() > 16) return false;
  size_t dash = v.find('-');
  std::string rest = v;
  if (dash != std::string::npos) {
    std::string days = v.substr(0, dash);
    if (days.empty() || days.size() > 4) return false;
    for (char c : days)
      if (!is_digit(c)) return false;
    rest = v.substr(dash + 1);
  }
  int fields = 1;
  size_t run = 0;
  for (char c : rest) {
    if (c == ':') {
      if (run == 0) return false;
      ++fields;
      run = 0;
    } else if (is_digit(c)) {
      if (++run > 6) return false;
    } else {
      return false;
    }
  }
  return run > 0 && fields <= 3;
}

bool valid_name(const std::string& v) {
  if (v.empty() || v.size() > 128) return false;
  for (char c : v) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool apply(const Option& opt, const std::string& value, NativeSpec& out, std::string& error) {
  std::string what = std::string("--") + opt.long_name;
  switch (opt.kind) {
    case Kind::Count: {
      int64_t n = 0;
      if (!parse_count(value, n)) {
        error = what + ": \"" + value + "\" is not a count from 1 to 1000000";
        return false;
      }
      out.*(opt.count) = n;
      return true;
    }
    case Kind::Memory:
      if (!valid_memory(value)) {
        error = what + ": \"" + value + "\" is not a size such as 500M or 4G";
        return false;
      }
      break;
    case Kind::Time:
      if (!valid_time(value)) {
        error = what + ": \"" + value + "\" is not a time such as 30, 01:00:00 or 1-00:00:00";
        return false;
      }
      break;
    case Kind::Name:
      if (!valid_name(value)) {
        error = what + ": \"" + value + "\" is not a name of letters, digits, '_', '-' and '.'";
        return false;
      }
      break;
  }
  out.*(opt.text) = value;
  return true;
}

}  // namespace

bool parse_native_spec(const std::string& text, NativeSpec& out, std::string& error) {
  out = NativeSpec{};
  if (text.size() > kMaxLength) {
    error = "native specification longer than 4096 characters";
    return false;
  }
  std::vector<std::string> tokens = tokens_of(text);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    const Option* opt = nullptr;
    std::optional<std::string> value;
    if (t.size() > 2 && t[0] == '-' && t[1] == '-') {
      size_t eq = t.find('=');
      std::string name = t.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      for (const Option& o : kOptions)
        if (name == o.long_name) opt = &o;
      if (eq != std::string::npos) value = t.substr(eq + 1);
    } else if (t.size() >= 2 && t[0] == '-' && t[1] != '-') {
      for (const Option& o : kOptions)
        if (o.short_name && t[1] == o.short_name) opt = &o;
      if (t.size() > 2) value = t.substr(2);
    }
    if (!opt) {
      error = "native specification: unknown option \"" + t + "\" (see docs/DRMAA.md for the supported ones)";
      return false;
    }
    if (!value) {
      if (i + 1 >= tokens.size()) {
        error = "native specification: option \"" + t + "\" needs a value";
        return false;
      }
      value = tokens[++i];
    }
    if (!apply(*opt, *value, out, error)) {
      error = "native specification: " + error;
      return false;
    }
  }
  return true;
}

bool native_spec_resources(const NativeSpec& spec, std::string& json_members, std::string& error) {
  json_members.clear();
  std::optional<int64_t> per_node = spec.tasks_per_node;
  if (spec.ntasks) {
    int64_t nodes = spec.nodes.value_or(1);
    if (*spec.ntasks % nodes != 0) {
      error = "native specification: --ntasks " + std::to_string(*spec.ntasks) + " does not divide over " +
              std::to_string(nodes) + " nodes (xrun asks for tasks per node)";
      return false;
    }
    int64_t derived = *spec.ntasks / nodes;
    if (per_node && *per_node != derived) {
      error = "native specification: --ntasks and --ntasks-per-node disagree";
      return false;
    }
    per_node = derived;
  }
  auto add = [&](const char* key, const std::string& value_json) {
    if (!json_members.empty()) json_members += ", ";
    json_members += std::string("\"") + key + "\": " + value_json;
  };
  // Values were checked above: counts are digits, texts carry no quote,
  // backslash or control character, so they are valid JSON as written.
  if (spec.nodes) add("nodes", std::to_string(*spec.nodes));
  if (per_node) add("tasks_per_node", std::to_string(*per_node));
  if (spec.cpus_per_task) add("cpus_per_task", std::to_string(*spec.cpus_per_task));
  if (spec.memory) add("memory", "\"" + *spec.memory + "\"");
  if (spec.walltime) add("walltime", "\"" + *spec.walltime + "\"");
  if (spec.partition) add("partition", "\"" + *spec.partition + "\"");
  if (spec.account) add("account", "\"" + *spec.account + "\"");
  if (spec.qos) add("qos", "\"" + *spec.qos + "\"");
  return true;
}

}  // namespace xdrmaa
