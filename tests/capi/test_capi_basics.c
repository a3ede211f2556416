/* The C API's non-job surface: versions, status names, errors, options,
 * contexts and machines, every status path through the public header. */
#include "capi_helpers.h"

static void test_version(void **state) {
    (void)state;
    assert_int_equal(xrun_version_number(), XRUN_VERSION_NUMBER);
    assert_string_equal(xrun_version(), XRUN_VERSION_STRING);
}

static void test_status_names(void **state) {
    (void)state;
    assert_string_equal(xrun_status_name(XRUN_OK), "XRUN_OK");
    assert_string_equal(xrun_status_name(XRUN_E_HOSTKEY), "XRUN_E_HOSTKEY");
    assert_string_equal(xrun_status_name(XRUN_E_INTERNAL), "XRUN_E_INTERNAL");
    assert_string_equal(xrun_status_name(12345), "XRUN_E_UNKNOWN");
    assert_string_equal(xrun_state_name(XRUN_STATE_RUNNING), "running");
    assert_string_equal(xrun_state_name(XRUN_STATE_LOST), "lost");
    assert_string_equal(xrun_state_name(-1), "unknown");
    assert_true(xrun_state_is_terminal(XRUN_STATE_COMPLETED));
    assert_true(xrun_state_is_terminal(XRUN_STATE_LOST));
    assert_false(xrun_state_is_terminal(XRUN_STATE_QUEUED));
}

static void test_null_arguments(void **state) {
    (void)state;
    assert_int_equal(xrun_ctx_open(NULL, NULL), XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "out"));
    assert_int_equal(xrun_last_status(), XRUN_E_INVALID);
    assert_int_equal(xrun_options_init(NULL, XRUN_OPTIONS_VERSION), XRUN_E_INVALID);
    xrun_options opts;
    assert_int_equal(xrun_options_init(&opts, 999), XRUN_E_INVALID);
    assert_int_equal(xrun_options_init(&opts, XRUN_OPTIONS_VERSION), XRUN_OK);
    assert_int_equal(opts.version, XRUN_OPTIONS_VERSION);
    assert_string_equal(xrun_last_error(), "");
    /* Destructors accept NULL. */
    xrun_ctx_close(NULL);
    xrun_job_free(NULL);
    xrun_machine_free(NULL);
    xrun_events_free(NULL);
    xrun_result_free(NULL);
    xrun_free(NULL);
    char *json = (char *)"x";
    assert_int_equal(xrun_machines_list(&json, NULL), XRUN_E_INVALID);
    assert_null(json);
}

static void test_bad_options_version(void **state) {
    (void)state;
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.version = 77;
    xrun_ctx *ctx = (xrun_ctx *)1;
    assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_E_INVALID);
    assert_null(ctx);
    assert_non_null(strstr(xrun_last_error(), "version"));
}

static void test_builtin_local_machine(void **state) {
    (void)state;
    char home[512];
    xrun_ctx *ctx = open_temp_ctx("basics", home);
    assert_string_equal(xrun_ctx_home(ctx), home);
    char *name = NULL;
    assert_int_equal(xrun_machines_default(&name, ctx), XRUN_OK);
    assert_string_equal(name, "local");
    xrun_free(name);
    char *list = NULL;
    assert_int_equal(xrun_machines_list(&list, ctx), XRUN_OK);
    assert_non_null(strstr(list, "\"local\""));
    xrun_free(list);

    xrun_machine *m = NULL;
    assert_int_equal(xrun_machine_open(&m, ctx, NULL), XRUN_OK);
    assert_string_equal(xrun_machine_name(m), "local");
    char *json = NULL;
    assert_int_equal(xrun_machine_json(&json, m), XRUN_OK);
    assert_non_null(strstr(json, "\"scheduler\":\"direct\""));
    xrun_free(json);
    char *report = NULL;
    int rc = xrun_machine_check(&report, m);
    if (rc != XRUN_OK) fprintf(stderr, "check: %s\n%s\n", xrun_last_error(), report ? report : "");
    assert_int_equal(rc, XRUN_OK);
    assert_non_null(strstr(report, "\"ok\":true"));
    assert_non_null(strstr(report, "workdir_writable"));
    assert_non_null(strstr(report, "scheduler_commands"));
    xrun_free(report);
    char *stats = NULL;
    assert_int_equal(xrun_machine_stats(&stats, m), XRUN_OK);
    assert_non_null(strstr(stats, "\"sessions_opened\":0"));
    xrun_free(stats);
    xrun_machine_free(m);

    m = (xrun_machine *)1;
    assert_int_equal(xrun_machine_open(&m, ctx, "locl"), XRUN_E_NOT_FOUND);
    assert_null(m);
    assert_non_null(strstr(xrun_last_error(), "did you mean \"local\""));
    xrun_ctx_close(ctx);
}

static void test_malformed_config_names_file_path_and_key(void **state) {
    (void)state;
    const char *home = xrun_test_tempdir("badcfg");
    char path[600];
    snprintf(path, sizeof path, "%s/machines.json", home);
    xrun_test_write_file(path,
                         "{\"machines\": {\"c1\": {\"execution\": \"remote\", \"host\": \"h\","
                         " \"remot_auth\": {\"method\": \"agent\"}}}}");
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    xrun_ctx *ctx = NULL;
    assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_E_CONFIG);
    assert_null(ctx);
    const char *msg = xrun_last_error();
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, "$.machines.c1.remot_auth"));
    assert_non_null(strstr(msg, "did you mean \"auth\""));

    xrun_test_write_file(path, "{\"machines\": {\"c1\": {\"execution\": \"remote\",, }}}");
    assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_E_CONFIG);
    assert_non_null(strstr(xrun_last_error(), path));
}

static void test_context_outlives_close_while_handles_live(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("lifetime", NULL);
    xrun_machine *m = NULL;
    assert_int_equal(xrun_machine_open(&m, ctx, "local"), XRUN_OK);
    xrun_ctx_close(ctx); /* drops the caller's reference only */
    char *json = NULL;
    assert_int_equal(xrun_machine_json(&json, m), XRUN_OK);
    xrun_free(json);
    xrun_machine_free(m); /* destroys the context */
}

static void test_store_is_private(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("store", NULL);
    struct stat st;
    assert_int_equal(stat(xrun_ctx_store_path(ctx), &st), 0);
    assert_int_equal(st.st_mode & 077, 0);
    assert_int_equal(stat(xrun_ctx_home(ctx), &st), 0);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_bad_options_version),
        cmocka_unit_test(test_builtin_local_machine),
        cmocka_unit_test(test_malformed_config_names_file_path_and_key),
        cmocka_unit_test(test_context_outlives_close_while_handles_live),
        cmocka_unit_test(test_store_is_private),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
