/* Local jobs through the C API: success, failure exit code, cancel (the
 * whole process group dies), a job that outlives its submitter, lost jobs,
 * waits that time out, listing, events, hostile arguments, bad specs. */
#include <errno.h>

#include <dirent.h>

#include "capi_helpers.h"

/* Whether any process of `group` is alive. Zombies do not count: PID 1 may
 * reap orphans late, and kill(-group, 0) still sees them. */
static int group_alive(pid_t group) {
    DIR *proc = opendir("/proc");
    assert_non_null(proc);
    int alive = 0;
    struct dirent *entry;
    while (!alive && (entry = readdir(proc)) != NULL) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        char path[300], buf[1024];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *close_paren = strrchr(buf, ')');
        if (!close_paren) continue;
        char st = 0;
        long ppid = 0, pgrp = 0;
        if (sscanf(close_paren + 2, "%c %ld %ld", &st, &ppid, &pgrp) == 3 && pgrp == group && st != 'Z')
            alive = 1;
    }
    closedir(proc);
    return alive;
}

static void test_success_and_output(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("jobs-ok", NULL);
    xrun_job *job = submit_ok(ctx, "{\"name\": \"hello\", \"command\": \"echo hello; echo err >&2\"}");
    assert_int_equal(strlen(xrun_job_id(job)), 26);
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    int code = -1;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 0);
    char *out = job_stdout(job);
    assert_string_equal(out, "hello\n");
    xrun_free(out);
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    assert_non_null(strstr(info, "\"state\":\"completed\""));
    assert_non_null(strstr(info, "\"name\":\"hello\""));
    assert_non_null(strstr(info, "\"started_at\":\"20"));
    assert_non_null(strstr(info, "\"ended_at\":\"20"));
    xrun_free(info);
    assert_true(strlen(xrun_job_scheduler_id(job)) > 0);
    /* Reopen by id from the store. */
    xrun_job *again = NULL;
    assert_int_equal(xrun_job_open(&again, ctx, xrun_job_id(job)), XRUN_OK);
    assert_int_equal(xrun_job_state(again), XRUN_STATE_COMPLETED);
    xrun_job_free(again);
    /* No parser was named: no result. */
    xrun_result *result = NULL;
    assert_int_equal(xrun_job_result(&result, job), XRUN_E_NOT_FOUND);
    /* Cancelling a finished job is a state error. */
    assert_int_equal(xrun_job_cancel(job), XRUN_E_STATE);
    assert_non_null(strstr(xrun_last_error(), "already completed"));
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_failure_exit_code(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("jobs-fail", NULL);
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_submit_command(&job, ctx, NULL, "three", "exit 3"), XRUN_OK);
    wait_ok(job, 20000); /* a failed job is not a failed call */
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    int code = 0;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 3);
    assert_string_equal(xrun_job_reason(job), "NonZeroExitCode");
    xrun_job_free(job);

    /* A signal-killed command reports 128+N. */
    job = submit_ok(ctx, "{\"command\": \"sh -c 'kill -TERM $$'\"}");
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 128 + SIGTERM);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_cancel_kills_process_group(void **state) {
    (void)state;
    char home[512];
    xrun_ctx *ctx = open_temp_ctx("jobs-cancel", home);
    /* The job starts a grandchild; cancel must take it down too. */
    xrun_job *job = submit_ok(ctx, "{\"command\": \"sleep 60 & echo $! > child.pid; wait\"}");
    int code = 0;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_E_NOT_FOUND);
    pid_t group = (pid_t)atol(xrun_job_scheduler_id(job));
    assert_true(group > 1);
    usleep(200000);
    assert_true(group_alive(group));
    assert_int_equal(xrun_job_cancel(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_CANCELLED);
    /* Within a few seconds nothing of the group is left. */
    int alive = 1;
    for (int i = 0; i < 100 && alive; ++i) {
        alive = group_alive(group);
        if (alive) usleep(50000);
    }
    assert_false(alive);
    /* The terminal state sticks: a later poll does not change it. */
    assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_CANCELLED);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_job_outlives_its_submitter(void **state) {
    (void)state;
    char home[512];
    snprintf(home, sizeof home, "%s", xrun_test_tempdir("jobs-outlive"));
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* The submitter: submits, tells the id, exits at once. */
        xrun_options opts = XRUN_OPTIONS_INIT;
        opts.home = home;
        xrun_ctx *ctx = NULL;
        xrun_job *job = NULL;
        if (xrun_ctx_open(&ctx, &opts) != XRUN_OK ||
            xrun_job_submit(&job, ctx, "{\"command\": \"sleep 1; echo survived\"}") != XRUN_OK)
            _exit(1);
        ssize_t n = write(fds[1], xrun_job_id(job), 26);
        _exit(n == 26 ? 0 : 1);
    }
    close(fds[1]);
    char id[27] = {0};
    assert_int_equal(read(fds[0], id, 26), 26);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    xrun_ctx *ctx = NULL;
    assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_OK);
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = job_stdout(job);
    assert_string_equal(out, "survived\n");
    xrun_free(out);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_killed_without_record_is_lost_not_completed(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("jobs-lost", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"sleep 60\"}");
    pid_t group = (pid_t)atol(xrun_job_scheduler_id(job));
    usleep(100000);
    /* SIGKILL: the script cannot write its exit record. */
    assert_int_equal(kill(-group, SIGKILL), 0);
    usleep(300000);
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_LOST);
    int code = 0;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_E_NOT_FOUND);
    assert_non_null(strstr(xrun_job_reason(job), "no exit record"));
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_wait_times_out(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("jobs-timeout", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"sleep 30\"}");
    assert_int_equal(xrun_job_wait(job, 300), XRUN_E_TIMEOUT);
    assert_non_null(strstr(xrun_last_error(), "still running"));
    assert_int_equal(xrun_job_state(job), XRUN_STATE_RUNNING);
    assert_int_equal(xrun_job_cancel(job), XRUN_OK);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_hostile_arguments_arrive_unchanged(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("jobs-quote", NULL);
    /* printf '%s|' with arguments full of shell syntax. */
    const char *spec =
        "{\"name\": \"it's $(a) `b` \\\"c\\\"\","
        " \"argv\": [\"printf\", \"%s|\", \"a b\", \"it's\", \"$(touch /tmp/xrun-pwned-job)\","
        " \"`id`\", \"x;y&&z\", \"line1\\nline2\", \"\\u00e9\\u20ac\", \"$HOME\"],"
        " \"env\": {\"XRUN_TEST_VALUE\": \"$(touch /tmp/xrun-pwned-env) 'q'\"}}";
    remove("/tmp/xrun-pwned-job");
    remove("/tmp/xrun-pwned-env");
    xrun_job *job = submit_ok(ctx, spec);
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = job_stdout(job);
    assert_string_equal(out, "a b|it's|$(touch /tmp/xrun-pwned-job)|`id`|x;y&&z|line1\nline2|\xc3\xa9\xe2\x82\xac|$HOME|");
    xrun_free(out);
    xrun_job_free(job);

    job = submit_ok(ctx, "{\"command\": \"printf '%s' \\\"$XRUN_TEST_VALUE\\\"\","
                         " \"env\": {\"XRUN_TEST_VALUE\": \"$(touch /tmp/xrun-pwned-env) 'q'\"}}");
    wait_ok(job, 20000);
    out = job_stdout(job);
    assert_string_equal(out, "$(touch /tmp/xrun-pwned-env) 'q'");
    xrun_free(out);
    xrun_job_free(job);
    assert_int_equal(access("/tmp/xrun-pwned-job", F_OK), -1);
    assert_int_equal(access("/tmp/xrun-pwned-env", F_OK), -1);
    xrun_ctx_close(ctx);
}

static void test_bad_specs(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("jobs-bad", NULL);
    xrun_job *job = (xrun_job *)1;
    assert_int_equal(xrun_job_submit(&job, ctx, "{not json"), XRUN_E_INVALID);
    assert_null(job);
    assert_non_null(strstr(xrun_last_error(), "malformed JSON"));
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"comand\": \"true\"}"), XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "did you mean \"command\""));
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"name\": \"x\"}"), XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "\"command\" or \"argv\" is required"));
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"command\": \"true\", \"resources\": {\"nodes\": 0}}"),
                     XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "$.resources.nodes"));
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"command\": \"true\", \"machine\": \"nowhere\"}"),
                     XRUN_E_NOT_FOUND);
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"command\": \"true\", \"env\": {\"A B\": \"x\"}}"),
                     XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "not a valid variable name"));
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"command\": \"true\", \"hold\": true}"),
                     XRUN_E_UNSUPPORTED);
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"argv\": [\"a\\u0000b\"]}"), XRUN_E_INVALID);
    assert_int_equal(xrun_job_open(&job, ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV"), XRUN_E_NOT_FOUND);
    assert_int_equal(xrun_job_submit(&job, NULL, "{}"), XRUN_E_INVALID);
    /* Refused specs leave nothing in the store. */
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, -1, 0), XRUN_OK);
    assert_string_equal(list, "[]");
    xrun_free(list);
    xrun_ctx_close(ctx);
}

static void test_list_and_events(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("jobs-list", NULL);
    xrun_job *ok = submit_ok(ctx, "{\"command\": \"true\"}");
    xrun_job *bad = submit_ok(ctx, "{\"command\": \"false\"}");
    wait_ok(ok, 20000);
    wait_ok(bad, 20000);
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, "local", XRUN_STATE_FAILED, 0), XRUN_OK);
    assert_non_null(strstr(list, xrun_job_id(bad)));
    assert_null(strstr(list, xrun_job_id(ok)));
    xrun_free(list);
    assert_int_equal(xrun_jobs_list(&list, ctx, "elsewhere", -1, 0), XRUN_OK);
    assert_string_equal(list, "[]");
    xrun_free(list);
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, -1, 1), XRUN_OK);
    assert_non_null(strstr(list, xrun_job_id(bad))); /* newest first */
    assert_null(strstr(list, xrun_job_id(ok)));
    xrun_free(list);

    /* Events: every transition of `ok`, in order, with increasing seq. */
    xrun_events *events = NULL;
    assert_int_equal(xrun_events_since(&events, ctx, 0, 0), XRUN_OK);
    int64_t n = xrun_events_count(events);
    assert_true(n >= 8);
    int expected[] = {XRUN_STATE_CREATED, XRUN_STATE_SUBMITTING, XRUN_STATE_SUBMITTED, XRUN_STATE_RUNNING,
                      XRUN_STATE_COMPLETED};
    int next = 0;
    int64_t last_seq = 0;
    for (int64_t i = 0; i < n; ++i) {
        assert_true(xrun_events_seq(events, i) > last_seq);
        last_seq = xrun_events_seq(events, i);
        assert_true(xrun_events_time_ms(events, i) > 1700000000000LL);
        if (strcmp(xrun_events_job_id(events, i), xrun_job_id(ok)) == 0) {
            assert_true(next < 5);
            assert_int_equal(xrun_events_state(events, i), expected[next++]);
            /* Each of these changed the state (none is reason-only). */
            assert_string_equal(xrun_events_kind(events, i), "state");
        }
    }
    assert_int_equal(next, 5);
    assert_int_equal(xrun_events_state(events, n), -1); /* out of range */
    assert_string_equal(xrun_events_kind(events, n), "");
    assert_string_equal(xrun_events_kind(NULL, 0), "");
    char *json = NULL;
    assert_int_equal(xrun_events_json(&json, events), XRUN_OK);
    assert_non_null(strstr(json, "\"state\":\"completed\""));
    assert_non_null(strstr(json, "\"kind\":\"state\""));
    xrun_free(json);
    xrun_events_free(events);
    /* Paging from the last seq gives nothing new. */
    assert_int_equal(xrun_events_since(&events, ctx, last_seq, 0), XRUN_OK);
    assert_int_equal(xrun_events_count(events), 0);
    xrun_events_free(events);

    int64_t next_ms = -1;
    assert_int_equal(xrun_poll(ctx, &next_ms), XRUN_OK);
    assert_true(next_ms >= 0);
    char *report = NULL;
    assert_int_equal(xrun_recover(&report, ctx), XRUN_OK);
    assert_non_null(strstr(report, "\"reset\":0"));
    xrun_free(report);
    xrun_job_free(ok);
    xrun_job_free(bad);
    xrun_ctx_close(ctx);
}

static void test_cleanup_policy(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("jobs-cleanup", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"true\", \"cleanup\": \"on_success\"}");
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    char dir[1024];
    const char *p = strstr(info, "\"job_dir\":\"") + 11;
    snprintf(dir, sizeof dir, "%.*s", (int)(strchr(p, '"') - p), p);
    xrun_free(info);
    assert_int_equal(access(dir, F_OK), 0);
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    assert_int_equal(access(dir, F_OK), -1);
    xrun_job_free(job);

    job = submit_ok(ctx, "{\"command\": \"false\", \"cleanup\": \"on_success\"}");
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    char *out = job_stdout(job); /* kept: the job failed */
    xrun_free(out);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_batch_submission(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("jobs-batch", NULL);
    char specs[16384] = "[";
    for (int i = 0; i < 50; ++i) {
        char one[128];
        snprintf(one, sizeof one, "%s{\"argv\": [\"printf\", \"%%s\", \"batch-%d\"]}", i ? "," : "", i);
        strcat(specs, one);
    }
    strcat(specs, "]");
    char *out = NULL;
    int rc = xrun_jobs_submit(&out, ctx, specs);
    if (rc != XRUN_OK) fprintf(stderr, "batch: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    assert_null(strstr(out, "\"error\""));
    /* Every job, in input order, runs and prints its own text. */
    const char *p = out;
    for (int i = 0; i < 50; ++i) {
        p = strstr(p, "\"id\":\"");
        assert_non_null(p);
        char id[27];
        memcpy(id, p + 6, 26);
        id[26] = 0;
        p += 6;
        xrun_job *job = NULL;
        assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
        wait_ok(job, 30000);
        assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
        char *text = job_stdout(job);
        char expected[32];
        snprintf(expected, sizeof expected, "batch-%d", i);
        assert_string_equal(text, expected);
        xrun_free(text);
        xrun_job_free(job);
    }
    xrun_free(out);

    /* One bad spec refuses the whole batch; nothing is recorded. */
    char *before = NULL;
    assert_int_equal(xrun_jobs_list(&before, ctx, NULL, -1, 0), XRUN_OK);
    assert_int_equal(xrun_jobs_submit(&out, ctx, "[{\"command\": \"true\"}, {\"comand\": \"x\"}]"), XRUN_E_INVALID);
    assert_null(out);
    assert_non_null(strstr(xrun_last_error(), "job 1"));
    assert_int_equal(xrun_jobs_submit(&out, ctx, "{\"command\": \"true\"}"), XRUN_E_INVALID);
    char *after = NULL;
    assert_int_equal(xrun_jobs_list(&after, ctx, NULL, -1, 0), XRUN_OK);
    assert_string_equal(before, after);
    xrun_free(before);
    xrun_free(after);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_and_output),
        cmocka_unit_test(test_failure_exit_code),
        cmocka_unit_test(test_cancel_kills_process_group),
        cmocka_unit_test(test_job_outlives_its_submitter),
        cmocka_unit_test(test_killed_without_record_is_lost_not_completed),
        cmocka_unit_test(test_wait_times_out),
        cmocka_unit_test(test_hostile_arguments_arrive_unchanged),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_list_and_events),
        cmocka_unit_test(test_cleanup_policy),
        cmocka_unit_test(test_batch_submission),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
