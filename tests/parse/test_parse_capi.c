/* The parsers through the C API only (include/xrun.h), as a Fortran or
 * Python caller uses them. */
#include <math.h>

#include "test_common.h"
#include "xrun.h"

static const char *corpus(const char *rel) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", xrun_test_env("XRUN_CORPUS_DIR"), rel);
    return path;
}

static void test_file_and_typed_accessors(void **state) {
    (void)state;
    xrun_result *r = NULL;
    assert_int_equal(xrun_parse_file(&r, corpus("qe/generated/si_relax.out"), "auto"), XRUN_OK);
    assert_non_null(r);
    assert_string_equal(xrun_result_code(r), "qe");
    assert_string_equal(xrun_result_diagnosis(r), "ok");
    assert_int_equal(xrun_result_diagnosis_line(r), 0);
    assert_string_equal(xrun_result_diagnosis_text(r), "");
    double v = 0;
    assert_int_equal(xrun_result_double(r, "total_energy_native", &v), XRUN_OK);
    assert_true(v == -15.8391672);
    assert_int_equal(xrun_result_double(r, "total_energy_ev", &v), XRUN_OK);
    assert_true(v < -215.50 && v > -215.51);
    assert_int_equal(xrun_result_double(r, "n_ionic_steps", &v), XRUN_OK);
    assert_true(v == 6);
    assert_int_equal(xrun_result_double(r, "n_scf_iterations", &v), XRUN_OK);
    assert_true(v == 3);
    assert_int_equal(xrun_result_double(r, "diagnosis_line", &v), XRUN_OK);
    assert_true(v == 0);
    /* An insulator prints no Fermi energy: not found, never 0. */
    assert_int_equal(xrun_result_double(r, "fermi_energy_ev", &v), XRUN_E_NOT_FOUND);
    assert_int_equal(xrun_result_double(r, "no_such_key", &v), XRUN_E_NOT_FOUND);
    assert_true(strstr(xrun_last_error(), "no_such_key") != NULL);

    char *json = NULL;
    assert_int_equal(xrun_result_json(&json, r), XRUN_OK);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"total_energy_ev\":"));
    assert_non_null(strstr(json, "\"fermi_energy_ev\":null"));
    assert_non_null(strstr(json, "\"diagnosis\":{\"code\":\"ok\""));
    xrun_free(json);
    xrun_result_free(r);
}

static void test_buffer_with_failure(void **state) {
    (void)state;
    const char text[] =
        "     Program PWSCF v.6.7MaX starts on 23Nov2026 at  4:14: 9 \n"
        "     convergence NOT achieved after   2 iterations: stopping\n"
        "   JOB DONE.\n";
    xrun_result *r = NULL;
    /* Not NUL-terminated on purpose: only `size` bytes are read. */
    assert_int_equal(xrun_parse_buffer(&r, text, sizeof text - 1, NULL), XRUN_OK);
    assert_string_equal(xrun_result_diagnosis(r), "scf_not_converged");
    assert_int_equal(xrun_result_diagnosis_line(r), 2);
    assert_non_null(strstr(xrun_result_diagnosis_text(r), "convergence NOT achieved"));
    double v = 0;
    assert_int_equal(xrun_result_double(r, "scf_converged", &v), XRUN_OK);
    assert_true(v == 0);
    assert_int_equal(xrun_result_double(r, "total_energy_ev", &v), XRUN_E_NOT_FOUND);
    xrun_result_free(r);
}

static void test_errors(void **state) {
    (void)state;
    xrun_result *r = (xrun_result *)0x1;
    assert_int_equal(xrun_parse_file(&r, "/nonexistent/out", "auto"), XRUN_E_IO);
    assert_null(r);
    assert_true(strstr(xrun_last_error(), "/nonexistent/out") != NULL);
    assert_int_equal(xrun_parse_file(&r, corpus("qe/generated/si_scf.out"), "gaussian"), XRUN_E_INVALID);
    assert_int_equal(xrun_parse_buffer(&r, "hello\n", 6, "auto"), XRUN_E_PARSE);
    assert_int_equal(xrun_parse_buffer(&r, NULL, 0, "auto"), XRUN_E_PARSE);
    /* An empty output with a named parser is a cut-off run, not an error. */
    assert_int_equal(xrun_parse_buffer(&r, NULL, 0, "crystal"), XRUN_OK);
    assert_string_equal(xrun_result_diagnosis(r), "truncated_output");
    xrun_result_free(r);
    assert_int_equal(xrun_parse_file(NULL, "x", "auto"), XRUN_E_INVALID);
    assert_int_equal(xrun_parse_file(&r, NULL, "auto"), XRUN_E_INVALID);
    assert_int_equal(xrun_result_json(NULL, NULL), XRUN_E_INVALID);
    double v;
    assert_int_equal(xrun_result_double(NULL, "x", &v), XRUN_E_INVALID);
    assert_string_equal(xrun_result_diagnosis(NULL), "");
    xrun_result_free(NULL);
}

/* Arrays and species without JSON: shapes, the size query, a short
 * buffer, and the values of the last structure of a pw.x relax. */
static void test_arrays_and_species(void **state) {
    (void)state;
    xrun_result *r = NULL;
    assert_int_equal(xrun_parse_file(&r, corpus("qe/generated/si_relax.out"), "auto"), XRUN_OK);
    size_t n = 99;
    /* capacity 0 asks the length */
    assert_int_equal(xrun_result_array(r, "final_positions_angstrom", NULL, 0, &n), XRUN_OK);
    assert_int_equal(n, 6);
    double pos[6] = {0};
    assert_int_equal(xrun_result_array(r, "final_positions_angstrom", pos, 6, &n), XRUN_OK);
    /* "Si 0.0100019211 0.0050015919 -0.0050015919" (alat) x alat 10.2 bohr */
    const double alat_angstrom = 10.2 * 0.529177210903;
    assert_true(fabs(pos[0] - 0.0100019211 * alat_angstrom) < 1e-9);
    assert_true(fabs(pos[5] - 0.2450015919 * alat_angstrom) < 1e-9);
    /* a short buffer gets the first values and still the full length */
    double two[2] = {0, 0};
    assert_int_equal(xrun_result_array(r, "final_positions_angstrom", two, 2, &n), XRUN_OK);
    assert_int_equal(n, 6);
    assert_true(two[1] == pos[1]);
    double forces[6];
    assert_int_equal(xrun_result_array(r, "final_forces_ev_per_angstrom", forces, 6, &n), XRUN_OK);
    assert_int_equal(n, 6);
    assert_true(fabs(forces[0] + forces[3]) < 1e-6); /* two atoms: equal and opposite */
    double cell[9];
    assert_int_equal(xrun_result_array(r, "final_cell_angstrom", cell, 9, &n), XRUN_OK);
    assert_int_equal(n, 9);
    assert_true(fabs(cell[0] + alat_angstrom / 2) < 1e-5); /* a(1) = (-0.5, 0, 0.5) alat */
    double energies[16];
    assert_int_equal(xrun_result_array(r, "ionic_energies_ev", energies, 16, &n), XRUN_OK);
    double steps;
    assert_int_equal(xrun_result_double(r, "n_ionic_steps", &steps), XRUN_OK);
    assert_int_equal(n, (size_t)steps);
    double last;
    assert_int_equal(xrun_result_double(r, "total_energy_ev", &last), XRUN_OK);
    assert_true(fabs(energies[n - 1] - last) < 1e-9);
    assert_string_equal(xrun_result_string_at(r, "species", 0), "Si");
    assert_string_equal(xrun_result_string_at(r, "species", 1), "Si");
    assert_null(xrun_result_string_at(r, "species", 2));
    assert_null(xrun_result_string_at(r, "no_such_key", 0));
    assert_null(xrun_result_string_at(NULL, "species", 0));
    /* not printed / not an array / bad arguments */
    assert_int_equal(xrun_result_array(r, "final_stress_kbar", cell, 9, &n), XRUN_E_NOT_FOUND);
    assert_int_equal(n, 0);
    assert_int_equal(xrun_result_array(r, "total_energy_ev", cell, 9, &n), XRUN_E_NOT_FOUND);
    assert_int_equal(xrun_result_array(r, "final_cell_angstrom", NULL, 9, &n), XRUN_E_INVALID);
    assert_int_equal(xrun_result_array(r, "final_cell_angstrom", cell, 9, NULL), XRUN_E_INVALID);
    assert_int_equal(xrun_result_array(NULL, "final_cell_angstrom", cell, 9, &n), XRUN_E_INVALID);
    xrun_result_free(r);

    /* a stress tensor: VASP's 3 x 3 from vasprun.xml */
    assert_int_equal(xrun_parse_file(&r, corpus("vasp/custodian_postprocess_vasprun.xml"), NULL), XRUN_OK);
    double stress[9];
    assert_int_equal(xrun_result_array(r, "final_stress_kbar", stress, 9, &n), XRUN_OK);
    assert_int_equal(n, 9);
    /* the last <varray name="stress">, row by row */
    assert_true(stress[0] == -1.98922371 && stress[1] == 0.45088981 && stress[3] == 0.45089058);
    assert_true(stress[8] == -0.03548413);
    assert_string_equal(xrun_result_string_at(r, "species", 0), "Fe");
    assert_string_equal(xrun_result_string_at(r, "species", 3), "O");
    xrun_result_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_and_typed_accessors),
        cmocka_unit_test(test_buffer_with_failure),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_arrays_and_species),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
