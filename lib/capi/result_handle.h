// The xrun_result handle (owned by the parse module's C API).
#pragma once
#include <memory>

#include "parse/parse.h"

struct xrun_result {
  std::unique_ptr<xrun::parse::Result> result;
};
