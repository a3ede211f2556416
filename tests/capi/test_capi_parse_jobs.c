/* Jobs whose spec names a parser: the result is stored with the job and
 * read through typed accessors; a failed diagnosis turns an exit-0 run into
 * `failed` with the diagnosis as the reason. Uses the real corpus. */
#include <math.h>

#include "capi_helpers.h"

static xrun_job *run_cat_job(xrun_ctx *ctx, const char *corpus_file, const char *extra) {
    char spec[2048];
    snprintf(spec, sizeof spec, "{\"argv\": [\"cat\", \"%s/%s\"], \"parser\": \"qe\"%s}",
             xrun_test_env("XRUN_CORPUS_DIR"), corpus_file, extra);
    xrun_job *job = submit_ok(ctx, spec);
    wait_ok(job, 30000);
    return job;
}

static void test_converged_run_has_result(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("parsejob-ok", NULL);
    xrun_job *job = run_cat_job(ctx, "qe/generated/si_scf.out", "");
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    xrun_result *result = NULL;
    assert_int_equal(xrun_job_result(&result, job), XRUN_OK);
    assert_string_equal(xrun_result_diagnosis(result), "ok");
    double energy = 0;
    assert_int_equal(xrun_result_double(result, "total_energy_ev", &energy), XRUN_OK);
    /* Reference: expected.json, -15.83916744 Ry = -215.50285151 eV. */
    assert_true(fabs(energy - (-215.50285151)) < 1e-6 * 215.5);
    assert_int_equal(xrun_result_double(result, "no_such_key", &energy), XRUN_E_NOT_FOUND);
    xrun_result_free(result);
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    assert_non_null(strstr(info, "\"result\":{"));
    xrun_free(info);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_unconverged_run_fails_with_diagnosis(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("parsejob-fail", NULL);
    /* cat exits 0: only the diagnosis says the run failed. */
    xrun_job *job = run_cat_job(ctx, "qe/generated/si_scf_maxstep2.out", ", \"name\": \"maxstep\"");
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    int code = -1;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 0);
    assert_string_equal(xrun_job_reason(job), "scf_not_converged");
    xrun_result *result = NULL;
    assert_int_equal(xrun_job_result(&result, job), XRUN_OK);
    assert_string_equal(xrun_result_diagnosis(result), "scf_not_converged");
    assert_true(xrun_result_diagnosis_line(result) > 0);
    xrun_result_free(result);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_missing_output_file_fails(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("parsejob-missing", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"true\", \"parser\": \"qe\", \"parse_file\": \"pw.out\"}");
    wait_ok(job, 30000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    assert_non_null(strstr(xrun_job_reason(job), "output not parsed"));
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_converged_run_has_result),
        cmocka_unit_test(test_unconverged_run_fails_with_diagnosis),
        cmocka_unit_test(test_missing_output_file_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
