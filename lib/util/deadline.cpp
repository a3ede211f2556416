#include "util/deadline.h"

#include <algorithm>

namespace xrun {
namespace {
thread_local int64_t t_outer_deadline = kNoDeadline;
}  // namespace

int64_t outer_deadline_ms() { return t_outer_deadline; }

int64_t bounded_deadline(int64_t own_deadline_ms) { return std::min(own_deadline_ms, t_outer_deadline); }

DeadlineScope::DeadlineScope(int64_t deadline_ms) : saved_(t_outer_deadline) {
  t_outer_deadline = std::min(saved_, deadline_ms);
}

DeadlineScope::~DeadlineScope() { t_outer_deadline = saved_; }

}  // namespace xrun
