// Grid Engine (SGE, Son of Grid Engine, OGS) outputs: `qstat -xml` job
// lists and `qacct -j` records, turned into xrun states.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "scheduler/scheduler.h"

namespace xrun {

struct SgeQueueEntry {
  std::string job_number;
  std::string name;
  std::string state;  // "qw", "hqw", "r", "Eqw", ...
  std::string tasks;  // "" or the task id / range ("3", "1-4:1")
};

// The <job_list> entries of `qstat -xml` (queue_info and job_info alike).
// Throws Error(XRUN_E_PARSE) when the text is not qstat's XML.
std::vector<SgeQueueEntry> parse_sge_qstat_xml(const std::string& xml);

// State letters -> xrun state ("hqw" -> held, "Eqw" -> held in error...).
JobStatus sge_queue_status(const std::string& state);

// `qacct -j` records: "jobnumber[.taskid]" -> key/value lines.
std::map<std::string, std::map<std::string, std::string>> parse_sge_qacct(const std::string& output);

// One qacct record -> final state (failed, exit_status, deleted_by).
JobStatus sge_accounting_status(const std::map<std::string, std::string>& record);

}  // namespace xrun
