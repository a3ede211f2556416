/* The DRMAA C binding of libxrun-drmaa.so through drmaa.h only: every bad
 * input gets the error code the specification names (never a crash), the
 * diagnosis buffer convention (NULL, tiny, exact), and real jobs on the
 * built-in `local` machine (direct scheduler): exit codes, signals,
 * placeholders, bulk jobs, control, and several threads at once. */
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drmaa.h"
#include "test_common.h"

#define DIAG_LEN DRMAA_ERROR_STRING_BUFFER
static char diag[DIAG_LEN];
static char g_home[512];
static char g_work[600];

static void init_ok(void) {
    int rc = drmaa_init(NULL, diag, sizeof diag);
    if (rc != DRMAA_ERRNO_SUCCESS) fprintf(stderr, "drmaa_init: %s\n", diag);
    assert_int_equal(rc, DRMAA_ERRNO_SUCCESS);
}

static void exit_ok(void) { assert_int_equal(drmaa_exit(diag, sizeof diag), DRMAA_ERRNO_SUCCESS); }

static int group_setup(void **state) {
    (void)state;
    snprintf(g_home, sizeof g_home, "%s", xrun_test_tempdir("drmaa-c"));
    setenv("XRUN_HOME", g_home, 1);
    unsetenv("XRUN_DEFAULT_MACHINE");
    snprintf(g_work, sizeof g_work, "%s/work", g_home);
    mkdir(g_work, 0700);
    return 0;
}

static void set(drmaa_job_template_t *jt, const char *name, const char *value) {
    int rc = drmaa_set_attribute(jt, name, value, diag, sizeof diag);
    if (rc != DRMAA_ERRNO_SUCCESS) fprintf(stderr, "set %s=%s: %s\n", name, value, diag);
    assert_int_equal(rc, DRMAA_ERRNO_SUCCESS);
}

static void set_vector(drmaa_job_template_t *jt, const char *name, const char **value) {
    int rc = drmaa_set_vector_attribute(jt, name, value, diag, sizeof diag);
    if (rc != DRMAA_ERRNO_SUCCESS) fprintf(stderr, "set %s: %s\n", name, diag);
    assert_int_equal(rc, DRMAA_ERRNO_SUCCESS);
}

static drmaa_job_template_t *shell_template(const char *script) {
    drmaa_job_template_t *jt = NULL;
    assert_int_equal(drmaa_allocate_job_template(&jt, diag, sizeof diag), DRMAA_ERRNO_SUCCESS);
    set(jt, DRMAA_REMOTE_COMMAND, "/bin/sh");
    const char *argv[] = {"-c", script, NULL};
    set_vector(jt, DRMAA_V_ARGV, argv);
    return jt;
}

static void run_ok(drmaa_job_template_t *jt, char *id) {
    int rc = drmaa_run_job(id, DRMAA_JOBNAME_BUFFER, jt, diag, sizeof diag);
    if (rc != DRMAA_ERRNO_SUCCESS) fprintf(stderr, "run_job: %s\n", diag);
    assert_int_equal(rc, DRMAA_ERRNO_SUCCESS);
    assert_int_equal(strlen(id), 26);
}

static int wait_stat(const char *id, drmaa_attr_values_t **rusage) {
    char out[DRMAA_JOBNAME_BUFFER];
    int stat = -1;
    int rc = drmaa_wait(id, out, sizeof out, &stat, 60, rusage, diag, sizeof diag);
    if (rc != DRMAA_ERRNO_SUCCESS) fprintf(stderr, "wait %s: %s\n", id, diag);
    assert_int_equal(rc, DRMAA_ERRNO_SUCCESS);
    assert_string_equal(out, id);
    return stat;
}

static char *read_text(const char *path) {
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* ---------------------------------------------------------------------- */

static void test_calls_before_init(void **state) {
    (void)state;
    drmaa_job_template_t *jt = NULL;
    assert_int_equal(drmaa_allocate_job_template(&jt, diag, sizeof diag), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_null(jt);
    assert_true(strlen(diag) > 0);
    char id[64];
    int stat = 0;
    assert_int_equal(drmaa_run_job(id, sizeof id, jt, diag, sizeof diag), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_int_equal(drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, id, sizeof id, &stat, 0, NULL, diag, sizeof diag),
                     DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_int_equal(drmaa_job_ps("x", &stat, diag, sizeof diag), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_int_equal(drmaa_control("x", DRMAA_CONTROL_TERMINATE, diag, sizeof diag), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    const char *ids[] = {DRMAA_JOB_IDS_SESSION_ALL, NULL};
    assert_int_equal(drmaa_synchronize(ids, 0, 1, diag, sizeof diag), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    drmaa_attr_names_t *names = NULL;
    assert_int_equal(drmaa_get_attribute_names(&names, diag, sizeof diag), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_int_equal(drmaa_exit(diag, sizeof diag), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    /* The functions the specification allows before drmaa_init. */
    unsigned major = 0, minor = 9;
    assert_int_equal(drmaa_version(&major, &minor, diag, sizeof diag), DRMAA_ERRNO_SUCCESS);
    assert_int_equal(major, 1);
    assert_int_equal(minor, 0);
    char text[DRMAA_ATTR_BUFFER];
    assert_int_equal(drmaa_get_contact(text, sizeof text, diag, sizeof diag), DRMAA_ERRNO_SUCCESS);
    assert_non_null(strstr(text, "local"));
    assert_int_equal(drmaa_get_DRM_system(text, sizeof text, diag, sizeof diag), DRMAA_ERRNO_SUCCESS);
    assert_int_equal(strncmp(text, "xrun ", 5), 0);
    assert_int_equal(drmaa_get_DRMAA_implementation(text, sizeof text, diag, sizeof diag), DRMAA_ERRNO_SUCCESS);
    assert_non_null(strstr(text, "xrun-drmaa"));
    for (int code = DRMAA_ERRNO_SUCCESS; code <= DRMAA_NO_ERRNO + 3; ++code) assert_non_null(drmaa_strerror(code));
    assert_non_null(drmaa_strerror(-7));
}

static void test_init_and_exit(void **state) {
    (void)state;
    assert_int_equal(drmaa_init("no-such-machine", diag, sizeof diag), DRMAA_ERRNO_INVALID_CONTACT_STRING);
    assert_non_null(strstr(diag, "no-such-machine"));
    init_ok();
    assert_int_equal(drmaa_init(NULL, diag, sizeof diag), DRMAA_ERRNO_ALREADY_ACTIVE_SESSION);
    assert_int_equal(drmaa_init("local", diag, sizeof diag), DRMAA_ERRNO_ALREADY_ACTIVE_SESSION);
    char text[DRMAA_CONTACT_BUFFER];
    assert_int_equal(drmaa_get_contact(text, sizeof text, diag, sizeof diag), DRMAA_ERRNO_SUCCESS);
    assert_string_equal(text, "local");
    assert_int_equal(drmaa_get_DRM_system(text, sizeof text, diag, sizeof diag), DRMAA_ERRNO_SUCCESS);
    assert_non_null(strstr(text, "direct on local"));
    exit_ok();
    assert_int_equal(drmaa_exit(diag, sizeof diag), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_int_equal(drmaa_init("", diag, sizeof diag), DRMAA_ERRNO_SUCCESS); /* "" = default machine */
    exit_ok();
}

static void test_error_buffers(void **state) {
    (void)state;
    /* NULL and zero-length diagnosis buffers: the code alone. */
    assert_int_equal(drmaa_exit(NULL, 0), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_int_equal(drmaa_exit(NULL, 4096), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    char small[8];
    memset(small, 'Z', sizeof small);
    assert_int_equal(drmaa_exit(small, 0), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_int_equal(small[0], 'Z'); /* untouched */
    /* Too small: truncated, NUL-terminated, nothing written past it. */
    memset(small, 'Z', sizeof small);
    assert_int_equal(drmaa_exit(small, 5), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_int_equal(strlen(small), 4);
    assert_int_equal(small[5], 'Z');
    memset(small, 'Z', sizeof small);
    assert_int_equal(drmaa_exit(small, 1), DRMAA_ERRNO_NO_ACTIVE_SESSION);
    assert_int_equal(small[0], '\0');
    assert_int_equal(small[1], 'Z');
    /* Output buffers too small. */
    char tiny[4];
    assert_int_equal(drmaa_get_DRMAA_implementation(tiny, sizeof tiny, NULL, 0), DRMAA_ERRNO_SUCCESS);
    assert_int_equal(strlen(tiny), 3);
    assert_int_equal(drmaa_get_contact(NULL, 10, NULL, 0), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_version(NULL, NULL, NULL, 0), DRMAA_ERRNO_INVALID_ARGUMENT);
}

static void test_attributes(void **state) {
    (void)state;
    init_ok();
    drmaa_job_template_t *jt = NULL;
    assert_int_equal(drmaa_allocate_job_template(NULL, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_allocate_job_template(&jt, diag, sizeof diag), DRMAA_ERRNO_SUCCESS);
    /* Names. */
    assert_int_equal(drmaa_set_attribute(jt, "drmaa_no_such", "x", diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_non_null(strstr(diag, "drmaa_no_such"));
    assert_int_equal(drmaa_set_attribute(jt, NULL, "x", diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_set_attribute(NULL, DRMAA_JOB_NAME, "x", diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_set_attribute(jt, DRMAA_JOB_NAME, NULL, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_set_attribute(jt, DRMAA_V_ARGV, "x", diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    const char *vec[] = {"a", NULL};
    assert_int_equal(drmaa_set_vector_attribute(jt, DRMAA_JOB_NAME, vec, diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_set_vector_attribute(jt, DRMAA_V_ARGV, NULL, diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ARGUMENT);
    /* Optional attributes xrun does not support are not attributes here. */
    assert_int_equal(drmaa_set_attribute(jt, DRMAA_DEADLINE_TIME, "10:00", diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ARGUMENT);
    /* Values. */
    assert_int_equal(drmaa_set_attribute(jt, DRMAA_JS_STATE, "drmaa_suspended", diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE);
    assert_int_equal(drmaa_set_attribute(jt, DRMAA_JOIN_FILES, "maybe", diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE);
    assert_int_equal(drmaa_set_attribute(jt, DRMAA_BLOCK_EMAIL, "yes", diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE);
    assert_int_equal(drmaa_set_attribute(jt, DRMAA_START_TIME, "10:00", diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE);
    assert_int_equal(drmaa_set_attribute(jt, DRMAA_WCT_HLIMIT, "1h", diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT);
    const char *bad_env[] = {"OK=1", "1BAD=x", NULL};
    assert_int_equal(drmaa_set_vector_attribute(jt, DRMAA_V_ENV, bad_env, diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT);
    const char *no_eq[] = {"NOEQUALS", NULL};
    assert_int_equal(drmaa_set_vector_attribute(jt, DRMAA_V_ENV, no_eq, diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT);
    const char *bad_native[] = {"--bogus", "--nodes=0", "-N", "--mem=4Q", "--time=1:2:3:4", "-p a;b",
                                "--ntasks=3 --nodes=2", "--partition='x'", NULL};
    for (int i = 0; bad_native[i]; ++i) {
        int rc = drmaa_set_attribute(jt, DRMAA_NATIVE_SPECIFICATION, bad_native[i], diag, sizeof diag);
        if (rc != DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE) fail_msg("native spec \"%s\" gave %d", bad_native[i], rc);
    }
    set(jt, DRMAA_NATIVE_SPECIFICATION, " -N 1 --ntasks=2 -c1 --mem=100M -t 00:05:00 --partition=debug ");
    /* Round trip, and a too-small value buffer truncates. */
    set(jt, DRMAA_JOB_NAME, "a name with 'quotes' and $(x)");
    char value[DRMAA_ATTR_BUFFER];
    assert_int_equal(drmaa_get_attribute(jt, DRMAA_JOB_NAME, value, sizeof value, diag, sizeof diag), 0);
    assert_string_equal(value, "a name with 'quotes' and $(x)");
    char short_value[7];
    assert_int_equal(drmaa_get_attribute(jt, DRMAA_JOB_NAME, short_value, sizeof short_value, diag, sizeof diag), 0);
    assert_string_equal(short_value, "a name");
    assert_int_equal(drmaa_get_attribute(jt, DRMAA_WD, value, sizeof value, diag, sizeof diag), 0);
    assert_string_equal(value, ""); /* unset */
    const char *env[] = {"A=1", "B=x=y", NULL};
    set_vector(jt, DRMAA_V_ENV, env);
    drmaa_attr_values_t *values = NULL;
    assert_int_equal(drmaa_get_vector_attribute(jt, DRMAA_V_ENV, &values, diag, sizeof diag), 0);
    size_t n = 0;
    assert_int_equal(drmaa_get_num_attr_values(values, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(drmaa_get_next_attr_value(values, value, sizeof value), 0);
    assert_string_equal(value, "A=1");
    assert_int_equal(drmaa_get_next_attr_value(values, value, sizeof value), 0);
    assert_string_equal(value, "B=x=y");
    assert_int_equal(drmaa_get_next_attr_value(values, value, sizeof value), DRMAA_ERRNO_NO_MORE_ELEMENTS);
    drmaa_release_attr_values(values);
    drmaa_release_attr_values(NULL);
    /* Attribute names: the required ones are listed. */
    drmaa_attr_names_t *names = NULL;
    assert_int_equal(drmaa_get_attribute_names(&names, diag, sizeof diag), 0);
    const char *required[] = {DRMAA_REMOTE_COMMAND, DRMAA_JS_STATE, DRMAA_WD, DRMAA_JOB_CATEGORY,
                              DRMAA_NATIVE_SPECIFICATION, DRMAA_BLOCK_EMAIL, DRMAA_START_TIME, DRMAA_JOB_NAME,
                              DRMAA_INPUT_PATH, DRMAA_OUTPUT_PATH, DRMAA_ERROR_PATH, DRMAA_JOIN_FILES, NULL};
    char all[4096] = "|";
    while (drmaa_get_next_attr_name(names, value, sizeof value) == 0) {
        strcat(all, value);
        strcat(all, "|");
    }
    drmaa_release_attr_names(names);
    for (int i = 0; required[i]; ++i) {
        char needle[128];
        snprintf(needle, sizeof needle, "|%s|", required[i]);
        if (!strstr(all, needle)) fail_msg("%s not among the attribute names %s", required[i], all);
    }
    assert_int_equal(drmaa_get_vector_attribute_names(&names, diag, sizeof diag), 0);
    assert_int_equal(drmaa_get_num_attr_names(names, &n), 0);
    assert_int_equal(n, 3);
    drmaa_release_attr_names(names);
    /* A template without a command cannot run; a short id buffer is refused before sending. */
    char id[64];
    drmaa_job_template_t *empty = NULL;
    assert_int_equal(drmaa_allocate_job_template(&empty, diag, sizeof diag), 0);
    assert_int_equal(drmaa_run_job(id, sizeof id, empty, diag, sizeof diag), DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE);
    set(empty, DRMAA_REMOTE_COMMAND, "true");
    assert_int_equal(drmaa_run_job(id, 10, empty, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_run_job(NULL, 64, empty, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_run_job(id, sizeof id, NULL, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    drmaa_job_ids_t *ids = NULL;
    assert_int_equal(drmaa_run_bulk_jobs(&ids, empty, 0, 3, 1, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_run_bulk_jobs(&ids, empty, 3, 1, 1, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_run_bulk_jobs(&ids, empty, 1, 3, 0, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_null(ids);
    /* Hold is refused by the direct scheduler. */
    set(empty, DRMAA_JS_STATE, DRMAA_SUBMISSION_STATE_HOLD);
    assert_int_equal(drmaa_run_job(id, sizeof id, empty, diag, sizeof diag), DRMAA_ERRNO_DENIED_BY_DRM);
    assert_int_equal(drmaa_delete_job_template(empty, diag, sizeof diag), 0);
    assert_int_equal(drmaa_delete_job_template(jt, diag, sizeof diag), 0);
    assert_int_equal(drmaa_delete_job_template(NULL, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    exit_ok();
}

static void test_unknown_jobs(void **state) {
    (void)state;
    init_ok();
    char out[64];
    int stat = 0;
    const char *unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    assert_int_equal(drmaa_wait(unknown, out, sizeof out, &stat, 0, NULL, diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_JOB);
    assert_int_equal(drmaa_wait("not an id; rm -rf /", out, sizeof out, &stat, 0, NULL, diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_JOB);
    assert_int_equal(drmaa_wait(NULL, out, sizeof out, &stat, 0, NULL, diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_ARGUMENT);
    /* No job in the session yet: nothing to wait for. */
    assert_int_equal(drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, out, sizeof out, &stat, 0, NULL, diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_JOB);
    assert_int_equal(drmaa_job_ps(unknown, &stat, diag, sizeof diag), DRMAA_ERRNO_INVALID_JOB);
    assert_int_equal(drmaa_job_ps(unknown, NULL, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    assert_int_equal(drmaa_control(unknown, DRMAA_CONTROL_TERMINATE, diag, sizeof diag), DRMAA_ERRNO_INVALID_JOB);
    assert_int_equal(drmaa_control(unknown, 99, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    const char *ids[] = {unknown, NULL};
    assert_int_equal(drmaa_synchronize(ids, 0, 0, diag, sizeof diag), DRMAA_ERRNO_INVALID_JOB);
    assert_int_equal(drmaa_synchronize(NULL, 0, 0, diag, sizeof diag), DRMAA_ERRNO_INVALID_ARGUMENT);
    exit_ok();
}

static void test_exit_codes_and_signals(void **state) {
    (void)state;
    init_ok();
    char id[DRMAA_JOBNAME_BUFFER];
    drmaa_job_template_t *jt = shell_template("exit 3");
    run_ok(jt, id);
    drmaa_attr_values_t *rusage = NULL;
    int stat = wait_stat(id, &rusage);
    int flag = -1, code = -1;
    assert_int_equal(drmaa_wifexited(&flag, stat, diag, sizeof diag), 0);
    assert_int_equal(flag, 1);
    assert_int_equal(drmaa_wexitstatus(&code, stat, diag, sizeof diag), 0);
    assert_int_equal(code, 3);
    assert_int_equal(drmaa_wifsignaled(&flag, stat, diag, sizeof diag), 0);
    assert_int_equal(flag, 0);
    assert_int_equal(drmaa_wifaborted(&flag, stat, diag, sizeof diag), 0);
    assert_int_equal(flag, 0);
    assert_int_equal(drmaa_wcoredump(&flag, stat, diag, sizeof diag), 0);
    assert_int_equal(flag, 0);
    char value[DRMAA_ATTR_BUFFER];
    int saw_start = 0, saw_exit = 0;
    while (drmaa_get_next_attr_value(rusage, value, sizeof value) == 0) {
        if (strncmp(value, "start_time=", 11) == 0) saw_start = 1;
        if (strcmp(value, "exit_status=3") == 0) saw_exit = 1;
    }
    drmaa_release_attr_values(rusage);
    assert_true(saw_start && saw_exit);
    /* Reaped: a second wait is an invalid job; its status is still readable. */
    char out[64];
    assert_int_equal(drmaa_wait(id, out, sizeof out, &stat, 0, NULL, diag, sizeof diag), DRMAA_ERRNO_INVALID_JOB);
    int ps = 0;
    assert_int_equal(drmaa_job_ps(id, &ps, diag, sizeof diag), 0);
    assert_int_equal(ps, DRMAA_PS_FAILED);
    drmaa_delete_job_template(jt, NULL, 0);

    jt = shell_template("kill -TERM $$");
    run_ok(jt, id);
    stat = wait_stat(id, NULL);
    assert_int_equal(drmaa_wifexited(&flag, stat, diag, sizeof diag), 0);
    assert_int_equal(flag, 0);
    assert_int_equal(drmaa_wifsignaled(&flag, stat, diag, sizeof diag), 0);
    assert_int_equal(flag, 1);
    char sig[DRMAA_SIGNAL_BUFFER];
    assert_int_equal(drmaa_wtermsig(sig, sizeof sig, stat, diag, sizeof diag), 0);
    assert_string_equal(sig, "SIGTERM");
    drmaa_delete_job_template(jt, NULL, 0);

    jt = shell_template("true");
    run_ok(jt, id);
    stat = wait_stat(id, NULL);
    assert_int_equal(drmaa_wexitstatus(&code, stat, diag, sizeof diag), 0);
    assert_int_equal(code, 0);
    assert_int_equal(drmaa_job_ps(id, &ps, diag, sizeof diag), 0);
    assert_int_equal(ps, DRMAA_PS_DONE);
    drmaa_delete_job_template(jt, NULL, 0);
    exit_ok();
}

static void test_paths_placeholders_env(void **state) {
    (void)state;
    init_ok();
    char id[DRMAA_JOBNAME_BUFFER], path[800];
    drmaa_job_template_t *jt = shell_template("echo \"$GREETING\" \"$1\" from \"$(pwd)\"; echo oops >&2");
    const char *argv[] = {"-c", "echo \"$GREETING\" \"$1\" from \"$(pwd)\"; echo oops >&2", "sh",
                          "it's $(not) run", NULL};
    set_vector(jt, DRMAA_V_ARGV, argv);
    const char *env[] = {"GREETING=hello world", NULL};
    set_vector(jt, DRMAA_V_ENV, env);
    set(jt, DRMAA_WD, g_work);
    set(jt, DRMAA_OUTPUT_PATH, ":" DRMAA_PLACEHOLDER_WD "/out.txt");
    set(jt, DRMAA_JOIN_FILES, "y");
    run_ok(jt, id);
    int stat = wait_stat(id, NULL);
    int code = -1;
    drmaa_wexitstatus(&code, stat, NULL, 0);
    assert_int_equal(code, 0);
    snprintf(path, sizeof path, "%s/out.txt", g_work);
    char want[900];
    snprintf(want, sizeof want, "hello world it's $(not) run from %s\noops\n", g_work);
    assert_string_equal(read_text(path), want);
    drmaa_delete_job_template(jt, NULL, 0);

    /* Bulk jobs: each task's index in its output path; synchronize. */
    jt = shell_template("echo task");
    set(jt, DRMAA_WD, g_work);
    set(jt, DRMAA_OUTPUT_PATH, "bulk." DRMAA_PLACEHOLDER_INCR);
    set(jt, DRMAA_ERROR_PATH, "bulk." DRMAA_PLACEHOLDER_INCR ".err");
    drmaa_job_ids_t *ids = NULL;
    int rc = drmaa_run_bulk_jobs(&ids, jt, 2, 6, 2, diag, sizeof diag);
    if (rc) fprintf(stderr, "bulk: %s\n", diag);
    assert_int_equal(rc, 0);
    size_t n = 0;
    assert_int_equal(drmaa_get_num_job_ids(ids, &n), 0);
    assert_int_equal(n, 3);
    drmaa_release_job_ids(ids);
    const char *all[] = {DRMAA_JOB_IDS_SESSION_ALL, NULL};
    assert_int_equal(drmaa_synchronize(all, 60, 1, diag, sizeof diag), 0);
    for (int i = 2; i <= 6; i += 2) {
        snprintf(path, sizeof path, "%s/bulk.%d", g_work, i);
        assert_string_equal(read_text(path), "task\n");
    }
    snprintf(path, sizeof path, "%s/bulk.3", g_work);
    assert_int_equal(access(path, F_OK), -1);
    /* All disposed: nothing left to wait for. */
    char out[64];
    assert_int_equal(drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, out, sizeof out, &stat, 0, NULL, diag, sizeof diag),
                     DRMAA_ERRNO_INVALID_JOB);
    drmaa_delete_job_template(jt, NULL, 0);
    exit_ok();
}

static void test_control_on_direct(void **state) {
    (void)state;
    init_ok();
    char id[DRMAA_JOBNAME_BUFFER];
    drmaa_job_template_t *jt = shell_template("sleep 30");
    run_ok(jt, id);
    int ps = 0;
    assert_int_equal(drmaa_job_ps(id, &ps, diag, sizeof diag), 0);
    assert_int_equal(ps, DRMAA_PS_RUNNING);
    assert_int_equal(drmaa_control(id, DRMAA_CONTROL_SUSPEND, diag, sizeof diag), DRMAA_ERRNO_DENIED_BY_DRM);
    assert_int_equal(drmaa_control(id, DRMAA_CONTROL_RESUME, diag, sizeof diag),
                     DRMAA_ERRNO_RESUME_INCONSISTENT_STATE);
    assert_int_equal(drmaa_control(id, DRMAA_CONTROL_HOLD, diag, sizeof diag), DRMAA_ERRNO_HOLD_INCONSISTENT_STATE);
    assert_int_equal(drmaa_control(id, DRMAA_CONTROL_RELEASE, diag, sizeof diag),
                     DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE);
    assert_int_equal(drmaa_control(DRMAA_JOB_IDS_SESSION_ALL, DRMAA_CONTROL_TERMINATE, diag, sizeof diag), 0);
    assert_int_equal(drmaa_job_ps(id, &ps, diag, sizeof diag), 0);
    assert_int_equal(ps, DRMAA_PS_FAILED);
    int stat = wait_stat(id, NULL);
    int flag = 0;
    drmaa_wifexited(&flag, stat, NULL, 0);
    assert_int_equal(flag, 0);
    drmaa_wifsignaled(&flag, stat, NULL, 0);
    assert_int_equal(flag, 1);
    /* Terminating a finished job changes nothing and is not an error. */
    assert_int_equal(drmaa_control(id, DRMAA_CONTROL_TERMINATE, diag, sizeof diag), 0);
    drmaa_delete_job_template(jt, NULL, 0);
    exit_ok();
}

/* Several threads submit and wait at once in one session. */
static void *submit_and_wait(void *arg) {
    long expected = (long)arg;
    char script[64], err[DRMAA_ERROR_STRING_BUFFER], id[DRMAA_JOBNAME_BUFFER], out[DRMAA_JOBNAME_BUFFER];
    snprintf(script, sizeof script, "exit %ld", expected);
    drmaa_job_template_t *jt = NULL;
    if (drmaa_allocate_job_template(&jt, err, sizeof err)) return (void *)1;
    const char *argv[] = {"-c", script, NULL};
    if (drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, "/bin/sh", err, sizeof err) ||
        drmaa_set_vector_attribute(jt, DRMAA_V_ARGV, argv, err, sizeof err))
        return (void *)2;
    for (int i = 0; i < 2; ++i) {
        int stat = 0, code = -1;
        if (drmaa_run_job(id, sizeof id, jt, err, sizeof err)) return (void *)3;
        if (drmaa_wait(id, out, sizeof out, &stat, 60, NULL, err, sizeof err)) return (void *)4;
        drmaa_wexitstatus(&code, stat, NULL, 0);
        if (code != expected || strcmp(out, id) != 0) return (void *)5;
    }
    drmaa_delete_job_template(jt, NULL, 0);
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    init_ok();
    pthread_t threads[4];
    for (long i = 0; i < 4; ++i) assert_int_equal(pthread_create(&threads[i], NULL, submit_and_wait, (void *)(i + 1)), 0);
    for (int i = 0; i < 4; ++i) {
        void *result = (void *)99;
        pthread_join(threads[i], &result);
        assert_null(result);
    }
    exit_ok();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_before_init),
        cmocka_unit_test(test_init_and_exit),
        cmocka_unit_test(test_error_buffers),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_unknown_jobs),
        cmocka_unit_test(test_exit_codes_and_signals),
        cmocka_unit_test(test_paths_placeholders_env),
        cmocka_unit_test(test_control_on_direct),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
