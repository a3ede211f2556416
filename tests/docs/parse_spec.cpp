// Parses each file given on the command line as a job spec with the
// library's own parser (the one xrun_job_submit uses) and says which fail:
// the docs test proves with it that every example in docs/JOBSPEC.md loads.
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/job_spec.h"

int main(int argc, char** argv) {
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i]);
    std::stringstream text;
    text << in.rdbuf();
    try {
      xrun::parse_job_spec(text.str());
      std::cout << "loads: " << argv[i] << "\n";
    } catch (const std::exception& e) {
      std::cout << "REFUSED: " << argv[i] << ": " << e.what() << "\n";
      failed = 1;
    }
  }
  return failed;
}
