// An editor for VASP INCAR files: `KEY = value` statements, several on a
// line separated by `;`, comments from `#` or `!`, keys case-insensitive, a
// value in double quotes may span lines. Edits change only the bytes they
// touch, so a file without edits is written back byte-identical.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xrun::campaign {

class Incar {
 public:
  // Throws Error(XRUN_E_PARSE) naming the line for a statement without `=`,
  // without a key or value, or an unclosed quoted value.
  explicit Incar(std::string text);

  const std::string& text() const { return text_; }

  // The value as written, without the comment and surrounding blanks; the
  // last statement of a key given several times (the one VASP keeps).
  std::optional<std::string> get(std::string_view key) const;
  // Replaces the value in place, or appends `KEY = value` on a line of its
  // own at the end. Throws Error(XRUN_E_INVALID), leaving the INCAR
  // unchanged, for a value that would not read back as written (with a
  // `;`, a comment or a newline, or a key that is not one).
  void set(std::string_view key, const std::string& value);
  // Removes every statement of the key (its line when nothing else is left
  // on it); false if absent.
  bool remove(std::string_view key);

 private:
  struct Entry {
    std::string key;  // upper case
    size_t stmt_begin, key_begin, value_begin, value_end, stmt_end;  // stmt_end: at ';', comment, '\n' or end
  };
  void parse();
  void set_unchecked(std::string_view key, const std::string& value);

  std::string text_;
  std::vector<Entry> entries_;
};

// Readers of INCAR values; nullopt when not of that type.
std::optional<double> incar_number(std::string_view value);  // 1E-5, 1.0d-5, 0.5
std::optional<bool> incar_bool(std::string_view value);      // .TRUE., T, False, ...

}  // namespace xrun::campaign
