// Helpers for the campaign tests: files of the corpus and of
// tests/fixtures/campaign, read only.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "test_common.h"

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fprintf(stderr, "cannot read %s\n", path.c_str());
    abort();
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string env_dir(const char* name) {
  const char* dir = getenv(name);
  if (!dir || !*dir) {
    fprintf(stderr, "%s is not set (run through ctest)\n", name);
    abort();
  }
  return dir;
}

inline std::string fixture(const std::string& rel) {
  return read_text(env_dir("XRUN_SOURCE_DIR") + "/tests/fixtures/campaign/" + rel);
}

inline std::string corpus(const std::string& rel) { return read_text(env_dir("XRUN_CORPUS_DIR") + "/" + rel); }

// `needle` occurs in `hay`, else the test fails showing both.
#define assert_contains(hay, needle)                                                   \
  do {                                                                                 \
    const std::string h_ = (hay), n_ = (needle);                                       \
    if (h_.find(n_) == std::string::npos) {                                            \
      fprintf(stderr, "expected to find [%s] in:\n%s\n", n_.c_str(), h_.c_str());      \
      fail();                                                                          \
    }                                                                                  \
  } while (0)
