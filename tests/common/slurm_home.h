/* A temporary XRUN_HOME whose default machine "tb" is the testbed's Slurm,
 * reached from this host ("execution": "local", partition "debug") or over
 * the real sshd of scripts/testbed-sshd.sh, for the C tests on the real
 * Slurm of scripts/testbed-slurm.sh. */
#ifndef XRUN_TEST_SLURM_HOME_H
#define XRUN_TEST_SLURM_HOME_H
#include <stdlib.h>
#include <unistd.h>

#include "test_common.h"
#include "xrun.h"

/* Makes the home (tag names its temporary folder) with its machines.json;
 * copies its path into `home_out` (at least 512 bytes). */
static inline void xrun_test_local_slurm_home(const char *tag, char *home_out, int min_poll_interval_s,
                                              const char *walltime) {
    snprintf(home_out, 512, "%s", xrun_test_tempdir(tag));
    char machines[600], text[1400];
    snprintf(machines, sizeof machines, "%s/machines.json", home_out);
    snprintf(text, sizeof text,
             "{\"default\": \"tb\", \"machines\": {\"tb\": {\"execution\": \"local\", \"scheduler\": \"slurm\","
             " \"workdir\": \"%s/jobs\", \"min_poll_interval\": %d, \"resources\": {\"partition\": \"debug\","
             " \"walltime\": \"%s\"}}}}",
             home_out, min_poll_interval_s, walltime);
    xrun_test_write_file(machines, text);
}

/* The testbed sshd of scripts/testbed-sshd.sh ($TESTBED_DIR,
 * $TESTBED_SSH_PORT; ctest's sshd_up): its client key and known_hosts (each
 * buffer at least 600 bytes) and port. 0, or -1 with the reason on stderr. */
static inline int xrun_test_sshd_testbed(char *key, char *known, const char **port) {
    const char *dir = getenv("TESTBED_DIR");
    if (!dir || !*dir) dir = "/tmp/xrun-testbed";
    *port = getenv("TESTBED_SSH_PORT");
    if (!*port || !**port) *port = "2222";
    snprintf(key, 600, "%s/ssh/client_ed25519", dir);
    snprintf(known, 600, "%s/ssh/known_hosts", dir);
    if (access(key, R_OK) != 0 || access(known, R_OK) != 0) {
        fprintf(stderr, "no sshd testbed in %s: run scripts/testbed-sshd.sh up (ctest's sshd_up)\n", dir);
        return -1;
    }
    return 0;
}

/* Makes the home like xrun_test_local_slurm_home, but "tb" is reached over
 * the testbed sshd ($TESTBED_DIR, $TESTBED_SSH_PORT; ctest's sshd_up) as its
 * user xruntest, whose login environment names the testbed's SLURM_CONF. The
 * jobs live under ~xruntest/xrun-TAG/<the home's folder name>, new for each
 * run. 0, or -1 with the reason on stderr (a cmocka setup fails, never skips). */
static inline int xrun_test_ssh_slurm_home(const char *tag, char *home_out, int min_poll_interval_s,
                                           const char *walltime) {
    char key[600], known[600];
    const char *port;
    if (xrun_test_sshd_testbed(key, known, &port) != 0) return -1;
    snprintf(home_out, 512, "%s", xrun_test_tempdir(tag));
    char machines[600], text[3000];
    snprintf(machines, sizeof machines, "%s/machines.json", home_out);
    snprintf(text, sizeof text,
             "{\"default\": \"tb\", \"machines\": {\"tb\": {\"execution\": \"remote\", \"scheduler\": \"slurm\","
             " \"host\": \"127.0.0.1\", \"port\": %s, \"username\": \"xruntest\", \"transport\": \"%s\","
             " \"auth\": {\"method\": \"key\", \"key_file\": \"%s\"}, \"known_hosts\": \"%s\","
             " \"ssh_config\": \"none\", \"workdir\": \"~/xrun-%s/%s\", \"min_poll_interval\": %d,"
             " \"resources\": {\"partition\": \"debug\", \"walltime\": \"%s\"}}}}",
             port, xrun_test_transport(), key, known, tag, strrchr(home_out, '/') + 1, min_poll_interval_s, walltime);
    xrun_test_write_file(machines, text);
    return 0;
}

/* Points the Slurm commands at the testbed of scripts/testbed-slurm.sh
 * ($TESTBED_DIR, ctest's slurm_up): 0, or -1 with the reason on stderr (a
 * cmocka setup fails, never skips). */
static inline int xrun_test_use_slurm_testbed(void) {
    const char *dir = getenv("TESTBED_DIR");
    if (!dir || !*dir) dir = "/tmp/xrun-testbed";
    char conf[600];
    snprintf(conf, sizeof conf, "%s/slurm/slurm.conf", dir);
    if (access(conf, R_OK) != 0) {
        fprintf(stderr, "no Slurm testbed at %s: run scripts/testbed-slurm.sh up (ctest's slurm_up)\n", conf);
        return -1;
    }
    setenv("SLURM_CONF", conf, 1);
    return 0;
}

/* Opens a context on `home` (a cmocka setup's return value: 0, or -1 with
 * the reason on stderr). */
static inline int xrun_test_open_home(const char *home, xrun_ctx **ctx) {
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    if (xrun_ctx_open(ctx, &opts) != XRUN_OK) {
        fprintf(stderr, "xrun_ctx_open: %s\n", xrun_last_error());
        return -1;
    }
    return 0;
}

#endif
