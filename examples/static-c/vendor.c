/* A vendor code that embeds xrun statically: links libxrun.a with the
 * flags `pkg-config --static --libs xrun` prints, runs one job on the
 * built-in local machine and prints its output.
 *
 *   cc vendor.c $(pkg-config --static --cflags --libs xrun) -o vendor
 */
#include <stdio.h>
#include <stdlib.h>

#include <xrun.h>

static int fail(const char *what, int rc) {
    fprintf(stderr, "vendor: %s: %s: %s\n", what, xrun_status_name(rc), xrun_last_error());
    return 1;
}

int main(void) {
    if (xrun_version_number() != XRUN_VERSION_NUMBER) {
        fprintf(stderr, "vendor: header %s but library %s\n", XRUN_VERSION_STRING, xrun_version());
        return 1;
    }
    xrun_ctx *ctx = NULL;
    int rc = xrun_ctx_open(&ctx, NULL);
    if (rc != XRUN_OK) return fail("open", rc);
    xrun_job *job = NULL;
    rc = xrun_job_submit_command(&job, ctx, NULL, "vendor-job", "echo embedded xrun works");
    if (rc != XRUN_OK) return fail("submit", rc);
    rc = xrun_job_wait(job, 30000);
    if (rc != XRUN_OK) return fail("wait", rc);
    char *out = NULL;
    rc = xrun_job_read_file(&out, NULL, job, "stdout", 0);
    if (rc != XRUN_OK) return fail("read", rc);
    printf("%s: %s", xrun_state_name(xrun_job_state(job)), out);
    int ok = xrun_job_state(job) == XRUN_STATE_COMPLETED;
    xrun_free(out);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
    return ok ? 0 : 1;
}
