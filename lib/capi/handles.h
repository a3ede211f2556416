// The opaque C handles: small structs holding the C++ objects, so no void*
// casting is needed. A handle derived from a context holds a shared_ptr to
// it: the context lives until its last handle is freed.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/context.h"
#include "core/spec_builder.h"
#include "store/store.h"

struct xrun_ctx {
  std::shared_ptr<xrun::Context> context;
};

struct xrun_machine {
  std::shared_ptr<xrun::Context> context;
  std::string name;
};

struct xrun_job {
  std::shared_ptr<xrun::Context> context;
  std::string id;
  std::mutex mutex;  // guards record
  xrun::JobRecord record;
};

struct xrun_spec {
  xrun::SpecBuilder builder;
};

struct xrun_events {
  std::vector<xrun::Event> events;
};

namespace xrun::capi {
// JSON of a job record, as xrun_job_info_json documents it.
// With `attempts` (xrun_job_info_json), the record lists them too.
std::string job_record_json(const JobRecord& record, const std::vector<AttemptRecord>* attempts = nullptr);
}  // namespace xrun::capi
