/* Built-in corrections end to end through the real Slurm (issue 13): a
 * real pw.x SCF made to fail (tests/fixtures/campaign/qe/si_scf_unstable.in:
 * 3 SCF steps at mixing_beta 0.9) is diagnosed scf_not_converged by the
 * parser, corrected in its job directory by the built-in corrections and
 * resent by its retry policy until it converges; its energy must equal a
 * converged reference run (si_scf_reference.in) through the same Slurm
 * within 1e-5 Ry.
 *
 *   test_slurm_pw_retry ssh    the Slurm machine reached over the real sshd
 *                              (the scenario: uploads by SFTP, jobs
 *                              as the testbed user in its home)
 *   test_slurm_pw_retry local  the same Slurm reached from this host
 *
 * pw.x is Debian's OpenMPI build run as a singleton: its out-of-band and TCP
 * transports are told to use the loopback interface, and the singleton does
 * not start a daemon of its own (ess_singleton_isolated), which it could not
 * reach from inside a test's own network namespace. */
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "test_common.h"
#include "slurm_home.h"
#include "xrun.h"

static char home[512];
static xrun_ctx *ctx;
static int over_ssh;

static int setup(void **state) {
    (void)state;
    if (xrun_test_use_slurm_testbed() != 0) return -1;
    if (system("command -v pw.x > /dev/null") != 0) {
        fprintf(stderr, "pw.x is not installed: install Debian's quantum-espresso (scripts/install-deps.sh --test)\n");
        return -1;
    }
    if (over_ssh) {
        if (xrun_test_ssh_slurm_home("slurm-pw-retry", home, 1, "00:05:00") != 0) return -1;
    } else {
        xrun_test_local_slurm_home("slurm-pw-retry", home, 1, "00:05:00");
    }
    return xrun_test_open_home(home, &ctx);
}

static int teardown(void **state) {
    (void)state;
    xrun_ctx_close(ctx);
    return 0;
}

/* Copies fixture `name` to `dir/as`. */
static void copy_fixture(const char *name, const char *dir, const char *as) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp '%s/tests/fixtures/campaign/qe/%s' '%s/%s'", xrun_test_env("XRUN_SOURCE_DIR"), name,
             dir, as);
    assert_int_equal(system(cmd), 0);
}

__attribute__((noinline)) static double energy_of(xrun_job *job) {
    xrun_result *result = NULL;
    if (xrun_job_result(&result, job) != XRUN_OK) fail_msg("result: %s", xrun_last_error());
    double e = NAN;
    assert_int_equal(xrun_result_double(result, "total_energy_native", &e), XRUN_OK);
    xrun_result_free(result);
    return e;
}

static xrun_job *submit_pw(const char *input, const char *retry) {
    const char *dir = xrun_test_tempdir("pw-inputs");
    copy_fixture(input, dir, "pw.in");
    copy_fixture("Si.pz-vbc.UPF", dir, "Si.pz-vbc.UPF");
    char spec[4096];
    snprintf(spec, sizeof spec,
             "{\"name\": \"si-scf\", \"command\": \"pw.x -in pw.in > pw.out\", \"env\": {\"OMP_NUM_THREADS\": \"1\","
             " \"OMPI_MCA_oob_tcp_if_include\": \"lo\", \"OMPI_MCA_btl_tcp_if_include\": \"lo\","
             " \"OMPI_MCA_ess_singleton_isolated\": \"1\"},"
             " \"upload\": [\"%s/pw.in\", \"%s/Si.pz-vbc.UPF\"], \"parser\": \"qe\", \"parse_file\": \"pw.out\"%s}",
             dir, dir, retry);
    xrun_job *job = NULL;
    if (xrun_job_submit(&job, ctx, spec) != XRUN_OK) fail_msg("submit: %s", xrun_last_error());
    return job;
}

static void scf_not_converged_is_corrected_until_it_converges(void **state) {
    (void)state;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    xrun_job *reference = submit_pw("si_scf_reference.in", "");
    xrun_job *job = submit_pw("si_scf_unstable.in",
                              ", \"retry\": {\"on\": [\"scf_not_converged\"], \"max_attempts\": 4},"
                              " \"corrections\": \"builtin\"");
    if (xrun_job_wait(reference, 120000) != XRUN_OK) fail_msg("wait: %s", xrun_last_error());
    if (xrun_job_wait(job, 120000) != XRUN_OK) fail_msg("wait: %s", xrun_last_error());
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    fprintf(stderr, "%.3000s\n", info);
    assert_int_equal(xrun_job_state(reference), XRUN_STATE_COMPLETED);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    /* The first attempt failed with the diagnosis; its edits are recorded. */
    assert_non_null(strstr(info, "\"number\":1,"));
    assert_non_null(strstr(info, "\"number\":2,"));
    assert_non_null(strstr(info, "(scf_not_converged): "));
    assert_non_null(strstr(info, "mixing_beta"));
    xrun_free(info);
    const double e = energy_of(job), ref = energy_of(reference);
    fprintf(stderr, "pw.x through Slurm (%s): final %.8f Ry, reference %.8f Ry, |diff| %.2e Ry, %.1f s\n",
            over_ssh ? "over ssh" : "local", e, ref, fabs(e - ref),
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    assert_true(fabs(e - ref) < 1e-5);
    xrun_job_free(reference);
    xrun_job_free(job);
}

int main(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[1], "ssh") != 0 && strcmp(argv[1], "local") != 0)) {
        fprintf(stderr, "usage: %s ssh|local\n", argv[0]);
        return 2;
    }
    over_ssh = strcmp(argv[1], "ssh") == 0;
    const struct CMUnitTest tests[] = {cmocka_unit_test(scf_not_converged_is_corrected_until_it_converges)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
