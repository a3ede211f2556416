/* kill -9 a process in the middle of submitting 200 jobs, at random points,
 * several times; then recover. Every job must be either known to the
 * scheduler (and run) exactly once, or marked not submitted (and never
 * run): zero duplicates, zero lost.
 *  - direct scheduler (default): each job appends its own id to a run log,
 *    which counts real executions independently of the store;
 *  - XRUN_CRASH_SCHEDULER=slurm (the real testbed Slurm): the jobs are
 *    held, and Slurm's own job list (squeue -t all, names carry the xrun
 *    id) counts how many times each was submitted.
 * XRUN_CRASH_PATH=resend kills the process on the resend path instead: it
 * records the 200 jobs deferred, then poll rounds send them (the kill lands
 * in a round's batch send); the same counts must hold. */
#include <time.h>

#include "../capi/capi_helpers.h"

#define ROUNDS 5
#define JOBS 200

static int resend_mode(void) {
    const char *path = getenv("XRUN_CRASH_PATH");
    return path && strcmp(path, "resend") == 0;
}

static int slurm_mode(void) {
    const char *mode = getenv("XRUN_CRASH_SCHEDULER");
    return mode && strcmp(mode, "slurm") == 0;
}

/* Slurm's job names (one per line) of every job it knows. */
static char *slurm_job_names(void) {
    FILE *p = popen("squeue -h -r -t all -o '%j' 2>&1", "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    size_t n;
    while ((n = fread(text + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 4096) text = realloc(text, cap *= 2);
    }
    text[len] = 0;
    pclose(p);
    return text;
}

static void write_home(const char *home) {
    if (!slurm_mode()) return;
    char path[600], text[1024];
    snprintf(path, sizeof path, "%s/machines.json", home);
    snprintf(text, sizeof text,
             "{\"default\": \"tb\", \"machines\": {\"tb\": {\"execution\": \"local\", \"scheduler\": \"slurm\","
             " \"workdir\": \"%s/jobs\", \"min_poll_interval\": 0, \"resources\": {\"partition\": \"debug\"}}}}",
             home);
    xrun_test_write_file(path, text);
}

static int count_in_log(const char *log, const char *id) {
    int n = 0;
    for (const char *p = log; (p = strstr(p, id)) != NULL; p += 26) n++;
    return n;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = calloc(1, (size_t)size + 1);
    size_t got = fread(data, 1, (size_t)size, f);
    data[got] = 0;
    fclose(f);
    return data;
}

/* Run through tests/store/with_pg_store.sh (XRUN_TEST_PG_BASE_URL set),
 * each round gets a fresh PostgreSQL store: a new schema. NULL otherwise
 * (the round's home holds a SQLite store). */
static const char *round_store(char *url, size_t size, int round) {
    const char *base = getenv("XRUN_TEST_PG_BASE_URL");
    if (!base) return NULL;
    char schema[64], cmd[1024];
    snprintf(schema, sizeof schema, "crash_%d_%d", (int)getpid(), round);
    snprintf(cmd, sizeof cmd, "psql -X -q -v ON_ERROR_STOP=1 '%s' -c 'CREATE SCHEMA %s' >/dev/null", base, schema);
    assert_int_equal(system(cmd), 0);
    snprintf(url, size, "%s?options=-csearch_path%%3D%s", base, schema);
    return url;
}

static void submitter(const char *home, const char *store, const char *runlog) {
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = home;
    opts.store_url = store;
    xrun_ctx *ctx = NULL;
    if (xrun_ctx_open(&ctx, &opts) != XRUN_OK) _exit(3);
    char spec[1024];
    if (slurm_mode())
        snprintf(spec, sizeof spec, "{\"command\": \"echo $XRUN_JOB_ID >> '%s'\", \"hold\": true}", runlog);
    else
        snprintf(spec, sizeof spec, "{\"command\": \"echo $XRUN_JOB_ID >> '%s'\"}", runlog);
    if (resend_mode()) {
        /* Recorded only; then the rounds send them, as a driver's poller would. */
        spec[strlen(spec) - 1] = 0;
        strcat(spec, ", \"defer\": true}");
        for (int i = 0; i < JOBS; ++i) {
            xrun_job *job = NULL;
            if (xrun_job_submit(&job, ctx, spec) != XRUN_OK) _exit(4);
            xrun_job_free(job);
        }
        for (;;) {
            int64_t next = 0;
            if (xrun_poll(ctx, &next) != XRUN_OK) _exit(5);
            char *waiting = NULL;
            if (xrun_jobs_list(&waiting, ctx, NULL, XRUN_STATE_WAITING, 1) != XRUN_OK) _exit(6);
            int done = strcmp(waiting, "[]") == 0;
            xrun_free(waiting);
            if (done) break;
        }
        _exit(0);
    }
    for (int i = 0; i < JOBS; ++i) {
        xrun_job *job = NULL;
        if (xrun_job_submit(&job, ctx, spec) != XRUN_OK) _exit(4);
        xrun_job_free(job);
    }
    _exit(0); /* finished before the kill: still a valid round */
}

static void test_kill_during_submission_then_recover(void **state) {
    (void)state;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    setenv("XRUN_RECOVER_SETTLE_MS", "500", 1);
    long total_jobs = 0, total_ran = 0, total_adopted = 0, total_reset = 0, total_unsent = 0;
    long duplicates = 0, lost = 0, ran_but_marked_unsent = 0;
    for (int round = 0; round < ROUNDS; ++round) {
        char home[512], runlog[600];
        snprintf(home, sizeof home, "%s", xrun_test_tempdir("crash"));
        snprintf(runlog, sizeof runlog, "%s/runlog", home);
        write_home(home);
        char store_buf[512];
        const char *store = round_store(store_buf, sizeof store_buf, round);
        int kill_after_ms = 50 + rand() % (slurm_mode() ? 1500 : 600);
        if (resend_mode()) kill_after_ms += 150; /* past the recording, into the rounds */
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) submitter(home, store, runlog);
        usleep((useconds_t)kill_after_ms * 1000);
        kill(child, SIGKILL);
        int status = 0;
        waitpid(child, &status, 0);
        usleep(800000); /* past the settle time */

        xrun_options opts = XRUN_OPTIONS_INIT;
        opts.home = home;
        opts.store_url = store;
        xrun_ctx *ctx = NULL;
        assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_OK);
        char *report = NULL;
        assert_int_equal(xrun_recover(&report, ctx), XRUN_OK);
        long examined = 0, adopted = 0, reset = 0, unsent = 0, in_doubt = 0;
        sscanf(strstr(report, "\"examined\":"), "\"examined\":%ld", &examined);
        sscanf(strstr(report, "\"adopted\":"), "\"adopted\":%ld", &adopted);
        sscanf(strstr(report, "\"reset\":"), "\"reset\":%ld", &reset);
        sscanf(strstr(report, "\"unsent\":"), "\"unsent\":%ld", &unsent);
        sscanf(strstr(report, "\"in_doubt\":"), "\"in_doubt\":%ld", &in_doubt);
        assert_int_equal(in_doubt, 0);
        xrun_free(report);

        /* Let every sent job finish, then compare the store with the log. */
        char *list = NULL;
        assert_int_equal(xrun_jobs_list(&list, ctx, NULL, -1, 0), XRUN_OK);
        int jobs = 0, ran = 0;
        for (const char *p = list; (p = strstr(p, "{\"id\":\"")) != NULL; p += 7) {
            char id[27];
            memcpy(id, p + 7, 26);
            id[26] = 0;
            xrun_job *job = NULL;
            assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
            int unsent = xrun_job_state(job) == XRUN_STATE_CREATED || xrun_job_state(job) == XRUN_STATE_WAITING;
            if (!unsent && !slurm_mode()) {
                int rc = xrun_job_wait(job, 30000);
                if (rc != XRUN_OK) fprintf(stderr, "wait %s: %s\n", id, xrun_last_error());
                assert_int_equal(rc, XRUN_OK);
            }
            jobs++;
            xrun_job_free(job);
        }
        char *log = slurm_mode() ? slurm_job_names() : slurp(runlog);
        for (const char *p = list; (p = strstr(p, "{\"id\":\"")) != NULL; p += 7) {
            char id[27];
            memcpy(id, p + 7, 26);
            id[26] = 0;
            xrun_job *job = NULL;
            assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
            int runs = count_in_log(log, id);
            int state_now = xrun_job_state(job);
            if (state_now == XRUN_STATE_CREATED || state_now == XRUN_STATE_WAITING) {
                if (runs != 0) ran_but_marked_unsent++;
            } else if (slurm_mode()) {
                ran++;
                if (runs > 1) duplicates++;
                if (runs == 0) lost++;
                /* Held jobs are released by nobody: cancel them. */
                xrun_job_cancel(job);
            } else {
                ran++;
                if (state_now != XRUN_STATE_COMPLETED) {
                    fprintf(stderr, "job %s ended %s (%s)\n", id, xrun_state_name(state_now), xrun_job_reason(job));
                    lost++;
                }
                if (runs > 1) duplicates++;
                if (runs == 0) lost++;
            }
            xrun_job_free(job);
        }
        /* Every run (direct) or every Slurm job of this round (slurm) is a
         * job the store knows. */
        int log_lines = 0;
        if (slurm_mode()) {
            for (const char *p = log; (p = strstr(p, "xrun-")) != NULL; p += 5) {
                int known = 0;
                for (const char *q = list; !known && (q = strstr(q, "{\"id\":\"")) != NULL; q += 7)
                    known = strncmp(q + 7, p + 5, 26) == 0;
                log_lines += known;
            }
        } else {
            for (const char *p = log; *p; ++p) log_lines += *p == '\n';
        }
        if (log_lines != ran) fprintf(stderr, "round %d: log has %d runs, store has %d sent jobs\n", round, log_lines, ran);
        assert_int_equal(log_lines, ran);
        free(log);
        xrun_free(list);
        printf("round %d: killed after %d ms: %d jobs recorded, %d ran, recover adopted %ld, reset %ld, unsent %ld\n",
               round, kill_after_ms, jobs, ran, adopted, reset, unsent);
        total_jobs += jobs;
        total_ran += ran;
        total_adopted += adopted;
        total_reset += reset;
        total_unsent += unsent;
        xrun_ctx_close(ctx);
    }
    printf("crash-recovery (%s store): %d rounds, %ld jobs recorded, %ld ran, %ld adopted, %ld reset, %ld never sent; "
           "duplicates %ld, lost %ld, ran-but-marked-unsent %ld\n",
           getenv("XRUN_TEST_PG_BASE_URL") ? "postgresql" : "sqlite", ROUNDS, total_jobs, total_ran, total_adopted, total_reset, total_unsent, duplicates, lost,
           ran_but_marked_unsent);
    assert_int_equal(duplicates, 0);
    assert_int_equal(lost, 0);
    assert_int_equal(ran_but_marked_unsent, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_during_submission_then_recover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
