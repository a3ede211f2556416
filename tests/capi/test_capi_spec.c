/* Job specs built field by field (xrun_spec_*): the JSON they produce,
 * every setter's refusals naming the field (and leaving the spec as it
 * was), and real local jobs whose arguments and environment hold quotes,
 * backslashes and newlines that must arrive unchanged. */
#include "capi_helpers.h"

/* The spec's JSON (OWNED by the caller: xrun_free). */
static char *spec_json(const xrun_spec *spec) {
    char *json = NULL;
    int rc = xrun_spec_to_json(&json, spec);
    if (rc != XRUN_OK) fprintf(stderr, "to_json: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    assert_non_null(json);
    return json;
}

/* Asserts that `rc` is XRUN_E_INVALID with a message containing `needle`. */
static void assert_invalid(int rc, const char *needle) {
    if (rc != XRUN_E_INVALID || !strstr(xrun_last_error(), needle))
        fprintf(stderr, "expected XRUN_E_INVALID with \"%s\", got %s: %s\n", needle, xrun_status_name(rc),
                xrun_last_error());
    assert_int_equal(rc, XRUN_E_INVALID);
    assert_non_null(strstr(xrun_last_error(), needle));
}

static void test_builds_the_json(void **state) {
    (void)state;
    xrun_spec *spec = NULL;
    assert_int_equal(xrun_spec_new(&spec), XRUN_OK);
    assert_non_null(spec);
    assert_int_equal(xrun_spec_set_name(spec, "relax"), XRUN_OK);
    assert_int_equal(xrun_spec_set_machine(spec, "cluster1"), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(spec, "pw.x"), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(spec, "-in"), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(spec, "relax in.in"), XRUN_OK);
    assert_int_equal(xrun_spec_set_workdir(spec, "~/scratch"), XRUN_OK);
    assert_int_equal(xrun_spec_set_env(spec, "OMP_NUM_THREADS", "1"), XRUN_OK);
    assert_int_equal(xrun_spec_set_env(spec, "OMP_NUM_THREADS", "2"), XRUN_OK); /* replaces */
    assert_int_equal(xrun_spec_set_resource(spec, "nodes", "2"), XRUN_OK);      /* a count in text */
    assert_int_equal(xrun_spec_set_resource_int(spec, "tasks_per_node", 32), XRUN_OK);
    assert_int_equal(xrun_spec_set_resource_int(spec, "cpus_per_task", 1), XRUN_OK);
    assert_int_equal(xrun_spec_set_resource(spec, "memory", "64G"), XRUN_OK);
    assert_int_equal(xrun_spec_set_resource(spec, "walltime", "1-00:00:00"), XRUN_OK);
    assert_int_equal(xrun_spec_set_resource(spec, "partition", "standard"), XRUN_OK);
    assert_int_equal(xrun_spec_set_resource(spec, "account", "proj42"), XRUN_OK);
    assert_int_equal(xrun_spec_set_resource(spec, "qos", "normal"), XRUN_OK);
    assert_int_equal(xrun_spec_add_upload(spec, "si.in"), XRUN_OK);
    assert_int_equal(xrun_spec_add_retrieve(spec, "pw.out"), XRUN_OK);
    assert_int_equal(xrun_spec_set_retrieve_to(spec, "~/results/relax"), XRUN_OK);
    assert_int_equal(xrun_spec_set_parser(spec, "qe"), XRUN_OK);
    assert_int_equal(xrun_spec_set_parse_file(spec, "pw.out"), XRUN_OK);
    assert_int_equal(xrun_spec_add_dependency(spec, "01J9Z8Q4W8K6T7M2V3X5Y6Z7A8"), XRUN_OK);
    assert_int_equal(xrun_spec_set_flag(spec, "hold", 1), XRUN_OK);
    assert_int_equal(xrun_spec_set_flag(spec, "defer", 0), XRUN_OK);
    assert_int_equal(xrun_spec_set_cleanup(spec, "on_success"), XRUN_OK);
    assert_int_equal(xrun_spec_set_array(spec, "0-9%5"), XRUN_OK);
    char *json = spec_json(spec);
    assert_string_equal(json,
                        "{\"name\":\"relax\",\"machine\":\"cluster1\",\"argv\":[\"pw.x\",\"-in\",\"relax in.in\"],"
                        "\"workdir\":\"~/scratch\",\"env\":{\"OMP_NUM_THREADS\":\"2\"},"
                        "\"resources\":{\"nodes\":2,\"tasks_per_node\":32,\"cpus_per_task\":1,\"memory\":\"64G\","
                        "\"walltime\":\"1-00:00:00\",\"partition\":\"standard\",\"account\":\"proj42\","
                        "\"qos\":\"normal\"},\"upload\":[\"si.in\"],\"retrieve\":[\"pw.out\"],"
                        "\"retrieve_to\":\"~/results/relax\",\"parser\":\"qe\",\"parse_file\":\"pw.out\","
                        "\"depends_on\":[\"01J9Z8Q4W8K6T7M2V3X5Y6Z7A8\"],\"hold\":true,\"defer\":false,"
                        "\"cleanup\":\"on_success\",\"array\":\"0-9%5\"}");
    xrun_free(json);
    xrun_spec_free(spec);
    xrun_spec_free(NULL); /* a no-op */
}

static void test_null_arguments(void **state) {
    (void)state;
    assert_int_equal(xrun_spec_new(NULL), XRUN_E_INVALID);
    assert_invalid(xrun_spec_set_name(NULL, "x"), "spec must not be NULL");
    xrun_spec *spec = NULL;
    assert_int_equal(xrun_spec_new(&spec), XRUN_OK);
    assert_invalid(xrun_spec_set_name(spec, NULL), "name must not be NULL");
    assert_invalid(xrun_spec_set_command(spec, NULL), "command must not be NULL");
    assert_invalid(xrun_spec_add_arg(spec, NULL), "arg must not be NULL");
    assert_invalid(xrun_spec_set_env(spec, "A", NULL), "value must not be NULL");
    assert_invalid(xrun_spec_set_env(spec, NULL, "a"), "name must not be NULL");
    assert_invalid(xrun_spec_set_resource(spec, NULL, "1"), "key must not be NULL");
    assert_invalid(xrun_spec_set_resource(spec, "nodes", NULL), "value must not be NULL");
    assert_invalid(xrun_spec_set_resource_int(spec, NULL, 1), "key must not be NULL");
    assert_invalid(xrun_spec_set_flag(spec, NULL, 1), "flag must not be NULL");
    assert_invalid(xrun_spec_add_dependency(spec, NULL), "job_id must not be NULL");
    char *json = (char *)"untouched";
    assert_invalid(xrun_spec_to_json(&json, NULL), "spec must not be NULL");
    assert_null(json); /* an output is set to NULL on failure */
    assert_int_equal(xrun_spec_to_json(NULL, spec), XRUN_E_INVALID);
    xrun_ctx *ctx = open_temp_ctx("spec-null", NULL);
    xrun_job *job = (xrun_job *)&job;
    assert_invalid(xrun_job_submit_spec(&job, ctx, NULL), "spec must not be NULL");
    assert_null(job);
    assert_invalid(xrun_job_submit_spec(&job, NULL, spec), "ctx must not be NULL");
    assert_int_equal(xrun_job_submit_spec(NULL, ctx, spec), XRUN_E_INVALID);
    xrun_ctx_close(ctx);
    xrun_spec_free(spec);
}

static void test_refusals_name_the_field(void **state) {
    (void)state;
    xrun_spec *spec = NULL;
    assert_int_equal(xrun_spec_new(&spec), XRUN_OK);
    /* No command yet: the spec is incomplete. */
    char *json = NULL;
    assert_invalid(xrun_spec_to_json(&json, spec), "\"command\" or \"argv\" is required");
    assert_null(json);
    assert_int_equal(xrun_spec_set_command(spec, "echo ok"), XRUN_OK);
    assert_int_equal(xrun_spec_set_resource(spec, "walltime", "90"), XRUN_OK);
    char *before = spec_json(spec);

    assert_invalid(xrun_spec_set_resource(spec, "walltme", "01:00:00"),
                   "job spec: $.resources.walltme: unknown key; did you mean \"walltime\"?");
    assert_invalid(xrun_spec_set_resource(spec, "walltime", "1h"), "job spec: $.resources.walltime: expected");
    assert_invalid(xrun_spec_set_resource(spec, "walltime", "00:99:00"), "$.resources.walltime");
    assert_invalid(xrun_spec_set_resource(spec, "walltime", "0"), "$.resources.walltime");
    assert_invalid(xrun_spec_set_resource(spec, "memory", "lots"), "job spec: $.resources.memory: expected a size");
    assert_invalid(xrun_spec_set_resource(spec, "partition", "a b"), "$.resources.partition: expected one word");
    assert_invalid(xrun_spec_set_resource(spec, "account", "x\n#SBATCH --qos=high"), "$.resources.account");
    assert_invalid(xrun_spec_set_resource(spec, "nodes", "0"), "$.resources.nodes: must be at least 1");
    assert_invalid(xrun_spec_set_resource(spec, "nodes", "two"), "$.resources.nodes");
    assert_invalid(xrun_spec_set_resource_int(spec, "tasks_per_node", -4), "$.resources.tasks_per_node");
    assert_invalid(xrun_spec_set_resource_int(spec, "memory", 4), "$.resources.memory: expected a string");
    assert_invalid(xrun_spec_set_resource_int(spec, "gpus", 4), "$.resources.gpus: unknown key");
    assert_invalid(xrun_spec_set_parser(spec, "gaussian"), "$.parser: must be");
    assert_invalid(xrun_spec_set_parse_file(spec, "../etc/passwd"), "$.parse_file");
    assert_invalid(xrun_spec_add_retrieve(spec, "/etc/passwd"), "$.retrieve");
    assert_invalid(xrun_spec_add_retrieve(spec, "a/../../b"), "$.retrieve");
    assert_invalid(xrun_spec_set_cleanup(spec, "never"), "$.cleanup");
    assert_invalid(xrun_spec_set_flag(spec, "hodl", 1), "job spec: $.hodl: not a flag");
    assert_invalid(xrun_spec_set_flag(spec, "name", 1), "$.name: not a flag");
    assert_invalid(xrun_spec_set_env(spec, "", "x"), "$.env");
    assert_invalid(xrun_spec_add_arg(spec, "echo"), "either \"command\" or \"argv\"");
    assert_invalid(xrun_spec_set_command(spec, "   "), "\"command\" or \"argv\" is required");

    /* Every refusal left the spec as it was. */
    char *after = spec_json(spec);
    assert_string_equal(after, before);
    assert_string_equal(after, "{\"command\":\"echo ok\",\"resources\":{\"walltime\":\"90\"}}");
    xrun_free(before);
    xrun_free(after);

    /* Arguments first, then a command: refused the other way round too. */
    xrun_spec *args = NULL;
    assert_int_equal(xrun_spec_new(&args), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(args, "true"), XRUN_OK);
    assert_invalid(xrun_spec_set_command(args, "true"), "either \"command\" or \"argv\"");
    xrun_spec_free(args);
    xrun_spec_free(spec);
}

/* What only a submit can check: the job is then never recorded. */
static void test_submit_refusals(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("spec-refuse", NULL);
    xrun_spec *spec = NULL;
    assert_int_equal(xrun_spec_new(&spec), XRUN_OK);
    xrun_job *job = NULL;
    assert_invalid(xrun_job_submit_spec(&job, ctx, spec), "\"command\" or \"argv\" is required");
    assert_null(job);
    assert_int_equal(xrun_spec_set_command(spec, "true"), XRUN_OK);

    xrun_spec *on_nowhere = NULL;
    assert_int_equal(xrun_spec_new(&on_nowhere), XRUN_OK);
    assert_int_equal(xrun_spec_set_command(on_nowhere, "true"), XRUN_OK);
    assert_int_equal(xrun_spec_set_machine(on_nowhere, "no-such-machine"), XRUN_OK);
    assert_int_equal(xrun_job_submit_spec(&job, ctx, on_nowhere), XRUN_E_NOT_FOUND);
    assert_null(job);
    xrun_spec_free(on_nowhere);

    xrun_spec *held = NULL;
    assert_int_equal(xrun_spec_new(&held), XRUN_OK);
    assert_int_equal(xrun_spec_set_command(held, "true"), XRUN_OK);
    assert_int_equal(xrun_spec_set_flag(held, "hold", 1), XRUN_OK);
    assert_int_equal(xrun_job_submit_spec(&job, ctx, held), XRUN_E_UNSUPPORTED); /* direct cannot hold */
    assert_null(job);
    xrun_spec_free(held);

    xrun_spec *upload = NULL;
    assert_int_equal(xrun_spec_new(&upload), XRUN_OK);
    assert_int_equal(xrun_spec_set_command(upload, "true"), XRUN_OK);
    assert_int_equal(xrun_spec_add_upload(upload, "/nonexistent/input.in"), XRUN_OK);
    assert_invalid(xrun_job_submit_spec(&job, ctx, upload), "$.upload: cannot read \"/nonexistent/input.in\"");
    assert_null(job);
    xrun_spec_free(upload);

    xrun_spec *bad_env = NULL;
    assert_int_equal(xrun_spec_new(&bad_env), XRUN_OK);
    assert_int_equal(xrun_spec_set_command(bad_env, "true"), XRUN_OK);
    assert_int_equal(xrun_spec_set_env(bad_env, "A;rm -rf ~", "x"), XRUN_OK);
    assert_invalid(xrun_job_submit_spec(&job, ctx, bad_env), "is not a valid variable name");
    assert_null(job);
    xrun_spec_free(bad_env);

    /* Nothing was recorded. */
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, -1, 0), XRUN_OK);
    assert_string_equal(list, "[]");
    xrun_free(list);
    xrun_spec_free(spec);
    xrun_ctx_close(ctx);
}

/* Text that broke JSON built by string concatenation: quotes, backslashes,
 * newlines, a tab, shell syntax. */
static const char kHostile[] = "say \"hi\" \\n not a newline\\\nreal newline\ttab $(echo no) `no` 'single' \\";
static const char kHostileEnv[] = "{\"json\": \"in a value\"}\n\\\\server\\share $HOME";

static void test_hostile_strings_arrive_unchanged(void **state) {
    (void)state;
    char home[512];
    xrun_ctx *ctx = open_temp_ctx("spec-hostile", home);
    xrun_spec *spec = NULL;
    assert_int_equal(xrun_spec_new(&spec), XRUN_OK);
    assert_int_equal(xrun_spec_set_name(spec, "it's \"quoted\"\nand\\slashed"), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(spec, "sh"), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(spec, "-c"), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(spec, "printf '%s\\n' \"$1\" \"$XRUN_HOSTILE\""), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(spec, "sh"), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(spec, kHostile), XRUN_OK);
    assert_int_equal(xrun_spec_set_env(spec, "XRUN_HOSTILE", kHostileEnv), XRUN_OK);
    char expected[512];
    snprintf(expected, sizeof expected, "%s\n%s\n", kHostile, kHostileEnv);

    xrun_job *job = NULL;
    int rc = xrun_job_submit_spec(&job, ctx, spec);
    if (rc != XRUN_OK) fprintf(stderr, "submit_spec: %s\n", xrun_last_error());
    assert_int_equal(rc, XRUN_OK);
    assert_non_null(job);
    wait_ok(job, 20000);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_COMPLETED);
    char *out = job_stdout(job);
    assert_string_equal(out, expected);
    xrun_free(out);

    /* The same spec's JSON, submitted as text, runs the same job: the
     * JSON is escaped, not concatenated. */
    char *json = spec_json(spec);
    xrun_job *again = submit_ok(ctx, json);
    xrun_free(json);
    wait_ok(again, 20000);
    out = job_stdout(again);
    assert_string_equal(out, expected);
    xrun_free(out);
    assert_string_not_equal(xrun_job_id(again), xrun_job_id(job));

    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    assert_non_null(strstr(info, "\"name\":\"it's \\\"quoted\\\"\\nand\\\\slashed\""));
    xrun_free(info);
    xrun_job_free(again);
    xrun_job_free(job);
    xrun_spec_free(spec); /* after the jobs: they never needed it */
    xrun_ctx_close(ctx);
}

static void test_upload_defer_and_reuse(void **state) {
    (void)state;
    char home[512];
    xrun_ctx *ctx = open_temp_ctx("spec-defer", home);
    char input[600];
    snprintf(input, sizeof input, "%s/input.txt", home);
    xrun_test_write_file(input, "uploaded \"text\"\n");
    xrun_spec *spec = NULL;
    assert_int_equal(xrun_spec_new(&spec), XRUN_OK);
    assert_int_equal(xrun_spec_set_command(spec, "cat input.txt; echo \"$GREETING\""), XRUN_OK);
    assert_int_equal(xrun_spec_add_upload(spec, input), XRUN_OK);
    assert_int_equal(xrun_spec_set_env(spec, "GREETING", "hello"), XRUN_OK);
    assert_int_equal(xrun_spec_set_flag(spec, "defer", 1), XRUN_OK);

    /* Deferred: recorded, not sent. */
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_submit_spec(&job, ctx, spec), XRUN_OK);
    assert_int_equal(xrun_job_state(job), XRUN_STATE_WAITING);
    char *info = NULL;
    assert_int_equal(xrun_job_info_json(&info, job), XRUN_OK);
    assert_non_null(strstr(info, "\"waiting_for\":\"deferred\""));
    xrun_free(info);
    assert_int_equal(xrun_job_send(job), XRUN_OK);
    wait_ok(job, 20000);
    char *out = job_stdout(job);
    assert_string_equal(out, "uploaded \"text\"\nhello\n");
    xrun_free(out);

    /* The same spec again, now sent at once: a second, separate job. */
    assert_int_equal(xrun_spec_set_flag(spec, "defer", 0), XRUN_OK);
    assert_int_equal(xrun_spec_set_env(spec, "GREETING", "again"), XRUN_OK);
    xrun_job *second = NULL;
    assert_int_equal(xrun_job_submit_spec(&second, ctx, spec), XRUN_OK);
    assert_int_not_equal(xrun_job_state(second), XRUN_STATE_WAITING);
    wait_ok(second, 20000);
    out = job_stdout(second);
    assert_string_equal(out, "uploaded \"text\"\nagain\n");
    xrun_free(out);
    assert_string_not_equal(xrun_job_id(second), xrun_job_id(job));
    xrun_job_free(second);
    xrun_job_free(job);
    xrun_spec_free(spec);
    xrun_ctx_close(ctx);
}

/* Several specs in one batch: one bad spec (or NULL) refuses them all and
 * records nothing; the outcomes come in input order. */
static void test_batch_of_specs(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("spec-batch", NULL);
    xrun_spec *specs[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; ++i) assert_int_equal(xrun_spec_new(&specs[i]), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(specs[0], "printf"), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(specs[0], "%s"), XRUN_OK);
    assert_int_equal(xrun_spec_add_arg(specs[0], kHostile), XRUN_OK);
    assert_int_equal(xrun_spec_set_command(specs[1], "echo second"), XRUN_OK);
    /* specs[2] has no command yet. */
    char *out = (char *)"untouched";
    const xrun_spec *const *list = (const xrun_spec *const *)specs;
    assert_invalid(xrun_jobs_submit_specs(&out, ctx, list, 3), "job 2: job spec: \"command\" or \"argv\" is required");
    assert_null(out);
    const xrun_spec *with_null[2] = {specs[0], NULL};
    assert_invalid(xrun_jobs_submit_specs(&out, ctx, with_null, 2), "specs[1] must not be NULL");
    assert_invalid(xrun_jobs_submit_specs(&out, ctx, NULL, 1), "specs must not be NULL");
    assert_int_equal(xrun_jobs_submit_specs(&out, ctx, NULL, 0), XRUN_OK);
    assert_string_equal(out, "[]");
    xrun_free(out);
    char *listed = NULL;
    assert_int_equal(xrun_jobs_list(&listed, ctx, NULL, -1, 0), XRUN_OK);
    assert_string_equal(listed, "[]"); /* nothing was recorded */
    xrun_free(listed);

    assert_int_equal(xrun_jobs_submit_specs(&out, ctx, list, 2), XRUN_OK);
    assert_non_null(out);
    assert_null(strstr(out, "\"error\""));
    /* The outcomes in input order: the first id is the first job's. */
    const char *first = strstr(out, "\"id\":\"");
    assert_non_null(first);
    char id[27];
    memcpy(id, first + 6, 26);
    id[26] = 0;
    xrun_free(out);
    xrun_job *job = NULL;
    assert_int_equal(xrun_job_open(&job, ctx, id), XRUN_OK);
    wait_ok(job, 20000);
    char *stdout_text = job_stdout(job);
    assert_string_equal(stdout_text, kHostile);
    xrun_free(stdout_text);
    xrun_job_free(job);
    for (int i = 0; i < 3; ++i) xrun_spec_free(specs[i]);
    xrun_ctx_close(ctx);
}

/* The JSON submit calls apply the same value checks as the builder. */
static void test_json_submit_checks_values_too(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("spec-json", NULL);
    xrun_job *job = NULL;
    assert_invalid(xrun_job_submit_v2(&job, ctx, "{\"command\": \"true\", \"resources\": {\"walltime\": \"1h\"}}"),
                   "job spec: $.resources.walltime: expected");
    assert_null(job);
    char *out = NULL;
    assert_invalid(xrun_jobs_submit(&out, ctx, "[{\"command\": \"true\", \"resources\": {\"memory\": \"x\"}}]"),
                   "job 0: job spec: $.resources.memory");
    assert_null(out);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builds_the_json),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_refusals_name_the_field),
        cmocka_unit_test(test_submit_refusals),
        cmocka_unit_test(test_hostile_strings_arrive_unchanged),
        cmocka_unit_test(test_upload_defer_and_reuse),
        cmocka_unit_test(test_batch_of_specs),
        cmocka_unit_test(test_json_submit_checks_values_too),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
