// The logger: forwards to the caller's callback, never to stdout/stderr.
#pragma once
#include <string>

#include "xrun.h"

namespace xrun {

class Logger {
 public:
  Logger() = default;
  Logger(xrun_log_fn fn, int level, void* payload) : fn_(fn), level_(level), payload_(payload) {}
  bool enabled(int level) const { return fn_ != nullptr && level <= level_; }
  void log(int level, const std::string& message) const {
    if (enabled(level)) fn_(level, message.c_str(), payload_);
  }
  void error(const std::string& m) const { log(XRUN_LOG_ERROR, m); }
  void warn(const std::string& m) const { log(XRUN_LOG_WARN, m); }
  void info(const std::string& m) const { log(XRUN_LOG_INFO, m); }
  void debug(const std::string& m) const { log(XRUN_LOG_DEBUG, m); }

 private:
  xrun_log_fn fn_ = nullptr;
  int level_ = XRUN_LOG_WARN;
  void* payload_ = nullptr;
};

}  // namespace xrun
