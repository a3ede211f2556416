// One parser per output format, fed line by line. A parser never fails on
// its input: whatever it cannot read it leaves unset, and finish() always
// yields a result with a diagnosis.
#pragma once
#include <memory>
#include <string>

#include "parse/diagnosis.h"
#include "parse/line_reader.h"
#include "parse/result_data.h"

namespace xrun::parse {

class CodeParser : public LineSink {
 public:
  void end(std::string_view last_text, int64_t last_number, int64_t total_lines) override {
    last_text_ = std::string(last_text);
    last_number_ = last_number;
    total_lines_ = total_lines;
  }
  // Called once, after end().
  virtual ResultData finish() = 0;

 protected:
  // Reports truncated_output at the last non-blank line.
  void report_truncated(DiagnosisPicker& picker, const char* why) {
    std::string text = why;
    if (!last_text_.empty()) text += "; last line: " + last_text_;
    picker.report("truncated_output", last_number_, text);
  }
  std::string last_text_;
  int64_t last_number_ = 0;
  int64_t total_lines_ = 0;
};

std::unique_ptr<CodeParser> make_qe_parser();
std::unique_ptr<CodeParser> make_crystal_parser();
std::unique_ptr<CodeParser> make_outcar_parser();
std::unique_ptr<CodeParser> make_vasprun_parser();
// VASP OSZICAR and stdout/stderr logs (vasp.out, std_err.txt): one parser
// for both, which tells them apart by their content.
std::unique_ptr<CodeParser> make_vasp_log_parser();

}  // namespace xrun::parse
