/* End to end through the C API on the real Slurm of scripts/testbed-slurm.sh:
 * a local machine with "scheduler": "slurm"; submit, wait, exit codes,
 * cancel, hold, arrays, dependencies, and ONE squeue per poll round over
 * many jobs (counted by wrappers around the real commands on PATH). */
#include <sys/stat.h>
#include <unistd.h>

#include "test_common.h"
#include "slurm_home.h"
#include "xrun.h"

static char home[512];
static char bin[512];
static xrun_ctx *ctx;

/* Wrappers that log each call, then run the real command. */
static void write_wrapper(const char *name) {
    char path[600], text[1200];
    snprintf(path, sizeof path, "%s/%s", bin, name);
    /* sbatch refuses everything while "refuse" exists (as a site's sbatch
     * refuses over a quota), to show what a refused submission leaves. */
    if (strcmp(name, "sbatch") == 0)
        snprintf(text, sizeof text,
                 "#!/bin/sh\necho %s >> '%s/calls'\n"
                 "if [ -e '%s/refuse' ]; then echo 'sbatch: error: refused by the test' >&2; exit 1; fi\n"
                 "exec /usr/bin/%s \"$@\"\n",
                 name, bin, bin, name);
    else
        snprintf(text, sizeof text, "#!/bin/sh\necho %s >> '%s/calls'\nexec /usr/bin/%s \"$@\"\n", name, bin, name);
    xrun_test_write_file(path, text);
    assert_int_equal(chmod(path, 0755), 0);
}

static int count_calls(const char *name) {
    char path[600], line[128];
    snprintf(path, sizeof path, "%s/calls", bin);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == '\n') n++;
    fclose(f);
    return n;
}

static void reset_calls(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/calls", bin);
    remove(path);
}

static void print_log(int level, const char *message, void *payload) {
    (void)payload;
    fprintf(stderr, "xrun log %d: %s\n", level, message);
}

static int setup(void **state) {
    (void)state;
    if (xrun_test_use_slurm_testbed() != 0) return -1;
    snprintf(bin, sizeof bin, "%s", xrun_test_tempdir("slurm-bin"));
    const char *names[] = {"sbatch", "squeue", "sacct", "scancel", "scontrol"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) write_wrapper(names[i]);
    char path[1200];
    snprintf(path, sizeof path, "%s:%s", bin, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path, 1);

    xrun_test_local_slurm_home("slurm-capi", home, 1, "00:05:00");
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    opts.log = print_log;
    opts.log_level = XRUN_LOG_WARN;
    if (xrun_ctx_open(&ctx, &opts) != XRUN_OK) {
        fprintf(stderr, "xrun_ctx_open: %s\n", xrun_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    xrun_ctx_close(ctx);
    return 0;
}

static xrun_job *submit(const char *spec) {
    xrun_job *job = NULL;
    int rc = xrun_job_submit(&job, ctx, spec);
    if (rc != XRUN_OK) fail_msg("submit %s: %s", spec, xrun_last_error());
    return job;
}

static void wait_terminal(xrun_job *job) {
    int rc = xrun_job_wait(job, 90000);
    if (rc != XRUN_OK) fail_msg("wait: %s", xrun_last_error());
}

static void wait_state(xrun_job *job, int state) {
    for (int i = 0; i < 300 && xrun_job_state(job) != state; i++) {
        assert_false(xrun_state_is_terminal(xrun_job_state(job)));
        usleep(100000);
        assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    }
    if (xrun_job_state(job) != state)
        fail_msg("job is %s (%s), want %s", xrun_state_name(xrun_job_state(job)), xrun_job_reason(job),
                 xrun_state_name(state));
}

/* Polls until no job of the context is submitted, queued, held or running. */
static void wait_all_settled(void) {
    const int active[] = {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED, XRUN_STATE_HELD, XRUN_STATE_RUNNING};
    for (int round = 0; round < 120; round++) {
        int busy = 0;
        for (size_t i = 0; i < sizeof active / sizeof active[0]; i++) {
            char *list = NULL;
            assert_int_equal(xrun_jobs_list(&list, ctx, "tb", active[i], 0), XRUN_OK);
            if (strcmp(list, "[]") != 0) busy = 1;
            xrun_free(list);
        }
        if (!busy) return;
        int64_t next = 0;
        assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
        usleep(500 * 1000);
    }
    fail_msg("jobs still active after 60 s");
}

static void test_complete_and_fail(void **state) {
    (void)state;
    xrun_job *ok = submit("{\"name\": \"it's $(x)\", \"command\": \"echo hello $SLURM_JOB_ID\"}");
    xrun_job *bad = submit("{\"name\": \"bad\", \"command\": \"exit 3\"}");
    wait_terminal(ok);
    wait_terminal(bad);
    assert_int_equal(xrun_job_state(ok), XRUN_STATE_COMPLETED);
    int code = -1;
    assert_int_equal(xrun_job_exit_code(ok, &code), XRUN_OK);
    assert_int_equal(code, 0);
    char *out = NULL;
    assert_int_equal(xrun_job_read_file(&out, NULL, ok, "stdout", 0), XRUN_OK);
    char want[64];
    snprintf(want, sizeof want, "hello %s\n", xrun_job_scheduler_id(ok));
    assert_string_equal(out, want);
    xrun_free(out);
    assert_int_equal(xrun_job_state(bad), XRUN_STATE_FAILED);
    assert_int_equal(xrun_job_exit_code(bad, &code), XRUN_OK);
    assert_int_equal(code, 3);
    xrun_job_free(ok);
    xrun_job_free(bad);
}

static void test_cancel_running_and_held(void **state) {
    (void)state;
    xrun_job *run = submit("{\"name\": \"sleeper\", \"command\": \"sleep 300\"}");
    xrun_job *held = submit("{\"name\": \"held\", \"command\": \"true\", \"hold\": true}");
    wait_state(run, XRUN_STATE_RUNNING);
    wait_state(held, XRUN_STATE_HELD);
    assert_string_equal(xrun_job_reason(held), "JobHeldUser");
    assert_int_equal(xrun_job_cancel(run), XRUN_OK);
    assert_int_equal(xrun_job_cancel(held), XRUN_OK);
    wait_terminal(run);
    wait_terminal(held);
    assert_int_equal(xrun_job_state(run), XRUN_STATE_CANCELLED);
    assert_int_equal(xrun_job_state(held), XRUN_STATE_CANCELLED);
    xrun_job_free(run);
    xrun_job_free(held);
}

/* A job that starts and ends between two polls still gets its started_at
 * (issue 10 #6): from the time its script wrote beside its exit record. */
static void test_started_between_polls(void **state) {
    (void)state;
    xrun_job *quick = submit("{\"name\": \"quick\", \"command\": \"true\"}");
    /* No poll while it runs: it is submitted, then gone from the queue. */
    for (int i = 0; i < 100; i++) {
        FILE *p = popen("squeue -h -t all -o '%T %j' 2>/dev/null", "r");
        assert_non_null(p);
        char line[512];
        int running = 0;
        while (fgets(line, sizeof line, p))
            if (strstr(line, xrun_job_id(quick)) && strncmp(line, "COMPLETED", 9) != 0) running = 1;
        pclose(p);
        if (!running) break;
        usleep(200 * 1000);
    }
    wait_terminal(quick);
    assert_int_equal(xrun_job_state(quick), XRUN_STATE_COMPLETED);
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, quick), XRUN_OK);
    fprintf(stderr, "quick job: %.400s\n", info);
    assert_null(strstr(info, "\"started_at\":null"));
    assert_non_null(strstr(info, "\"started_at\":\"20"));
    xrun_free(info);
    xrun_job_free(quick);
}

/* A queued job held through the API stays held after what it waited for
 * ended, and runs once released. */
static void test_hold_and_release_a_queued_job(void **state) {
    (void)state;
    xrun_job *first = submit("{\"name\": \"before\", \"command\": \"sleep 3\"}");
    char spec[256];
    snprintf(spec, sizeof spec, "{\"name\": \"after\", \"command\": \"echo released\", \"depends_on\": [\"%s\"]}",
             xrun_job_id(first));
    xrun_job *after = submit(spec);
    wait_state(after, XRUN_STATE_QUEUED);
    int rc = xrun_job_hold(after);
    if (rc != XRUN_OK) fail_msg("hold: %s", xrun_last_error());
    assert_int_equal(xrun_job_state(after), XRUN_STATE_HELD);
    wait_terminal(first);
    assert_int_equal(xrun_job_state(first), XRUN_STATE_COMPLETED);
    /* Its dependency is met: only the hold keeps it from running. */
    for (int i = 0; i < 6; i++) {
        int64_t next = 0;
        assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
        assert_int_equal(xrun_job_refresh(after), XRUN_OK);
        assert_int_equal(xrun_job_state(after), XRUN_STATE_HELD);
        usleep(500 * 1000);
    }
    assert_string_equal(xrun_job_reason(after), "JobHeldUser");
    assert_int_equal(xrun_job_hold(after), XRUN_OK); /* already held: nothing to do */
    rc = xrun_job_release(after);
    if (rc != XRUN_OK) fail_msg("release: %s", xrun_last_error());
    wait_terminal(after);
    assert_int_equal(xrun_job_state(after), XRUN_STATE_COMPLETED);
    assert_int_equal(xrun_job_hold(after), XRUN_E_STATE);
    assert_int_equal(xrun_job_release(after), XRUN_E_STATE);
    xrun_job_free(first);
    xrun_job_free(after);
}

static void test_dependency_and_array(void **state) {
    (void)state;
    xrun_job *first = submit("{\"name\": \"first\", \"command\": \"sleep 1\"}");
    char spec[512];
    snprintf(spec, sizeof spec,
             "{\"name\": \"arr\", \"array\": \"0-2\", \"depends_on\": [\"%s\"],"
             " \"command\": \"echo task $SLURM_ARRAY_TASK_ID; exit $((SLURM_ARRAY_TASK_ID == 1 ? 4 : 0))\"}",
             xrun_job_id(first));
    xrun_job *task0 = submit(spec);
    wait_terminal(first);
    assert_int_equal(xrun_job_state(first), XRUN_STATE_COMPLETED);
    wait_terminal(task0);
    assert_int_equal(xrun_job_state(task0), XRUN_STATE_COMPLETED);
    /* The other tasks are jobs of their own, listing task 0 as their parent. */
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, "tb", -1, 0), XRUN_OK);
    int tasks = 0;
    for (const char *p = list; (p = strstr(p, "\"array_parent\"")) != NULL; p++) tasks++;
    xrun_free(list);
    assert_true(tasks >= 2);
    char *out = NULL;
    assert_int_equal(xrun_job_read_file(&out, NULL, task0, "stdout", 0), XRUN_OK);
    assert_string_equal(out, "task 0\n");
    xrun_free(out);
    /* The other tasks end on their own: poll until no job of this context is active. */
    wait_all_settled();
    /* Task 1 failed with 4: find it through the events of the run. */
    xrun_events *events = NULL;
    assert_int_equal(xrun_events_since(&events, ctx, 0, 100000), XRUN_OK);
    int failed4 = 0;
    for (int64_t i = 0; i < xrun_events_count(events); i++)
        if (xrun_events_state(events, i) == XRUN_STATE_FAILED && strstr(xrun_events_message(events, i), "exit 4"))
            failed4++;
    xrun_events_free(events);
    assert_int_equal(failed4, 1);
    xrun_job_free(first);
    xrun_job_free(task0);
}

/* Tasks of the array named `name` in the store (each task is a job named
 * "name[index]"). */
static int count_tasks(const char *name) {
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, "tb", -1, 0), XRUN_OK);
    char needle[128];
    snprintf(needle, sizeof needle, "%s[", name);
    int n = 0;
    for (const char *p = list; (p = strstr(p, needle)) != NULL; p++) n++;
    xrun_free(list);
    return n;
}

/* An array the scheduler refuses leaves only its carrier (in created, with
 * the refusal as its reason), not one record per task; sent again once the
 * scheduler takes it, its tasks are made again and all of them run. */
static void test_refused_array_keeps_only_its_carrier(void **state) {
    (void)state;
    /* Slurm itself refuses 5,000 tasks (MaxArraySize is 1001). */
    xrun_job *big = NULL;
    assert_int_not_equal(xrun_job_submit(&big, ctx, "{\"name\": \"arr5k\", \"array\": \"0-4999\", \"command\": \"true\"}"),
                         XRUN_OK);
    assert_non_null(strstr(xrun_last_error(), "sbatch"));
    assert_int_equal(count_tasks("arr5k"), 1);
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, "tb", XRUN_STATE_CREATED, 0), XRUN_OK);
    assert_non_null(strstr(list, "refused by the scheduler"));
    xrun_free(list);
    xrun_job_free(big);

    /* Refused once, then accepted: xrun_job_send makes the tasks again. */
    char refuse[600];
    snprintf(refuse, sizeof refuse, "%s/refuse", bin);
    xrun_test_write_file(refuse, "");
    xrun_job *arr = NULL;
    assert_int_not_equal(xrun_job_submit(&arr, ctx, "{\"name\": \"arr3\", \"array\": \"0-2\", \"command\": \"echo t$SLURM_ARRAY_TASK_ID\"}"),
                         XRUN_OK);
    assert_int_equal(count_tasks("arr3"), 1);
    char *id = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, "tb", XRUN_STATE_CREATED, 0), XRUN_OK);
    const char *at = strstr(list, "arr3");
    assert_non_null(at);
    xrun_free(list);
    /* The carrier's id: the newest created job named arr3. */
    assert_int_equal(xrun_jobs_list(&list, ctx, "tb", XRUN_STATE_CREATED, 1), XRUN_OK);
    const char *key = strstr(list, "\"id\"");
    assert_non_null(key);
    const char *q = strchr(key + 4, '"');
    assert_non_null(q);
    id = strndup(q + 1, 26);
    xrun_free(list);
    assert_int_equal(remove(refuse), 0);
    assert_int_equal(xrun_job_open(&arr, ctx, id), XRUN_OK);
    assert_int_equal(xrun_job_send(arr), XRUN_OK);
    assert_int_equal(count_tasks("arr3"), 3);
    wait_terminal(arr);
    assert_int_equal(xrun_job_state(arr), XRUN_STATE_COMPLETED);
    wait_all_settled();
    assert_int_equal(xrun_jobs_list(&list, ctx, "tb", XRUN_STATE_COMPLETED, 0), XRUN_OK);
    int done = 0;
    for (const char *p = list; (p = strstr(p, "arr3[")) != NULL; p++) done++;
    xrun_free(list);
    assert_int_equal(done, 3);
    free(id);
    xrun_job_free(arr);
}

static void test_one_squeue_per_round(void **state) {
    (void)state;
    enum { N = 60 };
    xrun_job *jobs[N];
    wait_all_settled(); /* so that no earlier job leaves the queue in the counted round */
    for (int i = 0; i < N; i++) jobs[i] = submit("{\"name\": \"many\", \"command\": \"true\", \"hold\": true}");
    usleep(1100 * 1000); /* min_poll_interval is 1 s */
    reset_calls();
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    /* A second round at once is refused by min_poll_interval. */
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_true(next > 0 && next <= 1000);
    assert_int_equal(count_calls("squeue"), 1);
    assert_int_equal(count_calls("sacct"), 0);
    for (int i = 0; i < N; i++) {
        xrun_job *again = NULL;
        assert_int_equal(xrun_job_open(&again, ctx, xrun_job_id(jobs[i])), XRUN_OK);
        assert_int_equal(xrun_job_state(again), XRUN_STATE_HELD);
        xrun_job_free(again);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(xrun_job_cancel(jobs[i]), XRUN_OK);
        xrun_job_free(jobs[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_and_fail),
        cmocka_unit_test(test_cancel_running_and_held),
        cmocka_unit_test(test_hold_and_release_a_queued_job),
        cmocka_unit_test(test_started_between_polls),
        cmocka_unit_test(test_dependency_and_array),
        cmocka_unit_test(test_refused_array_keeps_only_its_carrier),
        cmocka_unit_test(test_one_squeue_per_round),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
