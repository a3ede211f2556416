/* Reading job files in pieces (issue 12 #7): xrun_job_read_file_at gives
 * bytes from an offset and the file's total size, so a file of any size
 * streams without a cut, and a growing file is followed byte for byte. */
#include "capi_helpers.h"

static void test_read_at_offsets_and_total(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("read-at", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"printf 0123456789\"}");
    wait_ok(job, 20000);
    char *data = NULL;
    size_t size = 0;
    int64_t total = 0;
    assert_int_equal(xrun_job_read_file_at(&data, &size, &total, job, "stdout", 3, 4), XRUN_OK);
    assert_int_equal(size, 4);
    assert_int_equal(total, 10);
    assert_memory_equal(data, "3456", 4);
    assert_int_equal(data[4], '\0');
    xrun_free(data);
    /* At or past the end: nothing, not an error. */
    assert_int_equal(xrun_job_read_file_at(&data, &size, &total, job, "stdout", 10, 0), XRUN_OK);
    assert_int_equal(size, 0);
    assert_int_equal(total, 10);
    xrun_free(data);
    assert_int_equal(xrun_job_read_file_at(&data, &size, &total, job, "stdout", 50, 0), XRUN_OK);
    assert_int_equal(size, 0);
    xrun_free(data);
    /* Bad arguments and missing files. */
    assert_int_equal(xrun_job_read_file_at(&data, &size, &total, job, "stdout", -1, 0), XRUN_E_INVALID);
    assert_null(data);
    assert_int_equal(xrun_job_read_file_at(&data, &size, &total, job, "../x", 0, 0), XRUN_E_INVALID);
    assert_int_equal(xrun_job_read_file_at(&data, &size, &total, job, "nope", 0, 0), XRUN_E_NOT_FOUND);
    assert_int_equal(xrun_job_read_file_at(NULL, &size, &total, job, "stdout", 0, 0), XRUN_E_INVALID);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* 20,000,015 bytes (over the old 16 MiB cut) read in 1 MiB pieces add up
 * to the whole file, and the total is right from the first piece. */
static void test_read_at_streams_a_large_file(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("read-at-large", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"head -c 20000015 /dev/zero | tr '\\\\0' y\"}");
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    int64_t offset = 0, total = -1, pieces = 0, wrong = 0;
    do {
        char *data = NULL;
        size_t size = 0;
        assert_int_equal(xrun_job_read_file_at(&data, &size, &total, job, "stdout", offset, 1 << 20), XRUN_OK);
        assert_true(size > 0);
        for (size_t i = 0; i < size; ++i) wrong += data[i] != 'y';
        xrun_free(data);
        offset += (int64_t)size;
        pieces++;
    } while (offset < total);
    assert_int_equal(total, 20000015);
    assert_int_equal(offset, 20000015);
    assert_int_equal(pieces, 20);
    assert_int_equal(wrong, 0);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* Hold/release: the direct scheduler cannot hold (XRUN_E_UNSUPPORTED), a
 * finished job cannot be held or released (XRUN_E_STATE naming its state). */
static void test_hold_release_refusals(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("hold", NULL);
    xrun_job *sleeper = submit_ok(ctx, "{\"command\": \"sleep 30\"}");
    assert_int_equal(xrun_job_hold(sleeper), XRUN_E_UNSUPPORTED);
    assert_non_null(strstr(xrun_last_error(), "direct"));
    assert_int_equal(xrun_job_cancel(sleeper), XRUN_OK);
    assert_int_equal(xrun_job_hold(sleeper), XRUN_E_STATE);
    assert_non_null(strstr(xrun_last_error(), "cancelled"));
    assert_int_equal(xrun_job_release(sleeper), XRUN_E_STATE);
    assert_int_equal(xrun_job_hold(NULL), XRUN_E_INVALID);
    assert_int_equal(xrun_job_release(NULL), XRUN_E_INVALID);
    xrun_job_free(sleeper);
    xrun_ctx_close(ctx);
}

static int64_t count_events(xrun_ctx *ctx) {
    xrun_events *events = NULL;
    assert_int_equal(xrun_events_since(&events, ctx, 0, 1000000), XRUN_OK);
    int64_t n = xrun_events_count(events);
    xrun_events_free(events);
    return n;
}

/* Prune removes finished jobs older than the age, with their events, and
 * leaves active and younger jobs alone. */
static void test_prune_old_terminal_jobs(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("prune", NULL);
    xrun_job *done = submit_ok(ctx, "{\"command\": \"true\"}");
    wait_ok(done, 20000);
    char id[64];
    snprintf(id, sizeof id, "%s", xrun_job_id(done));
    xrun_job *active = submit_ok(ctx, "{\"command\": \"sleep 30\"}");
    int64_t before = count_events(ctx);
    char *report = NULL;
    /* Nothing ended an hour ago. */
    assert_int_equal(xrun_prune(&report, ctx, 3600 * 1000), XRUN_OK);
    assert_string_equal(report, "{\"jobs\":0,\"events\":0}");
    xrun_free(report);
    usleep(20000);
    assert_int_equal(xrun_prune(&report, ctx, 10), XRUN_OK);
    assert_non_null(strstr(report, "\"jobs\":1"));
    xrun_free(report);
    xrun_job *gone = NULL;
    assert_int_equal(xrun_job_open(&gone, ctx, id), XRUN_E_NOT_FOUND);
    int64_t after = count_events(ctx);
    assert_true(after < before && after > 0);  /* the sleeper's events stay */
    xrun_job *still = NULL;
    assert_int_equal(xrun_job_open(&still, ctx, xrun_job_id(active)), XRUN_OK);
    xrun_job_free(still);
    assert_int_equal(xrun_prune(NULL, ctx, -1), XRUN_E_INVALID);
    assert_int_equal(xrun_prune(NULL, NULL, 0), XRUN_E_INVALID);
    assert_int_equal(xrun_job_cancel(active), XRUN_OK);
    xrun_job_free(active);
    xrun_job_free(done);
    xrun_ctx_close(ctx);
}

/* Every options version from 1 to the current one is accepted. */
static void test_options_init_versions(void **state) {
    (void)state;
    xrun_options opts;
    for (unsigned int v = 1; v <= XRUN_OPTIONS_VERSION; ++v) {
        memset(&opts, 0xab, sizeof opts);
        assert_int_equal(xrun_options_init(&opts, v), XRUN_OK);
        assert_int_equal(opts.version, v);
        assert_null(opts.home);
        assert_int_equal(opts.log_level, XRUN_LOG_WARN);
    }
    assert_int_equal(xrun_options_init(&opts, 0), XRUN_E_INVALID);
    assert_int_equal(xrun_options_init(&opts, XRUN_OPTIONS_VERSION + 1), XRUN_E_INVALID);
    assert_int_equal(xrun_options_init(NULL, 1), XRUN_E_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_at_offsets_and_total),
        cmocka_unit_test(test_read_at_streams_a_large_file),
        cmocka_unit_test(test_hold_release_refusals),
        cmocka_unit_test(test_prune_old_terminal_jobs),
        cmocka_unit_test(test_options_init_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
