/* Dependencies on two direct machines of this host ("box" and "box2"):
 * the direct scheduler renders no dependency, so every dependent job is
 * held by xrun and its machine's poll round sends it once its condition
 * holds. Typed dependencies (afterok, afternotok, afterany) met and unmet,
 * a job whose condition can no longer be met cancelled with the parent
 * and its state in the reason, transitively and even when only the
 * parent's machine is polled; batches referencing their own members
 * (@name, @index); cycles, unknown and ambiguous references and bad types
 * refused before anything is recorded; fail_fast batches. */
#include <time.h>

#include "capi_helpers.h"

static char g_home[512];
static char g_marks[600]; /* parents leave files here; children test them */

static void write_machines(const char *home) {
    char path[600], text[2400];
    snprintf(path, sizeof path, "%s/machines.json", home);
    snprintf(text, sizeof text,
             "{\"default\": \"box\", \"machines\": {"
             "\"box\": {\"execution\": \"local\", \"scheduler\": \"direct\", \"workdir\": \"%s/jobs\","
             " \"min_poll_interval\": 0},"
             "\"box2\": {\"execution\": \"local\", \"scheduler\": \"direct\", \"workdir\": \"%s/jobs2\","
             " \"min_poll_interval\": 0}}}",
             home, home);
    xrun_test_write_file(path, text);
}

static xrun_ctx *open_deps_ctx(const char *tag) {
    snprintf(g_home, sizeof g_home, "%s", xrun_test_tempdir(tag));
    write_machines(g_home);
    snprintf(g_marks, sizeof g_marks, "%s/marks", g_home);
    mkdir(g_marks, 0755);
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = g_home;
    xrun_ctx *ctx = NULL;
    int rc = xrun_ctx_open(&ctx, &opts);
    if (rc != XRUN_OK) fprintf(stderr, "xrun_ctx_open: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    return ctx;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The ids of xrun_jobs_submit's answer, in order; returns how many. */
static int batch_ids(const char *json, char ids[][40], int max) {
    int n = 0;
    const char *p = json;
    while (n < max && (p = strstr(p, "\"id\":\"")) != NULL) {
        p += 6;
        const char *end = strchr(p, '"');
        assert_non_null(end);
        snprintf(ids[n], 40, "%.*s", (int)(end - p), p);
        ++n;
    }
    return n;
}

static int submit_batch(xrun_ctx *ctx, const char *specs, char ids[][40], int expected) {
    char *out = NULL;
    int rc = xrun_jobs_submit(&out, ctx, specs);
    if (rc != XRUN_OK) fprintf(stderr, "xrun_jobs_submit: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    int n = batch_ids(out, ids, expected);
    assert_int_equal(n, expected);
    xrun_free(out);
    return n;
}

static int state_of(xrun_ctx *ctx, const char *id, char *reason, size_t reason_size) {
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    int state = xrun_job_state(job);
    if (reason) snprintf(reason, reason_size, "%s", xrun_job_reason(job));
    xrun_job_free(job);
    return state;
}

static int is_final(int state) { return state >= XRUN_STATE_COMPLETED && state <= XRUN_STATE_LOST; }

/* Poll rounds until every job is final, within `limit_ms`. */
static void poll_until_final(xrun_ctx *ctx, char ids[][40], int n, int64_t limit_ms) {
    const int64_t deadline = now_ms() + limit_ms;
    for (;;) {
        int open = 0;
        for (int i = 0; i < n; ++i) open += !is_final(state_of(ctx, ids[i], NULL, 0));
        if (!open) return;
        if (now_ms() > deadline) {
            for (int i = 0; i < n; ++i) {
                char reason[600];
                int s = state_of(ctx, ids[i], reason, sizeof reason);
                fprintf(stderr, "job %d %s: state %d (%s)\n", i, ids[i], s, reason);
            }
            fail_msg("%d job(s) still not final after %lld ms", open, (long long)limit_ms);
        }
        assert_int_equal(xrun_poll(ctx, NULL), XRUN_OK);
        usleep(50 * 1000);
    }
}

static void expect(xrun_ctx *ctx, const char *id, int state, const char *reason_part) {
    char reason[1000];
    int got = state_of(ctx, id, reason, sizeof reason);
    if (got != state || (reason_part && !strstr(reason, reason_part)))
        fail_msg("job %s: state %d, reason \"%s\"; expected state %d with \"%s\"", id, got, reason, state,
                 reason_part ? reason_part : "");
}

static int count_jobs(xrun_ctx *ctx) {
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, -1, 0), XRUN_OK);
    int n = 0;
    for (const char *p = list; (p = strstr(p, "\"id\":")) != NULL; ++p) ++n;
    xrun_free(list);
    return n;
}

static void test_typed_dependencies_across_machines(void **state) {
    (void)state;
    xrun_ctx *ctx = open_deps_ctx("deps-typed");
    char specs[6000];
    /* ok (box) and bad (box2) leave a mark once they end; their children
     * test the mark, so one that ran too early fails instead of completing. */
    snprintf(specs, sizeof specs,
             "["
             "{\"name\": \"ok\", \"command\": \"sleep 0.3; touch %s/ok\"},"                       /* 0 */
             "{\"name\": \"bad\", \"machine\": \"box2\", \"command\": \"sleep 0.3; touch %s/bad; exit 1\"}," /* 1 */
             "{\"name\": \"after-ok\", \"machine\": \"box2\", \"command\": \"test -f %s/ok\", \"depends_on\": [\"@ok\"]},"
             "{\"name\": \"after-bad\", \"command\": \"true\", \"depends_on\": [\"@1\"]}," /* 3: never */
             "{\"name\": \"notok-bad\", \"command\": \"test -f %s/bad\","
             " \"depends_on\": [{\"job\": \"@bad\", \"type\": \"afternotok\"}]},"          /* 4 */
             "{\"name\": \"notok-ok\", \"machine\": \"box2\", \"command\": \"true\","
             " \"depends_on\": [{\"job\": \"@ok\", \"type\": \"afternotok\"}]},"           /* 5: never */
             "{\"name\": \"any\", \"machine\": \"box2\", \"command\": \"test -f %s/ok && test -f %s/bad\","
             " \"depends_on\": [{\"job\": \"@ok\", \"type\": \"afterany\"}, {\"job\": \"@bad\", \"type\": \"afterany\"}]},"
             "{\"name\": \"grandchild\", \"machine\": \"box2\", \"command\": \"true\", \"depends_on\": [\"@after-bad\"]},"
             "{\"name\": \"great\", \"command\": \"true\","
             " \"depends_on\": [{\"job\": \"@grandchild\", \"type\": \"afterany\"}]}" /* 8: runs after a cancel */
             "]",
             g_marks, g_marks, g_marks, g_marks, g_marks, g_marks);
    char ids[9][40];
    submit_batch(ctx, specs, ids, 9);

    /* Held by xrun, not sent: waiting for dependencies. */
    xrun_job *held = NULL;
    assert_int_equal(xrun_job_open(&held, ctx, ids[2]), XRUN_OK);
    assert_int_equal(xrun_job_state(held), XRUN_STATE_WAITING);
    assert_string_equal(xrun_job_scheduler_id(held), "");
    char waits_for[200];
    snprintf(waits_for, sizeof waits_for, "waiting for dependencies: parent %s has not ended (afterok)", ids[0]);
    assert_string_equal(xrun_job_reason(held), waits_for);
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, held), XRUN_OK);
    assert_non_null(strstr(info, "\"waiting_for\":\"dependencies\""));
    xrun_free(info);
    xrun_job_free(held);

    poll_until_final(ctx, ids, 9, 30000);
    char why[600];
    expect(ctx, ids[0], XRUN_STATE_COMPLETED, NULL);
    expect(ctx, ids[1], XRUN_STATE_FAILED, NULL);
    expect(ctx, ids[2], XRUN_STATE_COMPLETED, NULL);
    snprintf(why, sizeof why, "dependency never satisfied: parent %s ended failed (afterok)", ids[1]);
    expect(ctx, ids[3], XRUN_STATE_CANCELLED, why);
    expect(ctx, ids[4], XRUN_STATE_COMPLETED, NULL);
    snprintf(why, sizeof why, "dependency never satisfied: parent %s ended completed (afternotok)", ids[0]);
    expect(ctx, ids[5], XRUN_STATE_CANCELLED, why);
    expect(ctx, ids[6], XRUN_STATE_COMPLETED, NULL);
    snprintf(why, sizeof why, "dependency never satisfied: parent %s ended cancelled (afterok)", ids[3]);
    expect(ctx, ids[7], XRUN_STATE_CANCELLED, why);
    expect(ctx, ids[8], XRUN_STATE_COMPLETED, NULL);

    xrun_ctx_close(ctx);
}

static void test_parent_machine_polled_alone_cancels_the_child(void **state) {
    (void)state;
    xrun_ctx *ctx = open_deps_ctx("deps-one-machine");
    xrun_job *parent = submit_ok(ctx, "{\"command\": \"sleep 0.2; exit 3\"}");
    char spec[300];
    snprintf(spec, sizeof spec, "{\"machine\": \"box2\", \"command\": \"true\", \"depends_on\": [\"%s\"]}",
             xrun_job_id(parent));
    xrun_job *child = submit_ok(ctx, spec);
    assert_int_equal(xrun_job_state(child), XRUN_STATE_WAITING);
    snprintf(spec, sizeof spec, "{\"machine\": \"box2\", \"command\": \"true\", \"depends_on\": [\"%s\"]}",
             xrun_job_id(child));
    xrun_job *grandchild = submit_ok(ctx, spec);
    /* Waiting for the parent polls box only: the children on box2 end in
     * the same round, transitively. */
    wait_ok(parent, 20000);
    assert_int_equal(xrun_job_state(parent), XRUN_STATE_FAILED);
    assert_int_equal(xrun_job_refresh(child), XRUN_OK);
    assert_int_equal(xrun_job_state(child), XRUN_STATE_CANCELLED);
    char why[300];
    snprintf(why, sizeof why, "parent %s ended failed (afterok)", xrun_job_id(parent));
    assert_non_null(strstr(xrun_job_reason(child), why));
    assert_int_equal(xrun_job_refresh(grandchild), XRUN_OK);
    assert_int_equal(xrun_job_state(grandchild), XRUN_STATE_CANCELLED);
    snprintf(why, sizeof why, "parent %s ended cancelled (afterok)", xrun_job_id(child));
    assert_non_null(strstr(xrun_job_reason(grandchild), why));

    /* A job submitted after its parent failed ends at once. */
    snprintf(spec, sizeof spec, "{\"command\": \"true\", \"depends_on\": [\"%s\"]}", xrun_job_id(parent));
    xrun_job *late = submit_ok(ctx, spec);
    assert_int_equal(xrun_job_state(late), XRUN_STATE_CANCELLED);
    /* ... and one whose parent completed runs at once (nothing to wait for). */
    xrun_job *done = submit_ok(ctx, "{\"command\": \"true\"}");
    wait_ok(done, 20000);
    snprintf(spec, sizeof spec, "{\"machine\": \"box2\", \"command\": \"echo child\", \"depends_on\": [\"%s\"]}",
             xrun_job_id(done));
    xrun_job *ready = submit_ok(ctx, spec);
    assert_int_equal(xrun_job_state(ready), XRUN_STATE_RUNNING);
    /* A held job waited for with xrun_job_wait: its parent's machine is polled too. */
    xrun_job *slow = submit_ok(ctx, "{\"command\": \"sleep 0.3\"}");
    snprintf(spec, sizeof spec, "{\"machine\": \"box2\", \"command\": \"true\", \"depends_on\": [\"%s\"]}",
             xrun_job_id(slow));
    xrun_job *after_slow = submit_ok(ctx, spec);
    wait_ok(after_slow, 20000);
    assert_int_equal(xrun_job_state(after_slow), XRUN_STATE_COMPLETED);

    xrun_job *jobs[] = {parent, child, grandchild, late, done, ready, slow, after_slow};
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; ++i) xrun_job_free(jobs[i]);
    xrun_ctx_close(ctx);
}

static void refused(xrun_ctx *ctx, const char *specs, const char *message_part) {
    char *out = NULL;
    int rc = xrun_jobs_submit(&out, ctx, specs);
    assert_int_equal(rc, XRUN_E_INVALID);
    assert_null(out);
    if (!strstr(xrun_last_error(), message_part))
        fail_msg("message \"%s\" lacks \"%s\"", xrun_last_error(), message_part);
}

static void test_bad_batches_are_refused_before_recording(void **state) {
    (void)state;
    xrun_ctx *ctx = open_deps_ctx("deps-refused");
    refused(ctx,
            "[{\"name\": \"a\", \"command\": \"true\", \"depends_on\": [\"@b\"]},"
            " {\"name\": \"b\", \"command\": \"true\", \"depends_on\": [\"@a\"]}]",
            "dependency cycle: @a -> @b -> @a");
    refused(ctx,
            "[{\"name\": \"first\", \"command\": \"true\"},"
            " {\"name\": \"x\", \"command\": \"true\", \"depends_on\": [\"@first\", \"@2\"]},"
            " {\"command\": \"true\", \"depends_on\": [{\"job\": \"@x\", \"type\": \"afterany\"}]}]",
            "dependency cycle: @x -> @2 -> @x");
    refused(ctx, "[{\"name\": \"self\", \"command\": \"true\", \"depends_on\": [\"@self\"]}]",
            "dependency cycle: @self -> @self");
    refused(ctx, "[{\"name\": \"a\", \"command\": \"true\"}, {\"command\": \"true\", \"depends_on\": [\"@nope\"]}]",
            "job 1: job spec: $.depends_on[0]: \"@nope\": no job named \"nope\" in this batch");
    refused(ctx, "[{\"command\": \"true\"}, {\"command\": \"true\", \"depends_on\": [\"@5\"]}]",
            "\"@5\": the batch has 2 job(s)");
    refused(ctx,
            "[{\"name\": \"twin\", \"command\": \"true\"}, {\"name\": \"twin\", \"command\": \"true\"},"
            " {\"command\": \"true\", \"depends_on\": [\"@twin\"]}]",
            "\"@twin\" is ambiguous");
    refused(ctx, "[{\"command\": \"true\", \"depends_on\": [{\"job\": \"X\", \"type\": \"afterwards\"}]}]",
            "$.depends_on[0].type: must be \"afterok\", \"afternotok\" or \"afterany\", got \"afterwards\"");
    refused(ctx, "[{\"command\": \"true\", \"depends_on\": [\"01HNOSUCHJOB0000000000000\"]}]",
            "no job with id \"01HNOSUCHJOB0000000000000\"");
    refused(ctx, "[{\"command\": \"true\", \"batch\": \"mine\"}]", "set by xrun");
    /* One bad member refuses them all: nothing was recorded. */
    assert_int_equal(count_jobs(ctx), 0);
    xrun_ctx_close(ctx);
}

static void test_fail_fast_cancels_what_has_not_started(void **state) {
    (void)state;
    xrun_ctx *ctx = open_deps_ctx("deps-fail-fast");
    /* "slow" runs on box2; "held" and "held2" wait for it; "broken" fails
     * first: the batch's jobs that have not started end, naming it. */
    char ids[5][40];
    submit_batch(ctx,
                 "[{\"name\": \"slow\", \"machine\": \"box2\", \"command\": \"sleep 2\"},"
                 " {\"name\": \"broken\", \"command\": \"exit 1\", \"fail_fast\": true},"
                 " {\"name\": \"held\", \"command\": \"true\", \"depends_on\": [{\"job\": \"@slow\", \"type\": \"afterany\"}]},"
                 " {\"name\": \"held2\", \"machine\": \"box2\", \"command\": \"true\", \"depends_on\": [\"@held\"]},"
                 " {\"name\": \"fine\", \"command\": \"true\"}]",
                 ids, 5);
    poll_until_final(ctx, ids, 5, 20000);
    char why[300];
    snprintf(why, sizeof why, "fail_fast: job %s of its batch ended failed", ids[1]);
    expect(ctx, ids[0], XRUN_STATE_COMPLETED, NULL); /* had started: runs to its end */
    expect(ctx, ids[1], XRUN_STATE_FAILED, NULL);
    expect(ctx, ids[2], XRUN_STATE_CANCELLED, why);
    expect(ctx, ids[3], XRUN_STATE_CANCELLED, NULL);
    expect(ctx, ids[4], XRUN_STATE_COMPLETED, NULL);

    /* Without fail_fast the same failure cancels nothing. */
    submit_batch(ctx,
                 "[{\"name\": \"slow\", \"machine\": \"box2\", \"command\": \"sleep 0.5\"},"
                 " {\"name\": \"broken\", \"command\": \"exit 1\"},"
                 " {\"name\": \"held\", \"command\": \"true\", \"depends_on\": [{\"job\": \"@slow\", \"type\": \"afterany\"}]}]",
                 ids, 3);
    poll_until_final(ctx, ids, 3, 20000);
    expect(ctx, ids[2], XRUN_STATE_COMPLETED, NULL);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed_dependencies_across_machines),
        cmocka_unit_test(test_parent_machine_polled_alone_cancels_the_child),
        cmocka_unit_test(test_bad_batches_are_refused_before_recording),
        cmocka_unit_test(test_fail_fast_cancels_what_has_not_started),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
