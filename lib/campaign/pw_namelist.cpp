#include "campaign/pw_namelist.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "util/error.h"

namespace xrun::campaign {

namespace {

// pw.x reads its namelists in this order; a namelist added by an edit goes
// after the ones that precede it here.
constexpr std::string_view kNamelistOrder[] = {"control", "system", "electrons", "ions", "cell", "fcp", "rism"};

size_t order_of(std::string_view name) {
  for (size_t i = 0; i < std::size(kNamelistOrder); ++i) {
    if (kNamelistOrder[i] == name) return i;
  }
  return std::size(kNamelistOrder);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A key as compared: lower case, blanks removed ("Celldm( 1 )" -> "celldm(1)").
std::string normal_key(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
// What can only begin a value, never a key: the second value of a list.
bool starts_value(char c) {
  return c == '\'' || c == '"' || c == '.' || c == '+' || c == '-' || std::isdigit(static_cast<unsigned char>(c));
}

[[noreturn]] void fail(int line, const std::string& what) {
  throw Error(XRUN_E_PARSE, "pw.x input, line " + std::to_string(line) + ": " + what);
}

size_t line_start(const std::string& text, size_t pos) {
  const size_t nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
  return nl == std::string::npos ? 0 : nl + 1;
}

size_t line_end(const std::string& text, size_t pos) {
  const size_t nl = text.find('\n', pos);
  return nl == std::string::npos ? text.size() : nl;
}

// Reads one value at `pos` (a quoted string or a bare token) and returns
// where it ends.
size_t read_value(const std::string& text, size_t pos, int line) {
  const char q = text[pos];
  if (q == '\'' || q == '"') {
    for (size_t i = pos + 1; i < text.size(); ++i) {
      if (text[i] == '\n') break;
      if (text[i] == q) {
        if (i + 1 < text.size() && text[i + 1] == q) {
          ++i;  // a doubled quote stands for one
          continue;
        }
        return i + 1;
      }
    }
    fail(line, std::string("string opened by ") + q + " is not closed on its line");
  }
  size_t end = pos;
  while (end < text.size() && !is_blank(text[end]) && text[end] != '\n' && text[end] != ',' && text[end] != '/' &&
         text[end] != '!')
    ++end;
  return end;
}

}  // namespace

PwInput::PwInput(std::string text) : text_(std::move(text)) { parse(); }

void PwInput::parse() {
  namelists_.clear();
  entries_.clear();
  cards_begin_ = text_.size();
  size_t pos = 0;
  int line = 1;
  while (pos < text_.size()) {
    const char c = text_[pos];
    if (is_blank(c)) {
      ++pos;
    } else if (c == '\n') {
      ++line;
      ++pos;
    } else if (c == '!' || c == '#') {
      pos = line_end(text_, pos);
    } else if (c == '&') {
      size_t end = pos + 1;
      while (end < text_.size() && is_ident(text_[end])) ++end;
      const std::string name = lower(std::string_view(text_).substr(pos + 1, end - pos - 1));
      if (name.empty()) fail(line, "'&' without a namelist name");
      if (name == "end") fail(line, "'&end' outside a namelist");
      for (const auto& other : namelists_) {
        if (other.name == name)
          fail(line, "namelist &" + name + " given twice (first at line " + std::to_string(other.line) + ")");
      }
      namelists_.push_back({name, pos, std::string::npos, line});
      pos = end;
      parse_body(namelists_.size() - 1, pos, line);
    } else {
      cards_begin_ = pos;
      break;
    }
  }
}

void PwInput::parse_body(size_t nl, size_t& pos, int& line) {
  Namelist& n = namelists_[nl];
  while (true) {
    if (pos >= text_.size()) fail(n.line, "&" + n.name + " is not closed by '/'");
    const char c = text_[pos];
    if (c == '\n') {
      ++line;
      ++pos;
    } else if (is_blank(c) || c == ',') {
      ++pos;
    } else if (c == '!') {
      pos = line_end(text_, pos);
    } else if (c == '/') {
      n.slash = pos++;
      return;
    } else if (c == '&') {
      size_t end = pos + 1;
      while (end < text_.size() && is_ident(text_[end])) ++end;
      const std::string name = lower(std::string_view(text_).substr(pos + 1, end - pos - 1));
      if (name != "end")
        fail(line, "&" + name + " begins before &" + n.name + " (line " + std::to_string(n.line) +
                       ") is closed by '/'");
      n.slash = pos;
      pos = end;
      return;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const size_t key_begin = pos;
      while (pos < text_.size() && is_ident(text_[pos])) ++pos;
      size_t key_end = pos;
      while (pos < text_.size() && is_blank(text_[pos])) ++pos;
      if (pos < text_.size() && text_[pos] == '(') {
        const size_t close = text_.find(')', pos);
        if (close == std::string::npos || close > line_end(text_, pos))
          fail(line, "'(' of '" + text_.substr(key_begin, key_end - key_begin) + "' is not closed");
        pos = key_end = close + 1;
        while (pos < text_.size() && is_blank(text_[pos])) ++pos;
      }
      const std::string key = normal_key(std::string_view(text_).substr(key_begin, key_end - key_begin));
      if (pos >= text_.size() || text_[pos] != '=')
        fail(line, "expected '=' after '" + key + "' in &" + n.name);
      ++pos;
      while (pos < text_.size() && is_blank(text_[pos])) ++pos;
      if (pos >= text_.size() || text_[pos] == '\n' || text_[pos] == ',' || text_[pos] == '/' || text_[pos] == '!')
        fail(line, "no value for '" + key + "' in &" + n.name);
      const size_t value_begin = pos;
      size_t value_end = read_value(text_, pos, line);
      // A list (`starting_magnetization = 0.5, 0.3`): its values are one span.
      while (true) {
        size_t q = value_end;
        while (q < text_.size() && (is_blank(text_[q]) || text_[q] == ',')) ++q;
        if (q >= text_.size() || !starts_value(text_[q])) break;
        value_end = read_value(text_, q, line);
      }
      pos = value_end;
      entries_.push_back({nl, key, key_begin, value_begin, value_end});
    } else {
      fail(line, std::string("unexpected '") + c + "' in &" + n.name);
    }
  }
}

size_t PwInput::find_namelist(std::string_view name) const {
  const std::string want = lower(name);
  for (size_t i = 0; i < namelists_.size(); ++i) {
    if (namelists_[i].name == want) return i;
  }
  return std::string::npos;
}

bool PwInput::has_namelist(std::string_view namelist) const {
  return find_namelist(namelist) != std::string::npos;
}

std::optional<std::string> PwInput::get(std::string_view namelist, std::string_view key) const {
  const size_t nl = find_namelist(namelist);
  const std::string k = normal_key(key);
  std::optional<std::string> out;
  for (const auto& e : entries_) {
    if (e.namelist == nl && e.key == k) out = text_.substr(e.value_begin, e.value_end - e.value_begin);
  }
  return out;
}

void PwInput::set(std::string_view namelist, std::string_view key, const std::string& value) {
  // A value must read back as written (no blank-separated words, comment or
  // newline in it); otherwise the input stays as it was.
  const std::string saved = text_;
  bool ok = false;
  try {
    set_unchecked(namelist, key, value);
    ok = get(namelist, key) == value;
  } catch (const Error&) {
    ok = false;
  }
  if (!ok) {
    text_ = saved;
    parse();
    throw Error(XRUN_E_INVALID, "pw.x input: &" + lower(namelist) + " " + std::string(key) + " = " + value +
                                    " would not read back as written");
  }
}

void PwInput::set_unchecked(std::string_view namelist, std::string_view key, const std::string& value) {
  size_t nl = find_namelist(namelist);
  if (nl == std::string::npos) {
    add_namelist(lower(namelist));
    nl = find_namelist(namelist);
  }
  const std::string k = normal_key(key);
  bool found = false;
  // Back to front, so the offsets of earlier entries stay valid.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->namelist != nl || it->key != k) continue;
    text_.replace(it->value_begin, it->value_end - it->value_begin, value);
    found = true;
  }
  if (!found) insert_entry(nl, key, value);
  parse();
}

void PwInput::insert_entry(size_t nl, std::string_view key, const std::string& value) {
  const size_t slash = namelists_[nl].slash;
  const size_t start = line_start(text_, slash);
  const bool slash_alone = std::all_of(text_.begin() + static_cast<long>(start),
                                       text_.begin() + static_cast<long>(slash), is_blank);
  if (!slash_alone) {  // `&IONS ion_dynamics = 'bfgs' /`: blanks separate values too
    const std::string sep = is_blank(text_[slash - 1]) ? "" : " ";
    text_.insert(slash, sep + std::string(key) + " = " + value + " ");
    return;
  }
  // Indent as the namelist's last entry is indented.
  std::string indent = "  ";
  for (const auto& e : entries_) {
    if (e.namelist != nl) continue;
    const size_t ls = line_start(text_, e.key_begin);
    if (std::all_of(text_.begin() + static_cast<long>(ls), text_.begin() + static_cast<long>(e.key_begin), is_blank))
      indent = text_.substr(ls, e.key_begin - ls);
  }
  text_.insert(start, indent + std::string(key) + " = " + value + "\n");
}

void PwInput::add_namelist(const std::string& name) {
  // Written in the case the file uses for its first namelist.
  const bool upper = namelists_.empty() || std::isupper(static_cast<unsigned char>(text_[namelists_[0].begin + 1]));
  std::string header = name;
  if (upper) {
    for (char& c : header) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  const std::string block = "&" + header + "\n/\n";
  const size_t rank = order_of(name);
  size_t at = std::string::npos;  // after the line of the last namelist that comes before it
  for (const auto& n : namelists_) {
    if (order_of(n.name) < rank && (at == std::string::npos || n.slash > at)) at = n.slash;
  }
  if (at != std::string::npos) {
    // After the '/' line, or right after the '/' when more follows it there ("/ &ELECTRONS").
    const size_t end = line_end(text_, at);
    std::string rest = text_.substr(at + 1, end - at - 1);
    rest = rest.substr(0, rest.find('!'));
    if (std::all_of(rest.begin(), rest.end(), is_blank)) {
      at = end == text_.size() ? end : end + 1;
    } else {
      ++at;
    }
  } else {  // before the first namelist that follows it
    at = text_.size();
    for (const auto& n : namelists_) at = std::min(at, line_start(text_, n.begin));
  }
  at = std::min(at, cards_begin_);  // namelists never go among the cards
  const bool own_line = at == 0 || text_[at - 1] == '\n';
  text_.insert(at, (own_line ? "" : "\n") + block);
  parse();
  if (find_namelist(name) == std::string::npos)  // cannot happen for a file parse() accepted
    throw Error(XRUN_E_INTERNAL, "pw.x input: adding &" + name + " failed");
}

bool PwInput::remove(std::string_view namelist, std::string_view key) {
  const size_t nl = find_namelist(namelist);
  const std::string k = normal_key(key);
  bool found = false;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->namelist != nl || it->key != k) continue;
    found = true;
    size_t end = it->value_end;
    while (end < text_.size() && is_blank(text_[end])) ++end;
    if (end < text_.size() && text_[end] == ',') {
      ++end;
      while (end < text_.size() && is_blank(text_[end])) ++end;
    }
    const size_t ls = line_start(text_, it->key_begin);
    const size_t le = line_end(text_, end);
    std::string rest = text_.substr(ls, it->key_begin - ls) + text_.substr(end, le - end);
    rest = rest.substr(0, rest.find('!'));
    const bool nothing_left =
        std::all_of(rest.begin(), rest.end(), [](char c) { return is_blank(c) || c == ','; });
    if (nothing_left) {
      text_.erase(ls, le < text_.size() ? le - ls + 1 : le - ls);
    } else {
      text_.erase(it->key_begin, end - it->key_begin);
    }
  }
  if (found) parse();
  return found;
}

std::string fortran_string(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string fortran_bool(bool b) { return b ? ".true." : ".false."; }

std::string fortran_number(double v) {
  char buf[64];
  for (int digits = 6; digits <= 17; ++digits) {
    snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::optional<std::string> fortran_string_value(std::string_view value) {
  if (value.size() < 2) return std::nullopt;
  const char q = value.front();
  if ((q != '\'' && q != '"') || value.back() != q) return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < value.size(); ++i) {
    out += value[i];
    if (value[i] == q && i + 2 < value.size() && value[i + 1] == q) ++i;
  }
  return out;
}

std::optional<double> fortran_number_value(std::string_view value) {
  std::string s(value);
  if (s.empty()) return std::nullopt;
  for (char& c : s) {
    if (c == 'd' || c == 'D') c = 'e';
  }
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> fortran_bool_value(std::string_view value) {
  std::string s = lower(value);
  if (!s.empty() && s[0] == '.') s.erase(0, 1);
  if (s.empty()) return std::nullopt;
  if (s == "t" || s.rfind("true", 0) == 0 || s.rfind("t.", 0) == 0) return true;
  if (s == "f" || s.rfind("false", 0) == 0 || s.rfind("f.", 0) == 0) return false;
  return std::nullopt;
}

}  // namespace xrun::campaign
