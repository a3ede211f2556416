// Helpers the batch schedulers (slurm, pbs, sge, lsf) share: checked
// resource values, scheduler-id lists, array specs and exit codes. Pure
// functions; each throws Error(XRUN_E_INVALID) naming the bad value.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scheduler/scheduler.h"

namespace xrun {

// "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS" (Slurm's forms)
// -> seconds. Throws for anything else.
int64_t walltime_seconds(const std::string& walltime);
// Seconds -> "HH:MM:SS" with hours unbounded (PBS, SGE).
std::string hms(int64_t seconds);

// "500M", "64G", "2T", "1024" (MB), optional trailing "B" or "iB",
// any case -> megabytes (at least 1). Throws for anything else.
int64_t memory_megabytes(const std::string& memory);

// A resource count that must be >= 1.
int64_t positive_count(const std::optional<int64_t>& value, const char* what, int64_t fallback);

// Scheduler ids are digits, optionally followed by one of "_N" / "[N]" /
// ".server" depending on the scheduler; `allowed_extra` lists the extra
// characters allowed after the first digit. Throws naming the xrun job.
const std::string& checked_scheduler_id(const TrackedJob& job, std::string_view allowed_extra);

// Refuses (Error XRUN_E_UNSUPPORTED) a request whose dependencies are not
// all afterok: for the schedulers that render only that one natively.
void require_afterok_only(const ScriptRequest& request, const std::string& scheduler);

// "0-9", "1,3,5-7", "0-99:2", each with an optional "%N" limit -> the task
// indexes, ascending, no duplicates. At most 100000 tasks.
std::vector<int64_t> array_indexes(const std::string& spec);

// True when a scheduler record is evidence for `job`: the xrun id read from
// the record's job name (`id_in_name`, "" when the name is not xrun's) is
// the job's name_id, and the record's submit time (unix seconds, when the
// scheduler printed one) lies between the job's creation and its
// submission, within kClockSkewSeconds of either (the cluster's clock and
// this host's may differ). A record that fails this belongs to another job
// that was given the same scheduler id.
bool record_is_for(const TrackedJob& job, const std::string& id_in_name, std::optional<int64_t> submit_s);
constexpr int64_t kClockSkewSeconds = 3600;

// scheduler id -> every tracked job with it (two when a stale job and a
// new one were given the same id); parsers keep those the record is for.
using JobsById = std::unordered_multimap<std::string_view, const TrackedJob*>;
JobsById jobs_by_scheduler_id(const std::vector<TrackedJob>& jobs);

// A submit time printed as unix seconds, or nullopt ("Unknown", "N/A"...).
std::optional<int64_t> unix_seconds(std::string_view text);

// Splits `line` at each `sep` (empty fields kept).
std::vector<std::string> split_fields(std::string_view line, char sep);

// The exit_code_path of an array job carries this token; the renderer turns
// it into the task index variable of its scheduler, so each task records
// its own exit status (exit_code.<index>).
extern const char* const kArrayTaskToken;
// Replaces kArrayTaskToken in single-quoted shell text by
// '"$<variable>"' (closing, expanding, reopening the quotes).
std::string expand_array_token(std::string text, const std::string& variable);

// The body of a batch script (script_body), for an array job with each
// task recording its own exit status: the task index comes from the
// scheduler's `task_variable` (SLURM_ARRAY_TASK_ID, SGE_TASK_ID, ...).
std::string script_body_for(const ScriptRequest& request, const std::string& task_variable);

// The exit-code file of task `index` of an array job whose exit_code_path
// is `exit_code_path`.
std::string array_task_exit_code_path(const std::string& exit_code_path, int64_t index);

// The leading integer of `text` ("137 (Killed)" -> 137), clamped to
// +-1e6 so no caller can overflow with it; 0 when there is none.
int leading_int(const std::string& text);
// A JSON number as an integer, clamped the same way (a double outside
// long long's range would be undefined behaviour to convert).
long long clamped_integer(double value);

// True if `text` contains any of `needles`.
bool contains_any(std::string_view text, const std::vector<std::string_view>& needles);

}  // namespace xrun
