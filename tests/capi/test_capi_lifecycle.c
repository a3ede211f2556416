/* A job's life with no dead ends, on the local machine: a job whose send
 * failed is kept (xrun_job_submit_v2 gives it to the caller) and is sent
 * again by xrun_job_send; a send of a job in any other state is refused
 * naming that state; deferred jobs ("defer": true) are only recorded and
 * the next poll round sends them; a deferred job whose machine left the
 * configuration fails at the next round, naming the machine. */
#include "capi_helpers.h"

/* Machines file: machine "box" (local, direct) with `workdir`, and when
 * `other` is set a second such machine "other". */
static void write_machines_2(const char *home, const char *workdir, int other) {
    char path[600], text[2000];
    snprintf(path, sizeof path, "%s/machines.json", home);
    snprintf(text, sizeof text,
             "{\"default\": \"box\", \"machines\": {\"box\": {\"execution\": \"local\", \"scheduler\": \"direct\","
             " \"workdir\": \"%s\", \"min_poll_interval\": 0}%s}}",
             workdir,
             other ? ", \"other\": {\"execution\": \"local\", \"scheduler\": \"direct\", \"min_poll_interval\": 0}" : "");
    xrun_test_write_file(path, text);
}

static void write_machines(const char *home, const char *workdir) { write_machines_2(home, workdir, 0); }

static xrun_ctx *open_home(const char *home) {
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    xrun_ctx *ctx = NULL;
    int rc = xrun_ctx_open(&ctx, &opts);
    if (rc != XRUN_OK) fprintf(stderr, "xrun_ctx_open: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    return ctx;
}

static void test_send_refuses_other_states(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("send-state", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"true\"}");
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    assert_int_equal(xrun_job_send(job), XRUN_E_STATE);
    assert_non_null(strstr(xrun_last_error(), "completed"));
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    assert_int_equal(xrun_job_send(NULL), XRUN_E_INVALID);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_failed_send_keeps_the_job_then_send_sends_it(void **state) {
    (void)state;
    char home[512], bad[600], good[600];
    snprintf(home, sizeof home, "%s", xrun_test_tempdir("send-again"));
    /* A workdir that cannot be made: the send fails before anything runs. */
    snprintf(bad, sizeof bad, "/proc/xrun-no-such-dir");
    write_machines(home, bad);
    xrun_ctx *ctx = open_home(home);

    /* The v0.1 call: an error and no handle (its meaning is unchanged). */
    xrun_job *old = (xrun_job *)&old;
    assert_int_not_equal(xrun_job_submit(&old, ctx, "{\"command\": \"echo first\"}"), XRUN_OK);
    assert_null(old);

    /* The v2 call: the same error, and the job. */
    xrun_job *job = NULL;
    int rc = xrun_job_submit_v2(&job, ctx, "{\"name\": \"kept\", \"command\": \"echo sent at last\"}");
    assert_int_not_equal(rc, XRUN_OK);
    assert_non_null(job);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_CREATED);
    assert_non_null(strstr(xrun_job_reason(job), "not submitted"));
    char id[32];
    snprintf(id, sizeof id, "%s", xrun_job_id(job));
    /* Sending it again while the machine is still broken fails the same way. */
    assert_int_not_equal(xrun_job_send(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_CREATED);
    /* Refused before it was recorded: no handle even from v2. */
    xrun_job *none = NULL;
    assert_int_equal(xrun_job_submit_v2(&none, ctx, "{\"command\": \"true\", \"colour\": 1}"), XRUN_E_INVALID);
    assert_null(none);
    xrun_job_free(job);
    xrun_ctx_close(ctx);

    /* The machine is fixed: the same job is sent, once, and runs. */
    snprintf(good, sizeof good, "%s/jobs", home);
    write_machines(home, good);
    ctx = open_home(home);
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    rc = xrun_job_send(job);
    if (rc != XRUN_OK) fprintf(stderr, "send: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = job_stdout(job);
    assert_string_equal(out, "sent at last\n");
    xrun_free(out);
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    assert_non_null(strstr(info, "\"attempts\":3"));
    xrun_free(info);
    /* Sent: a second send is refused. */
    assert_int_equal(xrun_job_send(job), XRUN_E_STATE);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static int info_has(xrun_job *job, const char *text) {
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    int found = strstr(info, text) != NULL;
    if (!found) fprintf(stderr, "info lacks %s: %s\n", text, info);
    xrun_free(info);
    return found;
}

static void test_deferred_jobs_are_sent_by_the_next_round(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("defer", NULL);
    /* A batch and a single submission, both deferred: recorded, not sent. */
    char *outcomes = NULL;
    assert_int_equal(xrun_jobs_submit(&outcomes, ctx,
                                      "[{\"command\": \"echo b0\", \"defer\": true},"
                                      " {\"command\": \"echo b1\", \"defer\": true}]"),
                     XRUN_OK);
    assert_null(strstr(outcomes, "\"error\""));
    assert_non_null(strstr(outcomes, "\"state\":\"waiting\""));
    char first[27];
    memcpy(first, strstr(outcomes, "\"id\":\"") + 6, 26);
    first[26] = 0;
    xrun_free(outcomes);
    xrun_job *single = submit_ok(ctx, "{\"command\": \"echo single\", \"defer\": true}");
    assert_int_equal(xrun_job_state(single), XRUN_STATE_WAITING);
    assert_string_equal(xrun_job_scheduler_id(single), "");
    assert_true(info_has(single, "\"waiting_for\":\"deferred\""));
    assert_true(info_has(single, "\"attempts\":0"));
    xrun_job *sent_now = submit_ok(ctx, "{\"command\": \"echo now\", \"defer\": true}");
    /* xrun_job_send does not wait for the round. */
    assert_int_equal(xrun_job_send(sent_now), XRUN_OK);
    assert_int_equal(xrun_job_state(sent_now), XRUN_STATE_RUNNING);
    /* One round sends every deferred job of the machine. */
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_int_equal(xrun_job_refresh(single), XRUN_OK);
    assert_int_not_equal(xrun_job_state(single), XRUN_STATE_WAITING);
    xrun_job *batch0 = NULL;
    assert_int_equal(xrun_job_open(&batch0, ctx, first), XRUN_OK);
    assert_int_not_equal(xrun_job_state(batch0), XRUN_STATE_WAITING);
    wait_ok(single, 20000);
    wait_ok(batch0, 20000);
    wait_ok(sent_now, 20000);
    char *out = job_stdout(batch0);
    assert_string_equal(out, "b0\n");
    xrun_free(out);
    out = job_stdout(single);
    assert_string_equal(out, "single\n");
    xrun_free(out);
    assert_true(info_has(single, "\"attempts\":1"));
    assert_true(info_has(single, "\"waiting_for\":\"\""));
    xrun_job_free(batch0);
    xrun_job_free(single);
    xrun_job_free(sent_now);
    xrun_ctx_close(ctx);
}

static void test_deferred_job_of_a_removed_machine_fails(void **state) {
    (void)state;
    char home[512], jobs[600];
    snprintf(home, sizeof home, "%s", xrun_test_tempdir("defer-gone"));
    snprintf(jobs, sizeof jobs, "%s/jobs", home);
    write_machines_2(home, jobs, 1);
    xrun_ctx *ctx = open_home(home);
    xrun_job *job = submit_ok(ctx, "{\"machine\": \"other\", \"command\": \"true\", \"defer\": true}");
    char id[32];
    snprintf(id, sizeof id, "%s", xrun_job_id(job));
    xrun_job_free(job);
    xrun_ctx_close(ctx);
    write_machines_2(home, jobs, 0); /* "other" is gone */
    ctx = open_home(home);
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    assert_non_null(strstr(xrun_job_reason(job), "\"other\""));
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* A job that started and ended between two polls still has a started_at
 * (for a batch job it comes from the started_at file its script writes,
 * read beside the exit record). */
static void test_job_ended_before_the_first_poll_has_started_at(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("started-at", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"true\"}");
    usleep(1500000); /* `true` has ended: the first poll finds its exit record */
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    assert_false(info_has(job, "\"started_at\":null"));
    assert_true(info_has(job, "\"started_at\":\""));
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_refuses_other_states),
        cmocka_unit_test(test_failed_send_keeps_the_job_then_send_sends_it),
        cmocka_unit_test(test_deferred_jobs_are_sent_by_the_next_round),
        cmocka_unit_test(test_deferred_job_of_a_removed_machine_fails),
        cmocka_unit_test(test_job_ended_before_the_first_poll_has_started_at),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
