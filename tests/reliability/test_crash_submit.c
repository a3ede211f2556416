/* kill -9 a process in the middle of submitting 200 jobs, at random points,
 * several times; then recover. Every job must be either known to the
 * scheduler (and run) exactly once, or marked not submitted (and never
 * run): zero duplicates, zero lost. Each job appends its own id to a run
 * log, which counts real executions independently of the store. */
#include <time.h>

#include "../capi/capi_helpers.h"

#define ROUNDS 5
#define JOBS 200

static int count_in_log(const char *log, const char *id) {
    int n = 0;
    for (const char *p = log; (p = strstr(p, id)) != NULL; p += 26) n++;
    return n;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = calloc(1, (size_t)size + 1);
    size_t got = fread(data, 1, (size_t)size, f);
    data[got] = 0;
    fclose(f);
    return data;
}

static void submitter(const char *home, const char *runlog) {
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    xrun_ctx *ctx = NULL;
    if (xrun_ctx_open(&ctx, &opts) != XRUN_OK) _exit(3);
    char spec[1024];
    snprintf(spec, sizeof spec, "{\"command\": \"echo $XRUN_JOB_ID >> '%s'\"}", runlog);
    for (int i = 0; i < JOBS; ++i) {
        xrun_job *job = NULL;
        if (xrun_job_submit(&job, ctx, spec) != XRUN_OK) _exit(4);
        xrun_job_free(job);
    }
    _exit(0); /* finished before the kill: still a valid round */
}

static void test_kill_during_submission_then_recover(void **state) {
    (void)state;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    setenv("XRUN_RECOVER_SETTLE_MS", "500", 1);
    long total_jobs = 0, total_ran = 0, total_adopted = 0, total_reset = 0, total_unsent = 0;
    long duplicates = 0, lost = 0, ran_but_marked_unsent = 0;
    for (int round = 0; round < ROUNDS; ++round) {
        char home[512], runlog[600];
        snprintf(home, sizeof home, "%s", xrun_test_tempdir("crash"));
        snprintf(runlog, sizeof runlog, "%s/runlog", home);
        int kill_after_ms = 50 + rand() % 600;
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) submitter(home, runlog);
        usleep((useconds_t)kill_after_ms * 1000);
        kill(child, SIGKILL);
        int status = 0;
        waitpid(child, &status, 0);
        usleep(800000); /* past the settle time */

        xrun_options opts = XRUN_OPTIONS_INIT;
        opts.home = home;
        xrun_ctx *ctx = NULL;
        assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_OK);
        char *report = NULL;
        assert_int_equal(xrun_recover(&report, ctx), XRUN_OK);
        long examined = 0, adopted = 0, reset = 0, unsent = 0, in_doubt = 0;
        sscanf(strstr(report, "\"examined\":"), "\"examined\":%ld", &examined);
        sscanf(strstr(report, "\"adopted\":"), "\"adopted\":%ld", &adopted);
        sscanf(strstr(report, "\"reset\":"), "\"reset\":%ld", &reset);
        sscanf(strstr(report, "\"unsent\":"), "\"unsent\":%ld", &unsent);
        sscanf(strstr(report, "\"in_doubt\":"), "\"in_doubt\":%ld", &in_doubt);
        assert_int_equal(in_doubt, 0);
        xrun_free(report);

        /* Let every sent job finish, then compare the store with the log. */
        char *list = NULL;
        assert_int_equal(xrun_jobs_list(&list, ctx, NULL, -1, 0), XRUN_OK);
        int jobs = 0, ran = 0;
        for (const char *p = list; (p = strstr(p, "{\"id\":\"")) != NULL; p += 7) {
            char id[27];
            memcpy(id, p + 7, 26);
            id[26] = 0;
            xrun_job *job = NULL;
            assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
            if (xrun_job_state(job) != XRUN_STATE_CREATED) {
                int rc = xrun_job_wait(job, 30000);
                if (rc != XRUN_OK) fprintf(stderr, "wait %s: %s\n", id, xrun_last_error());
                assert_int_equal(rc, XRUN_OK);
            }
            jobs++;
            xrun_job_free(job);
        }
        char *log = slurp(runlog);
        for (const char *p = list; (p = strstr(p, "{\"id\":\"")) != NULL; p += 7) {
            char id[27];
            memcpy(id, p + 7, 26);
            id[26] = 0;
            xrun_job *job = NULL;
            assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
            int runs = count_in_log(log, id);
            int state_now = xrun_job_state(job);
            if (state_now == XRUN_STATE_CREATED) {
                if (runs != 0) ran_but_marked_unsent++;
            } else {
                ran++;
                if (state_now != XRUN_STATE_COMPLETED) {
                    fprintf(stderr, "job %s ended %s (%s)\n", id, xrun_state_name(state_now), xrun_job_reason(job));
                    lost++;
                }
                if (runs > 1) duplicates++;
                if (runs == 0) lost++;
            }
            xrun_job_free(job);
        }
        /* Every line of the log is a job the store knows. */
        int log_lines = 0;
        for (const char *p = log; *p; ++p) log_lines += *p == '\n';
        if (log_lines != ran) fprintf(stderr, "round %d: log has %d runs, store has %d sent jobs\n", round, log_lines, ran);
        assert_int_equal(log_lines, ran);
        free(log);
        xrun_free(list);
        printf("round %d: killed after %d ms: %d jobs recorded, %d ran, recover adopted %ld, reset %ld, unsent %ld\n",
               round, kill_after_ms, jobs, ran, adopted, reset, unsent);
        total_jobs += jobs;
        total_ran += ran;
        total_adopted += adopted;
        total_reset += reset;
        total_unsent += unsent;
        xrun_ctx_close(ctx);
    }
    printf("crash-recovery: %d rounds, %ld jobs recorded, %ld ran, %ld adopted, %ld reset, %ld never sent; "
           "duplicates %ld, lost %ld, ran-but-marked-unsent %ld\n",
           ROUNDS, total_jobs, total_ran, total_adopted, total_reset, total_unsent, duplicates, lost,
           ran_but_marked_unsent);
    assert_int_equal(duplicates, 0);
    assert_int_equal(lost, 0);
    assert_int_equal(ran_but_marked_unsent, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_during_submission_then_recover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
