/* Retries by evidence on the direct scheduler (issue 13): a job's retry
 * policy sends an ended attempt again into the SAME job directory, with
 * the policy's changes (env, restart_command, scaled walltime), after its
 * backoff; every attempt is recorded (xrun_job_info_json's
 * "attempt_history") with one event each; a machine's default policy
 * applies to jobs without one; the caller's callback may replace the next
 * spec or stop; bad policies are refused naming their JSON path. */
#include <time.h>

#include "capi_helpers.h"

/* The number of occurrences of `needle` in `text`. */
__attribute__((noinline)) static int count_of(const char *text, const char *needle) {
    int n = 0;
    size_t at = 0, len = strlen(text);
    while (at < len) {
        const char *hit = strstr(text + at, needle);
        if (!hit) break;
        n++;
        at = (size_t)(hit - text) + 1;
    }
    return n;
}

__attribute__((noinline)) static char *info_of(xrun_job *job) {
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    return info;
}

/* Every event message of the job, one per line (OWNED: free()). */
static char *messages_of(xrun_ctx *ctx, xrun_job *job) {
    xrun_events *events = NULL;
    assert_int_equal(xrun_events_since(&events, ctx, 0, 0), XRUN_OK);
    size_t cap = 1 << 16, len = 0;
    char *all = calloc(cap, 1);
    for (int64_t i = 0; i < xrun_events_count(events); i++) {
        if (strcmp(xrun_events_job_id(events, i), xrun_job_id(job)) != 0) continue;
        len += (size_t)snprintf(all + len, cap - len, "%s\n", xrun_events_message(events, i));
    }
    xrun_events_free(events);
    return all;
}

static void fails_three_times_then_ends_failed(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("retry-fail", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"echo run; exit 1\","
                                   " \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 3}}");
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    char *info = info_of(job);
    fprintf(stderr, "%s\n", info);
    assert_int_equal(count_of(info, "\"number\":"), 3);
    assert_non_null(strstr(info, "\"attempt\":3"));
    assert_int_equal(count_of(info, "\"state\":\"failed\""), 4); /* 3 attempts + the job */
    assert_int_equal(count_of(info, "\"exit_code\":1"), 4);
    xrun_free(info);
    char *messages = messages_of(ctx, job);
    fprintf(stderr, "%s", messages);
    assert_non_null(strstr(messages, "attempt 1 ended failed (exit 1); retry 2 in 0 s"));
    assert_non_null(strstr(messages, "attempt 2 ended failed (exit 1); retry 3 in 0 s"));
    assert_non_null(strstr(messages, "attempt 3 ended failed (exit 1)"));
    assert_int_equal(count_of(messages, "attempt 3 ended"), 1);
    free(messages);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* The job counts its runs in a file of its directory: the second run sees
 * the first one's count, so both ran in one directory. */
static void second_attempt_runs_in_the_same_directory(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("retry-dir", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); "
                                   "echo $n > count; echo run $n; [ $n -ge 2 ]\","
                                   " \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 5}}");
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = job_stdout(job);
    assert_string_equal(out, "run 2\n");
    xrun_free(out);
    char *count = NULL;
    size_t size = 0;
    assert_int_equal(xrun_job_read_file(&count, &size, job, "count", 0), XRUN_OK);
    assert_string_equal(count, "2\n");
    xrun_free(count);
    char *info = info_of(job);
    assert_int_equal(count_of(info, "\"number\":"), 2);
    assert_non_null(strstr(info, "\"number\":2,\"scheduler_id\""));
    assert_int_equal(count_of(info, "\"state\":\"completed\""), 2); /* attempt 2 + the job */
    xrun_free(info);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void env_and_restart_command_take_effect(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("retry-env", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"echo first; exit 3\", \"env\": {\"A\": \"1\"},"
                                   " \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 2,"
                                   " \"restart_command\": \"echo restart A=$A B=$B\", \"env\": {\"B\": \"two words\"}}}");
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = job_stdout(job);
    assert_string_equal(out, "restart A=1 B=two words\n");
    xrun_free(out);
    char *info = info_of(job);
    assert_non_null(strstr(info, "\"corrections\":[\"env B=two words\",\"command: the restart_command\"]"));
    xrun_free(info);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* backoff_s 2: the second attempt is not sent before 2 s have passed; in
 * between the job waits in retry_backoff with its next try time. */
static void backoff_is_respected(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("retry-backoff", NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"exit 1\","
                                   " \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 2, \"backoff_s\": 2}}");
    for (int i = 0; i < 100 && xrun_job_state(job) != XRUN_STATE_WAITING; i++) {
        int64_t next = 0;
        assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
        assert_int_equal(xrun_job_refresh(job), XRUN_OK);
        if (xrun_job_state(job) != XRUN_STATE_WAITING) usleep(50000);
    }
    assert_int_equal(xrun_job_state(job), XRUN_STATE_WAITING);
    char *info = info_of(job);
    assert_non_null(strstr(info, "\"waiting_for\":\"retry_backoff\""));
    assert_null(strstr(info, "\"next_try_at\":null"));
    assert_non_null(strstr(info, "\"reason\":\"retry 2 of 2 after failed\""));
    xrun_free(info);
    /* A poll now sends nothing: the backoff has not passed. */
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_WAITING);
    wait_ok(job, 60000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "backoff 2 s: ended %s after %.2f s\n", xrun_state_name(xrun_job_state(job)), took);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    assert_true(took >= 2.0);
    assert_true(took < 20.0);
    char *messages = messages_of(ctx, job);
    assert_non_null(strstr(messages, "attempt 1 ended failed (exit 1); retry 2 in 2 s"));
    free(messages);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* The direct scheduler's watchdog stops attempt 1 at 2 s; attempt 2 runs
 * with 3 x the walltime and completes. */
static void walltime_is_scaled(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("retry-walltime", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"sleep 3; echo done\", \"resources\": {\"walltime\": \"00:00:02\"},"
                                   " \"retry\": {\"on\": [\"timeout\"], \"max_attempts\": 2, \"scale\": {\"walltime\": 3}}}");
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *info = info_of(job);
    assert_non_null(strstr(info, "\"state\":\"timeout\""));
    assert_non_null(strstr(info, "\"walltime\":\"00:00:06\""));
    xrun_free(info);
    char *messages = messages_of(ctx, job);
    fprintf(stderr, "%s", messages);
    assert_non_null(strstr(messages, "attempt 1 ended timeout"));
    assert_non_null(strstr(messages, "walltime 00:00:02 -> 00:00:06"));
    free(messages);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void machine_default_policy_applies(void **state) {
    (void)state;
    const char *home = xrun_test_tempdir("retry-machine");
    char path[600];
    snprintf(path, sizeof path, "%s/machines.json", home);
    xrun_test_write_file(path, "{\"default\": \"here\", \"machines\": {\"here\": {\"execution\": \"local\","
                               " \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 2}}}}");
    xrun_ctx *ctx = NULL;
    assert_int_equal(xrun_test_open_ctx(home, &ctx), XRUN_OK);
    xrun_job *plain = submit_ok(ctx, "{\"command\": \"exit 4\"}");
    /* A spec's own policy wins over the machine's. */
    xrun_job *own = submit_ok(ctx, "{\"command\": \"exit 4\", \"retry\": {\"on\": [\"timeout\"]}}");
    wait_ok(plain, 60000);
    wait_ok(own, 60000);
    char *info = info_of(plain);
    assert_int_equal(count_of(info, "\"number\":"), 2);
    xrun_free(info);
    info = info_of(own);
    assert_int_equal(count_of(info, "\"number\":"), 1);
    xrun_free(info);
    xrun_job_free(plain);
    xrun_job_free(own);
    xrun_ctx_close(ctx);

    /* A bad machine default is refused at open, naming its path. */
    xrun_test_write_file(path, "{\"default\": \"here\", \"machines\": {\"here\": {\"execution\": \"local\","
                               " \"retry\": {\"on\": [\"failed\", \"Not A Code\"]}}}}");
    assert_int_equal(xrun_test_open_ctx(home, &ctx), XRUN_E_CONFIG);
    fprintf(stderr, "%s\n", xrun_last_error());
    assert_non_null(strstr(xrun_last_error(), "$.machines.here.retry.on[1]"));
}

static int calls;

static int replace_command(xrun_retry *retry, const char *job_id, int64_t attempt, const char *outcome,
                           const char *diagnosis, const char *spec_json, void *payload) {
    (void)job_id;
    (void)diagnosis;
    calls++;
    assert_int_equal(attempt, 1);
    assert_string_equal(outcome, "failed");
    assert_non_null(strstr(spec_json, "\"attempt\":2"));
    if (strcmp((const char *)payload, "stop") == 0) return 1;
    assert_int_equal(xrun_retry_set_spec(retry, "{\"command\": \"echo from the callback\", \"corrections\": \"callback\","
                                                " \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 2}}"),
                     XRUN_OK);
    return 0;
}

static void callback_replaces_the_spec_or_stops(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("retry-callback", NULL);
    const char *spec = "{\"command\": \"exit 2\", \"corrections\": \"callback\","
                       " \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 3}}";
    assert_int_equal(xrun_set_retry_callback(ctx, replace_command, "replace"), XRUN_OK);
    xrun_job *job = submit_ok(ctx, spec);
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = job_stdout(job);
    assert_string_equal(out, "from the callback\n");
    xrun_free(out);
    char *info = info_of(job);
    assert_non_null(strstr(info, "callback: spec replaced"));
    xrun_free(info);
    xrun_job_free(job);

    assert_int_equal(xrun_set_retry_callback(ctx, replace_command, "stop"), XRUN_OK);
    job = submit_ok(ctx, spec);
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    info = info_of(job);
    assert_int_equal(count_of(info, "\"number\":"), 1);
    xrun_free(info);
    xrun_job_free(job);
    assert_int_equal(calls, 2);

    /* No callback in this process: retried with the policy alone. */
    assert_int_equal(xrun_set_retry_callback(ctx, NULL, NULL), XRUN_OK);
    job = submit_ok(ctx, spec);
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    info = info_of(job);
    assert_int_equal(count_of(info, "\"number\":"), 3);
    assert_non_null(strstr(info, "callback: none set in this process"));
    xrun_free(info);
    xrun_job_free(job);
    assert_int_equal(calls, 2);
    xrun_ctx_close(ctx);
}

static void bad_policies_are_refused(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("retry-refused", NULL);
    struct {
        const char *spec, *message;
    } cases[] = {
        {"{\"command\": \"true\", \"retry\": {\"on\": [\"timeout\", \"failed\", 3]}}", "$.retry.on[2]: expected a string"},
        {"{\"command\": \"true\", \"retry\": {\"on\": [\"ok\"]}}", "$.retry.on[0]: \"ok\" is a success"},
        {"{\"command\": \"true\", \"retry\": {\"on\": []}}", "$.retry.on: expected a non-empty array"},
        {"{\"command\": \"true\", \"retry\": {\"on\": [\"failed\"], \"max_atempts\": 2}}", "did you mean \"max_attempts\""},
        {"{\"command\": \"true\", \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 0}}", "$.retry.max_attempts"},
        {"{\"command\": \"true\", \"retry\": {\"on\": [\"failed\"], \"scale\": {\"walltime\": 0.5}}}", "$.retry.scale.walltime"},
        {"{\"command\": \"true\", \"retry\": {\"on\": [\"failed\"], \"env\": {\"A\": 1}}}", "$.retry.env.A"},
        {"{\"command\": \"true\", \"corrections\": \"magic\"}", "$.corrections"},
    };
    /* Nothing is recorded (a PostgreSQL store is shared by the test's
     * contexts: compare with what was there before). */
    char *before = NULL;
    assert_int_equal(xrun_jobs_list(&before, ctx, NULL, -1, 0), XRUN_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xrun_job *job = NULL;
        assert_int_equal(xrun_job_submit(&job, ctx, cases[i].spec), XRUN_E_INVALID);
        if (!strstr(xrun_last_error(), cases[i].message))
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].spec, xrun_last_error(), cases[i].message);
    }
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, -1, 0), XRUN_OK);
    assert_string_equal(list, before);
    xrun_free(list);
    xrun_free(before);
    xrun_ctx_close(ctx);
}

/* Cancelling the second attempt while it runs records it too. */
static void a_cancelled_attempt_is_recorded(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("retry-cancel", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; "
                                   "[ $n -ge 1 ] || exit 1; exec sleep 60\","
                                   " \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 3}}");
    for (int i = 0; i < 200; i++) {
        int64_t next = 0;
        assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
        assert_int_equal(xrun_job_refresh(job), XRUN_OK);
        char *info = info_of(job);
        int second = strstr(info, "\"attempt\":2") != NULL;
        xrun_free(info);
        if (second && xrun_job_state(job) == XRUN_STATE_RUNNING) break;
        usleep(50000);
    }
    assert_int_equal(xrun_job_state(job), XRUN_STATE_RUNNING);
    assert_int_equal(xrun_job_cancel(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_CANCELLED);
    char *info = info_of(job);
    assert_int_equal(count_of(info, "\"number\":"), 2);
    assert_non_null(strstr(info, "\"number\":2,"));
    assert_non_null(strstr(info, "\"state\":\"cancelled\",\"reason\":\"cancelled by user\""));
    xrun_free(info);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* The spec builder takes a policy too, checked at once. */
static void spec_builder_sets_the_policy(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("retry-builder", NULL);
    xrun_spec *spec = NULL;
    assert_int_equal(xrun_spec_new(&spec), XRUN_OK);
    assert_int_equal(xrun_spec_set_command(spec, "exit 5"), XRUN_OK);
    assert_int_equal(xrun_spec_set_retry(spec, "{\"on\": [\"failed\", 7]}"), XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "$.retry.on[1]"));
    assert_int_equal(xrun_spec_set_retry(spec, "{\"on\": [\"failed\"], \"max_attempts\": 2}"), XRUN_OK);
    assert_int_equal(xrun_spec_set_corrections(spec, "sometimes"), XRUN_E_INVALID);
    assert_int_equal(xrun_spec_set_corrections(spec, "builtin"), XRUN_OK);
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_submit_spec(&job, ctx, spec), XRUN_OK);
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    char *info = info_of(job);
    assert_int_equal(count_of(info, "\"number\":"), 2);
    assert_non_null(strstr(info, "\"corrections\":\"builtin\""));
    xrun_free(info);
    xrun_job_free(job);
    xrun_spec_free(spec);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fails_three_times_then_ends_failed),
        cmocka_unit_test(second_attempt_runs_in_the_same_directory),
        cmocka_unit_test(env_and_restart_command_take_effect),
        cmocka_unit_test(backoff_is_respected),
        cmocka_unit_test(walltime_is_scaled),
        cmocka_unit_test(machine_default_policy_applies),
        cmocka_unit_test(callback_replaces_the_spec_or_stops),
        cmocka_unit_test(bad_policies_are_refused),
        cmocka_unit_test(spec_builder_sets_the_policy),
        cmocka_unit_test(a_cancelled_attempt_is_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
