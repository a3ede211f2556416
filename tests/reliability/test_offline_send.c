/* Offline-tolerant sends on the real Slurm over the real sshd: with the
 * testbed sshd stopped, a submission to the Slurm-over-ssh machine is kept
 * waiting for the connection (attempts, last error and next try in its
 * info); poll rounds while sshd is down try again and keep it waiting;
 * once sshd is back the next round sends it, and a second job is sent at
 * once by xrun_job_send. Each job is on Slurm exactly once (squeue -t all
 * by the job name, which carries the xrun id) and runs to completion. */
#include <time.h>

#include "../capi/capi_helpers.h"

static char home[512];

static void sshd(const char *action) {
    char command[1200];
    snprintf(command, sizeof command, "TESTBED_DIR='%s' TESTBED_SSH_PORT='%s' '%s/scripts/testbed-sshd.sh' %s >/dev/null",
             xrun_test_env("TESTBED_DIR"), getenv("TESTBED_SSH_PORT") ? getenv("TESTBED_SSH_PORT") : "2222",
             xrun_test_env("XRUN_SOURCE_DIR"), action);
    assert_int_equal(system(command), 0);
}

static xrun_ctx *open_ctx(void) {
    const char *dir = xrun_test_env("TESTBED_DIR");
    const char *port = getenv("TESTBED_SSH_PORT") ? getenv("TESTBED_SSH_PORT") : "2222";
    char path[700], text[4096];
    snprintf(path, sizeof path, "%s/machines.json", home);
    snprintf(text, sizeof text,
             "{\"default\": \"cluster\", \"machines\": {\"cluster\": {\"execution\": \"remote\","
             " \"scheduler\": \"slurm\", \"host\": \"127.0.0.1\", \"port\": %s, \"username\": \"xruntest\","
             " \"auth\": {\"method\": \"key\", \"key_file\": \"%s/ssh/client_ed25519\"},"
             " \"known_hosts\": \"%s/ssh/known_hosts\", \"ssh_config\": \"none\", \"workdir\": \"~/xrun-offline-test\","
             " \"min_poll_interval\": 0, \"connect_timeout\": 5,"
             " \"resources\": {\"partition\": \"debug\", \"walltime\": \"00:05:00\"}}}}",
             port, dir, dir);
    xrun_test_write_file(path, text);
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    xrun_ctx *ctx = NULL;
    int rc = xrun_ctx_open(&ctx, &opts);
    if (rc != XRUN_OK) fprintf(stderr, "open: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    return ctx;
}

/* How many jobs Slurm knows whose name carries `id`. */
static int on_slurm(const char *id) {
    FILE *p = popen("squeue -h -r -t all -o '%j' 2>&1", "r");
    assert_non_null(p);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, p))
        if (strstr(line, id)) n++;
    pclose(p);
    return n;
}

static long info_int(xrun_job *job, const char *key) {
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(info, pattern);
    assert_non_null(at);
    long value = atol(at + strlen(pattern));
    xrun_free(info);
    return value;
}

static void test_send_waits_for_sshd_then_goes_once(void **state) {
    (void)state;
    snprintf(home, sizeof home, "%s", xrun_test_tempdir("offline"));
    setenv("XRUN_RESEND_BACKOFF_MS", "300", 1);
    sshd("down");
    xrun_ctx *ctx = open_ctx(); /* no session exists: the first send connects */

    xrun_job *polled = NULL, *sent = NULL;
    int rc = xrun_job_submit_v2(&polled, ctx, "{\"name\": \"offline-polled\", \"command\": \"echo polled\"}");
    assert_int_equal(rc, XRUN_E_TRANSPORT);
    assert_non_null(polled);
    assert_int_equal(xrun_job_state(polled), XRUN_STATE_WAITING);
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, polled), XRUN_OK);
    assert_non_null(strstr(info, "\"waiting_for\":\"connection\""));
    assert_non_null(strstr(info, "\"next_try_at\":\"20"));
    assert_null(strstr(info, "\"last_error\":\"\""));
    xrun_free(info);
    assert_int_equal(info_int(polled, "attempts"), 1);
    rc = xrun_job_submit_v2(&sent, ctx, "{\"name\": \"offline-sent\", \"command\": \"echo sent\"}");
    assert_int_equal(rc, XRUN_E_TRANSPORT);
    assert_int_equal(xrun_job_state(sent), XRUN_STATE_WAITING);

    /* Rounds while sshd is down: tried again after the backoff, still waiting. */
    usleep(400000);
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_int_equal(xrun_job_refresh(polled), XRUN_OK);
    assert_int_equal(xrun_job_state(polled), XRUN_STATE_WAITING);
    assert_true(info_int(polled, "attempts") >= 2);

    sshd("up");
    /* xrun_job_send sends at once, whatever the backoff. */
    rc = xrun_job_send(sent);
    if (rc != XRUN_OK) fprintf(stderr, "send: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    assert_int_not_equal(xrun_job_state(sent), XRUN_STATE_WAITING);
    /* Poll rounds send the other once its next try has come. */
    time_t start = time(NULL);
    while (xrun_job_state(polled) == XRUN_STATE_WAITING && time(NULL) - start < 30) {
        usleep(300000);
        assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
        assert_int_equal(xrun_job_refresh(polled), XRUN_OK);
    }
    assert_int_not_equal(xrun_job_state(polled), XRUN_STATE_WAITING);
    wait_ok(polled, 120000);
    wait_ok(sent, 120000);
    assert_int_equal(xrun_job_state(polled), XRUN_STATE_COMPLETED);
    assert_int_equal(xrun_job_state(sent), XRUN_STATE_COMPLETED);
    assert_int_equal(on_slurm(xrun_job_id(polled)), 1);
    assert_int_equal(on_slurm(xrun_job_id(sent)), 1);
    /* A later round sends nothing again. */
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_int_equal(on_slurm(xrun_job_id(polled)), 1);
    xrun_job_free(polled);
    xrun_job_free(sent);
    xrun_ctx_close(ctx);
}

static int teardown(void **state) {
    (void)state;
    sshd("up"); /* whatever happened, the other tests find sshd up */
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_send_waits_for_sshd_then_goes_once, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
