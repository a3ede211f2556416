// Terminal helpers of the xrun tool: the width tables must fit, cutting
// text to a number of columns, and the live progress line of `xrun wait`.
#pragma once
#include <cstddef>
#include <string>

namespace xrun_tool {

// The columns tables on stdout must fit: the terminal's width when stdout
// is a terminal (TIOCGWINSZ), else $COLUMNS when it is a positive number,
// else 0 (no limit).
size_t output_columns();
// The terminal's rows when stdout is a terminal, else 0.
size_t output_rows();

// Columns `text` takes (UTF-8: one per character).
size_t text_columns(const std::string& text);
// `text` cut to at most `columns` columns, ending in an ellipsis when cut.
std::string cut_to_columns(const std::string& text, size_t columns);

}  // namespace xrun_tool
