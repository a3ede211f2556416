/* Retries on scheduler evidence on the real Slurm of scripts/testbed-slurm.sh
 * (issue 13), through the C API on a local machine with "scheduler":
 * "slurm". Two scenarios, chosen by argv[1]:
 *   walltime  a job killed at its walltime (Slurm's smallest, one minute;
 *             Slurm checks limits about every 30 s) is retried with the
 *             walltime doubled and its restart_command, in its own job
 *             directory, as a second Slurm job: ~70-100 s.
 *   node      a running job whose node is set down (scontrol update
 *             state=down) ends node_fail (sent with --no-requeue because
 *             its policy retries node_fail) and its second attempt
 *             completes once the node is back: ~10 s. It takes the
 *             testbed's only node down, so it runs alone (RUN_SERIAL).
 *             Then a running job requeued by an operator (scontrol
 *             requeue) is recorded as an attempt and its second run
 *             completes: ~10 s. */
#include <sys/stat.h>
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
    xrun_test_local_slurm_home("slurm-retry", home, 1, "00:05:00");
    return xrun_test_open_home(home, &ctx);
}

static int teardown(void **state) {
    (void)state;
    xrun_ctx_close(ctx);
    return 0;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

__attribute__((noinline)) static char *info_of(xrun_job *job) {
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    return info;
}

static char *read_job_file(xrun_job *job, const char *name) {
    char *data = NULL;
    int rc = xrun_job_read_file(&data, NULL, job, name, 0);
    if (rc != XRUN_OK) fail_msg("read %s: %s", name, xrun_last_error());
    return data;
}

/* `scontrol show job ID` (OWNED: free()). */
static char *show_job(const char *scheduler_id) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "scontrol show job %s 2>&1", scheduler_id);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, p);
    text[n] = '\0';
    pclose(p);
    return text;
}

static void walltime_kill_is_retried_scaled_with_the_restart_command(void **state) {
    (void)state;
    const double t0 = now_s();
    xrun_job *job = NULL;
    const char *spec =
        "{\"name\": \"walltime-retry\", \"command\": \"echo first > first.txt; echo first; sleep 600\","
        " \"resources\": {\"walltime\": \"00:01:00\"},"
        " \"retry\": {\"on\": [\"timeout\"], \"max_attempts\": 2, \"scale\": {\"walltime\": 2},"
        " \"restart_command\": \"echo restarted from $(cat first.txt)\"}}";
    if (xrun_job_submit(&job, ctx, spec) != XRUN_OK) fail_msg("submit: %s", xrun_last_error());
    const char *first_id_ptr = xrun_job_scheduler_id(job);
    char first_id[64];
    snprintf(first_id, sizeof first_id, "%s", first_id_ptr);
    if (xrun_job_wait(job, 170000) != XRUN_OK) fail_msg("wait: %s", xrun_last_error());
    const double took = now_s() - t0;
    char *info = info_of(job);
    fprintf(stderr, "walltime retry: %s after %.1f s\n%s\n", xrun_state_name(xrun_job_state(job)), took, info);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    /* Two Slurm jobs, one xrun job: the first ended TIMEOUT (TimeLimit). */
    assert_non_null(strstr(info, "\"number\":1,"));
    assert_non_null(strstr(info, "\"number\":2,"));
    assert_non_null(strstr(info, "\"state\":\"timeout\",\"reason\":\"TimeLimit\""));
    assert_non_null(strstr(info, "walltime 00:01:00 -> 00:02:00"));
    assert_non_null(strstr(info, "command: the restart_command"));
    xrun_free(info);
    assert_string_not_equal(xrun_job_scheduler_id(job), first_id);
    /* The second ran its restart command in the first one's directory. */
    char *out = read_job_file(job, "stdout");
    assert_string_equal(out, "restarted from first\n");
    xrun_free(out);
    /* And Slurm gave it the doubled walltime. */
    char *shown = show_job(xrun_job_scheduler_id(job));
    if (!strstr(shown, "TimeLimit=00:02:00")) fail_msg("second Slurm job: %s", shown);
    free(shown);
    xrun_job_free(job);
}

static void set_node(const char *what) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "scontrol update nodename=localhost %s >/dev/null 2>&1", what);
    int rc = system(cmd);
    (void)rc; /* resume fails when the node is already back: that is fine */
}

static void node_down_is_retried(void **state) {
    (void)state;
    const double t0 = now_s();
    xrun_job *job = NULL;
    const char *spec =
        "{\"name\": \"node-retry\", \"command\": \"n=$(cat runs 2>/dev/null | wc -l); echo x >> runs; "
        "if [ $n -eq 0 ]; then sleep 600; fi; echo done after $n\","
        " \"retry\": {\"on\": [\"node_fail\"], \"max_attempts\": 2}}";
    if (xrun_job_submit(&job, ctx, spec) != XRUN_OK) fail_msg("submit: %s", xrun_last_error());
    /* Running, and its script started (it wrote "runs"). */
    char runs[700];
    char *info = info_of(job);
    const char *dir = strstr(info, "\"job_dir\":\"");
    assert_non_null(dir);
    dir += strlen("\"job_dir\":\"");
    snprintf(runs, sizeof runs, "%.*s/runs", (int)(strchr(dir, '"') - dir), dir);
    xrun_free(info);
    struct stat st;
    for (int i = 0; i < 300 && stat(runs, &st) != 0; i++) usleep(100000);
    assert_int_equal(stat(runs, &st), 0);
    assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    char first_id[64];
    snprintf(first_id, sizeof first_id, "%s", xrun_job_scheduler_id(job));
    set_node("state=down reason=xrun-retry-test");
    /* Poll until the second attempt is sent, then bring the node back. */
    for (int i = 0; i < 600; i++) {
        int64_t next = 0;
        assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
        assert_int_equal(xrun_job_refresh(job), XRUN_OK);
        if (strcmp(xrun_job_scheduler_id(job), first_id) != 0 && xrun_job_scheduler_id(job)[0]) break;
        assert_false(xrun_state_is_terminal(xrun_job_state(job)));
        usleep(100000);
    }
    set_node("state=resume");
    if (xrun_job_wait(job, 60000) != XRUN_OK) fail_msg("wait: %s", xrun_last_error());
    const double took = now_s() - t0;
    info = info_of(job);
    fprintf(stderr, "node-down retry: %s after %.1f s\n%s\n", xrun_state_name(xrun_job_state(job)), took, info);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    assert_non_null(strstr(info, "\"state\":\"node_fail\""));
    assert_non_null(strstr(info, "\"number\":2,"));
    xrun_free(info);
    char *out = read_job_file(job, "stdout");
    assert_string_equal(out, "done after 1\n");
    xrun_free(out);
    xrun_job_free(job);
}

/* An operator requeues a running job (scontrol requeue; its begin time is
 * then moved to now so Slurm does not hold it back for minutes): xrun
 * records the attempt that ran, and the second run of the same Slurm job
 * completes as attempt 2. */
static void requeue_from_outside_is_an_attempt(void **state) {
    (void)state;
    const double t0 = now_s();
    xrun_job *job = NULL;
    const char *spec =
        "{\"name\": \"requeue-retry\", \"command\": \"n=$(cat runs 2>/dev/null | wc -l); echo x >> runs; "
        "if [ $n -eq 0 ]; then sleep 600; fi; echo done after $n\","
        " \"retry\": {\"on\": [\"timeout\"], \"max_attempts\": 3}}";
    if (xrun_job_submit(&job, ctx, spec) != XRUN_OK) fail_msg("submit: %s", xrun_last_error());
    char runs[700];
    char *info = info_of(job);
    const char *dir = strstr(info, "\"job_dir\":\"");
    assert_non_null(dir);
    dir += strlen("\"job_dir\":\"");
    snprintf(runs, sizeof runs, "%.*s/runs", (int)(strchr(dir, '"') - dir), dir);
    xrun_free(info);
    struct stat st;
    for (int i = 0; i < 300 && stat(runs, &st) != 0; i++) usleep(100000);
    assert_int_equal(stat(runs, &st), 0);
    for (int i = 0; i < 100 && xrun_job_state(job) != XRUN_STATE_RUNNING; i++) {
        int64_t next = 0;
        assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
        assert_int_equal(xrun_job_refresh(job), XRUN_OK);
        if (xrun_job_state(job) != XRUN_STATE_RUNNING) usleep(200000);
    }
    assert_int_equal(xrun_job_state(job), XRUN_STATE_RUNNING);
    char id[64], cmd[256];
    snprintf(id, sizeof id, "%s", xrun_job_scheduler_id(job));
    snprintf(cmd, sizeof cmd, "scontrol requeue %s", id);
    assert_int_equal(system(cmd), 0);
    /* Seen queued again by a poll round before it runs again. */
    for (int i = 0; i < 100 && xrun_job_state(job) == XRUN_STATE_RUNNING; i++) {
        int64_t next = 0;
        usleep(200000);
        assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
        assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    }
    assert_int_equal(xrun_job_state(job), XRUN_STATE_QUEUED);
    snprintf(cmd, sizeof cmd, "scontrol update jobid=%s StartTime=now", id);
    assert_int_equal(system(cmd), 0);
    if (xrun_job_wait(job, 60000) != XRUN_OK) fail_msg("wait: %s", xrun_last_error());
    const double took = now_s() - t0;
    info = info_of(job);
    fprintf(stderr, "requeued from outside: %s after %.1f s\n%s\n", xrun_state_name(xrun_job_state(job)), took, info);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    assert_non_null(strstr(info, "\"number\":1,"));
    assert_non_null(strstr(info, "\"state\":\"preempted\",\"reason\":\"requeued by the scheduler"));
    assert_non_null(strstr(info, "\"number\":2,"));
    assert_non_null(strstr(info, "\"attempt\":2"));
    xrun_free(info);
    assert_string_equal(xrun_job_scheduler_id(job), id);
    char *out = read_job_file(job, "stdout");
    assert_string_equal(out, "done after 1\n");
    xrun_free(out);
    xrun_job_free(job);
}

int main(int argc, char **argv) {
    const struct CMUnitTest walltime[] = {
        cmocka_unit_test(walltime_kill_is_retried_scaled_with_the_restart_command)};
    const struct CMUnitTest node[] = {cmocka_unit_test(node_down_is_retried),
                                      cmocka_unit_test(requeue_from_outside_is_an_attempt)};
    if (argc > 1 && strcmp(argv[1], "node") == 0) return cmocka_run_group_tests(node, setup, teardown);
    if (argc > 1 && strcmp(argv[1], "walltime") == 0) return cmocka_run_group_tests(walltime, setup, teardown);
    fprintf(stderr, "usage: %s walltime|node\n", argv[0]);
    return 2;
}
