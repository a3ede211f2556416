/* The shared binding scenario in C: the same steps as
 * tests/bindings/python/test_scenario.py, bindings/rust/xrun/tests/
 * scenario.rs and tests/bindings/fortran/test_xrun.f90, so a behaviour
 * change of the library shows up in every language at once. Real jobs run
 * on this host through the built-in `local` machine, each test on its own
 * temporary XRUN_HOME. */
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_common.h"
#include "xrun.h"

#define WAIT_MS 30000

static char g_home[512];
static char g_corpus[1024];

/* XRUN_CORPUS_DIR, else shared/corpus beside the worktree's parent. */
static const char *corpus_dir(void) {
    struct stat st;
    const char *env = getenv("XRUN_CORPUS_DIR");
    if (env && stat(env, &st) == 0) return env;
    snprintf(g_corpus, sizeof g_corpus, "%s/../../shared/corpus", xrun_test_env("XRUN_SOURCE_DIR"));
    if (stat(g_corpus, &st) != 0) fail_msg("corpus not found (set XRUN_CORPUS_DIR)");
    return g_corpus;
}

static const char *si_scf(void) {
    static char path[1200];
    snprintf(path, sizeof path, "%s/qe/generated/si_scf.out", corpus_dir());
    return path;
}

/* total_energy_eV of si_scf.out from expected.json. */
static double si_scf_energy_ev(void) {
    char path[1200];
    snprintf(path, sizeof path, "%s/expected.json", corpus_dir());
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    const char *entry = strstr(text, "\"qe/generated/si_scf.out\"");
    assert_non_null(entry);
    const char *key = strstr(entry, "\"total_energy_eV\":");
    assert_non_null(key);
    double value = strtod(key + strlen("\"total_energy_eV\":"), NULL);
    free(text);
    return value;
}

static int setup(void **state) {
    (void)state;
    snprintf(g_home, sizeof g_home, "%s", xrun_test_tempdir("binding-c"));
    setenv("XRUN_HOME", g_home, 1);
    unsetenv("XRUN_DEFAULT_MACHINE");
    return 0;
}

static xrun_ctx *open_ctx(void) {
    xrun_ctx *ctx = NULL;
    int rc = xrun_ctx_open(&ctx, NULL); /* NULL options: $XRUN_HOME */
    if (rc != XRUN_OK) fprintf(stderr, "xrun_ctx_open: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    return ctx;
}

static xrun_job *submit(xrun_ctx *ctx, const char *spec) {
    xrun_job *job = NULL;
    int rc = xrun_job_submit(&job, ctx, spec);
    if (rc != XRUN_OK) fprintf(stderr, "submit: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    return job;
}

static xrun_job *submit_command(xrun_ctx *ctx, const char *command, const char *name) {
    xrun_job *job = NULL;
    int rc = xrun_job_submit_command(&job, ctx, NULL, name, command);
    if (rc != XRUN_OK) fprintf(stderr, "submit_command: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    return job;
}

/* Asserts an OWNED-JSON call succeeded; `json` is read after the call. */
static void expect_json(int rc, char **json) {
    if (rc != XRUN_OK) fprintf(stderr, "%s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    assert_non_null(*json);
}

static void context_opens_on_temporary_home(void **state) {
    (void)state;
    assert_int_equal(xrun_version_number(), XRUN_VERSION_NUMBER);
    xrun_ctx *ctx = open_ctx();
    assert_string_equal(xrun_ctx_home(ctx), g_home);
    assert_ptr_equal(strstr(xrun_ctx_store_path(ctx), g_home), xrun_ctx_store_path(ctx));
    xrun_ctx_close(ctx);
}

static void local_machine_is_built_in(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    char *name = NULL;
    assert_int_equal(xrun_machines_default(&name, ctx), XRUN_OK);
    assert_string_equal(name, "local");
    xrun_free(name);
    char *list = NULL;
    expect_json(xrun_machines_list(&list, ctx), &list);
    assert_non_null(strstr(list, "\"name\":\"local\""));
    xrun_free(list);
    xrun_machine *m = NULL;
    assert_int_equal(xrun_machine_open(&m, ctx, "local"), XRUN_OK);
    assert_string_equal(xrun_machine_name(m), "local");
    char *json = NULL;
    expect_json(xrun_machine_json(&json, m), &json);
    assert_non_null(strstr(json, "\"scheduler\":\"direct\""));
    xrun_free(json);
    xrun_machine_free(m);
    assert_int_equal(xrun_machine_open(&m, ctx, NULL), XRUN_OK);
    assert_string_equal(xrun_machine_name(m), "local");
    xrun_machine_free(m);
    m = (xrun_machine *)1;
    assert_int_equal(xrun_machine_open(&m, ctx, "no-such-machine"), XRUN_E_NOT_FOUND);
    assert_null(m);
    assert_non_null(strstr(xrun_last_error(), "no-such-machine"));
    xrun_ctx_close(ctx);
}

static void bad_config_is_a_config_error(void **state) {
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/machines.json", g_home);
    xrun_test_write_file(path,
        "{\"machines\": {\"m1\": {\"execution\": \"local\", \"scheduler\": \"direct\", \"remot_auth\": {}}}}");
    xrun_ctx *ctx = (xrun_ctx *)1;
    assert_int_equal(xrun_ctx_open(&ctx, NULL), XRUN_E_CONFIG);
    assert_null(ctx);
    assert_non_null(strstr(xrun_last_error(), "remot_auth"));
    assert_non_null(strstr(xrun_last_error(), "machines.json"));
    assert_int_equal(xrun_last_status(), XRUN_E_CONFIG);
    assert_string_equal(xrun_status_name(XRUN_E_CONFIG), "XRUN_E_CONFIG");
}

static void submit_and_wait_completed(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    xrun_job *job = submit(ctx, "{\"name\": \"greet\", \"command\": \"echo hello from xrun\"}");
    assert_int_equal(strlen(xrun_job_id(job)), 26);
    assert_true(strlen(xrun_job_scheduler_id(job)) > 0);
    assert_int_equal(xrun_job_wait(job, WAIT_MS), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    assert_true(xrun_state_is_terminal(xrun_job_state(job)));
    int code = -1;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 0);
    char *out = NULL;
    size_t size = 0;
    assert_int_equal(xrun_job_read_file(&out, &size, job, "stdout", 0), XRUN_OK);
    assert_string_equal(out, "hello from xrun\n");
    assert_int_equal(size, strlen("hello from xrun\n"));
    xrun_free(out);
    char *info = NULL;
    expect_json(xrun_job_info_json(&info, job), &info);
    assert_non_null(strstr(info, "\"name\":\"greet\""));
    assert_non_null(strstr(info, "\"state\":\"completed\""));
    xrun_free(info);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void failed_job_is_not_a_failed_call(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    xrun_job *job = submit_command(ctx, "exit 3", "fails");
    assert_int_equal(xrun_job_wait(job, WAIT_MS), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    int code = -1;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 3);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void poll_until_terminal(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    xrun_job *job = submit(ctx, "{\"argv\": [\"sh\", \"-c\", \"sleep 0.3; echo done\"]}");
    int rounds = 0;
    for (;;) {
        assert_int_equal(xrun_job_refresh(job), XRUN_OK);
        if (xrun_state_is_terminal(xrun_job_state(job))) break;
        assert_true(++rounds < 600);
        int64_t next = -1;
        assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
        assert_true(next >= 0);
        usleep(50000);
    }
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void wait_timeout_then_cancel(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    xrun_job *job = submit_command(ctx, "sleep 60", "sleeper");
    assert_int_equal(xrun_job_wait(job, 200), XRUN_E_TIMEOUT);
    assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    int s = xrun_job_state(job);
    assert_true(s == XRUN_STATE_SUBMITTED || s == XRUN_STATE_RUNNING);
    int code = -1;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_E_NOT_FOUND);
    assert_int_equal(xrun_job_cancel(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_CANCELLED);
    assert_int_equal(xrun_job_cancel(job), XRUN_E_STATE);
    xrun_job *again = NULL;
    assert_int_equal(xrun_job_open(&again, ctx, xrun_job_id(job)), XRUN_OK);
    assert_int_equal(xrun_job_state(again), XRUN_STATE_CANCELLED);
    xrun_job_free(again);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void list_jobs(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    xrun_job *done = submit_command(ctx, "true", "a");
    assert_int_equal(xrun_job_wait(done, WAIT_MS), XRUN_OK);
    xrun_job *failed = submit_command(ctx, "false", "b");
    assert_int_equal(xrun_job_wait(failed, WAIT_MS), XRUN_OK);
    char *all = NULL;
    expect_json(xrun_jobs_list(&all, ctx, NULL, -1, 0), &all);
    const char *a = strstr(all, xrun_job_id(done)), *b = strstr(all, xrun_job_id(failed));
    assert_non_null(a);
    assert_non_null(b);
    assert_true(b < a); /* newest first */
    xrun_free(all);
    char *completed = NULL;
    expect_json(xrun_jobs_list(&completed, ctx, NULL, XRUN_STATE_COMPLETED, 0), &completed);
    assert_non_null(strstr(completed, xrun_job_id(done)));
    assert_null(strstr(completed, xrun_job_id(failed)));
    xrun_free(completed);
    char *limited = NULL;
    expect_json(xrun_jobs_list(&limited, ctx, NULL, -1, 1), &limited);
    assert_non_null(strstr(limited, xrun_job_id(failed)));
    assert_null(strstr(limited, xrun_job_id(done)));
    xrun_free(limited);
    char *none = NULL;
    expect_json(xrun_jobs_list(&none, ctx, "elsewhere", -1, 0), &none);
    assert_string_equal(none, "[]");
    xrun_free(none);
    xrun_job_free(done);
    xrun_job_free(failed);
    xrun_ctx_close(ctx);
}

static void events_follow_a_job(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    xrun_job *job = submit_command(ctx, "true", NULL);
    assert_int_equal(xrun_job_wait(job, WAIT_MS), XRUN_OK);
    xrun_events *ev = NULL;
    assert_int_equal(xrun_events_since(&ev, ctx, 0, 0), XRUN_OK);
    int64_t n = xrun_events_count(ev);
    assert_true(n > 0);
    int first = -1, last = -1;
    for (int64_t i = 0; i < n; i++) {
        if (i > 0) assert_true(xrun_events_seq(ev, i) > xrun_events_seq(ev, i - 1));
        if (strcmp(xrun_events_job_id(ev, i), xrun_job_id(job)) == 0) {
            if (first < 0) first = xrun_events_state(ev, i);
            last = xrun_events_state(ev, i);
            assert_true(xrun_events_time_ms(ev, i) > 0);
        }
    }
    assert_int_equal(first, XRUN_STATE_CREATED);
    assert_int_equal(last, XRUN_STATE_COMPLETED);
    assert_int_equal(xrun_events_state(ev, n), -1); /* out of range */
    int64_t last_seq = xrun_events_seq(ev, n - 1);
    char *json = NULL;
    expect_json(xrun_events_json(&json, ev), &json);
    assert_non_null(strstr(json, "\"state\":\"completed\""));
    xrun_free(json);
    xrun_events_free(ev);
    assert_int_equal(xrun_events_since(&ev, ctx, last_seq, 0), XRUN_OK);
    assert_int_equal(xrun_events_count(ev), 0);
    xrun_events_free(ev);
    assert_int_equal(xrun_events_since(&ev, ctx, 0, 2), XRUN_OK);
    assert_int_equal(xrun_events_count(ev), 2);
    xrun_events_free(ev);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void parse_corpus_file(void **state) {
    (void)state;
    xrun_result *r = NULL;
    int rc = xrun_parse_file(&r, si_scf(), "qe");
    if (rc != XRUN_OK) fprintf(stderr, "parse: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    assert_string_equal(xrun_result_code(r), "qe");
    double e = 0;
    assert_int_equal(xrun_result_double(r, "total_energy_ev", &e), XRUN_OK);
    assert_true(fabs(e - si_scf_energy_ev()) < 1e-4);
    assert_string_equal(xrun_result_diagnosis(r), "ok");
    assert_int_equal(xrun_result_double(r, "no_such_number", &e), XRUN_E_NOT_FOUND);
    char *json = NULL;
    expect_json(xrun_result_json(&json, r), &json);
    assert_non_null(strstr(json, "total_energy_ev"));
    xrun_free(json);
    xrun_result_free(r);
    const char junk[] = "nothing any parser knows\n";
    assert_int_equal(xrun_parse_buffer(&r, junk, sizeof junk - 1, NULL), XRUN_E_PARSE);
    assert_int_equal(xrun_parse_buffer(&r, "x", 1, "no-such-parser"), XRUN_E_INVALID);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.out", g_home);
    assert_int_equal(xrun_parse_file(&r, missing, "qe"), XRUN_E_IO);
    assert_null(r);
}

static void job_with_parser_has_result(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    char spec[1500];
    snprintf(spec, sizeof spec, "{\"command\": \"cat '%s'\", \"parser\": \"qe\"}", si_scf());
    xrun_job *job = submit(ctx, spec);
    assert_int_equal(xrun_job_wait(job, WAIT_MS), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    xrun_result *r = NULL;
    assert_int_equal(xrun_job_result(&r, job), XRUN_OK);
    double e = 0;
    assert_int_equal(xrun_result_double(r, "total_energy_ev", &e), XRUN_OK);
    assert_true(fabs(e - si_scf_energy_ev()) < 1e-4);
    xrun_result_free(r);
    xrun_job *plain = submit_command(ctx, "true", NULL);
    assert_int_equal(xrun_job_result(&r, plain), XRUN_E_NOT_FOUND);
    xrun_job_free(plain);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void error_mapping(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_open(&job, ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV"), XRUN_E_NOT_FOUND);
    assert_true(strlen(xrun_last_error()) > 0);
    assert_string_equal(xrun_status_name(xrun_last_status()), "XRUN_E_NOT_FOUND");
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"comand\": \"true\"}"), XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "comand"));
    assert_int_equal(xrun_job_submit(&job, NULL, "{}"), XRUN_E_INVALID);
    assert_string_equal(xrun_status_name(12345), "XRUN_E_UNKNOWN");
    xrun_ctx_close(ctx);
}

static void job_keeps_context_alive(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    xrun_job *job = submit_command(ctx, "echo alive", NULL);
    xrun_ctx_close(ctx);
    assert_int_equal(xrun_job_wait(job, WAIT_MS), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = NULL;
    assert_int_equal(xrun_job_read_file(&out, NULL, job, "stdout", 0), XRUN_OK);
    assert_string_equal(out, "alive\n");
    xrun_free(out);
    xrun_job_free(job);
}

static void machine_check_stats_and_recover(void **state) {
    (void)state;
    xrun_ctx *ctx = open_ctx();
    xrun_machine *m = NULL;
    assert_int_equal(xrun_machine_open(&m, ctx, "local"), XRUN_OK);
    char *report = NULL;
    expect_json(xrun_machine_check(&report, m), &report);
    assert_non_null(strstr(report, "\"ok\":true"));
    assert_non_null(strstr(report, "\"step\":\"configuration\""));
    xrun_free(report);
    char *stats = NULL;
    expect_json(xrun_machine_stats(&stats, m), &stats);
    assert_non_null(strstr(stats, "\"sessions_open\":0"));
    xrun_free(stats);
    xrun_machine_free(m);
    char *recovered = NULL;
    expect_json(xrun_recover(&recovered, ctx), &recovered);
    assert_non_null(strstr(recovered, "\"adopted\":0"));
    xrun_free(recovered);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(context_opens_on_temporary_home, setup),
        cmocka_unit_test_setup(local_machine_is_built_in, setup),
        cmocka_unit_test_setup(bad_config_is_a_config_error, setup),
        cmocka_unit_test_setup(submit_and_wait_completed, setup),
        cmocka_unit_test_setup(failed_job_is_not_a_failed_call, setup),
        cmocka_unit_test_setup(poll_until_terminal, setup),
        cmocka_unit_test_setup(wait_timeout_then_cancel, setup),
        cmocka_unit_test_setup(list_jobs, setup),
        cmocka_unit_test_setup(events_follow_a_job, setup),
        cmocka_unit_test_setup(parse_corpus_file, setup),
        cmocka_unit_test_setup(job_with_parser_has_result, setup),
        cmocka_unit_test_setup(error_mapping, setup),
        cmocka_unit_test_setup(job_keeps_context_alive, setup),
        cmocka_unit_test_setup(machine_check_stats_and_recover, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
