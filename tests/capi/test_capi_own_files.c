/* xrun's own files (script, exit record, submit output) live in the job
 * directory's .xrun/ folder (issue 11 #5): a user's file of the same name,
 * uploaded or written by the job, is never taken as xrun's evidence. On the
 * built-in local machine (direct scheduler), through the C API. */
#include "capi_helpers.h"

static char dir[512];

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static xrun_job *submit_with_upload(xrun_ctx *ctx, const char *command, const char *upload) {
    char spec[1024];
    snprintf(spec, sizeof spec, "{\"command\": \"%s\", \"upload\": [\"%s\"]}", command, upload);
    return submit_ok(ctx, spec);
}

/* A killed job with an uploaded "exit_code" saying 0 ends lost, not
 * completed: the upload is the user's file. */
static void uploaded_exit_code_is_not_evidence(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("own-files-exit", NULL);
    snprintf(dir, sizeof dir, "%s", xrun_test_tempdir("own-files-inputs"));
    char upload[600];
    snprintf(upload, sizeof upload, "%s/exit_code", dir);
    write_text(upload, "0\n");
    xrun_job *job = submit_with_upload(ctx, "sleep 60", upload);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_RUNNING);
    /* The direct job's scheduler id is its session leader: kill the group. */
    pid_t leader = (pid_t)atol(xrun_job_scheduler_id(job));
    assert_true(leader > 1);
    assert_int_equal(kill(-leader, SIGKILL), 0);
    int rc = xrun_job_wait(job, 60000);
    if (rc != XRUN_OK) fprintf(stderr, "wait: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    fprintf(stderr, "killed job with an uploaded exit_code: %s (%s)\n", xrun_state_name(xrun_job_state(job)),
            xrun_job_reason(job));
    assert_int_equal(xrun_job_state(job), XRUN_STATE_LOST);
    int code = -1;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_E_NOT_FOUND);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* A job that writes "exit_code" and "job.sh" in its own directory and
 * fails keeps its real exit code; its files are its own. */
static void files_the_job_writes_stay_its_own(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("own-files-job", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"echo 0 > exit_code; echo mine > job.sh; exit 5\"}");
    wait_ok(job, 60000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    int code = -1;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 5);
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(xrun_job_read_file(&data, &size, job, "job.sh", 0), XRUN_OK);
    assert_string_equal(data, "mine\n");
    xrun_free(data);
    assert_int_equal(xrun_job_read_file(&data, &size, job, ".xrun/exit_code", 0), XRUN_OK);
    assert_string_equal(data, "5\n");
    xrun_free(data);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* An upload named ".xrun" would land in xrun's folder: refused, naming it,
 * and nothing is recorded. */
static void upload_named_like_the_own_folder_is_refused(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("own-files-refused", NULL);
    char upload[600];
    snprintf(upload, sizeof upload, "%s/.xrun", xrun_test_tempdir("own-files-dot"));
    assert_int_equal(mkdir(upload, 0755), 0);
    char spec[1024];
    snprintf(spec, sizeof spec, "{\"command\": \"true\", \"upload\": [\"%s\"]}", upload);
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_submit(&job, ctx, spec), XRUN_E_INVALID);
    assert_null(job);
    assert_non_null(strstr(xrun_last_error(), "$.upload"));
    assert_non_null(strstr(xrun_last_error(), ".xrun"));
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, -1, 0), XRUN_OK);
    assert_string_equal(list, "[]");
    xrun_free(list);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uploaded_exit_code_is_not_evidence),
        cmocka_unit_test(files_the_job_writes_stay_its_own),
        cmocka_unit_test(upload_named_like_the_own_folder_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
