/* Result caching on the real Slurm of scripts/testbed-slurm.sh: of two
 * identical "cache": true jobs the second ends completed at once from the
 * first, and never reaches Slurm -- the testbed's accounting (sacct) lists
 * one job of that name, not two. */
#include <time.h>
#include <unistd.h>

#include "test_common.h"
#include "slurm_home.h"
#include "xrun.h"

static char home[512];
static xrun_ctx *ctx;

static int setup(void **state) {
    (void)state;
    if (xrun_test_use_slurm_testbed() != 0) return -1;
    xrun_test_local_slurm_home("slurm-cache", home, 1, "00:05:00");
    return xrun_test_open_home(home, &ctx);
}

static int teardown(void **state) {
    (void)state;
    xrun_ctx_close(ctx);
    return 0;
}

/* How many jobs Slurm's accounting knows by `name` (xrun names a Slurm job
 * "NAME.xrun-ID": one name per xrun job, so the name's prefix is counted). */
static int sacct_count(const char *name) {
    char line[512];
    FILE *p = popen("sacct -n -X -P -a -S now-1hours -o JobName", "r");
    assert_non_null(p);
    int n = 0;
    while (fgets(line, sizeof line, p))
        if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == '.') n++;
    assert_int_equal(pclose(p), 0);
    return n;
}

static void test_second_identical_job_never_reaches_slurm(void **state) {
    (void)state;
    char name[64], spec[512];
    snprintf(name, sizeof name, "xrun-cache-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(spec, sizeof spec, "{\"name\": \"%s\", \"command\": \"echo cached result\", \"cache\": true}", name);
    xrun_job *first = NULL;
    if (xrun_job_submit(&first, ctx, spec) != XRUN_OK) fail_msg("submit: %s", xrun_last_error());
    if (xrun_job_wait(first, 60000) != XRUN_OK) fail_msg("wait: %s", xrun_last_error());
    assert_int_equal(xrun_job_state(first), XRUN_STATE_COMPLETED);
    assert_true(strlen(xrun_job_scheduler_id(first)) > 0);

    xrun_job *second = NULL;
    if (xrun_job_submit(&second, ctx, spec) != XRUN_OK) fail_msg("submit: %s", xrun_last_error());
    assert_int_equal(xrun_job_state(second), XRUN_STATE_COMPLETED);
    assert_string_equal(xrun_job_scheduler_id(second), "");
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, second), XRUN_OK);
    char want[128];
    snprintf(want, sizeof want, "\"cached_from\":\"%s\"", xrun_job_id(first));
    if (!strstr(info, want)) fprintf(stderr, "info: %s\n", info);
    assert_non_null(strstr(info, want));
    xrun_free(info);
    char *out = NULL;
    assert_int_equal(xrun_job_read_file(&out, NULL, second, "stdout", 0), XRUN_OK);
    assert_string_equal(out, "cached result\n");
    xrun_free(out);

    /* The first job is in the accounting once it is known there (its record
     * may lag its end by a moment); the second never is. */
    int n = 0;
    for (int i = 0; i < 50 && (n = sacct_count(name)) == 0; i++) usleep(200 * 1000);
    assert_int_equal(n, 1);
    xrun_job_free(first);
    xrun_job_free(second);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_identical_job_never_reaches_slurm),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
