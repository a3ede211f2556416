#include "scheduler/batch_common.h"

#include "machine/units.h"
#include "scheduler/script_common.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "util/error.h"

namespace xrun {

const char* const kArrayTaskToken = "@XRUN_ARRAY_TASK@";

namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int64_t to_int(std::string_view digits, const std::string& whole, const char* what) {
  if (!all_digits(digits) || digits.size() > 12)
    throw Error(XRUN_E_INVALID, std::string(what) + " \"" + whole + "\" is not valid");
  return std::stoll(std::string(digits));
}

}  // namespace

int64_t walltime_seconds(const std::string& walltime) {
  auto seconds = parse_walltime_seconds(walltime);
  if (!seconds)
    throw Error(XRUN_E_INVALID, "walltime \"" + walltime +
                                    "\" is not one of MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS");
  return *seconds;
}

std::string hms(int64_t seconds) { return format_walltime(seconds); }

int64_t memory_megabytes(const std::string& memory) {
  auto normalized = normalize_memory(memory);
  if (!normalized)
    throw Error(XRUN_E_INVALID, "memory \"" + memory + "\" is not a size such as 500M, 64G or 2T");
  return xrun::memory_megabytes(std::string_view(*normalized));
}

int64_t positive_count(const std::optional<int64_t>& value, const char* what, int64_t fallback) {
  if (!value) return fallback;
  if (*value < 1 || *value > 10000000)
    throw Error(XRUN_E_INVALID, std::string(what) + " must be a positive number, not " + std::to_string(*value));
  return *value;
}

const std::string& checked_scheduler_id(const TrackedJob& job, std::string_view allowed_extra) {
  const std::string& id = job.scheduler_id;
  bool ok = !id.empty() && id[0] >= '0' && id[0] <= '9' && id.size() < 256;
  for (char c : id) {
    bool plain = (c >= '0' && c <= '9');
    if (!plain && allowed_extra.find(c) == std::string_view::npos) ok = false;
  }
  if (!ok)
    throw Error(XRUN_E_STATE, "job " + job.job_id + " has no valid scheduler id (\"" + id + "\")");
  return id;
}

std::vector<int64_t> array_indexes(const std::string& spec) {
  std::string_view body = spec;
  if (auto pct = body.find('%'); pct != std::string_view::npos) {
    to_int(body.substr(pct + 1), spec, "array limit");
    body = body.substr(0, pct);
  }
  std::set<int64_t> out;
  for (const auto& item : split_fields(body, ',')) {
    std::string_view range = item;
    int64_t step = 1;
    if (auto colon = range.find(':'); colon != std::string_view::npos) {
      step = to_int(range.substr(colon + 1), spec, "array step");
      range = range.substr(0, colon);
      if (step < 1) throw Error(XRUN_E_INVALID, "array \"" + spec + "\" has a zero step");
    }
    int64_t first, last;
    if (auto dash = range.find('-'); dash != std::string_view::npos) {
      first = to_int(range.substr(0, dash), spec, "array");
      last = to_int(range.substr(dash + 1), spec, "array");
    } else {
      first = last = to_int(range, spec, "array");
    }
    if (last < first) throw Error(XRUN_E_INVALID, "array \"" + spec + "\" has a decreasing range");
    for (int64_t i = first; i <= last; i += step) {
      out.insert(i);
      if (out.size() > 100000) throw Error(XRUN_E_INVALID, "array \"" + spec + "\" has too many tasks");
    }
  }
  if (out.empty()) throw Error(XRUN_E_INVALID, "array \"" + spec + "\" names no task");
  return {out.begin(), out.end()};
}

bool record_is_for(const TrackedJob& job, const std::string& id_in_name, std::optional<int64_t> submit_s) {
  const std::string& want = job.name_id.empty() ? job.job_id : job.name_id;
  if (want.empty()) return false;
  if (id_in_name.empty()) {
    // A record with no xrun name at all: slurmdbd names a job it learnt of
    // only from its start message "allocation". Then only a submit time
    // inside this job's known life makes it this job's record.
    return submit_s && job.created_s > 0 && job.submitted_s > 0 &&
           *submit_s >= job.created_s - kClockSkewSeconds && *submit_s <= job.submitted_s + kClockSkewSeconds;
  }
  if (id_in_name != want) return false;
  if (!submit_s) return true;
  if (job.created_s > 0 && *submit_s < job.created_s - kClockSkewSeconds) return false;
  if (job.submitted_s > 0 && *submit_s > job.submitted_s + kClockSkewSeconds) return false;
  return true;
}

JobsById jobs_by_scheduler_id(const std::vector<TrackedJob>& jobs) {
  JobsById out;
  out.reserve(jobs.size());
  for (const auto& job : jobs)
    if (!job.scheduler_id.empty()) out.emplace(job.scheduler_id, &job);
  return out;
}

std::optional<int64_t> unix_seconds(std::string_view text) {
  if (!all_digits(text) || text.size() > 12) return std::nullopt;
  return std::stoll(std::string(text));
}

std::vector<std::string> split_fields(std::string_view line, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = line.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(line.substr(start));
      return out;
    }
    out.emplace_back(line.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string expand_array_token(std::string text, const std::string& variable) {
  const std::string token = kArrayTaskToken;
  const std::string with = "'\"$" + variable + "\"'";
  for (size_t pos = text.find(token); pos != std::string::npos; pos = text.find(token, pos + with.size()))
    text.replace(pos, token.size(), with);
  return text;
}

std::string script_body_for(const ScriptRequest& request, const std::string& task_variable) {
  if (request.array.empty()) return script_body(request);
  ScriptRequest task = request;
  task.exit_code_path = request.exit_code_path + "." + kArrayTaskToken;
  return expand_array_token(script_body(task), task_variable);
}

std::string array_task_exit_code_path(const std::string& exit_code_path, int64_t index) {
  return exit_code_path + "." + std::to_string(index);
}

int leading_int(const std::string& text) {
  long value = std::strtol(text.c_str(), nullptr, 10);
  return static_cast<int>(std::max(-1000000L, std::min(1000000L, value)));
}

long long clamped_integer(double value) {
  if (!(value > -1e15)) return -1000000000000000LL;  // also NaN
  if (value > 1e15) return 1000000000000000LL;
  return static_cast<long long>(value);
}

bool contains_any(std::string_view text, const std::vector<std::string_view>& needles) {
  for (auto n : needles)
    if (text.find(n) != std::string_view::npos) return true;
  return false;
}

void require_afterok_only(const ScriptRequest& request, const std::string& scheduler) {
  for (DependencyType type : request.depends_on_types)
    if (type != DependencyType::AfterOk)
      throw Error(XRUN_E_UNSUPPORTED, "the " + scheduler + " scheduler renders only afterok dependencies, not " +
                                          dependency_type_name(type));
}

}  // namespace xrun
