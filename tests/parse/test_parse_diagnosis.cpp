// One test per diagnosis class: every fixture (a faithfully reproduced
// failure, see fixtures/SOURCES.md) and the real failed runs of the corpus
// must give their diagnosis, pointing at the line that shows it.
#include <dirent.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "corpus_util.h"
#include "parse/parse.h"
#include "parse/result_data.h"
#include "parse/diagnosis.h"
#include "test_common.h"
#include "util/error.h"

namespace {

std::string fixtures_dir() { return std::string(xrun_test_env("XRUN_SOURCE_DIR")) + "/tests/parse/fixtures"; }

std::string line_of(const std::string& path, int64_t number) {
  const std::string text = read_whole_file(path);
  int64_t at = 1;
  size_t start = 0;
  while (at < number) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) return "";
    start = nl + 1;
    ++at;
  }
  size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::set<std::string> g_codes_seen;

// `line_shows`: the diagnosis names a line whose text shows it (false where
// it is derived from counts, e.g. vasprun's electronic steps vs NELM).
void expect(const std::string& path, const std::string& parser, const std::string& code, bool line_shows = true) {
  auto r = xrun::parse::parse_file(path, parser);
  if (r->diagnosis() != code) {
    fprintf(stderr, "%s: expected %s, got %s (line %lld: %s)\n", path.c_str(), code.c_str(), r->diagnosis().c_str(),
            static_cast<long long>(r->diagnosis_line()), r->diagnosis_text().c_str());
  }
  assert_string_equal(r->diagnosis().c_str(), code.c_str());
  g_codes_seen.insert(code);
  const auto& data = static_cast<const xrun::parse::ParsedResult&>(*r).data();
  // The flags agree with the diagnosis.
  if (code == "geometry_not_converged" || code == "bfgs_history_failure") {
    assert_true(data.geometry_converged == std::optional<bool>(false));
  }
  if (code == "scf_not_converged") assert_true(data.scf_converged == std::optional<bool>(false));
  if (code == "ok") return;
  assert_true(r->diagnosis_line() > 0);
  // The line named is the one that shows it (in the file named, if a sibling).
  std::string shown = path;
  if (!data.diagnosis.file.empty()) shown = path.substr(0, path.rfind('/') + 1) + data.diagnosis.file;
  const std::string line = xrun::parse::printable_excerpt(line_of(shown, r->diagnosis_line()));
  if (line_shows && code != "truncated_output" && r->diagnosis_text().find(line) == std::string::npos) {
    fprintf(stderr, "%s: line %lld is '%s' but the text is '%s'\n", path.c_str(),
            static_cast<long long>(r->diagnosis_line()), line.c_str(), r->diagnosis_text().c_str());
    fail();
  }
}

const std::set<std::string> kNoCodeWrote = {"vasp__out_of_memory__stderr.txt"};

bool refused_by_auto(const std::string& path) {
  try {
    xrun::parse::parse_file(path, "auto");
  } catch (const xrun::Error& e) {
    return e.status() == XRUN_E_PARSE;
  }
  return false;
}

void test_fixtures(void** state) {
  (void)state;
  std::vector<std::string> names;
  DIR* dir = opendir(fixtures_dir().c_str());
  assert_non_null(dir);
  while (struct dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name.find("__") != std::string::npos) names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  assert_true(names.size() >= 70);
  for (const auto& name : names) {
    size_t a = name.find("__");
    size_t b = name.find("__", a + 2);
    assert_true(b != std::string::npos);
    const std::string path = fixtures_dir() + "/" + name;
    const std::string code = name.substr(a + 2, b - a - 2);
    expect(path, name.substr(0, a), code);
    // Auto-detection is never worse than naming the parser, also for a log
    // that holds little more than the error. Except where no code's words
    // are in the file at all (an srun stderr): auto refuses, as it does the
    // PBS summary of the corpus.
    if (kNoCodeWrote.count(name)) {
      assert_true(refused_by_auto(path));
    } else {
      expect(path, "auto", code);
    }
  }
}

// Regression cases for defect classes found on outputs nobody here had
// seen; each is a minimal file in fixtures/ (SOURCES.md), checked above by
// its name, and here for what the name cannot say.
void test_defect_classes(void** state) {
  (void)state;
  const std::string f = fixtures_dir() + "/";
  // 1. vasprun.xml: NELM read in its own separator, not the GW block's.
  {
    auto r = xrun::parse::parse_file(f + "vasp__ok__vasprun_nelm_in_gw_block.xml", "auto");
    const auto& d = static_cast<const xrun::parse::ParsedResult&>(*r).data();
    assert_true(d.scf_converged == std::optional<bool>(true));
    assert_int_equal(d.extra.at("nelm"), 40);
  }
  // 2. OUTCAR: NELM steps with |dE| far above EDIFF is unconverged even
  // after "aborting loop because EDIFF is reached".
  {
    auto r = xrun::parse::parse_file(f + "vasp__scf_not_converged__outcar_nelm_reached_despite_ediff_line.txt", "auto");
    const auto& d = static_cast<const xrun::parse::ParsedResult&>(*r).data();
    assert_string_equal(d.file_type.c_str(), "OUTCAR");
    assert_int_equal(*d.n_scf_iterations, 5);
  }
  // 3. A stdout that starts like an OSZICAR is the stdout, errors included;
  // a real OSZICAR stays an OSZICAR.
  {
    auto r = xrun::parse::parse_file(f + "vasp__zbrent__stdout_with_oszicar_lines_first.txt", "vasp-oszicar");
    const auto& d = static_cast<const xrun::parse::ParsedResult&>(*r).data();
    assert_string_equal(r->diagnosis().c_str(), "zbrent");
    assert_string_equal(d.file_type.c_str(), "VASP stdout/stderr");
    auto o = xrun::parse::parse_file(corpus_dir() + "/vasp/custodian_postprocess_OSZICAR", "vasp-log");
    assert_string_equal(static_cast<const xrun::parse::ParsedResult&>(*o).data().file_type.c_str(), "OSZICAR");
    assert_string_equal(o->diagnosis().c_str(), "ok");
  }
  // 4. Error-only logs: covered by the auto pass over every fixture above.
  // 5. pw.x: BFGS history failure then "bfgs converged": not converged.
  {
    auto r = xrun::parse::parse_file(f + "qe__bfgs_history_failure__then_bfgs_converged.out", "auto");
    const auto& d = static_cast<const xrun::parse::ParsedResult&>(*r).data();
    assert_true(d.geometry_converged == std::optional<bool>(false));
    std::string json = r->to_json();
    assert_true(json.find("\"geometry_converged\":false") != std::string::npos);
  }
}

// Real failed runs of the corpus.
void test_real_failures(void** state) {
  (void)state;
  const std::string c = corpus_dir();
  expect(c + "/qe/generated/si_scf_maxstep2.out", "auto", "scf_not_converged");
  expect(c + "/qe/generated/si8_relax_maxseconds.out", "auto", "walltime_exceeded");
  expect(c + "/qe/generated/si_scf_missing_pseudo.out", "auto", "missing_pseudopotential");
  expect(c + "/qe/generated/si_scf_missing_pseudo.CRASH", "auto", "missing_pseudopotential");
  {
    // Parsed as a buffer: parse_file would also read the CRASH file next to it.
    const std::string err = read_whole_file(c + "/qe/generated/si_scf_missing_pseudo.err");
    auto r = xrun::parse::parse_buffer(err, "qe");
    assert_string_equal(r->diagnosis().c_str(), "mpi_abort");
    assert_int_equal(r->diagnosis_line(), 2);
    g_codes_seen.insert("mpi_abort");
  }
  expect(c + "/qe/generated/si_scf_memlimit.err", "qe", "out_of_memory");
  expect(c + "/qe/generated/si8_md_killed.out", "auto", "truncated_output");
  expect(c + "/crystal/ac17_nio_sto3g_afm_scf_maxcyc.out", "auto", "scf_not_converged");
  expect(c + "/crystal/ac17_FAILED_SCF_bcc_iron.out", "auto", "scf_not_converged");
  expect(c + "/crystal/ac17_FAILED_GEOM_mackinawite_opt.out", "auto", "geometry_not_converged");
  expect(c + "/crystal/ac17_nio_sto3g_afm_opt_walltime.out", "auto", "killed");
  expect(c + "/crystal/ac17_cry17_incomplete_scf.out", "auto", "truncated_output");
  expect(c + "/vasp/custodian_zpotrf_vasp.out", "auto", "zpotrf");
  expect(c + "/vasp/custodian_large_cell_real_optlay_vasp.out", "auto", "real_optlay");
  expect(c + "/vasp/custodian_std_err.txt.oom", "vasp", "out_of_memory");
  expect(c + "/vasp/custodian_unconverged_vasprun.xml.electronic", "auto", "scf_not_converged", false);
}

// A cut-off stdout whose stderr says why: the sibling's diagnosis is used.
void test_sibling_stderr_explains_cut_output(void** state) {
  (void)state;
  auto r = xrun::parse::parse_file(corpus_dir() + "/qe/generated/si_scf_memlimit.out", "auto");
  assert_string_equal(r->diagnosis().c_str(), "out_of_memory");
  const auto& d = static_cast<const xrun::parse::ParsedResult&>(*r).data();
  assert_string_equal(d.diagnosis.file.c_str(), "si_scf_memlimit.err");
  assert_int_equal(r->diagnosis_line(), 1);
}

// Every class the issue names has a test above.
void test_taxonomy_covered(void** state) {
  (void)state;
  for (const char* code :
       {"scf_not_converged", "geometry_not_converged", "walltime_exceeded", "out_of_memory", "missing_file",
        "input_error", "truncated_output", "crashed", "killed", "mpi_abort", "missing_pseudopotential",
        "cholesky_failed", "npools_too_high", "charge_is_wrong", "bfgs_history_failure", "brmix", "zbrent", "edddav",
        "too_few_bands", "basis_set_linearly_dependent", "scf_abnormal_end"}) {
    if (!g_codes_seen.count(code)) fprintf(stderr, "no test for %s\n", code);
    assert_true(g_codes_seen.count(code) == 1);
  }
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures),
      cmocka_unit_test(test_defect_classes),
      cmocka_unit_test(test_real_failures),
      cmocka_unit_test(test_sibling_stderr_explains_cut_output),
      cmocka_unit_test(test_taxonomy_covered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
