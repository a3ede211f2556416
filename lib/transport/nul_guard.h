// Commands and paths reach the OS and libssh as C strings: a NUL byte would
// silently cut them ("a\0b" names "a", "true\0; rm x" runs "true"). Each
// transport entry point refuses them instead.
#pragma once
#include <string>
#include <string_view>

#include "util/error.h"

namespace xrun {

inline void refuse_nul(std::string_view text, const char* what) {
  if (text.find('\0') != std::string_view::npos)
    throw Error(XRUN_E_INVALID, std::string(what) + " contains a NUL byte, which no command or path can carry: \"" +
                                    std::string(text.substr(0, text.find('\0'))) + "\\0...\"");
}

}  // namespace xrun
