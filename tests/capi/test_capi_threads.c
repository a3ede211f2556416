/* One context shared by several threads (the header's promise): each
 * thread submits jobs, waits for them and reads their output, while
 * another thread polls and a third follows the events journal. */
#include <pthread.h>

#include "capi_helpers.h"

#define THREADS 8
#define JOBS_PER_THREAD 12

struct worker {
    xrun_ctx *ctx;
    int index;
    int failures;
};

static void *submit_and_wait(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < JOBS_PER_THREAD; ++i) {
        char spec[256];
        snprintf(spec, sizeof spec, "{\"argv\": [\"printf\", \"%%s\", \"t%d-j%d\"], \"name\": \"t%d\"}", w->index, i,
                 w->index);
        xrun_job *job = NULL;
        if (xrun_job_submit(&job, w->ctx, spec) != XRUN_OK) {
            fprintf(stderr, "thread %d submit: %s\n", w->index, xrun_last_error());
            w->failures++;
            continue;
        }
        char expected[64];
        snprintf(expected, sizeof expected, "t%d-j%d", w->index, i);
        char *out = NULL;
        if (xrun_job_wait(job, 30000) != XRUN_OK || xrun_job_state(job) != XRUN_STATE_COMPLETED ||
            xrun_job_read_file(&out, NULL, job, "stdout", 0) != XRUN_OK || strcmp(out, expected) != 0) {
            fprintf(stderr, "thread %d job %d: state %s, out '%s', error '%s'\n", w->index, i,
                    xrun_state_name(xrun_job_state(job)), out ? out : "", xrun_last_error());
            w->failures++;
        }
        xrun_free(out);
        xrun_job_free(job);
    }
    return NULL;
}

static int stop_followers; /* read and written with __atomic builtins */
static int stopping_now(void) { return __atomic_load_n(&stop_followers, __ATOMIC_SEQ_CST); }

static void *poller(void *arg) {
    xrun_ctx *ctx = arg;
    while (!stopping_now()) {
        int64_t next = 0;
        if (xrun_poll(ctx, &next) != XRUN_OK) fprintf(stderr, "poll: %s\n", xrun_last_error());
        usleep(20000);
    }
    return NULL;
}

static int64_t events_seen;

static void *follower(void *arg) {
    xrun_ctx *ctx = arg;
    int64_t after = 0;
    int draining = 0;
    for (;;) {
        int stopping = stopping_now();
        xrun_events *events = NULL;
        int64_t n = 0;
        if (xrun_events_since(&events, ctx, after, 100) == XRUN_OK) {
            n = xrun_events_count(events);
            for (int64_t i = 0; i < n; ++i) {
                if (xrun_events_seq(events, i) != after + 1) fprintf(stderr, "event gap after %lld\n", (long long)after);
                after = xrun_events_seq(events, i);
            }
            events_seen += n;
            xrun_events_free(events);
        }
        /* After the stop flag, read until the journal has nothing more. */
        if (stopping && n == 0) break;
        draining = stopping;
        if (!draining) usleep(10000);
    }
    return NULL;
}

static void test_threads_share_one_context(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("threads", NULL);
    pthread_t threads[THREADS], poll_thread, follow_thread;
    struct worker workers[THREADS];
    __atomic_store_n(&stop_followers, 0, __ATOMIC_SEQ_CST);
    assert_int_equal(pthread_create(&poll_thread, NULL, poller, ctx), 0);
    assert_int_equal(pthread_create(&follow_thread, NULL, follower, ctx), 0);
    for (int t = 0; t < THREADS; ++t) {
        workers[t] = (struct worker){ctx, t, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, submit_and_wait, &workers[t]), 0);
    }
    int failures = 0;
    for (int t = 0; t < THREADS; ++t) {
        pthread_join(threads[t], NULL);
        failures += workers[t].failures;
    }
    usleep(100000);
    __atomic_store_n(&stop_followers, 1, __ATOMIC_SEQ_CST);
    pthread_join(poll_thread, NULL);
    pthread_join(follow_thread, NULL);
    assert_int_equal(failures, 0);

    /* Every job completed, and each has exactly its five events. */
    char *list = NULL;
    assert_int_equal(xrun_jobs_list(&list, ctx, NULL, XRUN_STATE_COMPLETED, 0), XRUN_OK);
    int completed = 0;
    for (const char *p = list; (p = strstr(p, "\"state\":\"completed\"")) != NULL; ++p) completed++;
    assert_int_equal(completed, THREADS * JOBS_PER_THREAD);
    xrun_free(list);
    assert_int_equal(events_seen, THREADS * JOBS_PER_THREAD * 5);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_one_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
