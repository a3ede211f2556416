/* Slurm faults against the real testbed Slurm (scripts/testbed-slurm.sh),
 * through the C API on a local machine with "scheduler": "slurm":
 *  - squeue failing for a while: the failed rounds change no state, the
 *    next ones back off (no query per call), and the job completes after;
 *  - slurmctld killed and restarted while one job runs and one is queued:
 *    polls fail meanwhile without touching states; afterwards the running
 *    job completes with its exit code and the queued one runs too;
 *  - a job that vanishes from the queue with no accounting record and no
 *    exit record becomes `lost` -- never `completed`;
 *  - a submission refused for the per-user queue cap waits in xrun
 *    (`waiting`, waiting_for room) and is sent by a later poll round once
 *    there is room, instead of failing. The refusal is the real one,
 *    recorded from this Slurm with limits enforced
 *    (tests/fixtures/slurm/sbatch_qos_submit_limit.err), replayed by an
 *    sbatch wrapper while the cap is "reached". */
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_common.h"
#include "xrun.h"

static char home[512], bin[512], tb[512];
static xrun_ctx *ctx;

static void write_exec(const char *path, const char *text) {
    xrun_test_write_file(path, text);
    assert_int_equal(chmod(path, 0755), 0);
}

static int count_calls(const char *name) {
    char path[600], line[128];
    snprintf(path, sizeof path, "%s/calls", bin);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == '\n') n++;
    fclose(f);
    return n;
}

static void flag(const char *name, int on) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", bin, name);
    if (on) xrun_test_write_file(path, "1");
    else remove(path);
}

static int setup(void **state) {
    (void)state;
    const char *dir = getenv("TESTBED_DIR");
    snprintf(tb, sizeof tb, "%s", dir && *dir ? dir : "/tmp/xrun-testbed");
    char conf[600];
    snprintf(conf, sizeof conf, "%s/slurm/slurm.conf", tb);
    if (access(conf, R_OK) != 0) {
        fprintf(stderr, "no Slurm testbed at %s (ctest's slurm_up fixture)\n", conf);
        return -1;
    }
    setenv("SLURM_CONF", conf, 1);
    setenv("XRUN_LOST_GRACE_MS", "2000", 1);
    snprintf(bin, sizeof bin, "%s", xrun_test_tempdir("slurm-faults-bin"));
    /* squeue fails while the flag "squeue.fail" exists, as it does when the
     * controller is unreachable; sacct says accounting is disabled while
     * "sacct.off" exists (the real message, exit 0 -- TESTBED.md §2.14). */
    char path[700], text[1500];
    snprintf(path, sizeof path, "%s/squeue", bin);
    snprintf(text, sizeof text,
             "#!/bin/sh\necho squeue >> '%s/calls'\n"
             "if [ -f '%s/squeue.fail' ]; then echo 'slurm_load_jobs error: Unable to contact slurm controller "
             "(connect failure)' >&2; exit 1; fi\nexec /usr/bin/squeue \"$@\"\n",
             bin, bin);
    write_exec(path, text);
    snprintf(path, sizeof path, "%s/sacct", bin);
    snprintf(text, sizeof text,
             "#!/bin/sh\necho sacct >> '%s/calls'\n"
             "if [ -f '%s/sacct.off' ]; then echo 'Slurm accounting storage is disabled'; exit 0; fi\n"
             "exec /usr/bin/sacct \"$@\"\n",
             bin, bin);
    write_exec(path, text);
    snprintf(path, sizeof path, "%s/sbatch", bin);
    snprintf(text, sizeof text,
             "#!/bin/sh\necho sbatch >> '%s/calls'\n"
             "if [ -f '%s/sbatch.capped' ]; then cat '%s/tests/fixtures/slurm/sbatch_qos_submit_limit.err' >&2; exit 1; fi\n"
             "exec /usr/bin/sbatch \"$@\"\n",
             bin, bin, xrun_test_env("XRUN_SOURCE_DIR"));
    write_exec(path, text);
    snprintf(path, sizeof path, "%s:%s", bin, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path, 1);

    snprintf(home, sizeof home, "%s", xrun_test_tempdir("slurm-faults"));
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

static xrun_job *submit(const char *spec) {
    xrun_job *job = NULL;
    int rc = xrun_job_submit(&job, ctx, spec);
    if (rc != XRUN_OK) fprintf(stderr, "submit: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    return job;
}

static void test_squeue_failing_transiently(void **state) {
    (void)state;
    xrun_job *job = submit("{\"command\": \"sleep 3; exit 4\"}");
    int before = xrun_job_state(job);
    flag("squeue.fail", 1);
    assert_int_equal(xrun_job_refresh(job), XRUN_E_SCHEDULER);
    assert_non_null(strstr(xrun_last_error(), "Unable to contact"));
    assert_int_equal(xrun_job_state(job), before); /* a failed poll changes nothing */
    /* Backoff: asking again at once runs no new query. */
    int calls = count_calls("squeue");
    for (int i = 0; i < 5; ++i) xrun_job_refresh(job);
    assert_int_equal(count_calls("squeue"), calls);
    assert_int_equal(xrun_job_state(job), before);
    /* wait() rides the failures out; the controller comes back. */
    sleep(2);
    flag("squeue.fail", 0);
    assert_int_equal(xrun_job_wait(job, 60000), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    int code = 0;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 4);
    xrun_job_free(job);
}

static int slurmctld_pid(void) {
    char path[600], text[32] = {0};
    snprintf(path, sizeof path, "%s/run/slurmctld.pid", tb);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    if (!fgets(text, sizeof text, f)) text[0] = 0;
    fclose(f);
    return atoi(text);
}

static int alive(int pid) {
    char path[64], stat_text[512] = {0};
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(stat_text, 1, sizeof stat_text - 1, f);
    fclose(f);
    stat_text[n] = 0;
    char *paren = strrchr(stat_text, ')');
    return paren && paren[2] != 'Z'; /* PID 1 may reap late: a zombie is gone */
}

static void test_slurmctld_restart(void **state) {
    (void)state;
    xrun_job *running = submit("{\"command\": \"sleep 6; echo survived\"}");
    /* The node has 2 CPUs: this one waits in the queue until `running`
     * frees one. */
    xrun_job *queued = submit("{\"command\": \"echo second\", \"resources\": {\"cpus_per_task\": 2}}");
    for (int i = 0; i < 50 && xrun_job_state(running) != XRUN_STATE_RUNNING; ++i) {
        xrun_job_refresh(running);
        usleep(200000);
    }
    assert_int_equal(xrun_job_state(running), XRUN_STATE_RUNNING);

    int pid = slurmctld_pid();
    assert_true(pid > 1);
    assert_int_equal(kill(pid, SIGTERM), 0);
    for (int i = 0; i < 100 && alive(pid); ++i) usleep(100000);
    assert_false(alive(pid));
    int running_state = xrun_job_state(running), queued_state = xrun_job_state(queued);
    int rc = xrun_job_refresh(running);
    assert_int_not_equal(rc, XRUN_OK); /* the controller is down: the poll fails... */
    assert_int_equal(xrun_job_state(running), running_state); /* ...and changes nothing */
    assert_int_equal(xrun_job_state(queued), queued_state);

    /* Start it again as the testbed does; it recovers its state. */
    char command[1200];
    snprintf(command, sizeof command, "slurmctld -f '%s/slurm/slurm.conf' && "
             "for i in $(seq 60); do scontrol ping 2>/dev/null | grep -q 'is UP' && exit 0; sleep 0.5; done; exit 1",
             tb);
    assert_int_equal(system(command), 0);

    assert_int_equal(xrun_job_wait(running, 90000), XRUN_OK);
    assert_int_equal(xrun_job_state(running), XRUN_STATE_COMPLETED);
    assert_int_equal(xrun_job_wait(queued, 90000), XRUN_OK);
    assert_int_equal(xrun_job_state(queued), XRUN_STATE_COMPLETED);
    char *out = NULL;
    assert_int_equal(xrun_job_read_file(&out, NULL, running, "stdout", 0), XRUN_OK);
    assert_string_equal(out, "survived\n");
    xrun_free(out);
    xrun_job_free(running);
    xrun_job_free(queued);
}

static void test_vanished_without_evidence_is_lost(void **state) {
    (void)state;
    /* A held job never runs, so it never writes an exit record. */
    xrun_job *job = submit("{\"command\": \"echo never\", \"hold\": true}");
    char id[64];
    snprintf(id, sizeof id, "%s", xrun_job_scheduler_id(job));
    assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_HELD);
    /* It disappears behind xrun's back: purged from the controller (a
     * cancel, then the queue no longer lists it: squeue below filters it
     * out as it would after MinJobAge) and accounting has no record. */
    char command[256];
    snprintf(command, sizeof command, "/usr/bin/scancel %s", id);
    assert_int_equal(system(command), 0);
    char path[700], text[1200];
    snprintf(path, sizeof path, "%s/squeue", bin);
    snprintf(text, sizeof text,
             "#!/bin/sh\necho squeue >> '%s/calls'\n/usr/bin/squeue \"$@\" | grep -v '^%s|'\nexit 0\n", bin, id);
    write_exec(path, text);
    flag("sacct.off", 1);
    time_t start = time(NULL);
    int state_now = xrun_job_state(job);
    while (!xrun_state_is_terminal(state_now) && time(NULL) - start < 30) {
        assert_int_equal(xrun_job_refresh(job), XRUN_OK);
        state_now = xrun_job_state(job);
        usleep(300000);
    }
    flag("sacct.off", 0);
    assert_int_equal(state_now, XRUN_STATE_LOST);
    assert_non_null(strstr(xrun_job_reason(job), "no scheduler record and no exit record"));
    int code = 0;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_E_NOT_FOUND);
    xrun_job_free(job);
}

static void test_queue_cap_waits_then_sends(void **state) {
    (void)state;
    flag("sbatch.capped", 1);
    xrun_job *job = NULL;
    int rc = xrun_job_submit(&job, ctx, "{\"command\": \"echo sent later\"}");
    if (rc != XRUN_OK) fprintf(stderr, "submit: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK); /* not a failure: it waits */
    assert_int_equal(xrun_job_state(job), XRUN_STATE_WAITING);
    assert_non_null(strstr(xrun_job_reason(job), "QOSMaxSubmitJobPerUserLimit"));
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    assert_non_null(strstr(info, "\"waiting_for\":\"room\""));
    assert_non_null(strstr(info, "\"waiting_for_room\":true"));
    xrun_free(info);
    /* Still capped: a poll round tries again and the job keeps waiting. */
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_WAITING);
    /* Room frees up: the next round sends it, and it runs. */
    flag("sbatch.capped", 0);
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    assert_int_equal(xrun_job_wait(job, 60000), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = NULL;
    assert_int_equal(xrun_job_read_file(&out, NULL, job, "stdout", 0), XRUN_OK);
    assert_string_equal(out, "sent later\n");
    xrun_free(out);
    xrun_job_free(job);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_squeue_failing_transiently),
        cmocka_unit_test(test_slurmctld_restart),
        cmocka_unit_test(test_vanished_without_evidence_is_lost),
        cmocka_unit_test(test_queue_cap_waits_then_sends),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
