// The C handle behind xrun_result. Built by xrun_parse_* here and by the
// job API (xrun_job_result) from a stored result (parse::result_from_json).
#pragma once
#include <memory>
#include <string>

#include "parse/parse.h"

struct xrun_result {
  explicit xrun_result(std::unique_ptr<xrun::parse::Result> r)
      : result(std::move(r)),
        code(result->code()),
        diagnosis(result->diagnosis()),
        diagnosis_text(result->diagnosis_text()) {}

  std::unique_ptr<xrun::parse::Result> result;
  // Strings the C API lends out for the handle's life.
  std::string code;
  std::string diagnosis;
  std::string diagnosis_text;
};
