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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_at_offsets_and_total),
        cmocka_unit_test(test_read_at_streams_a_large_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
