/* The direct scheduler carries "resources" (issue 10 #3): the walltime is
 * enforced (the job ends timeout, its processes stopped), the memory limits
 * the job's address space, and values outside the one units grammar are
 * refused before anything is recorded. Built-in local machine. */
#include <time.h>

#include "capi_helpers.h"

static xrun_job *submit_spec(xrun_ctx *ctx, const char *spec) { return submit_ok(ctx, spec); }

static void walltime_stops_the_job(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("direct-walltime", NULL);
    time_t start = time(NULL);
    xrun_job *job = submit_spec(ctx, "{\"command\": \"sleep 30; echo too late\", \"resources\": {\"walltime\": \"00:00:02\"}}");
    wait_ok(job, 60000);
    long took = (long)(time(NULL) - start);
    fprintf(stderr, "walltime 2 s, sleep 30: %s after %ld s (%s)\n", xrun_state_name(xrun_job_state(job)), took,
            xrun_job_reason(job));
    assert_int_equal(xrun_job_state(job), XRUN_STATE_TIMEOUT);
    assert_true(took < 15);
    int code = -1;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 124);
    char *out = job_stdout(job);
    assert_null(strstr(out, "too late"));
    xrun_free(out);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void a_job_within_its_walltime_completes_and_leaves_no_watchdog(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("direct-walltime-ok", NULL);
    xrun_job *job = submit_spec(ctx, "{\"command\": \"echo in time\", \"resources\": {\"walltime\": \"01:00:07\"}}");
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = job_stdout(job);
    assert_string_equal(out, "in time\n");
    xrun_free(out);
    usleep(300000);
    /* 01:00:07 is 3607 s: the watchdog's sleep ended with the job. */
    assert_int_not_equal(system("pgrep -x sleep -a | grep -q ' 3607$'"), 0);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void memory_limits_the_job(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("direct-memory", NULL);
    /* 300 MB in one shell variable: beyond a 100M address space. */
    xrun_job *big = submit_spec(ctx, "{\"command\": \"x=$(yes | head -c 300000000); echo ${#x}\","
                                     " \"resources\": {\"memory\": \"100M\"}}");
    xrun_job *small = submit_spec(ctx, "{\"command\": \"x=$(yes | head -c 1000); echo ${#x}\","
                                       " \"resources\": {\"memory\": \"100M\"}}");
    wait_ok(big, 60000);
    wait_ok(small, 60000);
    fprintf(stderr, "300 MB under memory 100M: %s (%s)\n", xrun_state_name(xrun_job_state(big)), xrun_job_reason(big));
    assert_int_equal(xrun_job_state(big), XRUN_STATE_FAILED);
    assert_int_equal(xrun_job_state(small), XRUN_STATE_COMPLETED);
    char *out = job_stdout(small);
    assert_string_equal(out, "999\n"); /* the last newline is stripped by $(...) */
    xrun_free(out);
    xrun_job_free(big);
    xrun_job_free(small);
    xrun_ctx_close(ctx);
}

static void malformed_values_are_refused(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("direct-refused", NULL);
    const char *specs[] = {
        "{\"command\": \"true\", \"resources\": {\"walltime\": \"1 hour\"}}",
        "{\"command\": \"true\", \"resources\": {\"memory\": \"lots\"}}",
    };
    const char *keys[] = {"walltime", "memory"};
    for (int i = 0; i < 2; i++) {
        xrun_job *job = NULL;
        assert_int_equal(xrun_job_submit(&job, ctx, specs[i]), XRUN_E_INVALID);
        assert_null(job);
        assert_non_null(strstr(xrun_last_error(), keys[i]));
    }
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, -1, 0), XRUN_OK);
    assert_string_equal(list, "[]");
    xrun_free(list);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(walltime_stops_the_job),
        cmocka_unit_test(a_job_within_its_walltime_completes_and_leaves_no_watchdog),
        cmocka_unit_test(memory_limits_the_job),
        cmocka_unit_test(malformed_values_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
