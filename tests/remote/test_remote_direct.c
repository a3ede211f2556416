/* Remote machines over the real testbed sshd (scripts/testbed-sshd.sh):
 * the direct scheduler through the SSH transport -- many jobs over ONE
 * authenticated session, output read back, exit codes, cancel of the
 * remote process group, upload + retrieve + parse, hostile arguments,
 * `machines check`, and an unknown host key refused. */
#include <math.h>

#include "../capi/capi_helpers.h"

static char g_home[512];

static void write_machines(const char *home, const char *known_hosts) {
    const char *dir = xrun_test_env("TESTBED_DIR");
    const char *port = getenv("TESTBED_SSH_PORT") ? getenv("TESTBED_SSH_PORT") : "2222";
    char path[700], text[4096];
    snprintf(path, sizeof path, "%s/machines.json", home);
    snprintf(text, sizeof text,
             "{\"default\": \"remote\", \"machines\": {\"remote\": {\"execution\": \"remote\","
             " \"scheduler\": \"direct\", \"host\": \"127.0.0.1\", \"port\": %s, \"username\": \"xruntest\", \"transport\": \"%s\","
             " \"auth\": {\"method\": \"key\", \"key_file\": \"%s/ssh/client_ed25519\"},"
             " \"known_hosts\": \"%s\", \"ssh_config\": \"none\", \"workdir\": \"~/xrun-remote-test\","
             " \"min_poll_interval\": 0, \"max_sessions\": 2}}}",
             port, xrun_test_transport(), dir, known_hosts);
    xrun_test_write_file(path, text);
}

static xrun_ctx *open_remote(const char *tag) {
    snprintf(g_home, sizeof g_home, "%s", xrun_test_tempdir(tag));
    char known[700];
    snprintf(known, sizeof known, "%s/ssh/known_hosts", xrun_test_env("TESTBED_DIR"));
    write_machines(g_home, known);
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = g_home;
    xrun_ctx *ctx = NULL;
    int rc = xrun_ctx_open(&ctx, &opts);
    if (rc != XRUN_OK) fprintf(stderr, "open: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    return ctx;
}

static int64_t stat_of(xrun_ctx *ctx, const char *key) {
    xrun_machine *m = NULL;
    assert_int_equal(xrun_machine_open(&m, ctx, "remote"), XRUN_OK);
    char *json = NULL;
    assert_int_equal(xrun_machine_stats(&json, m), XRUN_OK);
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(json, pattern);
    assert_non_null(p);
    long long value = atoll(p + strlen(pattern));
    xrun_free(json);
    xrun_machine_free(m);
    return value;
}

static void test_many_jobs_one_authentication(void **state) {
    (void)state;
    xrun_ctx *ctx = open_remote("remote-many");
    for (int i = 0; i < 20; ++i) {
        char spec[256];
        snprintf(spec, sizeof spec, "{\"argv\": [\"sh\", \"-c\", \"echo job %d on $(hostname)\"]}", i);
        xrun_job *job = submit_ok(ctx, spec);
        wait_ok(job, 30000);
        assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
        char *out = job_stdout(job);
        char expected[32];
        snprintf(expected, sizeof expected, "job %d on ", i);
        assert_non_null(strstr(out, expected));
        xrun_free(out);
        xrun_job_free(job);
    }
    /* 20 jobs (submit + polls + reads): one session, one authentication. */
    assert_int_equal(stat_of(ctx, "auths"), 1);
    assert_int_equal(stat_of(ctx, "sessions_opened"), 1);
    assert_true(stat_of(ctx, "commands") >= 40);
    xrun_ctx_close(ctx);
}

static void test_exit_code_and_cancel(void **state) {
    (void)state;
    xrun_ctx *ctx = open_remote("remote-cancel");
    xrun_job *job = submit_ok(ctx, "{\"command\": \"exit 3\"}");
    wait_ok(job, 30000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_FAILED);
    int code = 0;
    assert_int_equal(xrun_job_exit_code(job, &code), XRUN_OK);
    assert_int_equal(code, 3);
    xrun_job_free(job);

    job = submit_ok(ctx, "{\"command\": \"sleep 60 & wait\"}");
    char group[32];
    snprintf(group, sizeof group, "%s", xrun_job_scheduler_id(job));
    usleep(300000);
    assert_int_equal(xrun_job_refresh(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_RUNNING);
    assert_int_equal(xrun_job_cancel(job), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_CANCELLED);
    xrun_job_free(job);
    /* Nothing of the remote process group is left (zombies aside). */
    char spec[512];
    snprintf(spec, sizeof spec,
             "{\"command\": \"sleep 1; ps -o stat= -g %s | grep -v Z | wc -l\"}", group);
    job = submit_ok(ctx, spec);
    wait_ok(job, 30000);
    char *out = job_stdout(job);
    assert_string_equal(out, "0\n");
    xrun_free(out);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static void test_upload_retrieve_parse(void **state) {
    (void)state;
    xrun_ctx *ctx = open_remote("remote-parse");
    char spec[2048];
    snprintf(spec, sizeof spec,
             "{\"command\": \"cp si_scf.out pw.out\", \"upload\": [\"%s/qe/generated/si_scf.out\"],"
             " \"retrieve\": [\"pw.out\"], \"parser\": \"qe\", \"parse_file\": \"pw.out\"}",
             xrun_test_env("XRUN_CORPUS_DIR"));
    xrun_job *job = submit_ok(ctx, spec);
    wait_ok(job, 30000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    xrun_result *result = NULL;
    assert_int_equal(xrun_job_result(&result, job), XRUN_OK);
    double energy = 0;
    assert_int_equal(xrun_result_double(result, "total_energy_ev", &energy), XRUN_OK);
    assert_true(fabs(energy - (-215.50285151)) < 1e-6 * 215.5);
    xrun_result_free(result);
    char local[1024];
    snprintf(local, sizeof local, "%s/results/%s/pw.out", g_home, xrun_job_id(job));
    assert_int_equal(access(local, R_OK), 0);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

static char *read_local(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 4096);
    size_t n = fread(buf, 1, 4095, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Issue 11 #1: a nested retrieve ("sub/f") was silently never fetched while
 * the job ended completed; one the job did not make is named in its reason.
 * An upload path ending in ".." is refused before anything is recorded. */
static void test_nested_retrieve_and_upload_dotdot(void **state) {
    (void)state;
    xrun_ctx *ctx = open_remote("remote-nested");
    xrun_job *job = submit_ok(ctx,
                              "{\"command\": \"mkdir -p sub/deeper && echo nested > sub/deeper/f\","
                              " \"retrieve\": [\"sub/deeper/f\", \"sub/missing\"]}");
    wait_ok(job, 30000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char local[1024];
    snprintf(local, sizeof local, "%s/results/%s/sub/deeper/f", g_home, xrun_job_id(job));
    char *text = read_local(local);
    assert_non_null(text);
    assert_string_equal(text, "nested\n");
    free(text);
    assert_non_null(strstr(xrun_job_reason(job), "not retrieved: sub/missing"));
    xrun_job_free(job);

    char spec[1024];
    snprintf(spec, sizeof spec, "{\"command\": \"true\", \"upload\": [\"%s/..\"]}", g_home);
    xrun_job *refused = NULL;
    assert_int_equal(xrun_job_submit(&refused, ctx, spec), XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "upload"));
    xrun_ctx_close(ctx);
}

static void test_hostile_arguments_over_ssh(void **state) {
    (void)state;
    xrun_ctx *ctx = open_remote("remote-quote");
    xrun_job *job = submit_ok(ctx,
                              "{\"name\": \"it's $(x)\", \"argv\": [\"printf\", \"%s|\", \"a b\", \"it's\","
                              " \"$(touch /tmp/xrun-pwned-remote)\", \"`id`\", \"x;y\", \"l1\\nl2\", \"\\u00e9\"]}");
    wait_ok(job, 30000);
    char *out = job_stdout(job);
    assert_string_equal(out, "a b|it's|$(touch /tmp/xrun-pwned-remote)|`id`|x;y|l1\nl2|\xc3\xa9|");
    xrun_free(out);
    xrun_job_free(job);
    assert_int_equal(access("/tmp/xrun-pwned-remote", F_OK), -1);
    xrun_ctx_close(ctx);
}

static void test_machine_check(void **state) {
    (void)state;
    xrun_ctx *ctx = open_remote("remote-check");
    xrun_machine *m = NULL;
    assert_int_equal(xrun_machine_open(&m, ctx, "remote"), XRUN_OK);
    char *report = NULL;
    int rc = xrun_machine_check(&report, m);
    if (rc != XRUN_OK) fprintf(stderr, "%s\n%s\n", xrun_last_error(), report ? report : "");
    assert_int_equal(rc, XRUN_OK);
    for (const char *step = "authenticate"; step; step = NULL) assert_non_null(strstr(report, step));
    assert_non_null(strstr(report, "workdir_writable"));
    assert_non_null(strstr(report, "scheduler_commands"));
    xrun_free(report);
    xrun_machine_free(m);
    xrun_ctx_close(ctx);
}

static void test_unknown_host_key_is_refused(void **state) {
    (void)state;
    snprintf(g_home, sizeof g_home, "%s", xrun_test_tempdir("remote-hostkey"));
    char empty[700];
    snprintf(empty, sizeof empty, "%s/empty_known_hosts", g_home);
    xrun_test_write_file(empty, "");
    write_machines(g_home, empty);
    xrun_options opts = XRUN_OPTIONS_INIT;
    opts.home = g_home;
    xrun_ctx *ctx = NULL;
    assert_int_equal(xrun_ctx_open(&ctx, &opts), XRUN_OK);
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_submit(&job, ctx, "{\"command\": \"true\"}"), XRUN_E_HOSTKEY);
    assert_non_null(strstr(xrun_last_error(), "SHA256:"));
    assert_non_null(strstr(xrun_last_error(), empty));
    /* Nothing was lost: the job is in the store, not sent, with the reason. */
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, XRUN_STATE_CREATED, 0), XRUN_OK);
    assert_non_null(strstr(list, "not submitted"));
    xrun_free(list);
    xrun_ctx_close(ctx);
}

static void test_one_remote_command_per_poll_round(void **state) {
    (void)state;
    xrun_ctx *ctx = open_remote("remote-poll");
    xrun_job *jobs[10];
    for (int i = 0; i < 10; ++i) jobs[i] = submit_ok(ctx, "{\"command\": \"sleep 30\"}");
    int64_t before = stat_of(ctx, "commands");
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    /* All ten running jobs: one status command, nothing else. */
    assert_int_equal(stat_of(ctx, "commands") - before, 1);
    for (int i = 0; i < 10; ++i) {
        assert_int_equal(xrun_job_refresh(jobs[i]), XRUN_OK);
        assert_int_equal(xrun_job_state(jobs[i]), XRUN_STATE_RUNNING);
        assert_int_equal(xrun_job_cancel(jobs[i]), XRUN_OK);
        xrun_job_free(jobs[i]);
    }
    xrun_ctx_close(ctx);
}

static void test_batch_is_one_command(void **state) {
    (void)state;
    xrun_ctx *ctx = open_remote("remote-batch");
    xrun_job *warm = submit_ok(ctx, "{\"command\": \"true\"}"); /* connect first */
    wait_ok(warm, 30000);
    xrun_job_free(warm);
    char specs[8192] = "[";
    for (int i = 0; i < 40; ++i) {
        char one[96];
        snprintf(one, sizeof one, "%s{\"command\": \"echo remote-%d\"}", i ? "," : "", i);
        strcat(specs, one);
    }
    strcat(specs, "]");
    int64_t before = stat_of(ctx, "commands");
    char *out = NULL;
    int rc = xrun_jobs_submit(&out, ctx, specs);
    if (rc != XRUN_OK) fprintf(stderr, "batch: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    /* 40 jobs: their directories, scripts and submissions in ONE command. */
    assert_int_equal(stat_of(ctx, "commands") - before, 1);
    assert_null(strstr(out, "\"error\""));
    const char *p = strstr(out, "\"id\":\"");
    char id[27];
    memcpy(id, p + 6, 26);
    id[26] = 0;
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    wait_ok(job, 30000);
    char *text = job_stdout(job);
    assert_string_equal(text, "remote-0\n");
    xrun_free(text);
    xrun_job_free(job);
    xrun_free(out);
    xrun_ctx_close(ctx);
}

/* Issue 17 #3: the files of every job a poll round finds ended come in ONE
 * transfer (a bulk stream, each file's SHA-256 checked), not one download
 * per file; a name that is not a plain file still comes by itself. */
static void test_ended_jobs_files_in_one_transfer(void **state) {
    (void)state;
    xrun_ctx *ctx = open_remote("remote-bulk");
    enum { N = 12 };
    char ids[N][32];
    char out[8192];
    char *submitted = NULL;
    char specs[8192] = "[";
    for (int i = 0; i < N; ++i) {
        char one[512];
        snprintf(one, sizeof one,
                 "%s{\"command\": \"printf a-%d > a.txt; head -c 200000 /dev/urandom > b.dat; "
                 "sha256sum b.dat | cut -c1-64 > b.sum; mkdir -p d; echo nested > d/n.txt\","
                 " \"retrieve\": [\"a.txt\", \"b.dat\", \"b.sum\", \"d\"]}",
                 i ? "," : "", i);
        strcat(specs, one);
    }
    strcat(specs, "]");
    assert_int_equal(xrun_jobs_submit(&submitted, ctx, specs), XRUN_OK);
    const char *p = submitted;
    for (int i = 0; i < N; ++i) {
        p = strstr(p, "\"id\":\"");
        assert_non_null(p);
        p += 6;
        snprintf(ids[i], 27, "%s", p);
    }
    xrun_free(submitted);
    sleep(2); /* every job ends before the round that finds them */
    int64_t transfers = stat_of(ctx, "transfers"), bulk = stat_of(ctx, "bulk_fetches");
    int64_t next = 0;
    assert_int_equal(xrun_poll(ctx, &next), XRUN_OK);
    /* One bulk transfer for the 36 plain files; the 12 directories by themselves. */
    assert_int_equal(stat_of(ctx, "bulk_fetches") - bulk, 1);
    assert_true(stat_of(ctx, "transfers") - transfers >= 3 * N);
    for (int i = 0; i < N; ++i) {
        xrun_job *job = NULL;
        assert_int_equal(xrun_job_open(&job, ctx, ids[i]), XRUN_OK);
        assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
        xrun_job_free(job);
        char dir[1024], cmd[2300];
        snprintf(dir, sizeof dir, "%s/results/%s", g_home, ids[i]);
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && [ \"$(cat a.txt)\" = a-%d ] && [ \"$(sha256sum b.dat | cut -c1-64)\" = \"$(cat b.sum)\" ]"
                 " && [ \"$(cat d/n.txt)\" = nested ] && [ $(stat -c %%s b.dat) = 200000 ]",
                 dir, i);
        if (system(cmd) != 0) fail_msg("job %d: its files did not arrive whole in %s", i, dir);
    }
    (void)out;
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_jobs_one_authentication),
        cmocka_unit_test(test_exit_code_and_cancel),
        cmocka_unit_test(test_one_remote_command_per_poll_round),
        cmocka_unit_test(test_batch_is_one_command),
        cmocka_unit_test(test_upload_retrieve_parse),
        cmocka_unit_test(test_nested_retrieve_and_upload_dotdot),
        cmocka_unit_test(test_hostile_arguments_over_ssh),
        cmocka_unit_test(test_machine_check),
        cmocka_unit_test(test_unknown_host_key_is_refused),
        cmocka_unit_test(test_ended_jobs_files_in_one_transfer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
