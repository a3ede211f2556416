/* Slurm behind a site's sbatch wrapper (issue 11 #4), and uploads named like
 * xrun's own files (issue 11 #5), on the real testbed Slurm through the C
 * API (a local machine with "scheduler": "slurm"). The test puts its own
 * `sbatch` first in PATH, in front of the real one:
 *  - "chatty": the real sbatch, with a line printed before and after its
 *    --parsable id (exit 0). The job is submitted, never "refused", and
 *    runs to its end under the right id;
 *  - "silent": the real sbatch, its output replaced by a banner (exit 0).
 *    The job may exist, so it is not called refused: it stays
 *    `submitting`, and xrun_recover finds it by its name and adopts it.
 *    It also uploads a file named `submit.out` holding another id: recover
 *    reads xrun's own copy (.xrun/submit.out), never the upload. */
#include <sys/stat.h>
#include <unistd.h>

#include "test_common.h"
#include "xrun.h"

static char home[512], bin[512];
static xrun_ctx *ctx;

static void mode(const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/mode", bin);
    xrun_test_write_file(path, name);
}

static int setup(void **state) {
    (void)state;
    const char *dir = getenv("TESTBED_DIR");
    char conf[600];
    snprintf(conf, sizeof conf, "%s/slurm/slurm.conf", dir && *dir ? dir : "/tmp/xrun-testbed");
    if (access(conf, R_OK) != 0) {
        fprintf(stderr, "no Slurm testbed at %s (ctest's slurm_up fixture)\n", conf);
        return -1;
    }
    setenv("SLURM_CONF", conf, 1);
    setenv("XRUN_RECOVER_SETTLE_MS", "0", 1);
    snprintf(bin, sizeof bin, "%s", xrun_test_tempdir("wrapped-sbatch-bin"));
    char path[700], text[1500];
    snprintf(path, sizeof path, "%s/sbatch", bin);
    snprintf(text, sizeof text,
             "#!/bin/sh\n"
             "out=$(/usr/bin/sbatch \"$@\"); rc=$?\n"
             "case $(cat '%s/mode' 2>/dev/null) in\n"
             "  chatty) echo 'site: submitted through the accounting wrapper v2'; printf '%%s\\n' \"$out\";"
             " echo 'site: 12 jobs left in your quota';;\n"
             "  silent) echo 'site: job accepted, see the portal for its number';;\n"
             "  *) printf '%%s\\n' \"$out\";;\n"
             "esac\nexit $rc\n",
             bin);
    xrun_test_write_file(path, text);
    assert_int_equal(chmod(path, 0755), 0);
    snprintf(path, sizeof path, "%s:%s", bin, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path, 1);

    snprintf(home, sizeof home, "%s", xrun_test_tempdir("wrapped-sbatch"));
    char machines[600];
    snprintf(machines, sizeof machines, "%s/machines.json", home);
    snprintf(text, sizeof text,
             "{\"default\": \"tb\", \"machines\": {\"tb\": {\"execution\": \"local\", \"scheduler\": \"slurm\","
             " \"workdir\": \"%s/jobs\", \"min_poll_interval\": 0, \"resources\": {\"partition\": \"debug\","
             " \"walltime\": \"00:05:00\"}}}}",
             home);
    xrun_test_write_file(machines, text);
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    if (xrun_ctx_open(&ctx, &opts) != XRUN_OK) {
        fprintf(stderr, "xrun_ctx_open: %s\n", xrun_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    xrun_ctx_close(ctx);
    return 0;
}

static void test_chatty_wrapper_id_is_parsed(void **state) {
    (void)state;
    mode("chatty");
    xrun_job *job = NULL;
    int rc = xrun_job_submit(&job, ctx, "{\"command\": \"echo wrapped; exit 3\"}");
    if (rc != XRUN_OK) fprintf(stderr, "submit: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    const char *id = xrun_job_scheduler_id(job);
    assert_true(id[0] >= '1' && id[0] <= '9');
    assert_true(strspn(id, "0123456789") == strlen(id));
    assert_int_equal(xrun_job_wait(job, 90000), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    int code = 0;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 3);
    char *out = NULL;
    assert_int_equal(xrun_job_read_file(&out, NULL, job, "stdout", 0), XRUN_OK);
    assert_string_equal(out, "wrapped\n");
    xrun_free(out);
    xrun_job_free(job);
}

static void test_silent_wrapper_job_is_recovered_by_name(void **state) {
    (void)state;
    mode("silent");
    char upload[700];
    snprintf(upload, sizeof upload, "%s/submit.out", xrun_test_tempdir("wrapped-sbatch-upload"));
    xrun_test_write_file(upload, "999999\n"); /* an id that is not this job's */
    char spec[1200];
    snprintf(spec, sizeof spec, "{\"command\": \"echo found; exit 0\", \"upload\": [\"%s\"]}", upload);
    xrun_job *job = NULL;
    int rc = xrun_job_submit(&job, ctx, spec);
    assert_int_equal(rc, XRUN_E_SCHEDULER);
    assert_non_null(strstr(xrun_last_error(), "names no job id"));
    mode("plain");
    /* Not "refused": in doubt, waiting for recover. */
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, "tb", XRUN_STATE_SUBMITTING, 0), XRUN_OK);
    const char *at = strstr(list, "\"id\":\"");
    assert_non_null(at);
    char id[64] = {0};
    snprintf(id, 27, "%s", at + 6);
    assert_non_null(strstr(list, "submission outcome unknown"));
    xrun_free(list);

    char *report = NULL;
    assert_int_equal(xrun_recover(&report, ctx), XRUN_OK);
    assert_non_null(strstr(report, "\"adopted\":1"));
    xrun_free(report);
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    assert_string_not_equal(xrun_job_scheduler_id(job), "999999");
    assert_int_equal(xrun_job_wait(job, 90000), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = NULL;
    assert_int_equal(xrun_job_read_file(&out, NULL, job, "stdout", 0), XRUN_OK);
    assert_string_equal(out, "found\n");
    xrun_free(out);
    xrun_job_free(job);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chatty_wrapper_id_is_parsed),
        cmocka_unit_test(test_silent_wrapper_job_is_recovered_by_name),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
