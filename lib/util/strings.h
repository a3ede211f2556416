// Small string helpers shared by the loaders and parsers.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace xrun {

std::string_view trim(std::string_view text);
std::vector<std::string> split_lines(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word`, or "" if none is close enough to help.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// `text` if it has at most `max_bytes`; otherwise its head (cut at a UTF-8
// character boundary) and " ... [N bytes cut]". For texts that come from
// outside (scheduler messages) and end up in reasons, events and logs.
std::string cap_text(std::string_view text, size_t max_bytes);
// "~/x" -> "$HOME/x" (local expansion only).
std::string expand_user(std::string_view path);
// The last component of a path, trailing slashes ignored ("a/b/" -> "b").
std::string base_name(std::string_view path);

}  // namespace xrun
