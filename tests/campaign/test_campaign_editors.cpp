// The pw.x namelist editor and the INCAR editor: byte-identical round trips
// on real inputs (the corpus's pw.x inputs, custodian's INCARs), every
// edit, and the errors for malformed inputs.
#include <dirent.h>

#include <random>
#include <string>
#include <vector>

#include "campaign/incar.h"
#include "campaign/pw_namelist.h"
#include "campaign_util.h"
#include "util/error.h"

using xrun::campaign::Incar;
using xrun::campaign::PwInput;

namespace {

std::vector<std::string> files_in(const std::string& dir, const std::string& suffix, const std::string& prefix = "") {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  assert_non_null(d);
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        n.compare(0, prefix.size(), prefix) == 0)
      out.push_back(dir + "/" + n);
  }
  closedir(d);
  return out;
}

// The message of the Error(XRUN_E_PARSE) that parsing `text` throws.
template <typename Editor>
std::string parse_error(const std::string& text) {
  try {
    Editor e(text);
  } catch (const xrun::Error& e) {
    assert_int_equal(e.status(), XRUN_E_PARSE);
    return e.what();
  }
  fprintf(stderr, "no error for:\n%s\n", text.c_str());
  fail();
  return "";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  assert_true(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

void test_pw_round_trip_corpus(void** state) {
  (void)state;
  std::vector<std::string> paths = files_in(env_dir("XRUN_CORPUS_DIR") + "/qe", ".in");
  for (const auto& p : files_in(env_dir("XRUN_CORPUS_DIR") + "/qe/generated", ".in")) paths.push_back(p);
  for (const auto& p : files_in(env_dir("XRUN_SOURCE_DIR") + "/tests/fixtures/campaign/qe", ".in")) paths.push_back(p);
  assert_true(paths.size() >= 20);
  for (const auto& path : paths) {
    const std::string text = read_text(path);
    PwInput in(text);
    if (in.text() != text) {
      fprintf(stderr, "round trip changed %s\n", path.c_str());
      fail();
    }
    assert_true(in.has_namelist("CONTROL"));
    assert_true(in.get("system", "nat").has_value());
  }
}

void test_pw_get(void** state) {
  (void)state;
  PwInput in(corpus("qe/generated/si_scf.in"));
  assert_string_equal(in.get("control", "calculation")->c_str(), "'scf'");
  assert_string_equal(in.get("SYSTEM", "Celldm( 1 )")->c_str(), "10.20");
  assert_string_equal(in.get("system", "NTYP")->c_str(), "1");
  assert_string_equal(in.get("electrons", "conv_thr")->c_str(), "1.0d-8");
  assert_true(*xrun::campaign::fortran_number_value(*in.get("electrons", "conv_thr")) == 1e-8);
  assert_true(*xrun::campaign::fortran_bool_value(*in.get("control", "tstress")));
  assert_string_equal(xrun::campaign::fortran_string_value(*in.get("control", "prefix"))->c_str(), "si");
  assert_false(in.get("electrons", "mixing_beta").has_value());
  assert_false(in.get("ions", "ion_dynamics").has_value());
  assert_false(in.has_namelist("ions"));

  // Comments, strings holding '!' and '/', doubled quotes, lists, lower case.
  PwInput odd(
      "&control\n"
      "  title = 'a ! b / c', prefix = \"it's\" ! a comment, = /\n"
      "  outdir = 'x''y'\n"
      "/\n"
      "&system\n"
      "  nat = 2, ntyp = 2, starting_magnetization(1) = 0.5, starting_magnetization(2)=-0.3\n"
      "  hubbard_u = 1.0, 2.0 , 3.d0\n"
      "/\n"
      "&electrons /\n"
      "K_POINTS gamma\n");
  assert_string_equal(odd.get("CONTROL", "title")->c_str(), "'a ! b / c'");
  assert_string_equal(odd.get("control", "prefix")->c_str(), "\"it's\"");
  assert_string_equal(xrun::campaign::fortran_string_value(*odd.get("control", "outdir"))->c_str(), "x'y");
  assert_string_equal(odd.get("system", "starting_magnetization(2)")->c_str(), "-0.3");
  assert_string_equal(odd.get("system", "hubbard_u")->c_str(), "1.0, 2.0 , 3.d0");
  assert_true(odd.has_namelist("electrons"));
}

void test_pw_set_in_place(void** state) {
  (void)state;
  const std::string text = corpus("qe/generated/si_scf.in");
  PwInput in(text);
  in.set("electrons", "conv_thr", "1e-10");
  assert_string_equal(in.text().c_str(), replaced(text, "conv_thr = 1.0d-8", "conv_thr = 1e-10").c_str());
  in.set("SYSTEM", "nat", "3");  // one of several on a line
  assert_contains(in.text(), "  ibrav = 2, celldm(1) = 10.20, nat = 3, ntyp = 1,\n");
  in.set("system", "celldm(1)", "10.26");
  assert_contains(in.text(), "celldm(1) = 10.26, nat = 3");
  assert_string_equal(in.get("system", "celldm(1)")->c_str(), "10.26");

  // A value with a comment after it keeps the comment.
  PwInput bad(fixture("qe/si_scf_unstable.in"));
  bad.set("electrons", "electron_maxstep", "100");
  assert_contains(bad.text(), "  electron_maxstep = 100   ! far too few\n");
}

void test_pw_set_new_key_and_namelist(void** state) {
  (void)state;
  const std::string text = corpus("qe/generated/si_scf.in");
  PwInput in(text);
  in.set("electrons", "mixing_beta", "0.3");
  assert_string_equal(in.text().c_str(),
                      replaced(text, "  conv_thr = 1.0d-8\n/\n", "  conv_thr = 1.0d-8\n  mixing_beta = 0.3\n/\n")
                          .c_str());
  // &CELL without &IONS: after &ELECTRONS, before the cards; then &IONS between them.
  in.set("cell", "cell_dynamics", "'bfgs'");
  in.set("IONS", "ion_dynamics", "'bfgs'");
  assert_contains(in.text(),
                  "  mixing_beta = 0.3\n/\n&IONS\n  ion_dynamics = 'bfgs'\n/\n&CELL\n  cell_dynamics = 'bfgs'\n/\n"
                  "ATOMIC_SPECIES\n");
  assert_string_equal(PwInput(in.text()).get("ions", "ion_dynamics")->c_str(), "'bfgs'");

  // Lower-case files get lower-case namelists; a namelist on one line takes the key inline.
  PwInput low("&control\n calculation='relax'\n/\n&system\n nat=1\n/\n&electrons\n/\n&ions ion_dynamics='bfgs' /\n"
              "K_POINTS gamma\n");
  low.set("ions", "trust_radius_min", "1e-4");
  assert_contains(low.text(), "&ions ion_dynamics='bfgs' trust_radius_min = 1e-4 /\n");
  low.set("cell", "cell_factor", "4");
  assert_contains(low.text(), "/\n&cell\n  cell_factor = 4\n/\nK_POINTS gamma\n");
  assert_string_equal(low.get("ions", "trust_radius_min")->c_str(), "1e-4");

  // A file without cards or final newline.
  PwInput bare("&CONTROL\n/");
  bare.set("system", "nat", "1");
  assert_string_equal(bare.text().c_str(), "&CONTROL\n/\n&SYSTEM\n  nat = 1\n/\n");
}

void test_pw_remove(void** state) {
  (void)state;
  const std::string text = corpus("qe/generated/si_scf.in");
  PwInput in(text);
  assert_true(in.remove("system", "nat"));
  assert_contains(in.text(), "  ibrav = 2, celldm(1) = 10.20, ntyp = 1,\n");
  assert_true(in.remove("system", "ecutwfc"));  // alone on its line: the line goes
  assert_contains(in.text(), "ntyp = 1,\n/\n");
  assert_false(in.remove("system", "ecutwfc"));
  assert_false(in.remove("ions", "ion_dynamics"));
  assert_false(in.get("system", "nat").has_value());
  // set then remove gives back the original bytes.
  PwInput again(text);
  again.set("electrons", "startingpot", "'file'");
  assert_true(again.remove("electrons", "startingpot"));
  assert_string_equal(again.text().c_str(), text.c_str());
}

void test_pw_malformed(void** state) {
  (void)state;
  assert_contains(parse_error<PwInput>("&control\n calculation='scf'\n"), "line 1: &control is not closed by '/'");
  assert_contains(parse_error<PwInput>("&CONTROL\n/\n&SYSTEM\n  nat 2\n/\n"), "line 4: expected '=' after 'nat'");
  assert_contains(parse_error<PwInput>("&CONTROL\n  title = 'abc\n/\n"), "line 2: string opened by ' is not closed");
  assert_contains(parse_error<PwInput>("&CONTROL\n/\n&control\n/\n"), "line 3: namelist &control given twice");
  assert_contains(parse_error<PwInput>("&CONTROL\n  prefix =\n/\n"), "line 2: no value for 'prefix'");
  assert_contains(parse_error<PwInput>("&CONTROL\n  a = 1\n&SYSTEM\n/\n"), "line 3: &system begins before &control");
  assert_contains(parse_error<PwInput>("&CONTROL\n  celldm(1 = 2\n/\n"), "line 2: '(' of 'celldm' is not closed");
  assert_contains(parse_error<PwInput>("&\n/\n"), "line 1: '&' without a namelist name");
}

std::vector<std::string> incar_fixtures() {
  std::vector<std::string> paths =
      files_in(env_dir("XRUN_SOURCE_DIR") + "/tests/fixtures/campaign/vasp", "INCAR", "custodian_");
  paths.push_back(env_dir("XRUN_SOURCE_DIR") + "/tests/fixtures/campaign/vasp/INCAR.layout");
  return paths;
}

void test_incar_round_trip(void** state) {
  (void)state;
  const auto paths = incar_fixtures();
  assert_true(paths.size() >= 9);
  for (const auto& path : paths) {
    const std::string text = read_text(path);
    Incar in(text);
    if (in.text() != text) {
      fprintf(stderr, "round trip changed %s\n", path.c_str());
      fail();
    }
  }
  Incar c(fixture("vasp/custodian_INCAR"));
  assert_string_equal(c.get("algo")->c_str(), "Fast");
  assert_string_equal(c.get("MAGMOM")->c_str(), "2*0.6 1*5 5*0.6");
  assert_true(*xrun::campaign::incar_number(*c.get("SYMPREC")) == 1e-5);
  assert_true(*xrun::campaign::incar_bool(*c.get("LDAU")));
  assert_false(*xrun::campaign::incar_bool(*c.get("LWAVE")));
  Incar lob(fixture("vasp/custodian_lobster_vasp_lobster_output_v51_INCAR"));
  assert_string_equal(lob.get("ISMEAR")->c_str(), "-5");
  assert_string_equal(lob.get("LREAL")->c_str(), ".FALSE.");
  assert_string_equal(lob.get("EDIFF")->c_str(), "1E-08");
}

void test_incar_layouts(void** state) {
  (void)state;
  const std::string text = fixture("vasp/INCAR.layout");
  Incar in(text);
  assert_string_equal(in.get("system")->c_str(), "Si bulk");
  assert_string_equal(in.get("PREC")->c_str(), "Normal");
  assert_string_equal(in.get("ENCUT")->c_str(), "400");
  assert_string_equal(in.get("ALGO")->c_str(), "Fast");
  assert_string_equal(in.get("SIGMA")->c_str(), "0.05");
  assert_string_equal(in.get("MAGMOM")->c_str(), "2*1.0 \\\n   3*0.0");
  assert_contains(*in.get("WANNIER90_WIN"), "begin projections\nend projections\"");
  assert_string_equal(in.get("EDIFF")->c_str(), "1E-05");
  assert_false(in.get("NBANDS").has_value());
}

void test_incar_edits(void** state) {
  (void)state;
  const std::string text = fixture("vasp/INCAR.layout");
  Incar in(text);
  in.set("prec", "Accurate");
  assert_string_equal(in.text().c_str(), replaced(text, "PREC = Normal", "PREC = Accurate").c_str());
  in.set("ALGO", "Normal");
  assert_contains(in.text(), "  ALGO = Normal ! comment with ! and #\n");
  in.set("NBANDS", "24");
  assert_contains(in.text(), "EDIFF = 1E-05\nNBANDS = 24\n");
  assert_true(in.remove("SIGMA"));  // last of its line, after a ';'
  assert_contains(in.text(), "\nISMEAR = -5;\n");
  assert_true(in.remove("ismear"));  // now alone: its line goes
  assert_contains(in.text(), "\nMAGMOM = 2*1.0 \\\n   3*0.0\nLREAL");
  assert_true(in.remove("SYSTEM"));  // first of its line
  assert_contains(in.text(), "\nPREC = Accurate   # two statements, then a comment\n");
  assert_true(in.remove("encut"));
  assert_contains(in.text(), "comment\n  ALGO");
  assert_true(in.remove("MAGMOM"));  // spans two lines
  assert_contains(in.text(), "comment with ! and #\nLREAL = Auto\n");
  assert_false(in.remove("MAGMOM"));
  // set then remove gives back the original bytes (for a file ending in a newline).
  Incar c(fixture("vasp/custodian_INCAR"));
  c.set("ISYM", "0");
  assert_true(c.remove("ISYM"));
  assert_string_equal(c.text().c_str(), fixture("vasp/custodian_INCAR").c_str());
  // No final newline.
  Incar bare("ALGO = Fast");
  bare.set("ISYM", "0");
  assert_string_equal(bare.text().c_str(), "ALGO = Fast\nISYM = 0\n");
}

// A value that would not read back is refused and changes nothing.
void test_unreadable_values(void** state) {
  (void)state;
  const std::string pw_text = corpus("qe/generated/si_scf.in");
  PwInput pw(pw_text);
  for (const char* bad : {"0.3 x", "0.3 ! c", "'a", "0.3\n  x = 1", ""}) {
    try {
      pw.set("electrons", "mixing_beta", bad);
      fail();
    } catch (const xrun::Error& e) {
      assert_int_equal(e.status(), XRUN_E_INVALID);
      assert_contains(e.what(), "would not read back as written");
    }
    assert_string_equal(pw.text().c_str(), pw_text.c_str());
  }
  pw.set("system", "starting_magnetization", "0.5, 0.3");  // a list reads back
  const std::string incar_text = fixture("vasp/custodian_INCAR");
  Incar in(incar_text);
  for (const char* bad : {"Fast; ISYM = 0", "Fast # c", "", "\"x"}) {
    try {
      in.set("ALGO", bad);
      fail();
    } catch (const xrun::Error& e) {
      assert_int_equal(e.status(), XRUN_E_INVALID);
    }
    assert_string_equal(in.text().c_str(), incar_text.c_str());
  }
  try {
    in.set("EN CUT", "400");
    fail();
  } catch (const xrun::Error& e) {
    assert_int_equal(e.status(), XRUN_E_INVALID);
  }
  assert_string_equal(in.text().c_str(), incar_text.c_str());
}

void test_incar_malformed(void** state) {
  (void)state;
  assert_contains(parse_error<Incar>("ALGO = Fast\nENCUT 400\n"), "line 2: 'ENCUT 400' is not KEY = value");
  assert_contains(parse_error<Incar>("= 3\n"), "line 1: '=' without a key");
  assert_contains(parse_error<Incar>("ALGO = Fast\n\nISMEAR =  # none\n"), "line 3: no value for ISMEAR");
  assert_contains(parse_error<Incar>("A = 1\nX = \"abc\n"), "line 2: the quoted value of X is not closed");
  assert_contains(parse_error<Incar>("EN CUT = 400\n"), "line 1: 'EN CUT' is not a key");
}


// Mutated inputs (bytes cut, inserted, repeated; fixed seed): the editors
// either refuse them with Error(XRUN_E_PARSE) or give them back unchanged,
// and every edit of what they accept gives a file they accept again, with
// the edit in it.
template <typename Editor, typename Edit>
void mutate_all(const std::vector<std::string>& texts, Edit edit) {
  std::mt19937 rng(13);
  const std::string alphabet = "&/=!#;,'\"()\\\n \tab1.-_dD*";
  int accepted = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string t = texts[rng() % texts.size()];
    for (int m = 0, n = 1 + static_cast<int>(rng() % 3); m < n && !t.empty(); ++m) {
      const size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0: t.erase(at, 1 + rng() % 8); break;
        case 1: t.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: t.insert(at, t.substr(rng() % t.size(), 1 + rng() % 12)); break;
      }
    }
    try {
      Editor e(t);
      assert_true(e.text() == t);
      ++accepted;
      edit(e, rng);
    } catch (const xrun::Error& err) {
      assert_int_equal(err.status(), XRUN_E_PARSE);
      ++refused;
    }
  }
  fprintf(stderr, "mutations: %d accepted, %d refused\n", accepted, refused);
  assert_true(accepted > 100 && refused > 100);
}

void test_mutated_inputs(void** state) {
  (void)state;
  std::vector<std::string> pw;
  for (const auto& p : files_in(env_dir("XRUN_CORPUS_DIR") + "/qe/generated", ".in")) pw.push_back(read_text(p));
  mutate_all<PwInput>(pw, [](PwInput& e, std::mt19937& rng) {
    const char* nls[] = {"control", "system", "electrons", "ions", "cell"};
    const char* keys[] = {"mixing_beta", "nstep", "celldm(1)", "ecutwfc", "conv_thr"};
    const char* nl = nls[rng() % 5];
    const char* key = keys[rng() % 5];
    const std::string before = e.text();
    e.set(nl, key, "0.25");
    PwInput again(e.text());
    if (again.get(nl, key).value_or("") != "0.25") {
      fprintf(stderr, "set %s %s lost in:\n%s\n-- from:\n%s\n", nl, key, e.text().c_str(), before.c_str());
      fail();
    }
    assert_true(again.remove(nl, key));
    assert_false(PwInput(again.text()).get(nl, key).has_value());
  });
  std::vector<std::string> incars;
  for (const auto& p : incar_fixtures()) incars.push_back(read_text(p));
  mutate_all<Incar>(incars, [](Incar& e, std::mt19937& rng) {
    const char* keys[] = {"ALGO", "NBANDS", "LREAL", "SIGMA", "ISYM"};
    const char* key = keys[rng() % 5];
    const std::string before = e.text();
    e.set(key, "7");
    Incar again(e.text());
    if (again.get(key).value_or("") != "7") {
      fprintf(stderr, "set %s lost in:\n%s\n-- from:\n%s\n", key, e.text().c_str(), before.c_str());
      fail();
    }
    assert_true(again.remove(key));
    assert_false(Incar(again.text()).get(key).has_value());
  });
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pw_round_trip_corpus), cmocka_unit_test(test_pw_get),
      cmocka_unit_test(test_pw_set_in_place),      cmocka_unit_test(test_pw_set_new_key_and_namelist),
      cmocka_unit_test(test_pw_remove),            cmocka_unit_test(test_pw_malformed),
      cmocka_unit_test(test_incar_round_trip),     cmocka_unit_test(test_incar_layouts),
      cmocka_unit_test(test_incar_edits),          cmocka_unit_test(test_incar_malformed),
      cmocka_unit_test(test_unreadable_values),    cmocka_unit_test(test_mutated_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
