#include "scheduler/scheduler.h"

#include "util/error.h"

namespace xrun {

std::unique_ptr<Scheduler> make_direct_scheduler();
std::unique_ptr<Scheduler> make_slurm_scheduler();
std::unique_ptr<Scheduler> make_pbs_scheduler();
std::unique_ptr<Scheduler> make_sge_scheduler();
std::unique_ptr<Scheduler> make_lsf_scheduler();

std::unique_ptr<Scheduler> make_scheduler(const std::string& name) {
  if (name == "direct") return make_direct_scheduler();
  if (name == "slurm") return make_slurm_scheduler();
  if (name == "pbs") return make_pbs_scheduler();
  if (name == "sge") return make_sge_scheduler();
  if (name == "lsf") return make_lsf_scheduler();
  throw Error(XRUN_E_CONFIG, "unknown scheduler \"" + name +
                                 "\" (known: direct, slurm, pbs, sge, lsf)");
}

}  // namespace xrun
