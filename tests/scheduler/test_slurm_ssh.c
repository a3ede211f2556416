/* Slurm reached through the real sshd of scripts/testbed-sshd.sh: a remote
 * machine with "scheduler": "slurm" (the sshd sets SLURM_CONF), through the
 * C API. Submit, exit codes, output read back, and ONE remote command per
 * poll round over many jobs (the transport's own command counter). */
#include <unistd.h>

#include "slurm_home.h"
#include "test_common.h"
#include "xrun.h"

static xrun_ctx *ctx;

static int setup(void **state) {
    (void)state;
    char key[600], known[600];
    const char *port;
    if (xrun_test_sshd_testbed(key, known, &port) != 0) return -1;
    const char *home = xrun_test_tempdir("slurm-ssh");
    char machines[600], text[4096];
    snprintf(machines, sizeof machines, "%s/machines.json", home);
    /* The jobs directory is new for each run: job ids never collide. */
    snprintf(text, sizeof text,
             "{\"default\": \"cluster\", \"machines\": {\"cluster\": {\"execution\": \"remote\","
             " \"scheduler\": \"slurm\", \"host\": \"127.0.0.1\", \"port\": %s, \"username\": \"xruntest\", \"transport\": \"%s\","
             " \"auth\": {\"method\": \"key\", \"key_file\": \"%s\"}, \"known_hosts\": \"%s\","
             " \"ssh_config\": \"none\", \"workdir\": \"~/xrun-slurm-ssh/%s\", \"min_poll_interval\": 1,"
             " \"resources\": {\"partition\": \"debug\"}}}}",
             port, xrun_test_transport(), key, known, strrchr(home, '/') + 1);
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

static xrun_job *submit(const char *spec) {
    xrun_job *job = NULL;
    int rc = xrun_job_submit(&job, ctx, spec);
    if (rc != XRUN_OK) fail_msg("submit %s: %s", spec, xrun_last_error());
    return job;
}

static int64_t commands_so_far(void) {
    xrun_machine *m = NULL;
    assert_int_equal(xrun_machine_open(&m, ctx, "cluster"), XRUN_OK);
    char *json = NULL;
    assert_int_equal(xrun_machine_stats(&json, m), XRUN_OK);
    const char *p = strstr(json, "\"commands\":");
    assert_non_null(p);
    int64_t n = strtoll(p + strlen("\"commands\":"), NULL, 10);
    xrun_free(json);
    xrun_machine_free(m);
    return n;
}

static void test_submit_over_ssh(void **state) {
    (void)state;
    xrun_job *ok = submit("{\"name\": \"over ssh $(x)\", \"command\": \"echo $(id -un) $SLURM_JOB_ID\"}");
    xrun_job *bad = submit("{\"name\": \"bad\", \"command\": \"exit 5\"}");
    assert_int_equal(xrun_job_wait(ok, 90000), XRUN_OK);
    assert_int_equal(xrun_job_wait(bad, 90000), XRUN_OK);
    assert_int_equal(xrun_job_state(ok), XRUN_STATE_COMPLETED);
    char *out = NULL;
    assert_int_equal(xrun_job_read_file(&out, NULL, ok, "stdout", 0), XRUN_OK);
    char want[64];
    snprintf(want, sizeof want, "xruntest %s\n", xrun_job_scheduler_id(ok));
    assert_string_equal(out, want);
    xrun_free(out);
    assert_int_equal(xrun_job_state(bad), XRUN_STATE_FAILED);
    int code = 0;
    assert_int_equal(xrun_job_exit_code(bad, &code), XRUN_OK);
    assert_int_equal(code, 5);
    xrun_job_free(ok);
    xrun_job_free(bad);
}

static void test_one_remote_command_per_round(void **state) {
    (void)state;
    enum { N = 40 };
    xrun_job *jobs[N];
    for (int i = 0; i < N; i++) jobs[i] = submit("{\"name\": \"many\", \"command\": \"true\", \"hold\": true}");
    usleep(1100 * 1000); /* min_poll_interval is 1 s */
    int64_t before = commands_so_far();
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_int_equal(commands_so_far() - before, 1); /* one squeue, nothing left the queue */
    for (int i = 0; i < N; i++) {
        xrun_job *again = NULL;
        assert_int_equal(xrun_job_open(&again, ctx, xrun_job_id(jobs[i])), XRUN_OK);
        assert_int_equal(xrun_job_state(again), XRUN_STATE_HELD);
        xrun_job_free(again);
        assert_int_equal(xrun_job_cancel(jobs[i]), XRUN_OK);
        xrun_job_free(jobs[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_over_ssh),
        cmocka_unit_test(test_one_remote_command_per_round),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
