// Chooses the parser for a parser name and the first bytes of the content.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "parse/code_parser.h"

namespace xrun::parse {

constexpr size_t kDetectBytes = 64 * 1024;

// The code whose output `head` looks like ("qe", "vasp-xml", "vasp-outcar",
// "vasp-oszicar", "vasp-log", "crystal"), or "" if none.
std::string detect_format(std::string_view head);

// `parser` is "auto"/"" (detect), "qe", "vasp" (detect which VASP file),
// "crystal", or one of the formats above. Throws Error(XRUN_E_INVALID) for an
// unknown name, Error(XRUN_E_PARSE) when auto-detection recognises nothing.
std::unique_ptr<CodeParser> choose_parser(const std::string& parser, std::string_view head, const std::string& where);

}  // namespace xrun::parse
