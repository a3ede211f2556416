#include "parse/text_scan.h"

#include <charconv>
#include <cstring>

namespace xrun::parse {

namespace {

bool is_separator(char c) {
  return c == ' ' || c == '\t' || c == '=' || c == ':' || c == '(' || c == ')' || c == ',' || c == ';';
}

bool starts_number(std::string_view s) {
  if (s.empty()) return false;
  char c = s[0];
  if (c >= '0' && c <= '9') return true;
  if (c == '-' || c == '+' || c == '.') {
    if (s.size() < 2) return false;
    char d = s[1];
    if (d >= '0' && d <= '9') return true;
    if (d == '.' && c != '.' && s.size() > 2 && s[2] >= '0' && s[2] <= '9') return true;
  }
  return false;
}

// from_chars on one token; Fortran 'D' exponents are rewritten in a small
// local copy because from_chars only knows 'E'.
bool convert(std::string_view token, double* out, size_t* used) {
  const char* begin = token.data();
  const char* end = token.data() + token.size();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  if (ec != std::errc()) return false;
  if (ptr < end && (*ptr == 'D' || *ptr == 'd')) {
    char buf[64];
    size_t n = static_cast<size_t>(end - begin);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, begin, n);
    size_t at = static_cast<size_t>(ptr - begin);
    if (at < n) buf[at] = 'E';
    auto [p2, ec2] = std::from_chars(buf, buf + n, *out);
    if (ec2 != std::errc()) return false;
    *used = static_cast<size_t>(begin - token.data()) + static_cast<size_t>(p2 - buf);
    return true;
  }
  *used = static_cast<size_t>(ptr - token.data());
  return true;
}

}  // namespace

bool next_number(std::string_view& s, double* out) {
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && is_separator(s[i])) ++i;
    s.remove_prefix(i);
    if (s.empty()) return false;
    if (starts_number(s)) {
      size_t used = 0;
      if (convert(s, out, &used)) {
        s.remove_prefix(used);
        return true;
      }
    }
    // Not a number: skip this token.
    size_t j = 0;
    while (j < s.size() && !is_separator(s[j])) ++j;
    if (j == 0) j = 1;
    s.remove_prefix(j);
  }
  return false;
}

std::optional<double> number_after(std::string_view s, std::string_view marker) {
  size_t at = s.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  s.remove_prefix(at + marker.size());
  double v;
  // Only the number that directly follows (after separators) counts.
  size_t i = 0;
  while (i < s.size() && is_separator(s[i])) ++i;
  s.remove_prefix(i);
  if (!starts_number(s)) return std::nullopt;
  if (!next_number(s, &v)) return std::nullopt;
  return v;
}

size_t numbers_in(std::string_view s, double* out, size_t max) {
  size_t n = 0;
  while (n < max && next_number(s, &out[n])) ++n;
  return n;
}

std::optional<double> parse_duration(std::string_view s) {
  s = trim(s);
  double total = 0;
  bool any = false;
  while (!s.empty()) {
    s = ltrim(s);
    if (s.empty()) break;
    double v;
    size_t used = 0;
    if (!starts_number(s) || !convert(s, &v, &used)) break;
    s.remove_prefix(used);
    double scale = 1;
    if (!s.empty()) {
      switch (s[0]) {
        case 'd': scale = 86400; s.remove_prefix(1); break;
        case 'h': scale = 3600; s.remove_prefix(1); break;
        case 'm': scale = 60; s.remove_prefix(1); break;
        case 's': scale = 1; s.remove_prefix(1); break;
        default: break;
      }
    }
    total += v * scale;
    any = true;
  }
  if (!any) return std::nullopt;
  return total;
}

std::string_view diagnosis_excerpt(std::string_view line) {
  line = trim(line);
  if (line.size() > 300) line = line.substr(0, 300);
  return line;
}

}  // namespace xrun::parse
