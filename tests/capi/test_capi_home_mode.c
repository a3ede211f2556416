/* Issue 11 #12: an XRUN_HOME writable by others (mode 0777) was used
 * silently. It is now named in a warning through the log callback, and its
 * mode is left alone (never loosened, never changed behind the owner's back);
 * a private home gives no warning. A local job whose parse_file is a FIFO
 * ends (failed, "not a regular file") instead of blocking the poll forever
 * (issue 11 #3). */
#include <sys/stat.h>

#include "capi_helpers.h"

static char g_log[8192];

static void capture(int level, const char *message, void *payload) {
    (void)payload;
    if (level <= XRUN_LOG_WARN && strlen(g_log) + strlen(message) + 2 < sizeof g_log) {
        strcat(g_log, message);
        strcat(g_log, "\n");
    }
}

static xrun_ctx *open_with_log(const char *home) {
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    opts.log = capture;
    opts.log_level = XRUN_LOG_WARN;
    xrun_ctx *ctx = NULL;
    assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_OK);
    return ctx;
}

static void test_world_writable_home_is_named_not_changed(void **state) {
    (void)state;
    char home[512];
    snprintf(home, sizeof home, "%s", xrun_test_tempdir("home-mode"));
    assert_int_equal(chmod(home, 0777), 0);
    g_log[0] = 0;
    xrun_ctx *ctx = open_with_log(home);
    assert_non_null(strstr(g_log, "writable by everyone"));
    assert_non_null(strstr(g_log, home));
    struct stat st;
    assert_int_equal(stat(home, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0777);
    xrun_ctx_close(ctx);

    assert_int_equal(chmod(home, 0700), 0);
    g_log[0] = 0;
    ctx = open_with_log(home);
    assert_null(strstr(g_log, "writable by"));
    assert_int_equal(stat(home, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    xrun_ctx_close(ctx);
}

static void test_fifo_parse_file_does_not_block(void **state) {
    (void)state;
    char home[512];
    xrun_ctx *ctx = open_temp_ctx("fifo-parse", home);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"mkfifo out.fifo\", \"parser\": \"qe\", \"parse_file\": \"out.fifo\"}");
    int rc = xrun_job_wait(job, 20000);
    assert_int_equal(rc, XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    assert_non_null(strstr(xrun_job_reason(job), "not a regular file"));
    char *data = NULL;
    assert_int_equal(xrun_job_read_file(&data, NULL, job, "out.fifo", 0), XRUN_E_IO);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_writable_home_is_named_not_changed),
        cmocka_unit_test(test_fifo_parse_file_does_not_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
