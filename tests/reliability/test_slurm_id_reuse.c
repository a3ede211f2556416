/* A Slurm job id handed out again must never give one xrun job another
 * job's result (issue 10 #1), on the real testbed Slurm
 * (scripts/testbed-slurm.sh), through the C API on a local machine with
 * "scheduler": "slurm":
 *   job A (`sleep 600`) is submitted; the cluster's state is wiped and
 *   Slurm restarted with FirstJobId = A's id (as a rebuilt cluster, or ids
 *   wrapping at MaxJobId, would do); job B is submitted and gets A's id.
 *   B completes with its own result; A is settled by its own evidence --
 *   no exit record, so `lost` -- never `completed` with B's record.
 * It restarts the whole testbed, so it runs alone (RUN_SERIAL). */
#include <time.h>
#include <unistd.h>

#include "test_common.h"
#include "slurm_home.h"
#include "xrun.h"

static char home[512], tb[512];
static xrun_ctx *ctx;

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
    xrun_test_local_slurm_home("slurm-id-reuse", home, 0, "00:15:00");
    return xrun_test_open_home(home, &ctx);
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

/* The testbed's accounting mode, so the restart brings back the same one. */
static void accounting_mode(char *out, size_t size) {
    char path[700];
    snprintf(path, sizeof path, "%s/run/slurm-accounting", tb);
    snprintf(out, size, "slurmdbd");
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(out, (int)size, f)) out[strcspn(out, "\n")] = 0;
    fclose(f);
}

static void test_reused_id_is_not_evidence(void **state) {
    (void)state;
    xrun_job *a = submit("{\"name\": \"A\", \"command\": \"sleep 600\"}");
    char id_a[64];
    snprintf(id_a, sizeof id_a, "%s", xrun_job_scheduler_id(a));
    for (int i = 0; i < 100 && xrun_job_state(a) != XRUN_STATE_RUNNING; ++i) {
        xrun_job_refresh(a);
        usleep(200000);
    }
    assert_int_equal(xrun_job_state(a), XRUN_STATE_RUNNING);

    /* Wipe the cluster (its state and accounting) and start it again so
     * that it hands A's id out next. */
    char mode[64], command[2000];
    accounting_mode(mode, sizeof mode);
    snprintf(command, sizeof command,
             "export TESTBED_DIR='%s' TESTBED_ACCOUNTING='%s'; '%s/scripts/testbed-slurm.sh' down && "
             "TESTBED_FIRST_JOB_ID=%s '%s/scripts/testbed-slurm.sh' up",
             tb, mode, xrun_test_env("XRUN_SOURCE_DIR"), id_a, xrun_test_env("XRUN_SOURCE_DIR"));
    assert_int_equal(system(command), 0);

    xrun_job *b = submit("{\"name\": \"B\", \"command\": \"sleep 3; echo B; exit 5\"}");
    assert_string_equal(xrun_job_scheduler_id(b), id_a); /* the same id, another job */

    assert_int_equal(xrun_job_wait(b, 90000), XRUN_OK);
    assert_int_equal(xrun_job_state(b), XRUN_STATE_FAILED);
    int code = 0;
    assert_int_equal(xrun_job_exit_code(b, &code), XRUN_OK);
    assert_int_equal(code, 5);

    /* A is not B: no line about B is evidence for it, and it has no exit
     * record of its own (the wipe killed it). */
    assert_int_equal(xrun_job_wait(a, 60000), XRUN_OK);
    assert_int_equal(xrun_job_state(a), XRUN_STATE_LOST);
    assert_non_null(strstr(xrun_job_reason(a), "no scheduler record"));
    assert_int_equal(xrun_job_exit_code(a, &code), XRUN_E_NOT_FOUND);
    xrun_job_free(a);
    xrun_job_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reused_id_is_not_evidence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
