#include "parse/diagnosis.h"

#include <array>
#include <cstdint>
#include <iterator>

#include "parse/text_scan.h"

namespace xrun::parse {

int diagnosis_priority(std::string_view code) {
  if (code == "ok") return 0;
  if (code == "ok_with_warnings") return 1;
  if (code == "truncated_output") return 20;
  if (code == "mpi_abort") return 40;
  if (code == "crashed") return 45;
  if (code == "scf_abnormal_end") return 50;
  if (code == "scf_not_converged" || code == "geometry_not_converged") return 60;
  if (code == "killed") return 70;
  if (code == "walltime_exceeded") return 80;
  if (code == "out_of_memory") return 85;
  return 100;
}

bool diagnosis_is_failure(const std::string& code) {
  return !(code == "ok" || code == "ok_with_warnings");
}

std::string printable_excerpt(std::string_view line) {
  line = diagnosis_excerpt(line);
  std::string out(line);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return out;
}

namespace {

// Failures that mean the structure did not reach its optimum.
bool is_geometry_failure(std::string_view code) {
  return code == "geometry_not_converged" || code == "bfgs_history_failure";
}

}  // namespace

void DiagnosisPicker::report(std::string_view code, int64_t line, std::string_view text) {
  if (is_geometry_failure(code)) geometry_failure_reported_ = true;
  int p = diagnosis_priority(code);
  if (p <= priority_) return;
  priority_ = p;
  best_.code = std::string(code);
  best_.line = line;
  best_.text = printable_excerpt(text);
}

void DiagnosisPicker::warn(std::string_view code, int64_t line, std::string_view text) {
  if (warnings_.size() >= kMaxWarnings) return;
  for (const auto& w : warnings_) {
    if (w.code == code) return;  // one entry per kind is enough
  }
  Diagnosis w;
  w.code = std::string(code);
  w.line = line;
  w.text = printable_excerpt(text);
  warnings_.push_back(std::move(w));
}

void DiagnosisPicker::finish(ResultData& data) {
  if (priority_ > 0) {
    data.diagnosis = best_;
  } else {
    data.diagnosis = Diagnosis{};
    data.diagnosis.code = warnings_.empty() ? "ok" : "ok_with_warnings";
  }
  data.warnings = warnings_;
  if (geometry_failure_reported_ || is_geometry_failure(data.diagnosis.code)) data.geometry_converged = false;
  if (data.diagnosis.code == "scf_not_converged") data.scf_converged = false;
}

namespace {

struct CommonMessage {
  std::string_view prefix;  // the trimmed line starts with this
  std::string_view also;    // and contains this ("" = nothing more)
  std::string_view code;
};

// Scheduler, MPI, OS and Fortran run-time messages seen in job output.
// Sources: Slurm slurmstepd/srun, PBS "=>> PBS:", LSF TERM_* reasons,
// Open MPI / MPICH abort texts, Intel forrtl and gfortran run-time errors.
constexpr CommonMessage kCommon[] = {
    {"slurmstepd: error:", "DUE TO TIME LIMIT", "walltime_exceeded"},
    {"slurmstepd: error:", "oom-kill", "out_of_memory"},
    {"slurmstepd: error:", "Exceeded job memory limit", "out_of_memory"},
    {"slurmstepd: error:", "Exceeded step memory limit", "out_of_memory"},
    {"srun: error:", "Killed", "killed"},
    {"srun: error:", "Segmentation fault", "crashed"},
    {"=>> PBS: job killed: walltime", "", "walltime_exceeded"},
    {"=>> PBS: job killed: mem", "", "out_of_memory"},
    {"=>> PBS: job killed: vmem", "", "out_of_memory"},
    {"PBS: job killed: walltime", "", "walltime_exceeded"},
    {"TERM_RUNLIMIT", "", "walltime_exceeded"},
    {"TERM_MEMLIMIT", "", "out_of_memory"},
    {"forrtl: error (78)", "", "killed"},
    {"forrtl: severe (41)", "", "out_of_memory"},
    {"forrtl: No such file", "", "missing_file"},
    {"forrtl: severe (29)", "", "missing_file"},
    {"forrtl: severe", "", "crashed"},
    {"In file '", "Error allocating", "out_of_memory"},
    {"Error allocating", "", "out_of_memory"},
    {"Operating system error: Cannot allocate memory", "", "out_of_memory"},
    {"Allocation would exceed memory limit", "", "out_of_memory"},
    {"Cannot allocate memory", "", "out_of_memory"},
    {"Out of memory", "", "out_of_memory"},
    {"Out Of Memory", "", "out_of_memory"},
    {"MPI_ABORT was invoked", "", "mpi_abort"},
    {"application called MPI_Abort", "", "mpi_abort"},
    {"Program received signal SIGSEGV", "", "crashed"},
    {"Program received signal SIGBUS", "", "crashed"},
    {"Segmentation fault", "", "crashed"},
    {"Killed", "", "killed"},
};

}  // namespace

namespace {

// For each first character, the entries of kCommon that start with it, so
// a line is compared with at most a few prefixes.
struct CommonIndex {
  CommonIndex() {
    for (uint8_t i = 0; i < std::size(kCommon); ++i) {
      auto c = static_cast<unsigned char>(kCommon[i].prefix[0]);
      if (count[c] < kMaxPerChar) entries[c][count[c]++] = i;
    }
  }
  static constexpr int kMaxPerChar = 16;
  uint8_t count[256] = {};
  uint8_t entries[256][kMaxPerChar] = {};
};
const CommonIndex kCommonIndex;

}  // namespace

void add_common_message_prefixes(LinePrefilter& filter) {
  for (const auto& m : kCommon) filter.add(m.prefix);
}

void scan_common_messages(std::string_view trimmed, int64_t number, DiagnosisPicker& picker) {
  if (trimmed.empty()) return;
  const auto c = static_cast<unsigned char>(trimmed[0]);
  for (int k = 0; k < kCommonIndex.count[c]; ++k) {
    const CommonMessage& m = kCommon[kCommonIndex.entries[c][k]];
    if (!starts(trimmed, m.prefix)) continue;
    if (!m.also.empty() && !contains(trimmed, m.also)) continue;
    if (m.prefix == "Killed" && trim(trimmed) != "Killed") continue;
    picker.report(m.code, number, trimmed);
    return;
  }
}

}  // namespace xrun::parse
