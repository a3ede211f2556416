#include "campaign/incar.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "util/error.h"

namespace xrun::campaign {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void fail(int line, const std::string& what) {
  throw Error(XRUN_E_PARSE, "INCAR, line " + std::to_string(line) + ": " + what);
}

}  // namespace

Incar::Incar(std::string text) : text_(std::move(text)) { parse(); }

void Incar::parse() {
  entries_.clear();
  size_t pos = 0;
  int line = 1;
  while (pos < text_.size()) {
    // One statement: from here to ';', a comment, or the end of the line.
    while (pos < text_.size() && is_blank(text_[pos])) ++pos;
    if (pos >= text_.size()) break;
    const char c = text_[pos];
    if (c == '\n') {
      ++line;
      ++pos;
      continue;
    }
    if (c == ';') {
      ++pos;
      continue;
    }
    if (c == '#' || c == '!') {
      while (pos < text_.size() && text_[pos] != '\n') ++pos;
      continue;
    }
    const size_t stmt_begin = pos;
    const size_t eq = text_.find_first_of("=\n;#!", pos);
    if (eq == std::string::npos || text_[eq] != '=')
      fail(line, "'" + text_.substr(stmt_begin, std::min(eq, text_.size()) - stmt_begin) + "' is not KEY = value");
    size_t key_end = eq;
    while (key_end > stmt_begin && is_blank(text_[key_end - 1])) --key_end;
    const std::string key = text_.substr(stmt_begin, key_end - stmt_begin);
    if (key.empty()) fail(line, "'=' without a key");
    if (!std::all_of(key.begin(), key.end(), [](char k) {
          return std::isalnum(static_cast<unsigned char>(k)) || k == '_' || k == '(' || k == ')' || k == ',';
        }))
      fail(line, "'" + key + "' is not a key");
    pos = eq + 1;
    while (pos < text_.size() && is_blank(text_[pos])) ++pos;
    const size_t value_begin = pos;
    size_t value_end;
    if (pos < text_.size() && text_[pos] == '"') {  // may span lines
      const size_t close = text_.find('"', pos + 1);
      if (close == std::string::npos) fail(line, "the quoted value of " + key + " is not closed");
      line += static_cast<int>(
          std::count(text_.begin() + static_cast<long>(pos), text_.begin() + static_cast<long>(close), '\n'));
      value_end = pos = close + 1;
      while (pos < text_.size() && is_blank(text_[pos])) ++pos;
    } else {
      while (pos < text_.size() && text_[pos] != ';' && text_[pos] != '#' && text_[pos] != '!') {
        if (text_[pos] == '\n') {
          // A line ending in '\' continues on the next.
          size_t back = pos;
          while (back > value_begin && is_blank(text_[back - 1])) --back;
          if (back == value_begin || text_[back - 1] != '\\') break;
          ++line;
        }
        ++pos;
      }
      value_end = pos;
      while (value_end > value_begin && is_blank(text_[value_end - 1])) --value_end;
    }
    if (value_end == value_begin) fail(line, "no value for " + key);
    entries_.push_back({upper(key), stmt_begin, stmt_begin, value_begin, value_end, pos});
  }
}

std::optional<std::string> Incar::get(std::string_view key) const {
  const std::string k = upper(key);
  std::optional<std::string> out;
  for (const auto& e : entries_) {
    if (e.key == k) out = text_.substr(e.value_begin, e.value_end - e.value_begin);
  }
  return out;
}

void Incar::set(std::string_view key, const std::string& value) {
  // A value must read back as written (no ';', comment or newline in it);
  // otherwise the INCAR stays as it was.
  const std::string saved = text_;
  bool ok = false;
  try {
    set_unchecked(key, value);
    ok = get(key) == value;
  } catch (const Error&) {
    ok = false;
  }
  if (!ok) {
    text_ = saved;
    parse();
    throw Error(XRUN_E_INVALID, "INCAR: " + upper(key) + " = " + value + " would not read back as written");
  }
}

void Incar::set_unchecked(std::string_view key, const std::string& value) {
  const std::string k = upper(key);
  bool found = false;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->key != k) continue;
    text_.replace(it->value_begin, it->value_end - it->value_begin, value);
    found = true;
  }
  if (!found) {
    if (!text_.empty() && text_.back() != '\n') text_ += '\n';
    text_ += k + " = " + value + "\n";
  }
  parse();
}

bool Incar::remove(std::string_view key) {
  const std::string k = upper(key);
  bool found = false;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->key != k) continue;
    found = true;
    size_t begin = it->stmt_begin;
    size_t end = it->stmt_end;
    if (end < text_.size() && text_[end] == ';') {  // `A = 1; B = 2` -> `B = 2`
      ++end;
      while (end < text_.size() && is_blank(text_[end])) ++end;
      if (end == text_.size() || text_[end] == '\n') {  // nothing after it: no blanks left behind
        while (begin > 0 && is_blank(text_[begin - 1])) --begin;
      }
    } else {  // `A = 1; B = 2` -> `A = 1`: take the separator before it
      size_t b = begin;
      while (b > 0 && is_blank(text_[b - 1])) --b;
      if (b > 0 && text_[b - 1] == ';') begin = b - 1;
      while (end > it->value_end && is_blank(text_[end - 1])) --end;
    }
    const size_t nl = begin == 0 ? std::string::npos : text_.rfind('\n', begin - 1);
    const size_t ls = nl == std::string::npos ? 0 : nl + 1;
    size_t le = text_.find('\n', end);
    if (le == std::string::npos) le = text_.size();
    std::string rest = text_.substr(ls, begin - ls) + text_.substr(end, le - end);
    rest = rest.substr(0, rest.find_first_of("#!"));
    if (std::all_of(rest.begin(), rest.end(), [](char c) { return is_blank(c) || c == ';'; })) {
      text_.erase(ls, le < text_.size() ? le - ls + 1 : le - ls);
    } else {
      text_.erase(begin, end - begin);
    }
  }
  if (found) parse();
  return found;
}

std::optional<double> incar_number(std::string_view value) {
  std::string s(value);
  for (char& c : s) {
    if (c == 'd' || c == 'D') c = 'e';
  }
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> incar_bool(std::string_view value) {
  std::string s = upper(value);
  if (!s.empty() && s[0] == '.') s.erase(0, 1);
  if (s.empty()) return std::nullopt;
  if (s[0] == 'T') return true;
  if (s[0] == 'F') return false;
  return std::nullopt;
}

}  // namespace xrun::campaign
