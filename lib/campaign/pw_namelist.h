// An editor for pw.x inputs: Fortran namelists (&CONTROL, &SYSTEM,
// &ELECTRONS, &IONS, &CELL, ...) followed by cards kept verbatim. Edits
// change only the bytes of the value they touch, so a file read and
// written back without edits is byte-identical and comments, order and
// layout survive every edit.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xrun::campaign {

class PwInput {
 public:
  // Throws Error(XRUN_E_PARSE) naming the line for malformed namelists: one
  // not closed by `/`, a key without `=` or value, an unclosed string, a
  // namelist given twice.
  explicit PwInput(std::string text);

  const std::string& text() const { return text_; }

  // Names and keys are case-insensitive; an array element is named as
  // written without blanks ("celldm(1)", "starting_magnetization(2)").
  bool has_namelist(std::string_view namelist) const;
  // The value as written ("'scf'", ".true.", "1.0d-8"); for a key given
  // several times, the last (the one pw.x uses).
  std::optional<std::string> get(std::string_view namelist, std::string_view key) const;
  // Replaces the value (every value of a list) in place, or appends
  // `key = value` before the namelist's closing `/`, adding the namelist
  // after its predecessors in pw.x's order when missing. `value` is
  // Fortran text: use fortran_string() for strings. Throws
  // Error(XRUN_E_INVALID), leaving the input unchanged, for a value that
  // would not read back as written (an unquoted value with a blank, a
  // comment, a newline).
  void set(std::string_view namelist, std::string_view key, const std::string& value);
  // Removes every `key = value` of the key (its line when nothing else is
  // left on it); false if absent.
  bool remove(std::string_view namelist, std::string_view key);

 private:
  struct Entry {
    size_t namelist;  // index into namelists_
    std::string key;  // lower case, no blanks
    size_t key_begin, value_begin, value_end;
  };
  struct Namelist {
    std::string name;  // lower case, without '&'
    size_t begin;      // the '&'
    size_t slash;      // the closing '/' (or '&end')
    int line;
  };
  void parse();
  void parse_body(size_t nl, size_t& pos, int& line);
  void set_unchecked(std::string_view namelist, std::string_view key, const std::string& value);
  void insert_entry(size_t nl, std::string_view key, const std::string& value);
  size_t find_namelist(std::string_view name) const;  // npos if absent
  void add_namelist(const std::string& name);

  std::string text_;
  std::vector<Namelist> namelists_;
  std::vector<Entry> entries_;
  size_t cards_begin_ = 0;
};

// Fortran literals for set().
std::string fortran_string(std::string_view s);  // 'text'
std::string fortran_bool(bool b);                // .true. / .false.
std::string fortran_number(double v);            // shortest round-trip text

// Readers of values as written; nullopt when not of that type.
std::optional<std::string> fortran_string_value(std::string_view value);
std::optional<double> fortran_number_value(std::string_view value);  // 1.0d-8 too
std::optional<bool> fortran_bool_value(std::string_view value);

}  // namespace xrun::campaign
