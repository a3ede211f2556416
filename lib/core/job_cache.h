// Result caching (opt-in, "cache": true in a job spec), after AiiDA's
// caching without its daemon. At submission a job's content hash is
// computed from what decides its result: the shell command (command or
// argv), workdir, env (sorted), each upload's name and SHA-256 (a
// directory's files by relative path, sorted; a symlink inside by its
// target), the machine's name, the resources as merged with the machine's,
// and the parser with its file -- never the job's name. If a job with the
// same hash completed (and ran itself: a cached copy is never a source),
// the new job is recorded and ends at once as completed, with the
// original's exit code, result and job directory and "cached_from" naming
// it; nothing reaches the machine. Otherwise it runs and its hash is
// recorded for later jobs. Only "cache": true jobs are hashed (uploads are
// read once more for it): a job without it neither uses nor feeds the
// cache. A failed or cancelled job is never a source; pruning the original
// from the store (xrun_prune) takes it out of the cache.
#pragma once
#include <string>

#include "core/job_spec.h"
#include "machine/machine.h"
#include "store/store.h"

namespace xrun {

// Error(XRUN_E_INVALID) for a "cache": true spec the cache cannot stand
// for: an array (one result per task) or dependencies (a parent's output
// is an input no hash sees).
void check_cacheable(const JobSpec& spec);
// Error(XRUN_E_IO) if an upload cannot be read.
std::string content_hash(const Machine& m, const JobSpec& spec);

// Ends `job` (just recorded, state created) as a copy of `source`'s
// result, with its events ("completed (exit 0): cached from ID").
void complete_from_cache(Store& store, const JobRecord& job, const JobRecord& source);

}  // namespace xrun
