/* Machine groups: a machines file with two local machines ("local" and
 * "local2"), an SSH machine nobody listens for (a closed port on
 * 127.0.0.1) and groups of them. Each strategy chooses as documented, the
 * choice and why are in the job's info; a group naming an unknown machine
 * or named like a machine is refused naming the group and the file. Run on
 * SQLite and (test_capi_machine_groups_pg) on PostgreSQL. */
#include <time.h>

#include "capi_helpers.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A context on a new home whose machines.json holds `groups` (a JSON object). */
static xrun_ctx *open_groups_ctx(const char *tag, const char *groups, int expect) {
    const char *home = xrun_test_tempdir(tag);
    char path[700], text[2048];
    snprintf(path, sizeof path, "%s/machines.json", home);
    snprintf(text, sizeof text,
             "{\"default\": \"local\", \"machines\": {"
             " \"local2\": {\"execution\": \"local\", \"scheduler\": \"direct\", \"workdir\": \"%s/jobs2\"},"
             " \"dead\": {\"host\": \"127.0.0.1\", \"port\": 1, \"username\": \"nobody\", \"connect_timeout\": 2}},"
             " \"groups\": %s}",
             home, groups);
    xrun_test_write_file(path, text);
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    xrun_ctx *ctx = NULL;
    int rc = xrun_ctx_open(&ctx, &opts);
    if (rc != expect) fprintf(stderr, "xrun_ctx_open: %s\n", xrun_last_error());
    assert_int_equal(rc, expect);
    return ctx;
}

static const char *kGroups = "{\"pair\": [\"local\", \"local2\"], \"reach\": [\"dead\", \"local2\"]}";

/* The job's info JSON into *out (OWNED: xrun_free). */
static void info_of(char **out, xrun_job *job) {
    assert_int_equal(xrun_job_info_json(out, job), XRUN_OK);
}

/* The machine the job was given (a static buffer). */
static const char *machine_of(xrun_job *job) {
    static char name[64];
    char *info = NULL;
    info_of(&info, job);
    const char *at = strstr(info, "\"machine\":\"");
    assert_non_null(at);
    at += strlen("\"machine\":\"");
    size_t n = strcspn(at, "\"");
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, at, n);
    name[n] = 0;
    xrun_free(info);
    return name;
}

static void assert_info_has(xrun_job *job, const char *text) {
    char *info = NULL;
    info_of(&info, job);
    if (!strstr(info, text)) fprintf(stderr, "no %s in %s\n", text, info);
    assert_non_null(strstr(info, text));
    xrun_free(info);
}

static void test_least_busy(void **state) {
    (void)state;
    xrun_ctx *ctx = open_groups_ctx("groups-busy", kGroups, XRUN_OK);
    /* One job running on local: the group's next job goes to local2. */
    xrun_job *busy = submit_ok(ctx, "{\"machine\": \"local\", \"command\": \"sleep 60\"}");
    xrun_job *job = submit_ok(ctx, "{\"machine\": \"pair\", \"command\": \"sleep 60\"}");
    assert_string_equal(machine_of(job), "local2");
    assert_info_has(job, "\"machine_choice\":{\"machine\":\"local2\",\"group\":\"pair\",\"strategy\":\"least_busy\","
                         "\"candidates\":[\"local\",\"local2\"],"
                         "\"why\":\"least_busy: local2 had 0 active jobs, local had 1\"}");
    /* One each now: a tie goes to the first listed. */
    xrun_job *third = submit_ok(ctx, "{\"machine\": \"pair\", \"strategy\": \"least_busy\", \"command\": \"true\"}");
    assert_string_equal(machine_of(third), "local");
    assert_info_has(third, "least_busy: local had 1 active job, local2 had 1");
    /* A batch is spread: the chooser counts the jobs it gave. */
    char *out = NULL;
    assert_int_equal(xrun_jobs_submit(&out, ctx,
                                      "[{\"machine\": [\"local2\", \"local\"], \"command\": \"true\"},"
                                      " {\"machine\": [\"local2\", \"local\"], \"command\": \"true\"}]"),
                     XRUN_OK);
    /* local2 had 1 and local 2 before: then 2 and 2, and the tie goes to local2, listed first. */
    const char *expected[] = {"local2", "local2"};
    const char *at = out;
    for (int i = 0; i < 2; ++i) {
        at = strstr(at, "\"id\":\"");
        assert_non_null(at);
        at += strlen("\"id\":\"");
        char id[27];
        memcpy(id, at, 26);
        id[26] = 0;
        xrun_job *member = NULL;
        assert_int_equal(xrun_job_open(&member, ctx, id), XRUN_OK);
        assert_string_equal(machine_of(member), expected[i]);
        xrun_job_free(member);
    }
    xrun_free(out);
    assert_int_equal(xrun_job_cancel(busy), XRUN_OK);
    assert_int_equal(xrun_job_cancel(job), XRUN_OK);
    xrun_job_free(busy);
    xrun_job_free(job);
    xrun_job_free(third);
    xrun_ctx_close(ctx);
}

static void test_round_robin(void **state) {
    (void)state;
    char home[512];
    xrun_ctx *ctx = open_groups_ctx("groups-rr", kGroups, XRUN_OK);
    const char *expected[] = {"local", "local2", "local", "local2"};
    for (int i = 0; i < 4; ++i) {
        xrun_job *job = submit_ok(ctx, "{\"machine\": \"pair\", \"strategy\": \"round_robin\", \"command\": \"true\"}");
        assert_string_equal(machine_of(job), expected[i]);
        if (i == 1) assert_info_has(job, "round_robin: turn 2 of 2 machines (local,local2) went to local2");
        xrun_job_free(job);
    }
    /* The turn is kept in the store: another context (process) goes on from it. */
    snprintf(home, sizeof home, "%s", xrun_ctx_home(ctx));
    xrun_ctx_close(ctx);
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_OK);
    xrun_job *job = submit_ok(ctx, "{\"machine\": \"pair\", \"strategy\": \"round_robin\", \"command\": \"true\"}");
    assert_string_equal(machine_of(job), "local");
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_first_reachable_skips_a_dead_machine(void **state) {
    (void)state;
    xrun_ctx *ctx = open_groups_ctx("groups-reach", kGroups, XRUN_OK);
    const char *spec = "{\"machine\": \"reach\", \"strategy\": \"first_reachable\", \"command\": \"echo hi\"}";
    xrun_job *job = submit_ok(ctx, spec);
    assert_string_equal(machine_of(job), "local2");
    assert_info_has(job, "\"why\":\"first_reachable: local2 (a local machine); skipped dead (cannot connect");
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    xrun_job_free(job);
    /* The failure is remembered: the next choice does not try "dead" again. */
    double start = now_s();
    job = submit_ok(ctx, spec);
    assert_true(now_s() - start < 1.0);
    assert_string_equal(machine_of(job), "local2");
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_refused_groups_and_lists(void **state) {
    (void)state;
    /* Unknown member: the group, the file and the name are in the message. */
    xrun_ctx *ctx = open_groups_ctx("groups-unknown", "{\"g\": [\"local\", \"locl3\"]}", XRUN_E_CONFIG);
    assert_null(ctx);
    const char *message = xrun_last_error();
    assert_non_null(strstr(message, "machines.json: $.groups.g: group \"g\" names unknown machine \"locl3\""));
    assert_non_null(strstr(message, "did you mean \"local"));
    /* A group named like a machine. */
    ctx = open_groups_ctx("groups-clash", "{\"local2\": [\"local\"]}", XRUN_E_CONFIG);
    assert_non_null(strstr(xrun_last_error(), "group \"local2\" has the name of a machine"));
    ctx = open_groups_ctx("groups-empty", "{\"g\": []}", XRUN_E_CONFIG);

    ctx = open_groups_ctx("groups-specs", kGroups, XRUN_OK);
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"machine\": [\"local\", \"nope\"], \"command\": \"true\"}"),
                     XRUN_E_NOT_FOUND);
    assert_non_null(strstr(xrun_last_error(), "$.machine: no machine named \"nope\""));
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"machine\": [], \"command\": \"true\"}"), XRUN_E_INVALID);
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"machine\": \"pair\", \"strategy\": \"fastest\", \"command\": \"true\"}"),
                     XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "$.strategy"));
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"machine\": \"local\", \"machine_choice\": {\"why\": \"x\"},"
                                                " \"command\": \"true\"}"),
                     XRUN_E_INVALID);
    /* One machine: no choice recorded. */
    job = submit_ok(ctx, "{\"machine\": \"local2\", \"command\": \"true\"}");
    char *info = NULL;
    info_of(&info, job);
    assert_null(strstr(info, "machine_choice"));
    xrun_free(info);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_least_busy),
        cmocka_unit_test(test_round_robin),
        cmocka_unit_test(test_first_reachable_skips_a_dead_machine),
        cmocka_unit_test(test_refused_groups_and_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
