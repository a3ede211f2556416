/* The parsers through the C API only (include/xrun.h), as a Fortran or
 * Python caller uses them. */
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_and_typed_accessors),
        cmocka_unit_test(test_buffer_with_failure),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
