/* Helpers for the C-API tests: a context on a fresh temporary XRUN_HOME. */
#ifndef XRUN_CAPI_HELPERS_H
#define XRUN_CAPI_HELPERS_H
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_common.h"
#include "xrun.h"

/* Opens a context on a new temporary home; the home path is copied to
 * `home_out` (at least 512 bytes) when not NULL. */
static inline xrun_ctx *open_temp_ctx(const char *tag, char *home_out) {
    const char *home = xrun_test_tempdir(tag);
    if (home_out) snprintf(home_out, 512, "%s", home);
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    xrun_ctx *ctx = NULL;
    int rc = xrun_ctx_open(&ctx, &opts);
    if (rc != XRUN_OK) fprintf(stderr, "xrun_ctx_open: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    assert_non_null(ctx);
    return ctx;
}

/* Opens a context on an existing home (its machines.json); the status. */
static inline int xrun_test_open_ctx(const char *home, xrun_ctx **out) {
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    return xrun_ctx_open(out, &opts);
}

static inline xrun_job *submit_ok(xrun_ctx *ctx, const char *spec) {
    xrun_job *job = NULL;
    int rc = xrun_job_submit(&job, ctx, spec);
    if (rc != XRUN_OK) fprintf(stderr, "submit failed: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    assert_non_null(job);
    return job;
}

static inline void wait_ok(xrun_job *job, int64_t timeout_ms) {
    int rc = xrun_job_wait(job, timeout_ms);
    if (rc != XRUN_OK) fprintf(stderr, "wait failed: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
}

/* The job's stdout (OWNED by the caller: xrun_free). */
static inline char *job_stdout(xrun_job *job) {
    char *data = NULL;
    size_t size = 0;
    int rc = xrun_job_read_file(&data, &size, job, "stdout", 0);
    if (rc != XRUN_OK) fprintf(stderr, "read stdout: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    return data;
}
#endif
