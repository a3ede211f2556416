// Times xrun_parse_file on one file: best of N runs, in MB/s, plus the peak
// resident memory, to show it does not grow with the file.
//   bench_parse FILE [PARSER] [RUNS]
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "xrun.h"

static double cpu_seconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_parse FILE [PARSER] [RUNS]\n");
    return 2;
  }
  const char* path = argv[1];
  const char* parser = argc > 2 ? argv[2] : "auto";
  const int runs = argc > 3 ? atoi(argv[3]) : 3;
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return 2;
  }
  double best = 1e30, best_cpu = 1e30;
  double energy = 0;
  for (int i = 0; i < runs; ++i) {
    const double c0 = cpu_seconds();
    auto t0 = std::chrono::steady_clock::now();
    xrun_result* r = nullptr;
    if (xrun_parse_file(&r, path, parser) != XRUN_OK) {
      fprintf(stderr, "bench_parse: %s\n", xrun_last_error());
      return 1;
    }
    auto t1 = std::chrono::steady_clock::now();
    xrun_result_double(r, "total_energy_ev", &energy);
    xrun_result_free(r);
    double s = std::chrono::duration<double>(t1 - t0).count();
    if (s < best) best = s;
    if (cpu_seconds() - c0 < best_cpu) best_cpu = cpu_seconds() - c0;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const double mb = static_cast<double>(st.st_size) / 1e6;
  // Wall time is what a user sees; CPU time (user + system) is what the
  // parser costs, and stays comparable on a loaded machine.
  printf("%.1f MB/s wall, %.1f MB/s CPU  (%.1f MB in %.3f s, best of %d; peak RSS %.1f MB; energy %.6f eV)\n",
         mb / best, mb / best_cpu, mb, best, runs, ru.ru_maxrss / 1024.0, energy);
  return 0;
}
