/* A cross-machine DAG in ONE xrun_jobs_submit (issue 13): 20 chains of
 * three jobs (relax -> scf -> bands stand-ins) alternating between the
 * real Slurm of scripts/testbed-slurm.sh ("tb", local) and a direct
 * machine behind the real sshd of scripts/testbed-sshd.sh ("far"), some
 * parents failing by design, plus parents and children on Slurm alone
 * (native --dependency, one of them never satisfied). Every dependent is
 * sent exactly once (one "submitted" event, after its parent ended when
 * xrun held it) or cancelled with the parent and its state in the reason;
 * nothing waits forever (a bounded loop of xrun_poll); the poll rounds
 * ask Slurm's queue at most once each however many jobs are held. */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "slurm_home.h"
#include "test_common.h"
#include "xrun.h"

#define CHAINS 20
#define NATIVE 5
#define JOBS (CHAINS * 3 + NATIVE)

static char home[512];
static char bin[512];
static xrun_ctx *ctx;

static void write_wrapper(const char *name) {
    char path[600], text[1200];
    snprintf(path, sizeof path, "%s/%s", bin, name);
    /* Logs the command and its arguments, then runs the real one. */
    snprintf(text, sizeof text, "#!/bin/sh\necho \"%s $*\" >> '%s/calls'\nexec /usr/bin/%s \"$@\"\n", name, bin,
             name);
    xrun_test_write_file(path, text);
    assert_int_equal(chmod(path, 0755), 0);
}

/* Lines of the call log starting with `prefix`. */
static int count_calls(const char *prefix) {
    char path[600], line[4096];
    snprintf(path, sizeof path, "%s/calls", bin);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, prefix, strlen(prefix)) == 0) n++;
    fclose(f);
    return n;
}

static void print_log(int level, const char *message, void *payload) {
    (void)payload;
    fprintf(stderr, "xrun log %d: %s\n", level, message);
}

static int setup(void **state) {
    (void)state;
    char key[600], known[600];
    const char *port;
    if (xrun_test_use_slurm_testbed() != 0) return -1;
    if (xrun_test_sshd_testbed(key, known, &port) != 0) return -1;
    snprintf(bin, sizeof bin, "%s", xrun_test_tempdir("dag-bin"));
    const char *names[] = {"sbatch", "squeue", "sacct", "scancel"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) write_wrapper(names[i]);
    char path[1200];
    snprintf(path, sizeof path, "%s:%s", bin, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path, 1);

    snprintf(home, sizeof home, "%s", xrun_test_tempdir("slurm-dag"));
    char machines[600], text[4096];
    snprintf(machines, sizeof machines, "%s/machines.json", home);
    snprintf(text, sizeof text,
             "{\"default\": \"tb\", \"machines\": {"
             "\"tb\": {\"execution\": \"local\", \"scheduler\": \"slurm\", \"workdir\": \"%s/jobs\","
             " \"min_poll_interval\": 0, \"resources\": {\"partition\": \"debug\", \"walltime\": \"00:05:00\"}},"
             "\"far\": {\"execution\": \"remote\", \"scheduler\": \"direct\", \"host\": \"127.0.0.1\", \"port\": %s,"
             " \"username\": \"xruntest\", \"auth\": {\"method\": \"key\", \"key_file\": \"%s\"},"
             " \"known_hosts\": \"%s\", \"ssh_config\": \"none\", \"workdir\": \"~/xrun-dag/%s\","
             " \"min_poll_interval\": 0}}}",
             home, port, key, known, strrchr(home, '/') + 1);
    xrun_test_write_file(machines, text);
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    opts.log = print_log;
    opts.log_level = XRUN_LOG_WARN;
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

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char ids[JOBS][40];

static int index_of(const char *id) {
    for (int i = 0; i < JOBS; ++i)
        if (strcmp(ids[i], id) == 0) return i;
    return -1;
}

/* A string field of a job's info ("" when null or absent). */
static void info_field(const char *id, const char *key, char *out, size_t size) {
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    char pattern[100];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *p = strstr(info, pattern);
    out[0] = '\0';
    if (p) {
        p += strlen(pattern);
        const char *end = strchr(p, '"');
        snprintf(out, size, "%.*s", (int)(end - p), p);
    }
    xrun_free(info);
    xrun_job_free(job);
}

static int state_of(const char *id, char *reason, size_t size) {
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    int s = xrun_job_state(job);
    if (reason) snprintf(reason, size, "%s", xrun_job_reason(job));
    xrun_job_free(job);
    return s;
}

static void expect(int i, int state, const char *parent_id, const char *parent_end) {
    char reason[1000], want[300] = "";
    int got = state_of(ids[i], reason, sizeof reason);
    if (parent_id) snprintf(want, sizeof want, "dependency never satisfied: parent %s ended %s", parent_id, parent_end);
    if (got != state || (parent_id && !strstr(reason, want)))
        fail_msg("job %d (%s): state %d, reason \"%s\"; expected state %d \"%s\"", i, ids[i], got, reason, state, want);
}

static void test_cross_machine_dag(void **state) {
    (void)state;
    /* Chain c: relax on A, scf on B, bands on A (A alternates). Chains
     * c%5==1: relax fails; c%5==3: scf fails; c%5==2: scf fails and bands
     * runs afternotok. */
    static char specs[60000];
    size_t len = 0;
    len += (size_t)snprintf(specs + len, sizeof specs - len, "[");
    for (int c = 0; c < CHAINS; ++c) {
        const char *a = c % 2 == 0 ? "tb" : "far";
        const char *b = c % 2 == 0 ? "far" : "tb";
        const char *relax = c % 5 == 1 ? "sleep 1; exit 1" : "sleep 1; echo relax";
        const char *scf = (c % 5 == 3 || c % 5 == 2) ? "echo scf; exit 1" : "echo scf";
        char bands_dep[100];
        if (c % 5 == 2)
            snprintf(bands_dep, sizeof bands_dep, "{\"job\": \"@scf-%d\", \"type\": \"afternotok\"}", c);
        else
            snprintf(bands_dep, sizeof bands_dep, "\"@scf-%d\"", c);
        len += (size_t)snprintf(specs + len, sizeof specs - len,
                                "%s{\"name\": \"relax-%d\", \"machine\": \"%s\", \"command\": \"%s\"},"
                                "{\"name\": \"scf-%d\", \"machine\": \"%s\", \"command\": \"%s\", \"depends_on\": [\"@relax-%d\"]},"
                                "{\"name\": \"bands-%d\", \"machine\": \"%s\", \"command\": \"echo bands\", \"depends_on\": [%s]}",
                                c == 0 ? "" : ",", c, a, relax, c, b, scf, c, c, a, bands_dep);
    }
    /* On Slurm alone: native dependencies (60 np-ok, 61 np-bad, 62 nc-ok,
     * 63 nc-bad never satisfied, 64 nc-any afterany). */
    len += (size_t)snprintf(specs + len, sizeof specs - len,
                            ",{\"name\": \"np-ok\", \"command\": \"sleep 4\"}"
                            ",{\"name\": \"np-bad\", \"command\": \"sleep 4; exit 2\"}"
                            ",{\"name\": \"nc-ok\", \"command\": \"echo ok\", \"depends_on\": [\"@np-ok\"]}"
                            ",{\"name\": \"nc-bad\", \"command\": \"echo never\", \"depends_on\": [\"@np-bad\"]}"
                            ",{\"name\": \"nc-any\", \"command\": \"echo any\","
                            " \"depends_on\": [{\"job\": \"@np-bad\", \"type\": \"afterany\"}]}]");
    assert_true(len < sizeof specs);

    const int64_t start = now_ms();
    char *out = NULL;
    if (xrun_jobs_submit(&out, ctx, specs) != XRUN_OK) fail_msg("xrun_jobs_submit: %s", xrun_last_error());
    const char *p = out;
    for (int i = 0; i < JOBS; ++i) {
        p = strstr(p, "\"id\":\"");
        assert_non_null(p);
        p += 6;
        snprintf(ids[i], sizeof ids[i], "%.26s", p);
    }
    xrun_free(out);

    /* Bounded: every job final within the deadline, else the test fails
     * naming those left. */
    int polls = 0;
    const int64_t deadline = start + 55000;
    for (;;) {
        int open = 0;
        for (int i = 0; i < JOBS; ++i) {
            int s = state_of(ids[i], NULL, 0);
            open += !(s >= XRUN_STATE_COMPLETED && s <= XRUN_STATE_LOST);
        }
        if (!open) break;
        if (now_ms() > deadline) {
            for (int i = 0; i < JOBS; ++i) {
                char reason[600];
                int s = state_of(ids[i], reason, sizeof reason);
                if (!(s >= XRUN_STATE_COMPLETED && s <= XRUN_STATE_LOST))
                    fprintf(stderr, "job %d %s: state %d (%s)\n", i, ids[i], s, reason);
            }
            fail_msg("%d job(s) still waiting after 55 s: some job waits forever", open);
        }
        assert_int_equal(xrun_poll(ctx, NULL), XRUN_OK);
        ++polls;
        usleep(200 * 1000);
    }
    const int64_t took = now_ms() - start;

    for (int c = 0; c < CHAINS; ++c) {
        int r = 3 * c, s = r + 1, b = r + 2;
        switch (c % 5) {
            case 1:
                expect(r, XRUN_STATE_FAILED, NULL, NULL);
                expect(s, XRUN_STATE_CANCELLED, ids[r], "failed (afterok)");
                expect(b, XRUN_STATE_CANCELLED, ids[s], "cancelled (afterok)");
                break;
            case 3:
                expect(r, XRUN_STATE_COMPLETED, NULL, NULL);
                expect(s, XRUN_STATE_FAILED, NULL, NULL);
                expect(b, XRUN_STATE_CANCELLED, ids[s], "failed (afterok)");
                break;
            case 2:
                expect(r, XRUN_STATE_COMPLETED, NULL, NULL);
                expect(s, XRUN_STATE_FAILED, NULL, NULL);
                expect(b, XRUN_STATE_COMPLETED, NULL, NULL);
                break;
            default:
                expect(r, XRUN_STATE_COMPLETED, NULL, NULL);
                expect(s, XRUN_STATE_COMPLETED, NULL, NULL);
                expect(b, XRUN_STATE_COMPLETED, NULL, NULL);
        }
    }
    const int base = CHAINS * 3;
    expect(base + 0, XRUN_STATE_COMPLETED, NULL, NULL);
    expect(base + 1, XRUN_STATE_FAILED, NULL, NULL);
    expect(base + 2, XRUN_STATE_COMPLETED, NULL, NULL);
    expect(base + 3, XRUN_STATE_CANCELLED, ids[base + 1], "failed (afterok)");
    expect(base + 4, XRUN_STATE_COMPLETED, NULL, NULL);

    /* Each job's "submitted" events: exactly one for every job that ran,
     * none for the held jobs cancelled, one for the native child that
     * Slurm held and xrun cancelled. */
    int submitted[JOBS] = {0};
    int64_t after = 0;
    for (;;) {
        xrun_events *ev = NULL;
        assert_int_equal(xrun_events_since(&ev, ctx, after, 1000), XRUN_OK);
        int64_t n = xrun_events_count(ev);
        for (int64_t k = 0; k < n; ++k) {
            after = xrun_events_seq(ev, k);
            int i = index_of(xrun_events_job_id(ev, k));
            if (i >= 0 && xrun_events_state(ev, k) == XRUN_STATE_SUBMITTED) submitted[i]++;
        }
        xrun_events_free(ev);
        if (n == 0) break;
    }
    for (int i = 0; i < JOBS; ++i) {
        int s = state_of(ids[i], NULL, 0);
        int want = (s == XRUN_STATE_CANCELLED && i != base + 3) ? 0 : 1;
        if (submitted[i] != want) fail_msg("job %d (%s, state %d): %d submitted event(s), expected %d", i, ids[i], s,
                                           submitted[i], want);
        char sched_id[64];
        info_field(ids[i], "scheduler_id", sched_id, sizeof sched_id);
        if (want != (sched_id[0] != '\0')) fail_msg("job %d: scheduler id \"%s\"", i, sched_id);
    }
    /* A job xrun held was sent only after its parent ended. */
    for (int c = 0; c < CHAINS; ++c) {
        int r = 3 * c, s = r + 1;
        if (state_of(ids[s], NULL, 0) == XRUN_STATE_CANCELLED) continue;
        char parent_end[64], child_sent[64];
        info_field(ids[r], "ended_at", parent_end, sizeof parent_end);
        info_field(ids[s], "submitted_at", child_sent, sizeof child_sent);
        if (strcmp(child_sent, parent_end) < 0)
            fail_msg("chain %d: scf submitted at %s, before relax ended at %s", c, child_sent, parent_end);
    }
    /* Slurm waited for its own parents natively: the children on "tb" whose
     * parents were there too carried --dependency, typed. */
    assert_int_equal(count_calls("sbatch --parsable") >= 1, 1);
    char native[600];
    snprintf(native, sizeof native, "%s/calls", bin);
    FILE *f = fopen(native, "r");
    assert_non_null(f);
    char line[4096];
    int afterok = 0, afterany = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "sbatch ", 7) != 0) continue;
        afterok += strstr(line, "--dependency=afterok:") != NULL;
        afterany += strstr(line, "--dependency=afterany:") != NULL;
    }
    fclose(f);
    assert_int_equal(afterok, 2);  /* nc-ok, nc-bad: nothing held across machines goes native */
    assert_int_equal(afterany, 1); /* nc-any */
    /* Still one queue query per machine per round, whatever is held. */
    int squeues = count_calls("squeue ");
    fprintf(stderr, "DAG of %d jobs: %lld ms, %d poll rounds, %d squeue, %d sacct, %d sbatch, %d scancel\n", JOBS,
            (long long)took, polls, squeues, count_calls("sacct "), count_calls("sbatch "), count_calls("scancel "));
    assert_true(squeues <= polls);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_machine_dag),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
