/* Result caching ("cache": true): an identical job ends completed at once
 * with cached_from and the original's result; a change to an upload's
 * content, the env or the argv runs again; a failed original is no source;
 * pruning the original takes it out of the cache. Local machine, real
 * jobs; run on SQLite and (test_capi_cache_pg) on PostgreSQL. */
#include "capi_helpers.h"

static char g_dir[512];

/* A spec running `cat si_scf.out` (an uploaded copy of a real pw.x output)
 * parsed by the QE parser, so that the job has a result to copy. */
static void cat_spec(char *out, size_t size, const char *argv_extra, const char *env_value, const char *more) {
    snprintf(out, size,
             "{\"name\": \"scf\", \"argv\": [\"cat\", \"si_scf.out\"%s], \"env\": {\"X\": \"%s\"},"
             " \"upload\": [\"%s/si_scf.out\"], \"parser\": \"qe\", \"cache\": true%s}",
             argv_extra, env_value, g_dir, more);
}

static void info_of(char **out, xrun_job *job) {
    assert_int_equal(xrun_job_info_json(out, job), XRUN_OK);
}

/* Whether the job's info says it was served from the cache by `from` ("" = not cached). */
static void assert_cached_from(xrun_job *job, const char *from) {
    char *info = NULL;
    info_of(&info, job);
    char want[128];
    snprintf(want, sizeof want, "\"cached_from\":\"%s\"", from);
    if (!strstr(info, want)) fprintf(stderr, "info: %s\n", info);
    assert_non_null(strstr(info, want));
    xrun_free(info);
}

static void copy_corpus_file(void) {
    char path[1024], cmd[2200];
    snprintf(path, sizeof path, "%s/qe/generated/si_scf.out", xrun_test_env("XRUN_CORPUS_DIR"));
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/si_scf.out'", path, g_dir);
    assert_int_equal(system(cmd), 0);
}

static double energy_of(xrun_job *job) {
    xrun_result *result = NULL;
    assert_int_equal(xrun_job_result(&result, job), XRUN_OK);
    double energy = 0;
    assert_int_equal(xrun_result_double(result, "total_energy_ev", &energy), XRUN_OK);
    xrun_result_free(result);
    return energy;
}

static void test_identical_job_is_served_from_the_cache(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("cache-hit", g_dir);
    copy_corpus_file();
    char spec[2048];
    cat_spec(spec, sizeof spec, "", "1", "");
    xrun_job *first = submit_ok(ctx, spec);
    wait_ok(first, 30000);
    assert_int_equal(xrun_job_state(first), XRUN_STATE_COMPLETED);
    assert_cached_from(first, "");
    assert_true(strlen(xrun_job_scheduler_id(first)) > 0);

    /* Identical but for its name (not part of the hash): completed on return. */
    cat_spec(spec, sizeof spec, "", "1", "");
    char *renamed = strstr(spec, "\"scf\"");
    memcpy(renamed, "\"fcs\"", 5);
    xrun_job *second = submit_ok(ctx, spec);
    assert_int_equal(xrun_job_state(second), XRUN_STATE_COMPLETED);
    assert_cached_from(second, xrun_job_id(first));
    assert_string_equal(xrun_job_scheduler_id(second), "");  /* never reached a scheduler */
    int code = -1;
    assert_int_equal(xrun_job_exit_code(second, &code), XRUN_OK);
    assert_int_equal(code, 0);
    assert_true(energy_of(second) == energy_of(first));
    char *a = NULL, *b = NULL;
    info_of(&a, first);
    info_of(&b, second);
    assert_non_null(strstr(b, "\"reason\":\"cached from "));
    /* The same content hash on both. */
    const char *ha = strstr(a, "\"content_hash\":\""), *hb = strstr(b, "\"content_hash\":\"");
    assert_non_null(ha);
    assert_non_null(hb);
    int same_hash = strncmp(ha, hb, 16 + 64) == 0;
    xrun_free(a);
    xrun_free(b);
    assert_true(same_hash);
    /* Its files are the original's. */
    char *out = job_stdout(second);
    assert_non_null(strstr(out, "!    total energy"));
    xrun_free(out);
    /* Normal events: created, then completed naming the original. */
    xrun_events *events = NULL;
    assert_int_equal(xrun_events_since(&events, ctx, 0, 1000), XRUN_OK);
    char want[200];
    snprintf(want, sizeof want, "completed (exit 0): cached from %s", xrun_job_id(first));
    int created = 0, completed = 0;
    for (int64_t i = 0; i < xrun_events_count(events); ++i) {
        if (strcmp(xrun_events_job_id(events, i), xrun_job_id(second)) != 0) continue;
        if (xrun_events_state(events, i) == XRUN_STATE_CREATED) ++created;
        if (xrun_events_state(events, i) == XRUN_STATE_COMPLETED) {
            ++completed;
            assert_string_equal(xrun_events_message(events, i), want);
        }
    }
    assert_int_equal(created, 1);
    assert_int_equal(completed, 1);
    xrun_events_free(events);

    /* "cache": false never uses the cache. */
    cat_spec(spec, sizeof spec, "", "1", "");
    memcpy(strstr(spec, "\"cache\": true"), "\"cache\":false", 13);
    xrun_job *uncached = submit_ok(ctx, spec);
    assert_true(strlen(xrun_job_scheduler_id(uncached)) > 0);
    wait_ok(uncached, 30000);
    assert_cached_from(uncached, "");

    xrun_job_free(first);
    xrun_job_free(second);
    xrun_job_free(uncached);
    xrun_ctx_close(ctx);
}

/* Submits `spec` and says whether the cache answered it (waiting for the job otherwise). */
static int served_from_cache(xrun_ctx *ctx, const char *spec) {
    xrun_job *job = submit_ok(ctx, spec);
    int cached = strlen(xrun_job_scheduler_id(job)) == 0;
    if (!cached) wait_ok(job, 30000);
    char *info = NULL;
    info_of(&info, job);
    assert_int_equal(cached, strstr(info, "\"cached_from\":\"\"") == NULL);
    xrun_free(info);
    xrun_job_free(job);
    return cached;
}

static void test_changed_inputs_run_again(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("cache-miss", g_dir);
    copy_corpus_file();
    char spec[2048];
    cat_spec(spec, sizeof spec, "", "a", "");
    assert_false(served_from_cache(ctx, spec));
    assert_true(served_from_cache(ctx, spec));
    /* Another env value, another argv. */
    cat_spec(spec, sizeof spec, "", "b", "");
    assert_false(served_from_cache(ctx, spec));
    cat_spec(spec, sizeof spec, ", \"-\"", "a", "");
    assert_false(served_from_cache(ctx, spec));
    /* The upload's content changes (same name): runs again, then is a source itself. */
    char path[700];
    snprintf(path, sizeof path, "%s/si_scf.out", g_dir);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("\n", f);
    fclose(f);
    cat_spec(spec, sizeof spec, "", "a", "");
    assert_false(served_from_cache(ctx, spec));
    assert_true(served_from_cache(ctx, spec));
    /* Other resources make another job. */
    cat_spec(spec, sizeof spec, "", "a", ", \"resources\": {\"walltime\": \"00:05:00\"}");
    assert_false(served_from_cache(ctx, spec));
    xrun_ctx_close(ctx);
}

static void test_failed_or_pruned_original_is_no_source(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("cache-invalid", g_dir);
    const char *failing = "{\"command\": \"echo x; exit 3\", \"cache\": true}";
    assert_false(served_from_cache(ctx, failing));
    assert_false(served_from_cache(ctx, failing));
    const char *ok = "{\"command\": \"echo ok\", \"cache\": true}";
    assert_false(served_from_cache(ctx, ok));
    assert_true(served_from_cache(ctx, ok));
    /* Pruning removes the original (and its copy): the next one runs. */
    assert_int_equal(xrun_prune(NULL, ctx, 0), XRUN_OK);
    assert_false(served_from_cache(ctx, ok));
    assert_true(served_from_cache(ctx, ok));
    /* Refused before anything is recorded: a job with dependencies. */
    xrun_job *parent = submit_ok(ctx, "{\"command\": \"true\"}");
    char spec[256];
    snprintf(spec, sizeof spec, "{\"command\": \"true\", \"cache\": true, \"depends_on\": [\"%s\"]}",
             xrun_job_id(parent));
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_submit(&job, ctx, spec), XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), "$.cache"));
    xrun_job_free(parent);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_job_is_served_from_the_cache),
        cmocka_unit_test(test_changed_inputs_run_again),
        cmocka_unit_test(test_failed_or_pruned_original_is_no_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
