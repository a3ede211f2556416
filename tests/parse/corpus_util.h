// Helpers for the parser tests: read files, find the corpus.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

inline std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string corpus_dir() {
  const char* dir = getenv("XRUN_CORPUS_DIR");
  if (!dir || !*dir) {
    fprintf(stderr, "XRUN_CORPUS_DIR is not set (run through ctest)\n");
    abort();
  }
  std::ifstream probe(std::string(dir) + "/expected.json");
  if (!probe) {
    fprintf(stderr, "no expected.json in XRUN_CORPUS_DIR=%s (configure with -DXRUN_PARSE_CORPUS=...)\n", dir);
    abort();
  }
  return dir;
}
