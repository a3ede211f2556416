// Shared by the machine tests: a throwaway XRUN_HOME and error assertions.
#pragma once
#include <filesystem>
#include <string>

#include "test_common.h"
#include "util/error.h"

// A fresh XRUN_HOME, removed when the test ends normally (a failing test
// leaves it behind for inspection).
struct TempHome {
  std::string dir;
  TempHome() : dir(xrun_test_tempdir("machine")) {}
  ~TempHome() { std::filesystem::remove_all(dir); }
  // Writes `relative` (e.g. "machines/c1.json") and returns its full path.
  std::string write(const std::string& relative, const std::string& text) const {
    std::filesystem::path path = std::filesystem::path(dir) / relative;
    std::filesystem::create_directories(path.parent_path());
    xrun_test_write_file(path.c_str(), text.c_str());
    return path.string();
  }
};

static inline void assert_contains(const std::string& text, const std::string& part) {
  if (text.find(part) == std::string::npos)
    fail_msg("expected \"%s\" in: %s", part.c_str(), text.c_str());
}

// Runs `action`, which must throw Error(XRUN_E_CONFIG); returns the message.
template <class Action>
std::string config_error(Action action) {
  try {
    action();
  } catch (const xrun::Error& e) {
    if (e.status() != XRUN_E_CONFIG) fail_msg("status %d, not XRUN_E_CONFIG: %s", e.status(), e.what());
    return e.what();
  }
  fail_msg("expected an XRUN_E_CONFIG error, got none");
  return "";
}
