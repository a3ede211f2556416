// Values the reference file has no entry for: positions, forces, stress,
// ionic energies, checked against the numbers printed in the corpus files.
#include <cmath>
#include <string>

#include "corpus_util.h"
#include "parse/parse.h"
#include "parse/result_data.h"
#include "parse/text_scan.h"
#include "test_common.h"

using xrun::parse::ResultData;

namespace {

constexpr double kRy = 13.605693122994;
constexpr double kBohr = 0.529177210903;

ResultData parse(const char* rel) {
  auto r = xrun::parse::parse_file(corpus_dir() + "/" + rel, "auto");
  return static_cast<const xrun::parse::ParsedResult&>(*r).data();
}

void near(double got, double want, double tol = 1e-9) {
  if (std::fabs(got - want) > tol) {
    fprintf(stderr, "got %.12g, want %.12g\n", got, want);
    fail();
  }
}

void test_qe_relax(void** state) {
  (void)state;
  ResultData d = parse("qe/generated/si_relax.out");
  // "Begin final coordinates": ATOMIC_POSITIONS (alat), alat = 10.2 bohr.
  assert_int_equal(d.final_positions_angstrom.size(), 2);
  assert_string_equal(d.symbols[1].c_str(), "Si");
  near(d.final_positions_angstrom[0][0], 0.0100019211 * 10.2 * kBohr);
  near(d.final_positions_angstrom[1][2], 0.2450015919 * 10.2 * kBohr);
  // The last "Forces acting on atoms" block, Ry/bohr -> eV/A.
  assert_int_equal(d.forces_ev_per_angstrom.size(), 2);
  near(d.forces_ev_per_angstrom[0][0], -0.00001120 * kRy / kBohr);
  near(d.forces_ev_per_angstrom[1][2], -0.00000996 * kRy / kBohr);
  assert_false(d.stress_kbar.has_value());  // relax computes no stress
  assert_int_equal(d.ionic_energies_ev.size(), 6);
  near(d.ionic_energies_ev.back(), -15.8391672 * kRy, 1e-7);
  assert_true(d.geometry_converged == std::optional<bool>(true));
  near(*d.wall_time_s, 2.48);
  near(*d.cpu_time_s, 2.38);
}

void test_qe_scf_stress(void** state) {
  (void)state;
  ResultData d = parse("qe/generated/si_scf.out");
  assert_true(d.stress_kbar.has_value());
  near((*d.stress_kbar)[0][0], -16.78);
  near((*d.stress_kbar)[2][2], -16.78);
  near(d.extra.at("pressure_kbar"), -16.78);
  assert_false(d.geometry_converged.has_value());  // not a relaxation
}

void test_qe_vc_relax_crystal_positions(void** state) {
  (void)state;
  ResultData d = parse("qe/qef_pw_vc-relax_vc-relax1.out");
  // ATOMIC_POSITIONS (crystal) are fractions of the final cell.
  const auto& c = *d.final_cell_angstrom;
  const double f[3] = {0.2724202377, 0.2720833832, 0.2721717647};
  for (int k = 0; k < 3; ++k) near(d.final_positions_angstrom[0][k], f[0] * c[0][k] + f[1] * c[1][k] + f[2] * c[2][k]);
  assert_string_equal(d.program_version->c_str(), "7.2");
}

void test_outcar(void** state) {
  (void)state;
  ResultData d = parse("vasp/custodian_postprocess_OUTCAR");
  assert_int_equal(d.final_positions_angstrom.size(), 4);
  near(d.final_positions_angstrom[2][0], 2.15851);
  near(d.forces_ev_per_angstrom[2][1], 0.009987);
  // "in kB  XX YY ZZ XY YZ ZX"
  const auto& s = *d.stress_kbar;
  near(s[0][0], -1.98922);
  near(s[1][1], -0.31734);
  near(s[0][1], 0.45089);
  near(s[1][0], 0.45089);
  near(s[1][2], -0.78413);
  near(s[0][2], -1.67841);
  near(*d.cpu_time_s, 81.640);
  assert_true(d.geometry_converged == std::optional<bool>(true));
  assert_int_equal(d.ionic_energies_ev.size(), 28);
}

void test_vasprun(void** state) {
  (void)state;
  ResultData d = parse("vasp/custodian_postprocess_vasprun.xml");
  near((*d.stress_kbar)[0][0], -1.98922371);
  near((*d.stress_kbar)[2][1], -0.78412605);
  assert_int_equal(d.forces_ev_per_angstrom.size(), 4);
  near(d.forces_ev_per_angstrom[2][0], -0.00197616);
  assert_int_equal(d.final_positions_angstrom.size(), 4);
  assert_int_equal(d.ionic_energies_ev.size(), 28);
  near(d.ionic_energies_ev.back(), -28.21851457);
}

void test_crystal_positions(void** state) {
  (void)state;
  ResultData d = parse("crystal/ac17_mgo_sto3g_opt.out");
  assert_int_equal(d.final_positions_angstrom.size(), 2);
  assert_string_equal(d.symbols[0].c_str(), "Mg");
  near(d.final_positions_angstrom[1][2], 1.942180612737);
  assert_int_equal(d.ionic_energies_ev.size(), 6);
  assert_true(d.geometry_converged == std::optional<bool>(true));
}

void test_json_round_trip_and_numbers(void** state) {
  (void)state;
  auto r = xrun::parse::parse_file(corpus_dir() + "/crystal/ac17_cry17_spin_opt.out", "auto");
  auto back = xrun::parse::result_from_json(r->to_json());
  assert_string_equal(back->to_json().c_str(), r->to_json().c_str());
  double v;
  assert_true(back->number("band_gap_alpha_ev", &v));
  near(v, 2.4142);
  assert_true(back->number("band_gap_ev", &v));
  near(v, 2.4079);  // the smaller of the two spins
  assert_false(back->number("fermi_energy_ev", &v));
  bool threw = false;
  try {
    xrun::parse::result_from_json("{\"code\": 3}");
  } catch (const std::exception&) {
    threw = true;
  }
  assert_true(threw);
}

// Number and duration forms the codes print.
void test_text_scan(void** state) {
  (void)state;
  using namespace xrun::parse;
  near(*parse_duration(" 5m53.88s "), 353.88);
  near(*parse_duration("   1h 2m "), 3720);
  near(*parse_duration(" 2d 3h 4m"), 2 * 86400 + 3 * 3600 + 240);
  near(*parse_duration("0.45s"), 0.45);
  assert_false(parse_duration("  ").has_value());
  near(*number_after("  28 F= -.28218515E+02 E0= -.28218515E+02", "F="), -28.218515);
  near(*number_after("E =  1.5D-03 Ry", "="), 1.5e-3);
  near(*number_after("x = +4.25", "="), 4.25);
  assert_false(number_after("P= ******", "P=").has_value());  // Fortran overflow field
  double v[3];
  assert_int_equal(numbers_in("a(1) = (  -0.713448   0.000000   0.700708 )", v, 3), 3);
  near(v[0], 1);  // the "1" of "a(1)" comes first: callers skip the label
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qe_relax),
      cmocka_unit_test(test_qe_scf_stress),
      cmocka_unit_test(test_qe_vc_relax_crystal_positions),
      cmocka_unit_test(test_outcar),
      cmocka_unit_test(test_vasprun),
      cmocka_unit_test(test_crystal_positions),
      cmocka_unit_test(test_json_round_trip_and_numbers),
      cmocka_unit_test(test_text_scan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
