#include "machine/units.h"

#include <cctype>
#include <cstdio>
#include <vector>

namespace xrun {

namespace {

// Digits only, not empty, and small enough that no sum below overflows.
std::optional<int64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

}  // namespace

std::optional<int64_t> parse_walltime_seconds(std::string_view text) {
  // Slurm's forms, which HPC users write everywhere: "MM", "MM:SS",
  // "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS". The leading field is
  // unbounded; the others must be in range and two digits wide.
  int64_t days = 0;
  std::string_view clock = text;
  size_t dash = text.find('-');
  const bool has_days = dash != std::string_view::npos;
  if (has_days) {
    auto d = parse_count(text.substr(0, dash));
    if (!d) return std::nullopt;
    days = *d;
    clock = text.substr(dash + 1);
  }
  auto parts = split(clock, ':');
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  std::vector<int64_t> v;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto n = parse_count(parts[i]);
    if (!n) return std::nullopt;
    bool leading = i == 0 && !has_days;
    if (!leading && (parts[i].size() != 2 || *n >= 60)) return std::nullopt;
    if (i == 0 && has_days && *n >= 24) return std::nullopt;
    v.push_back(*n);
  }
  int64_t seconds;
  if (has_days) {
    seconds = days * 86400 + v[0] * 3600 + (v.size() > 1 ? v[1] * 60 : 0) + (v.size() > 2 ? v[2] : 0);
  } else if (v.size() == 1) {
    seconds = v[0] * 60;
  } else if (v.size() == 2) {
    seconds = v[0] * 60 + v[1];
  } else {
    seconds = v[0] * 3600 + v[1] * 60 + v[2];
  }
  if (seconds <= 0) return std::nullopt;
  return seconds;
}

std::string format_walltime(int64_t seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  return text;
}

std::optional<std::string> normalize_memory(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  auto amount = parse_count(text.substr(0, digits));
  if (!amount || *amount == 0) return std::nullopt;
  std::string_view unit = text.substr(digits);
  char letter = 'M';  // a bare number is megabytes, as in Slurm's --mem
  if (!unit.empty()) {
    letter = static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0])));
    bool known = letter == 'K' || letter == 'M' || letter == 'G' || letter == 'T';
    bool b_tail = unit.size() == 2 && (unit[1] == 'B' || unit[1] == 'b');
    bool ib_tail = unit.size() == 3 && (unit[1] == 'i' || unit[1] == 'I') && (unit[2] == 'B' || unit[2] == 'b');
    bool tail_ok = unit.size() == 1 || b_tail || ib_tail;
    if (!known || !tail_ok) return std::nullopt;
  }
  return std::to_string(*amount) + letter;
}

int64_t memory_megabytes(std::string_view normalized) {
  if (normalized.empty()) return 0;
  int64_t amount = parse_count(normalized.substr(0, normalized.size() - 1)).value_or(0);
  switch (normalized.back()) {
    case 'K': return (amount + 1023) / 1024;
    case 'G': return amount * 1024;
    case 'T': return amount * 1024 * 1024;
    default: return amount;
  }
}

}  // namespace xrun
