/* One poll round over more direct jobs than one shell argument can name
 * (Linux caps an argument at 128 KiB; 1,500 job directories are more): the
 * round asks in parts and every job ends completed. Built-in local machine. */
#include <time.h>

#include "capi_helpers.h"

enum { kJobs = 1500 };

static long count_state(xrun_ctx *ctx, int state) {
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, state, 0), XRUN_OK);
    long n = 0;
    for (const char *p = list; (p = strstr(p, "\"id\"")) != NULL; p++) n++;
    xrun_free(list);
    return n;
}

static void many_jobs_are_polled_in_parts(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("many-jobs", NULL);
    /* Long names make the job directories' paths long, as on a real workdir. */
    size_t size = (size_t)kJobs * 64 + 16;
    char *specs = malloc(size);
    assert_non_null(specs);
    size_t used = (size_t)snprintf(specs, size, "[");
    for (int i = 0; i < kJobs; i++)
        used += (size_t)snprintf(specs + used, size - used, "%s{\"command\": \"true\", \"name\": \"n%d\"}",
                                 i ? "," : "", i);
    snprintf(specs + used, size - used, "]");
    char *outcomes = NULL;
    int rc = xrun_jobs_submit(&outcomes, ctx, specs);
    if (rc != XRUN_OK) fprintf(stderr, "submit: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    assert_null(strstr(outcomes, "\"error\""));
    xrun_free(outcomes);
    free(specs);
    time_t start = time(NULL);
    long completed = 0;
    while ((completed = count_state(ctx, XRUN_STATE_COMPLETED)) < kJobs && time(NULL) - start < 120) {
        int64_t next = 0;
        rc = xrun_poll(ctx, &next);
        assert_int_equal(rc, XRUN_OK);
        usleep(200000);
    }
    fprintf(stderr, "%ld of %d direct jobs completed after %ld s of poll rounds\n", completed, kJobs,
            (long)(time(NULL) - start));
    assert_int_equal(completed, kJobs);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(many_jobs_are_polled_in_parts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
