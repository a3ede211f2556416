/* xrun_ctx_open_read_only: reads the store without a write lock, refuses
 * writes with XRUN_E_STORE, says XRUN_E_NOT_FOUND where there is no store,
 * and survives a broken machine file (naming it in the log); calls that
 * need the configuration get XRUN_E_CONFIG. */
#include "capi_helpers.h"

static char logged[4096];

static void remember_log(int level, const char *message, void *payload) {
    (void)level;
    (void)payload;
    snprintf(logged, sizeof logged, "%s", message);
}

static void test_read_only_context(void **state) {
    (void)state;
    char home[512];
    xrun_ctx *writer = open_temp_ctx("readonly", home);
    xrun_job *job = submit_ok(writer, "{\"command\": \"true\"}");
    wait_ok(job, 20000);
    char id[64];
    snprintf(id, sizeof id, "%s", xrun_job_id(job));
    xrun_job_free(job);

    char path[600];
    snprintf(path, sizeof path, "%s/machines", home);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/machines/broken.json", home);
    xrun_test_write_file(path, "{\"host\": ");

    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    opts.log = remember_log;
    xrun_ctx *reader = NULL;
    assert_int_equal(xrun_ctx_open(&reader, &opts), XRUN_E_CONFIG);
    assert_int_equal(xrun_ctx_open_read_only(&reader, &opts), XRUN_OK);
    assert_non_null(strstr(logged, "broken.json"));
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, reader, NULL, -1, 0), XRUN_OK);
    assert_non_null(strstr(list, id));
    xrun_free(list);
    xrun_events *events = NULL;
    assert_int_equal(xrun_events_since(&events, reader, 0, 0), XRUN_OK);
    assert_true(xrun_events_count(events) >= 4);
    xrun_events_free(events);
    /* Writes are refused; a machine-needing call gets the config error. */
    xrun_job *refused = NULL;
    assert_int_equal(xrun_job_submit(&refused, reader, "{\"command\": \"true\", \"machine\": \"other\"}"),
                     XRUN_E_CONFIG);
    assert_non_null(strstr(xrun_last_error(), "broken.json"));
    assert_int_equal(xrun_prune(NULL, reader, 0), XRUN_E_STORE);
    xrun_ctx_close(reader);
    xrun_ctx_close(writer);

    /* No store at all: NOT_FOUND, and nothing is created. */
    const char *empty = xrun_test_tempdir("readonly-empty");
    char store[600];
    snprintf(store, sizeof store, "%s/xrun.db", empty);
    opts.home = empty;
    assert_int_equal(xrun_ctx_open_read_only(&reader, &opts), XRUN_E_NOT_FOUND);
    assert_null(reader);
    assert_int_equal(access(store, F_OK), -1);
    assert_int_equal(xrun_ctx_open_read_only(NULL, &opts), XRUN_E_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_only_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
