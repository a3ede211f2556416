/* Wake-ups (issue 12 #5): xrun_ctx_interrupt() ends a blocking
 * xrun_job_wait(), xrun_poll() and xrun_events_wait() from another thread;
 * xrun_events_wait() returns as soon as an event is written, by this
 * process or by another connection, and times out otherwise. */
#include <pthread.h>
#include <time.h>

#include "capi_helpers.h"

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct blocked_call {
    xrun_ctx *ctx;
    xrun_job *job;
    int which; /* 0 job wait, 1 events wait, 2 events wait for a new event */
    int64_t after;
    int64_t last_seq;
    int status;
    int done; /* __atomic */
};

static void *run_blocked(void *arg) {
    struct blocked_call *c = arg;
    int rc;
    if (c->which == 0) rc = xrun_job_wait(c->job, -1);
    else rc = xrun_events_wait(&c->last_seq, c->ctx, c->after, c->which == 1 ? -1 : 20000);
    c->status = rc;
    __atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* The store's newest event: the store may be shared (XRUN_STORE), so a
 * test waits for events after what is already there. */
static int64_t newest_seq(xrun_ctx *ctx) {
    xrun_events *events = NULL;
    int64_t last = 0;
    assert_int_equal(xrun_events_since(&events, ctx, 0, 0), XRUN_OK);
    int64_t n = xrun_events_count(events);
    if (n > 0) last = xrun_events_seq(events, n - 1);
    xrun_events_free(events);
    return last;
}

static int is_done(struct blocked_call *c) { return __atomic_load_n(&c->done, __ATOMIC_SEQ_CST); }

/* Interrupts until the blocked call returns (an interrupt raised before
 * the thread blocks does not reach it, by design). Returns the ms it took. */
static int64_t interrupt_until_done(xrun_ctx *ctx, struct blocked_call *c) {
    int64_t start = now_ms();
    usleep(200000); /* let it block first */
    while (!is_done(c) && now_ms() - start < 10000) {
        assert_int_equal(xrun_ctx_interrupt(ctx), XRUN_OK);
        usleep(50000);
    }
    return now_ms() - start;
}

static void test_interrupt_ends_job_wait(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("wake-wait", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"sleep 30\"}");
    struct blocked_call c = {ctx, job, 0, 0, 0, -1, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_blocked, &c), 0);
    int64_t took = interrupt_until_done(ctx, &c);
    pthread_join(t, NULL);
    assert_true(is_done(&c));
    assert_int_equal(c.status, XRUN_E_INTERRUPTED);
    assert_string_equal(xrun_status_name(XRUN_E_INTERRUPTED), "XRUN_E_INTERRUPTED");
    assert_true(took < 5000);
    /* A wait that starts after the interrupt is not affected by it. */
    assert_int_equal(xrun_job_wait(job, 300), XRUN_E_TIMEOUT);
    assert_int_equal(xrun_job_cancel(job), XRUN_OK);
    xrun_job_free(job);
    assert_int_equal(xrun_ctx_interrupt(NULL), XRUN_E_INVALID);
    xrun_ctx_close(ctx);
}

static void test_interrupt_ends_events_wait(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("wake-events", NULL);
    struct blocked_call c = {ctx, NULL, 1, newest_seq(ctx), 0, -1, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_blocked, &c), 0);
    int64_t took = interrupt_until_done(ctx, &c);
    pthread_join(t, NULL);
    assert_int_equal(c.status, XRUN_E_INTERRUPTED);
    assert_true(took < 5000);
    xrun_ctx_close(ctx);
}

static void test_events_wait_times_out_and_sees_old_events(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("wake-timeout", NULL);
    const int64_t base = newest_seq(ctx);
    int64_t start = now_ms();
    assert_int_equal(xrun_events_wait(NULL, ctx, base, 150), XRUN_E_TIMEOUT);
    int64_t took = now_ms() - start;
    assert_true(took >= 140 && took < 2000);
    assert_int_equal(xrun_events_wait(NULL, ctx, base, 0), XRUN_E_TIMEOUT);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"true\"}");
    int64_t last = 0;
    assert_int_equal(xrun_events_wait(&last, ctx, base, 0), XRUN_OK);
    assert_true(last >= base + 1);
    assert_int_equal(xrun_events_wait(NULL, NULL, 0, 0), XRUN_E_INVALID);
    wait_ok(job, 20000);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

/* A writer in this process (same context) and a writer on another
 * connection (a second context on the same store) both wake the waiter. */
static void test_events_wait_wakes_for_writers(void **state) {
    (void)state;
    char home[512];
    xrun_ctx *ctx = open_temp_ctx("wake-writers", home);
    for (int round = 0; round < 2; ++round) {
        int64_t last = 0;
        xrun_events *events = NULL;
        assert_int_equal(xrun_events_since(&events, ctx, 0, 100000), XRUN_OK);
        int64_t n = xrun_events_count(events);
        if (n > 0) last = xrun_events_seq(events, n - 1);
        xrun_events_free(events);

        struct blocked_call c = {ctx, NULL, 2, last, 0, -1, 0};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, run_blocked, &c), 0);
        usleep(300000);
        assert_false(is_done(&c));
        xrun_ctx *writer = ctx;
        if (round == 1) {
            xrun_options opts = XRUN_OPTIONS_INIT;
            opts.home = home;
            assert_int_equal(xrun_ctx_open(&writer, &opts), XRUN_OK);
        }
        int64_t start = now_ms();
        xrun_job *job = submit_ok(writer, "{\"command\": \"true\"}");
        while (!is_done(&c) && now_ms() - start < 10000) usleep(5000);
        int64_t took = now_ms() - start;
        pthread_join(t, NULL);
        assert_int_equal(c.status, XRUN_OK);
        assert_true(c.last_seq > last);
        /* Woken by the commit, not by the 20 s timeout. */
        assert_true(took < 3000);
        wait_ok(job, 20000);
        xrun_job_free(job);
        if (writer != ctx) xrun_ctx_close(writer);
    }
    xrun_ctx_close(ctx);
}

struct poller {
    xrun_ctx *ctx;
    int interrupted; /* __atomic */
    int stop;        /* __atomic */
};

/* xrun_poll in a loop; counts the rounds an interrupt ended. */
static void *poll_loop(void *arg) {
    struct poller *p = arg;
    while (!__atomic_load_n(&p->stop, __ATOMIC_SEQ_CST)) {
        int rc = xrun_poll(p->ctx, NULL);
        if (rc == XRUN_E_INTERRUPTED) __atomic_add_fetch(&p->interrupted, 1, __ATOMIC_SEQ_CST);
        else if (rc != XRUN_OK) fprintf(stderr, "poll: %s\n", xrun_last_error());
    }
    return NULL;
}

static void test_interrupt_reaches_poll(void **state) {
    (void)state;
    xrun_ctx *ctx = open_temp_ctx("wake-poll", NULL);
    xrun_job *job = submit_ok(ctx, "{\"command\": \"sleep 30\"}");
    struct poller p = {ctx, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, poll_loop, &p), 0);
    int64_t start = now_ms();
    while (__atomic_load_n(&p.interrupted, __ATOMIC_SEQ_CST) == 0 && now_ms() - start < 10000) {
        assert_int_equal(xrun_ctx_interrupt(ctx), XRUN_OK);
        usleep(2000);
    }
    __atomic_store_n(&p.stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(t, NULL);
    assert_true(p.interrupted > 0);
    assert_int_equal(xrun_job_cancel(job), XRUN_OK);
    xrun_job_free(job);
    xrun_ctx_close(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interrupt_ends_job_wait),
        cmocka_unit_test(test_interrupt_ends_events_wait),
        cmocka_unit_test(test_events_wait_times_out_and_sees_old_events),
        cmocka_unit_test(test_events_wait_wakes_for_writers),
        cmocka_unit_test(test_interrupt_reaches_poll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
