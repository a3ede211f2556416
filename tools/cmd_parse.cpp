// xrun parse FILE [--parser NAME] [--json]: parse a QE / VASP / CRYSTAL
// output and print its main values and diagnosis (or the whole result as
// JSON). Exit status 0 when the run looks fine, 1 when the diagnosis is a
// failure, 2 on a usage or read error.
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.h"
#include "xrun.h"

namespace xrun_tool {

namespace {

void usage() { fprintf(stderr, "usage: xrun parse FILE [--parser auto|qe|vasp|crystal] [--json]\n"); }

void print_number(xrun_result* r, const char* label, const char* key, const char* unit) {
  double v;
  if (xrun_result_double(r, key, &v) == XRUN_OK) printf("%-20s %.10g %s\n", label, v, unit);
}

}  // namespace

int cmd_parse(int argc, char** argv) {
  const char* path = nullptr;
  const char* parser = "auto";
  bool as_json = false;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--json") == 0) {
      as_json = true;
    } else if (strcmp(argv[i], "--parser") == 0 && i + 1 < argc) {
      parser = argv[++i];
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage();
      return 0;
    } else if (!path && argv[i][0] != '-') {
      path = argv[i];
    } else {
      usage();
      return 2;
    }
  }
  if (!path) {
    usage();
    return 2;
  }
  xrun_result* result = nullptr;
  int status = xrun_parse_file(&result, path, parser);
  if (status != XRUN_OK) {
    fprintf(stderr, "xrun parse: %s\n", xrun_last_error());
    return 2;
  }
  const std::string diagnosis = xrun_result_diagnosis(result);
  if (as_json) {
    char* json = nullptr;
    if (xrun_result_json(&json, result) != XRUN_OK) {
      fprintf(stderr, "xrun parse: %s\n", xrun_last_error());
      xrun_result_free(result);
      return 2;
    }
    printf("%s\n", json);
    xrun_free(json);
  } else {
    printf("%-20s %s\n", "code", xrun_result_code(result));
    print_number(result, "total energy", "total_energy_ev", "eV");
    print_number(result, "Fermi energy", "fermi_energy_ev", "eV");
    print_number(result, "band gap", "band_gap_ev", "eV");
    print_number(result, "SCF iterations", "n_scf_iterations", "");
    print_number(result, "ionic steps", "n_ionic_steps", "");
    print_number(result, "wall time", "wall_time_s", "s");
    printf("%-20s %s", "diagnosis", diagnosis.c_str());
    if (xrun_result_diagnosis_line(result) > 0) {
      printf(" (line %lld: %s)", static_cast<long long>(xrun_result_diagnosis_line(result)),
             xrun_result_diagnosis_text(result));
    }
    printf("\n");
  }
  xrun_result_free(result);
  return diagnosis == "ok" || diagnosis == "ok_with_warnings" ? 0 : 1;
}

}  // namespace xrun_tool
