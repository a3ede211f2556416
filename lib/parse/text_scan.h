// Small, allocation-free helpers for reading numbers and markers out of one
// line of program output. Nothing here reads past the view it is given.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace xrun::parse {

inline std::string_view ltrim(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

inline std::string_view trim(std::string_view s) {
  s = ltrim(s);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

inline bool starts(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

inline bool contains(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}

// Parses the first number at or after the start of `s` (skipping blanks and
// the separators "=:(),;"). Accepts Fortran forms ("-.28E+02", "1.0D-03").
// On success advances `s` past it.
bool next_number(std::string_view& s, double* out);

// The first number after `marker` in `s`, if any.
std::optional<double> number_after(std::string_view s, std::string_view marker);

// A count read as a number ("NKPTS = 10", a line number, a type's ion
// count): only a finite value in [0, 2^53] becomes an integer -- casting a
// NaN, a negative or a huge double to an integer is undefined behaviour.
inline std::optional<int64_t> as_count(double value) {
  if (!(value >= 0.0 && value <= 9007199254740992.0)) return std::nullopt;
  return static_cast<int64_t>(value);
}
inline std::optional<int64_t> as_count(std::optional<double> value) {
  return value ? as_count(*value) : std::nullopt;
}

// Up to `max` numbers from `s`, skipping tokens that are not numbers.
// Returns how many were read.
size_t numbers_in(std::string_view s, double* out, size_t max);

// A QE / CRYSTAL style duration: "3.04s", "5m53.88s", "1h 2m", "2d 3h 4m",
// or a bare number of seconds.
std::optional<double> parse_duration(std::string_view s);

// A bounded copy of a line for a diagnosis text.
std::string_view diagnosis_excerpt(std::string_view line);

}  // namespace xrun::parse
