// The one exception type thrown inside xrun. lib/capi turns it into the
// status code and this thread's message; nothing else crosses the C ABI.
#pragma once
#include <stdexcept>
#include <string>

#include "xrun.h"

namespace xrun {

class Error : public std::runtime_error {
 public:
  Error(xrun_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  xrun_status status() const { return status_; }

 private:
  xrun_status status_;
};

}  // namespace xrun
