// The built-in corrections on real inputs: the corpus's pw.x inputs and
// custodian's VASP inputs (tests/fixtures/campaign/vasp), and VASP outputs
// of the corpus parsed by the project's parser to get the diagnosis. Each
// gives the expected new values, escalates by attempt, and ends (nullopt)
// when nothing is left to try.
#include <set>
#include <string>
#include <vector>

#include "campaign/corrections.h"
#include "campaign/incar.h"
#include "campaign/pw_namelist.h"
#include "campaign_util.h"
#include "parse/parse.h"
#include "util/error.h"

using xrun::campaign::AppliedCorrection;
using xrun::campaign::apply_builtin_correction;
using xrun::campaign::Incar;
using xrun::campaign::InputFiles;
using xrun::campaign::PwInput;

namespace {

InputFiles pw_files(const std::string& corpus_input) {
  InputFiles f;
  f.text["pw.in"] = corpus(corpus_input);
  f.text["job.sh"] = "#!/bin/bash\npw.x -in pw.in > pw.out\n";
  return f;
}

std::string pw_get(const InputFiles& f, const char* nl, const char* key) {
  return PwInput(f.text.at("pw.in")).get(nl, key).value_or("(unset)");
}

AppliedCorrection must_apply(const char* code, const char* diagnosis, int attempt, InputFiles& f,
                             const std::string& result = "") {
  auto c = apply_builtin_correction(code, diagnosis, attempt, result, f);
  if (!c) {
    fprintf(stderr, "no correction for %s %s attempt %d\n", code, diagnosis, attempt);
    fail();
  }
  return *c;
}

void must_not_apply(const char* code, const char* diagnosis, int attempt, InputFiles& f,
                    const std::string& result = "") {
  const InputFiles before = f;
  auto c = apply_builtin_correction(code, diagnosis, attempt, result, f);
  if (c) {
    fprintf(stderr, "unexpected correction %s for %s attempt %d: %s\n", c->name.c_str(), diagnosis, attempt,
            c->edits.empty() ? "" : c->edits[0].c_str());
    fail();
  }
  assert_true(f.text == before.text);  // untouched
}

std::string all_edits(const AppliedCorrection& c) {
  std::string s;
  for (const auto& e : c.edits) s += e + "\n";
  return s;
}

// ---- pw.x

void test_qe_scf_not_converged(void** state) {
  (void)state;
  InputFiles f = pw_files("qe/generated/si_scf_maxstep2.in");
  AppliedCorrection c = must_apply("qe", "scf_not_converged", 1, f);
  assert_string_equal(c.name.c_str(), "qe_scf_not_converged");
  assert_string_equal(c.diagnosis.c_str(), "scf_not_converged");
  assert_true(c.restart);
  assert_contains(all_edits(c), "pw.in: &ELECTRONS mixing_beta (unset) -> 0.56\n");
  assert_contains(all_edits(c), "pw.in: &ELECTRONS electron_maxstep 2 -> 100\n");
  assert_contains(all_edits(c), "pw.in: &CONTROL restart_mode (unset) -> 'restart'\n");
  assert_string_equal(pw_get(f, "control", "restart_mode").c_str(), "'restart'");
  assert_string_equal(f.text["job.sh"].c_str(), "#!/bin/bash\npw.x -in pw.in > pw.out\n");
  // Escalates until mixing_beta is at its floor and electron_maxstep at its cap, then stops.
  c = must_apply("qe", "scf_not_converged", 2, f);
  assert_string_equal(pw_get(f, "electrons", "mixing_beta").c_str(), "0.448");
  assert_string_equal(pw_get(f, "electrons", "electron_maxstep").c_str(), "200");
  int more = 0;
  while (apply_builtin_correction("qe", "scf_not_converged", 3 + more, "", f)) assert_true(++more < 20);
  assert_string_equal(pw_get(f, "electrons", "mixing_beta").c_str(), "0.1");
  assert_string_equal(pw_get(f, "electrons", "electron_maxstep").c_str(), "1000");
  assert_int_equal(more, 7);  // 0.3584 0.2867 0.2294 0.1835 0.1468 0.1174 0.1
  must_not_apply("qe", "scf_not_converged", 10, f);
  // The file still parses and the cards are untouched.
  assert_contains(f.text["pw.in"], "K_POINTS automatic\n 4 4 4 1 1 1\n");
}

void test_qe_walltime(void** state) {
  (void)state;
  InputFiles f = pw_files("qe/generated/si8_relax_maxseconds.in");
  PwInput in(f.text["pw.in"]);
  in.set("electrons", "startingwfc", "'file'");
  f.text["pw.in"] = in.text();
  AppliedCorrection c = must_apply("qe", "walltime_exceeded", 1, f);
  assert_string_equal(c.name.c_str(), "qe_walltime_restart");
  assert_true(c.restart);
  assert_string_equal(pw_get(f, "control", "restart_mode").c_str(), "'restart'");
  assert_string_equal(pw_get(f, "electrons", "startingwfc").c_str(), "(unset)");
  assert_contains(all_edits(c), "&ELECTRONS startingwfc 'file' removed");
  // Again: nothing left to change, but restarting is still the answer.
  c = must_apply("qe", "walltime_exceeded", 2, f);
  assert_contains(all_edits(c), "already 'restart'");
}

void test_qe_diagonalization(void** state) {
  (void)state;
  for (const char* d : {"cholesky_failed", "too_many_bands_not_converged", "eigenvectors_not_converged",
                        "s_matrix_not_positive_definite", "zhegvd_failed", "qr_failed",
                        "broyden_factorization_failed"}) {
    InputFiles f = pw_files("qe/generated/si_scf.in");
    AppliedCorrection c = must_apply("qe", d, 1, f);
    assert_string_equal(c.name.c_str(), "qe_diagonalization");
    assert_false(c.restart);
    assert_string_equal(pw_get(f, "electrons", "diagonalization").c_str(), "'ppcg'");
    must_apply("qe", d, 2, f);
    assert_string_equal(pw_get(f, "electrons", "diagonalization").c_str(), "'cg'");
    must_not_apply("qe", d, 3, f);
  }
}

void test_qe_bfgs(void** state) {
  (void)state;
  InputFiles relax = pw_files("qe/generated/si_relax.in");
  AppliedCorrection c = must_apply("qe", "bfgs_history_failure", 1, relax);
  assert_string_equal(pw_get(relax, "ions", "ion_dynamics").c_str(), "'damp'");
  assert_true(c.restart);
  must_not_apply("qe", "bfgs_history_failure", 2, relax);

  InputFiles vc = pw_files("qe/generated/si_vcrelax.in");
  must_apply("qe", "bfgs_history_failure", 1, vc);
  assert_string_equal(pw_get(vc, "ions", "trust_radius_ini").c_str(), "0.001");
  assert_string_equal(pw_get(vc, "ions", "trust_radius_min").c_str(), "0.0001");
  must_apply("qe", "bfgs_history_failure", 2, vc);  // at 1e-4: switch the dynamics
  assert_string_equal(pw_get(vc, "ions", "ion_dynamics").c_str(), "'damp'");
  assert_string_equal(pw_get(vc, "cell", "cell_dynamics").c_str(), "'damp-w'");
  must_not_apply("qe", "bfgs_history_failure", 3, vc);

  InputFiles scf = pw_files("qe/generated/si_scf.in");
  must_not_apply("qe", "bfgs_history_failure", 1, scf);
}

void test_qe_geometry_cell_charge(void** state) {
  (void)state;
  InputFiles relax = pw_files("qe/generated/si8_relax_maxseconds.in");
  AppliedCorrection c = must_apply("qe", "geometry_not_converged", 1, relax);
  assert_string_equal(c.name.c_str(), "qe_geometry_more_steps");
  assert_string_equal(pw_get(relax, "control", "nstep").c_str(), "100");
  InputFiles scf = pw_files("qe/generated/si_scf.in");
  must_not_apply("qe", "geometry_not_converged", 1, scf);

  InputFiles vc = pw_files("qe/generated/si_vcrelax.in");
  must_apply("qe", "radial_fft_volume_contraction", 1, vc);
  assert_string_equal(pw_get(vc, "cell", "cell_factor").c_str(), "4");
  must_apply("qe", "radial_fft_volume_contraction", 2, vc);
  assert_string_equal(pw_get(vc, "cell", "cell_factor").c_str(), "8");

  c = must_apply("qe", "charge_is_wrong", 1, scf);
  assert_string_equal(pw_get(scf, "system", "occupations").c_str(), "'smearing'");
  assert_string_equal(pw_get(scf, "system", "smearing").c_str(), "'cold'");
  assert_string_equal(pw_get(scf, "system", "degauss").c_str(), "0.01");
  must_not_apply("qe", "charge_is_wrong", 2, scf);  // smearing, pw.x chose nbnd
  InputFiles al = pw_files("qe/generated/al_scf_smearing.in");
  PwInput in(al.text["pw.in"]);
  in.set("system", "nbnd", "10");
  al.text["pw.in"] = in.text();
  must_apply("qe", "charge_is_wrong", 1, al);
  assert_string_equal(pw_get(al, "system", "nbnd").c_str(), "14");
  assert_string_equal(pw_get(al, "electrons", "startingpot").c_str(), "'file'");
}

void test_qe_not_an_input_fix(void** state) {
  (void)state;
  InputFiles f = pw_files("qe/generated/si_scf.in");
  for (const char* d : {"out_of_memory", "killed", "missing_pseudopotential", "ok", "no_such_code", "npools_too_high"})
    must_not_apply("qe", d, 1, f);
  must_not_apply("crystal", "scf_not_converged", 1, f);
  InputFiles none;
  none.text["job.sh"] = "pw.x\n";
  must_not_apply("qe", "scf_not_converged", 1, none);
  // "auto" recognises the pw.x input by its &CONTROL.
  assert_string_equal(must_apply("auto", "scf_not_converged", 1, f).name.c_str(), "qe_scf_not_converged");
}

void test_qe_find_input(void** state) {
  (void)state;
  std::map<std::string, std::string> c;
  c["Si.pz-vbc.UPF"] = fixture("qe/Si.pz-vbc.UPF");
  c["a_job.sh"] = "#!/bin/sh\necho '&control'\n";
  assert_string_equal(xrun::campaign::find_pw_input(c).c_str(), "");
  c["scf.in"] = corpus("qe/generated/si_scf.in");
  assert_string_equal(xrun::campaign::find_pw_input(c).c_str(), "scf.in");
  assert_true(xrun::campaign::correction_inputs("qe").empty());
  const auto vasp = xrun::campaign::correction_inputs("vasp-xml");
  assert_string_equal(vasp.at(0).c_str(), "INCAR");

  // A malformed pw.x input is an error naming the file and line, not a silent "no correction".
  InputFiles bad;
  bad.text["pw.in"] = "&CONTROL\n  calculation = 'scf'\n&SYSTEM\n/\n";
  try {
    apply_builtin_correction("qe", "scf_not_converged", 1, "", bad);
    fail();
  } catch (const xrun::Error& e) {
    assert_int_equal(e.status(), XRUN_E_PARSE);
    assert_contains(e.what(), "pw.in: pw.x input, line 3: &system begins before &control");
  }
}

// ---- VASP

InputFiles vasp_files(const char* incar = "custodian_INCAR") {
  InputFiles f;
  f.text["INCAR"] = fixture(std::string("vasp/") + incar);
  f.text["KPOINTS"] = fixture("vasp/custodian_KPOINTS");
  f.text["POSCAR"] = fixture("vasp/custodian_POSCAR");
  f.text["CONTCAR"] = fixture("vasp/custodian_CONTCAR");
  return f;
}

std::string incar(const InputFiles& f, const char* key) {
  return Incar(f.text.at("INCAR")).get(key).value_or("(unset)");
}

struct Case {
  const char* diagnosis;
  const char* incar;  // fixture
  int attempt;
  const char* name;
  const char* edit;  // one of the edits, verbatim
};

// One correction per row on custodian's inputs (custodian_INCAR: ALGO Fast,
// EDIFF 0.0004, IBRION 2, ISMEAR -5, LREAL Auto, NSW 99, SYMPREC 1e-5,
// SIGMA 0.05; KPOINTS Monkhorst 8 2 2; POSCAR 8 atoms).
const Case kCases[] = {
    {"tet", "custodian_INCAR", 1, "vasp_tet", "INCAR: ISMEAR -5 -> 0"},
    {"edddav", "custodian_INCAR", 1, "vasp_edddav", "INCAR: ALGO Fast -> All"},
    {"edddav", "custodian_INCAR", 1, "vasp_edddav", "INCAR: ISEARCH (unset) -> 1"},
    {"eddrmm", "custodian_INCAR", 1, "vasp_eddrmm", "INCAR: ALGO Fast -> Normal"},
    {"eddrmm", "custodian_unconverged_INCAR", 1, "vasp_eddrmm", "INCAR: POTIM (unset) -> 0.25"},
    {"pricel", "custodian_INCAR", 1, "vasp_pricel", "INCAR: SYMPREC 1e-5 -> 1e-08"},
    {"pricel", "custodian_INCAR", 1, "vasp_pricel", "INCAR: ISYM (unset) -> 0"},
    {"real_optlay", "custodian_large_cell_real_optlay_INCAR", 1, "vasp_lreal_off", "INCAR: LREAL True -> .FALSE."},
    {"rspher", "custodian_INCAR", 1, "vasp_lreal_off", "INCAR: LREAL Auto -> .FALSE."},
    {"nicht_konv", "custodian_INCAR", 1, "vasp_lreal_off", "INCAR: LREAL Auto -> .FALSE."},
    {"geometry_not_converged", "custodian_INCAR", 1, "vasp_geometry_continue", "INCAR: IBRION 2 -> 1"},
    {"geometry_not_converged", "custodian_INCAR", 1, "vasp_geometry_continue",
     "POSCAR: replaced by CONTCAR (continue from the last ionic step)"},
    {"amin", "custodian_INCAR", 1, "vasp_amin", "INCAR: AMIN (unset) -> 0.01"},
    {"inv_rot_mat", "custodian_INCAR", 1, "vasp_inv_rot_mat", "INCAR: SYMPREC 1e-5 -> 1e-08"},
    {"ibzkpt", "custodian_INCAR", 1, "vasp_ibzkpt", "INCAR: ISYM (unset) -> 0"},
    {"ibzkpt", "custodian_INCAR", 2, "vasp_ibzkpt", "INCAR: SYMPREC 1e-5 -> 1e-06"},
    {"rot_matrix", "custodian_INCAR", 1, "vasp_rot_matrix", "KPOINTS: Monkhorst -> Gamma"},
    {"tetirr", "custodian_INCAR", 1, "vasp_gamma_mesh", "KPOINTS: Monkhorst -> Gamma"},
    {"incorrect_shift", "custodian_INCAR", 1, "vasp_gamma_mesh", "KPOINTS: Monkhorst -> Gamma"},
    {"pssyevx", "custodian_INCAR", 1, "vasp_algo_normal", "INCAR: ALGO Fast -> Normal"},
    {"pdsyevx", "custodian_INCAR", 1, "vasp_algo_normal", "INCAR: ALGO Fast -> Normal"},
    {"zheev", "custodian_INCAR", 1, "vasp_zheev", "INCAR: ALGO Fast -> Normal"},
    {"eddiag", "custodian_unconverged_INCAR", 1, "vasp_zheev", "INCAR: ALGO Normal -> Exact"},
    {"rhosyg", "custodian_INCAR", 1, "vasp_rhosyg", "INCAR: SYMPREC 1e-5 -> 0.0001"},
    {"point_group", "custodian_INCAR", 1, "vasp_symmetry_off", "INCAR: ISYM (unset) -> 0"},
    {"hnform", "custodian_INCAR", 1, "vasp_symmetry_off", "INCAR: ISYM (unset) -> 0"},
    {"dfpt_ncore", "custodian_INCAR", 1, "vasp_dfpt_ncore", "INCAR: NPAR 1 removed"},
    {"bravais", "custodian_INCAR", 1, "vasp_bravais", "INCAR: SYMPREC 1e-5 -> 1e-06"},
    {"brions", "custodian_INCAR", 1, "vasp_brions", "INCAR: POTIM (unset) -> 0.6"},
    {"brions", "custodian_too_few_bands_INCAR", 2, "vasp_brions", "INCAR: IBRION 1 -> 2"},
    {"algo_tet", "custodian_large_cell_real_optlay_INCAR", 2, "vasp_algo_tet", "INCAR: ISMEAR -5 -> 0"},
    {"grad_not_orth", "custodian_unconverged_INCAR", 1, "", ""},  // ALGO Normal: nothing to change
    {"elf_kpar", "custodian_INCAR", 1, "", ""},                   // KPAR is 1 already
    {"subspacematrix", "custodian_too_few_bands_INCAR", 2, "", ""},  // PREC is Accurate already
    {"too_few_bands", "custodian_too_few_bands_INCAR", 1, "", ""},   // no NBANDS anywhere
    {"out_of_memory", "custodian_INCAR", 1, "", ""},
    {"set_core_wf", "custodian_INCAR", 1, "", ""},
    {"read_error", "custodian_INCAR", 1, "", ""},
};

void test_vasp_table_cases(void** state) {
  (void)state;
  for (const auto& k : kCases) {
    InputFiles f = vasp_files(k.incar);
    if (!*k.name) {
      must_not_apply("vasp", k.diagnosis, k.attempt, f);
      continue;
    }
    AppliedCorrection c = must_apply("vasp", k.diagnosis, k.attempt, f);
    if (c.name != k.name) {
      fprintf(stderr, "%s: %s, want %s\n", k.diagnosis, c.name.c_str(), k.name);
      fail();
    }
    assert_false(c.restart);
    assert_contains(all_edits(c), std::string(k.edit) + "\n");
    // Every edited INCAR still parses and keeps the untouched statements.
    Incar after(f.text["INCAR"]);
    const Incar original(fixture(std::string("vasp/") + k.incar));
    assert_string_equal(after.get("ENCUT").value_or("").c_str(), original.get("ENCUT").value_or("").c_str());
  }
}

void test_vasp_brmix_ladder(void** state) {
  (void)state;
  InputFiles f = vasp_files();
  const char* want[] = {"INCAR: ISTART (unset) -> 1", "INCAR: IMIX (unset) -> 1",
                        "KPOINTS: Monkhorst -> Gamma, mesh 8 2 2 -> 9 3 3", "INCAR: ISYM (unset) -> 0"};
  for (int attempt = 1; attempt <= 4; ++attempt) {
    AppliedCorrection c = must_apply("vasp", "brmix", attempt, f);
    assert_contains(all_edits(c), std::string(want[attempt - 1]) + "\n");
  }
  assert_string_equal(incar(f, "IMIX").c_str(), "(unset)");  // removed with the k-mesh change
  assert_string_equal(f.text["KPOINTS"].c_str(), "Automatic kpoint scheme\n0\nGamma\n9 3 3\n");
  must_not_apply("vasp", "brmix", 5, f);
  // An attempt past a step that no longer changes anything takes the next one.
  InputFiles g = vasp_files("custodian_unconverged_INCAR");  // ISTART = 1 already
  assert_contains(all_edits(must_apply("vasp", "brmix", 1, g)), "INCAR: IMIX (unset) -> 1");
}

void test_vasp_zbrent_subspace_symprec(void** state) {
  (void)state;
  InputFiles f = vasp_files();
  AppliedCorrection c = must_apply("vasp", "zbrent", 1, f);
  assert_contains(all_edits(c), "POSCAR: replaced by CONTCAR");
  assert_string_equal(incar(f, "EDIFF").c_str(), "1e-06");
  assert_string_equal(incar(f, "NELMIN").c_str(), "8");
  assert_string_equal(incar(f, "IBRION").c_str(), "2");
  must_apply("vasp", "zbrent", 2, f);
  assert_string_equal(incar(f, "EDIFF").c_str(), "1e-07");
  assert_string_equal(incar(f, "IBRION").c_str(), "1");
  must_apply("vasp", "zbrent", 3, f);
  assert_string_equal(incar(f, "EDIFF").c_str(), "1e-08");
  must_not_apply("vasp", "zbrent", 4, f);

  InputFiles s = vasp_files();
  must_apply("vasp", "subspacematrix", 1, s);
  assert_string_equal(incar(s, "LREAL").c_str(), ".FALSE.");
  assert_string_equal(incar(s, "PREC").c_str(), "(unset)");
  must_apply("vasp", "subspacematrix", 2, s);
  assert_string_equal(incar(s, "PREC").c_str(), "Accurate");
  must_not_apply("vasp", "subspacematrix", 3, s);

  for (const char* d : {"pricelv", "posmap"}) {
    InputFiles p = vasp_files();
    must_apply("vasp", d, 1, p);
    assert_string_equal(incar(p, "SYMPREC").c_str(), "1e-06");
    must_apply("vasp", d, 2, p);
    assert_string_equal(incar(p, "SYMPREC").c_str(), "0.0001");
    must_apply("vasp", d, 3, p);
    assert_string_equal(incar(p, "ISYM").c_str(), "0");
    must_not_apply("vasp", d, 4, p);
  }
}

void test_vasp_bands_and_zpotrf(void** state) {
  (void)state;
  InputFiles f = vasp_files("custodian_too_few_bands_INCAR");
  must_apply("vasp", "too_few_bands", 1, f, "{\"code\":\"vasp\",\"nbands\":44}");
  assert_string_equal(incar(f, "NBANDS").c_str(), "48");
  InputFiles o = vasp_files("custodian_too_few_bands_INCAR");
  o.text["OUTCAR"] =
      "   k-points           NKPTS =      1   k-points in BZ     NKDIM =      1   number of bands    NBANDS=     7\n";
  must_apply("vasp", "too_few_bands", 1, o);
  assert_string_equal(incar(o, "NBANDS").c_str(), "8");  // at least one more
  InputFiles l = vasp_files("custodian_lobster_vasp_lobster_output_v51_INCAR");
  must_apply("vasp", "too_few_bands", 1, l);
  assert_string_equal(incar(l, "NBANDS").c_str(), "35");
  assert_contains(l.text["INCAR"], "  NBANDS = 35\n");  // in place, layout kept

  // zpotrf on the first ionic step of a relaxation: a 20% larger cell.
  InputFiles z = vasp_files();
  AppliedCorrection c = must_apply("vasp", "zpotrf", 1, z, "{\"n_ionic_steps\":0}");
  assert_contains(all_edits(c), "INCAR: ISYM (unset) -> 0\n");
  assert_contains(all_edits(c), "POSCAR: scale 1.0 -> 1.2\n");
  assert_contains(z.text["POSCAR"], "Na2 Fe1 Ni1 O4\n1.2\n-2.816100");
  // Later in the relaxation: POTIM halved.
  InputFiles later = vasp_files();
  must_apply("vasp", "zpotrf", 1, later, "{\"n_ionic_steps\":4}");
  assert_string_equal(incar(later, "POTIM").c_str(), "0.25");
  // A small cell over-parallelised: NCORE 1, NPAR removed.
  InputFiles small = vasp_files("custodian_too_few_bands_INCAR");  // NPAR = 2
  small.text["POSCAR"] = "Si2\n1.0\n0 2.7 2.7\n2.7 0 2.7\n2.7 2.7 0\nSi\n2\ndirect\n0 0 0\n0.25 0.25 0.25\n";
  c = must_apply("vasp", "zpotrf", 1, small, "{\"n_ionic_steps\":0}");
  assert_contains(all_edits(c), "INCAR: NCORE (unset) -> 1\n");
  assert_contains(all_edits(c), "INCAR: NPAR 2 removed\n");
}

void test_vasp_unconverged_ladder(void** state) {
  (void)state;
  InputFiles f = vasp_files();  // ALGO Fast, ISMEAR -5
  must_apply("vasp", "scf_not_converged", 1, f);
  assert_string_equal(incar(f, "ALGO").c_str(), "Normal");
  AppliedCorrection c = must_apply("vasp", "scf_not_converged", 2, f);  // ISMEAR < 0: no All, the mixing
  assert_string_equal(incar(f, "NELMDL").c_str(), "-6");
  assert_string_equal(incar(f, "BMIX").c_str(), "0.001");
  assert_string_equal(incar(f, "AMIX_MAG").c_str(), "0.8");
  assert_string_equal(incar(f, "ISTART").c_str(), "1");
  must_not_apply("vasp", "scf_not_converged", 3, f);
  // custodian's own "unconverged" input (mixing already set, ISMEAR 0): ALGO All, then the end.
  InputFiles u = vasp_files("custodian_unconverged_INCAR");
  must_apply("vasp", "scf_not_converged", 1, u);
  assert_string_equal(incar(u, "ALGO").c_str(), "All");
  assert_string_equal(incar(u, "ISEARCH").c_str(), "1");
  must_not_apply("vasp", "scf_not_converged", 2, u);
  // A single-letter ALGO is read as VASP reads it.
  InputFiles v = vasp_files();
  Incar in(v.text["INCAR"]);
  in.set("ALGO", "V");
  v.text["INCAR"] = in.text();
  assert_contains(all_edits(must_apply("vasp", "scf_not_converged", 1, v)), "INCAR: ALGO V -> Fast");
  // No INCAR: nothing to do.
  InputFiles none;
  must_not_apply("vasp", "scf_not_converged", 1, none);
}

// Recorded VASP outputs of the corpus, parsed by the project's parser: the
// diagnosis it gives is answered on the input of the same custodian test.
void test_vasp_recorded_outputs(void** state) {
  (void)state;
  struct Recorded {
    const char* output;
    const char* parser;
    const char* incar;
    const char* want_diagnosis;
    const char* edit;
  } runs[] = {
      {"vasp/custodian_large_cell_real_optlay_vasp.out", "vasp", "custodian_large_cell_real_optlay_INCAR",
       "real_optlay", "INCAR: LREAL True -> .FALSE."},
      {"vasp/custodian_zpotrf_vasp.out", "vasp", "custodian_INCAR", "zpotrf", "INCAR: ISYM (unset) -> 0"},
  };
  for (const auto& r : runs) {
    auto result = xrun::parse::parse_file(env_dir("XRUN_CORPUS_DIR") + "/" + r.output, r.parser);
    const std::string d = result->diagnosis();
    InputFiles f = vasp_files(r.incar);
    assert_string_equal(d.c_str(), r.want_diagnosis);
    AppliedCorrection c = must_apply("vasp", d.c_str(), 1, f, result->to_json());
    assert_contains(all_edits(c), std::string(r.edit) + "\n");
  }
  // The OUTCAR parser gives the NBANDS VASP used; too_few_bands starts from it.
  auto outcar = xrun::parse::parse_file(env_dir("XRUN_CORPUS_DIR") + "/vasp/custodian_postprocess_OUTCAR", "vasp");
  double nbands = 0;
  assert_true(outcar->number("nbands", &nbands));
  assert_int_equal(static_cast<int>(nbands), 24);
  InputFiles bands = vasp_files("custodian_too_few_bands_INCAR");
  must_apply("vasp-outcar", "too_few_bands", 1, bands, outcar->to_json());
  assert_string_equal(incar(bands, "NBANDS").c_str(), "26");
  // Out of memory is no input fix (the engine scales the memory).
  auto oom = xrun::parse::parse_file(env_dir("XRUN_CORPUS_DIR") + "/vasp/custodian_std_err.txt.oom", "vasp");
  assert_string_equal(oom->diagnosis().c_str(), "out_of_memory");
  InputFiles any = vasp_files();
  must_not_apply("vasp-log", "out_of_memory", 1, any, oom->to_json());
  // The unconverged vasprun.xml: scf_not_converged, answered on custodian's nonconv input (ALGO Fast).
  auto xml = xrun::parse::parse_file(env_dir("XRUN_CORPUS_DIR") + "/vasp/custodian_unconverged_vasprun.xml.electronic",
                                     "vasp-xml");
  assert_string_equal(xml->diagnosis().c_str(), "scf_not_converged");
  InputFiles f = vasp_files("custodian_nonconv_INCAR");
  AppliedCorrection c = must_apply("vasp-xml", "scf_not_converged", 1, f, xml->to_json());
  assert_contains(all_edits(c), "INCAR: ALGO Fast -> Normal\n");
}

void test_table(void** state) {
  (void)state;
  const auto& rows = xrun::campaign::builtin_corrections();
  std::set<std::string> qe, vasp;
  const std::string documented = read_text(env_dir("XRUN_SOURCE_DIR") + "/lib/parse/DIAGNOSES.md");
  const std::string docs = read_text(env_dir("XRUN_SOURCE_DIR") + "/docs/CORRECTIONS.md");
  for (const auto& r : rows) {
    (r.code == "qe" ? qe : vasp).insert(r.name);
    assert_true(r.code == "qe" || r.code == "vasp");
    assert_false(r.description.empty());
    // Every diagnosis is one the parsers give, and every row is in the docs.
    assert_contains(documented, "`" + r.diagnosis + "`");
    assert_contains(docs, "`" + r.name + "`");
    assert_contains(docs, "`" + r.diagnosis + "`");
  }
  assert_true(qe.size() >= 6);
  assert_true(vasp.size() >= 10);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qe_scf_not_converged),     cmocka_unit_test(test_qe_walltime),
      cmocka_unit_test(test_qe_diagonalization),       cmocka_unit_test(test_qe_bfgs),
      cmocka_unit_test(test_qe_geometry_cell_charge),  cmocka_unit_test(test_qe_not_an_input_fix),
      cmocka_unit_test(test_qe_find_input),            cmocka_unit_test(test_vasp_table_cases),
      cmocka_unit_test(test_vasp_brmix_ladder),        cmocka_unit_test(test_vasp_zbrent_subspace_symprec),
      cmocka_unit_test(test_vasp_bands_and_zpotrf),    cmocka_unit_test(test_vasp_unconverged_ladder),
      cmocka_unit_test(test_vasp_recorded_outputs),    cmocka_unit_test(test_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
