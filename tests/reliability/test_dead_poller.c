/* A process killed (kill -9) in the middle of a poll round must not stall
 * everyone else's polling: the round's lease (`poll:<machine>` in the
 * store) is held by a process that no longer exists. Another process on
 * the same host must take the lease over at once and bring the job to its
 * end well within a 15 s wait, not after the lease's time to live
 * (minutes). The round is made to hang with a `ps` that sleeps, found
 * first on the poller's PATH (the direct scheduler's status query runs
 * `ps`). */
#include <time.h>

#include "../capi/capi_helpers.h"

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_poller_killed_mid_round_does_not_stall_others(void **state) {
    (void)state;
    char home[512];
    xrun_ctx *ctx = open_temp_ctx("dead-poller", home);
    /* A job that is over at once: only a poll round is missing. */
    xrun_job *job = submit_ok(ctx, "{\"command\": \"true\"}");
    char id[27];
    snprintf(id, sizeof id, "%s", xrun_job_id(job));
    usleep(300000);

    char slowbin[600], fake_ps[700], marker[700];
    snprintf(slowbin, sizeof slowbin, "%s/slowbin", home);
    snprintf(fake_ps, sizeof fake_ps, "%s/ps", slowbin);
    snprintf(marker, sizeof marker, "%s/in-round", home);
    assert_int_equal(mkdir(slowbin, 0755), 0);
    char script[1600];
    snprintf(script, sizeof script, "#!/bin/sh\necho $$ > '%s'\nexec sleep 60\n", marker);
    xrun_test_write_file(fake_ps, script);
    assert_int_equal(chmod(fake_ps, 0755), 0);

    pid_t poller = fork();
    assert_true(poller >= 0);
    if (poller == 0) {
        char path[2048];
        snprintf(path, sizeof path, "%s:%s", slowbin, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        setenv("PATH", path, 1);
        xrun_options opts = XRUN_OPTIONS_INIT;
        opts.home = home;
        xrun_ctx *c = NULL;
        if (xrun_ctx_open(&c, &opts) != XRUN_OK) _exit(3);
        xrun_poll(c, NULL); /* hangs in the fake ps */
        _exit(0);
    }
    /* Kill it while its round is in the fake ps, holding the lease. */
    int in_round = 0;
    for (int i = 0; i < 100 && !in_round; ++i) {
        in_round = access(marker, F_OK) == 0;
        if (!in_round) usleep(50000);
    }
    assert_true(in_round);
    assert_int_equal(kill(poller, SIGKILL), 0);
    int status = 0;
    waitpid(poller, &status, 0);
    /* The fake ps it started outlives it (as a real hung command would);
     * it is ours to end, after the check. */

    int64_t t0 = now_ms();
    xrun_job_free(job);
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    int rc = xrun_job_wait(job, 15000);
    int64_t took = now_ms() - t0;
    printf("dead-poller: poller killed mid-round; another process settled the job in %lld ms: %s (%s)\n",
           (long long)took, xrun_status_name(rc), xrun_state_name(xrun_job_state(job)));
    if (rc != XRUN_OK) fprintf(stderr, "wait: %s\n", xrun_last_error());
    FILE *f = fopen(marker, "r");
    int hung = 0;
    if (f && fscanf(f, "%d", &hung) == 1 && hung > 1) kill(hung, SIGKILL);
    if (f) fclose(f);
    assert_int_equal(rc, XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    assert_true(took < 15000);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poller_killed_mid_round_does_not_stall_others),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
