#include "job_wrapper.h"

namespace xdrmaa {

namespace {

// A working directory or file that cannot be opened ends the job with
// exit status 127, as a command that cannot be found does.
// $1 index, $2 wd, $3 stdin, $4 stdout, $5 stderr, $6 join (y/n), then the
// command and its arguments. `sub TEXT TOKEN VALUE` replaces every TOKEN
// in TEXT by VALUE into $r (a variable, not $(...), so trailing newlines of
// a path survive); the quoted "$2" in the patterns matches literally.
const char* const kWrapper = R"SH(sub() {
  r= t=$1
  while :; do
    case $t in
      *"$2"*) r=$r${t%%"$2"*}$3; t=${t#*"$2"} ;;
      *) break ;;
    esac
  done
  r=$r$t
}
place() {
  sub "$1" '$drmaa_hd_ph$' "$HOME"
  sub "$r" '$drmaa_wd_ph$' "$wd"
  sub "$r" '$drmaa_incr_ph$' "$i"
}
i=$1 wd=$2 in=$3 out=$4 err=$5 join=$6
shift 6
[ -n "$i" ] || i=${SLURM_ARRAY_TASK_ID:-${SGE_TASK_ID:-${PBS_ARRAY_INDEX:-${PBS_ARRAYID:-${LSB_JOBINDEX:-}}}}}
if [ -n "$wd" ]; then
  place "$wd"; wd=$r
  cd -- "$wd" || exit 127
else
  wd=$PWD
fi
if [ -n "$in" ]; then place "$in"; true < "$r" || exit 127; exec < "$r"; fi
if [ -n "$out" ]; then place "$out"; true > "$r" || exit 127; exec > "$r"; fi
if [ "$join" = y ]; then
  exec 2>&1
elif [ -n "$err" ]; then
  place "$err"; true > "$r" || exit 127; exec 2> "$r"
fi
exec "$@"
)SH";

}  // namespace

std::vector<std::string> wrapped_argv(const WrappedJob& job) {
  std::vector<std::string> argv = {"sh", "-c", kWrapper, "xrun-drmaa", job.index, job.wd, job.input,
                                   job.output, job.error, job.join ? "y" : "n", job.command};
  argv.insert(argv.end(), job.args.begin(), job.args.end());
  return argv;
}

std::string path_of(const std::string& drmaa_path) {
  size_t colon = drmaa_path.find(':');
  if (colon == std::string::npos) return drmaa_path;
  std::string host = drmaa_path.substr(0, colon);
  // "/a:b" and "$drmaa_wd_ph$/a:b" are paths with a colon, not hosts.
  if (host.find_first_of("/$") != std::string::npos) return drmaa_path;
  return drmaa_path.substr(colon + 1);
}

}  // namespace xdrmaa
