/* The scheduler calls its stores without holding its own lock: while one store's claim hangs (a server that
 * does not answer), the task API on another store and the scheduler's state answer at once. Calls into one
 * store are still made one at a time (the contract of sys/store.h), and removing a store waits for the call
 * under way. The slow store wraps a memory store; its claim blocks, once armed, until the test lets it go
 * (or 2 s pass), so what is checked is an order of events, not a duration: every call returns while the
 * claim is still blocked. The durations are printed for the record. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "asyncz/sys/store.h"
#include "az_test.h"

#define CLAIM_BLOCK_SEC 2

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the slow store ----------------------------------------------------------------------------------- */

/* What the test and the slow store share; the test owns it (a removed store is freed while the test may
 * still be waking from the gate). */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool armed;       /* the next claim blocks */
    bool in_claim;    /* a claim is blocked */
    bool let_go;      /* the blocked claim may return */
    bool claim_done;  /* the blocked claim returned */
    atomic_int calls; /* calls under way now */
    atomic_int most;  /* the most calls ever under way at once */
} gate;

typedef struct slow_store {
    asyncz_store_base base;
    asyncz_store *inner;
    gate *g;
} slow_store;

static slow_store *slow_of(asyncz_store *st)
{
    return (slow_store *)st;
}

static const asyncz_store_ops *inner_ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(slow_of(st)->inner)->ops;
}

static void call_begin(asyncz_store *st)
{
    gate *ss = slow_of(st)->g;
    int now = atomic_fetch_add(&ss->calls, 1) + 1;
    int most = atomic_load(&ss->most);
    while (now > most && !atomic_compare_exchange_weak(&ss->most, &most, now))
        ;
}

static void call_end(asyncz_store *st)
{
    atomic_fetch_sub(&slow_of(st)->g->calls, 1);
}

/* Block an armed claim until the test lets it go, at most CLAIM_BLOCK_SEC. */
static void maybe_block(gate *ss)
{
    pthread_mutex_lock(&ss->mu);
    if (ss->armed) {
        ss->armed = false;
        ss->in_claim = true;
        pthread_cond_broadcast(&ss->cond);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += CLAIM_BLOCK_SEC;
        while (!ss->let_go && pthread_cond_timedwait(&ss->cond, &ss->mu, &until) == 0)
            ;
        ss->in_claim = false;
        ss->claim_done = true;
        pthread_cond_broadcast(&ss->cond);
    }
    pthread_mutex_unlock(&ss->mu);
}

static int ss_claim(asyncz_store *st, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                    asyncz_claim *out, size_t *n_out)
{
    call_begin(st);
    maybe_block(slow_of(st)->g);
    int rc = inner_ops(st)->claim(slow_of(st)->inner, now, owner, lease_usec, max, out, n_out);
    call_end(st);
    return rc;
}

#define FORWARD(name, params, args)                                                                          \
    static int ss_##name params                                                                              \
    {                                                                                                        \
        call_begin(st);                                                                                      \
        int rc = inner_ops(st)->name args;                                                                   \
        call_end(st);                                                                                        \
        return rc;                                                                                           \
    }

FORWARD(add, (asyncz_store * st, asyncz_task *t), (slow_of(st)->inner, t))
FORWARD(update, (asyncz_store * st, asyncz_task *t), (slow_of(st)->inner, t))
FORWARD(remove, (asyncz_store * st, const char *id), (slow_of(st)->inner, id))
FORWARD(remove_all, (asyncz_store * st), (slow_of(st)->inner))
FORWARD(lookup, (asyncz_store * st, const char *id, asyncz_task **out), (slow_of(st)->inner, id, out))
FORWARD(list, (asyncz_store * st, asyncz_store_each_fn each, void *ud), (slow_of(st)->inner, each, ud))
FORWARD(due, (asyncz_store * st, asyncz_time_t now, size_t max, asyncz_store_each_fn each, void *ud),
        (slow_of(st)->inner, now, max, each, ud))
FORWARD(earliest, (asyncz_store * st, asyncz_time_t *out), (slow_of(st)->inner, out))
FORWARD(count, (asyncz_store * st, size_t *out), (slow_of(st)->inner, out))
FORWARD(release, (asyncz_store * st, const char *id, uint64_t token, asyncz_task *next),
        (slow_of(st)->inner, id, token, next))

static void ss_destroy(asyncz_store *st)
{
    slow_store *ss = slow_of(st);
    asyncz_store_free(ss->inner);
    free(ss);
}

static const asyncz_store_ops SLOW_OPS = {
    .version = ASYNCZ_STORE_OPS_VERSION,
    .name = "test-slow",
    .add = ss_add,
    .update = ss_update,
    .remove = ss_remove,
    .remove_all = ss_remove_all,
    .lookup = ss_lookup,
    .list = ss_list,
    .due = ss_due,
    .earliest = ss_earliest,
    .count = ss_count,
    .claim = ss_claim,
    .release = ss_release,
    .destroy = ss_destroy,
};

static slow_store *slow_store_new(gate *g)
{
    slow_store *ss = calloc(1, sizeof *ss);
    assert_non_null(ss);
    assert_int_equal(asyncz_store_base_init(&ss->base, &SLOW_OPS), 0);
    assert_int_equal(asyncz_store_memory_new(&ss->inner), 0);
    ss->g = g;
    return ss;
}

static void gate_init(gate *g)
{
    *g = (gate){0};
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cond, NULL);
}

static void gate_destroy(gate *g)
{
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->mu);
}

/* Arm the next claim and wake the loop (an add to the memory store does), then wait until it blocks. */
static void block_next_claim(asyncz_scheduler *s, gate *ss)
{
    pthread_mutex_lock(&ss->mu);
    ss->armed = true;
    ss->let_go = ss->claim_done = false;
    pthread_mutex_unlock(&ss->mu);
    asyncz_task *t = az_test_task("wake", ASYNCZ_TIME_NONE);
    assert_int_equal(asyncz_task_set_store(t, "mem"), 0);
    assert_int_equal(asyncz_scheduler_add_task(s, t, ASYNCZ_REPLACE_EXISTING), 0);
    asyncz_task_free(t);
    pthread_mutex_lock(&ss->mu);
    while (!ss->in_claim && !ss->claim_done)
        pthread_cond_wait(&ss->cond, &ss->mu);
    assert_true(ss->in_claim);
    pthread_mutex_unlock(&ss->mu);
}

static bool claim_blocked(gate *ss)
{
    pthread_mutex_lock(&ss->mu);
    bool blocked = ss->in_claim;
    pthread_mutex_unlock(&ss->mu);
    return blocked;
}

static void let_claim_go(gate *ss)
{
    pthread_mutex_lock(&ss->mu);
    ss->let_go = true;
    pthread_cond_broadcast(&ss->cond);
    while (!ss->claim_done)
        pthread_cond_wait(&ss->cond, &ss->mu);
    pthread_mutex_unlock(&ss->mu);
}

static int fn_nothing(asyncz_run *run, void *ud)
{
    (void)run, (void)ud;
    return 0;
}

/* A running scheduler with stores "slow" (its gate g) and "mem". */
static asyncz_scheduler *start_two_stores(gate *g)
{
    gate_init(g);
    asyncz_scheduler *s;
    assert_int_equal(asyncz_scheduler_new(&s, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(s, "job", fn_nothing, NULL), 0);
    assert_int_equal(asyncz_scheduler_add_store(s, "slow", (asyncz_store *)slow_store_new(g)), 0);
    asyncz_store *mem;
    assert_int_equal(asyncz_store_memory_new(&mem), 0);
    assert_int_equal(asyncz_scheduler_add_store(s, "mem", mem), 0);
    assert_int_equal(asyncz_scheduler_start(s, 0), 0);
    return s;
}

/* ---- tests ----------------------------------------------------------------------------------------------
 */

static int64_t took_us(int64_t since, const char *what)
{
    int64_t us = mono_us() - since;
    print_message("  %-36s %8.3f ms\n", what, (double)us / 1000.0);
    return us;
}

/* While the slow store's claim blocks, add_task, get_task and list_tasks on the memory store and get_state
 * return, each before the claim does (before this change, each waited the whole 2 s). */
static void api_answers_while_a_claim_blocks(void **state)
{
    (void)state;
    gate ss_gate, *ss = &ss_gate;
    asyncz_scheduler *s = start_two_stores(ss);
    block_next_claim(s, ss);

    int64_t t0 = mono_us();
    asyncz_task *t = az_test_task("quick", asyncz_now() + 3600 * ASYNCZ_USEC_PER_SEC);
    assert_int_equal(asyncz_task_set_store(t, "mem"), 0);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0);
    asyncz_task_free(t);
    int64_t add_us = took_us(t0, "add_task (memory store)");

    t0 = mono_us();
    asyncz_task *got = NULL;
    assert_int_equal(asyncz_scheduler_get_task(s, &got, "quick", "mem"), 0);
    asyncz_task_free(got);
    int64_t get_us = took_us(t0, "get_task (memory store)");

    t0 = mono_us();
    asyncz_task_list *l = NULL;
    assert_int_equal(asyncz_scheduler_list_tasks(s, &l, "mem"), 0);
    assert_int_equal(asyncz_task_list_count(l), 2);
    asyncz_task_list_free(l);
    int64_t list_us = took_us(t0, "list_tasks (memory store)");

    t0 = mono_us();
    assert_int_equal(asyncz_scheduler_get_state(s), ASYNCZ_STATE_RUNNING);
    int64_t state_us = took_us(t0, "get_state");

    assert_true(claim_blocked(ss)); /* every call above returned while the claim was still blocked */
    let_claim_go(ss);
    int64_t longest = add_us > get_us ? add_us : get_us;
    longest = list_us > longest ? list_us : longest;
    longest = state_us > longest ? state_us : longest;
    assert_true(longest < CLAIM_BLOCK_SEC * 1000000);
    assert_int_equal(asyncz_scheduler_shutdown(s, true), 0);
    assert_int_equal(atomic_load(&ss->most), 1); /* the slow store was never called twice at once */
    asyncz_scheduler_free(s);
    gate_destroy(ss);
}

typedef struct lookup_call {
    asyncz_scheduler *s;
    atomic_bool done;
    int rc;
} lookup_call;

static void *lookup_slow(void *arg)
{
    lookup_call *c = arg;
    asyncz_task *t = NULL;
    c->rc = asyncz_scheduler_get_task(c->s, &t, "there", "slow");
    asyncz_task_free(t);
    atomic_store(&c->done, true);
    return NULL;
}

/* A call into the store whose claim blocks waits for the claim (one call at a time per store), and finds
 * what it looks for once the claim has returned. */
static void calls_into_one_store_take_turns(void **state)
{
    (void)state;
    gate ss_gate, *ss = &ss_gate;
    asyncz_scheduler *s = start_two_stores(ss);
    asyncz_task *t = az_test_task("there", asyncz_now() + 3600 * ASYNCZ_USEC_PER_SEC);
    assert_int_equal(asyncz_task_set_store(t, "slow"), 0);
    assert_int_equal(asyncz_scheduler_add_task(s, t, 0), 0);
    asyncz_task_free(t);
    block_next_claim(s, ss);

    lookup_call c = {.s = s};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, lookup_slow, &c), 0);
    struct timespec pause = {.tv_nsec = 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_false(atomic_load(&c.done)); /* waits behind the claim */
    let_claim_go(ss);
    pthread_join(th, NULL);
    assert_int_equal(c.rc, 0);
    assert_int_equal(atomic_load(&ss->most), 1);
    assert_int_equal(asyncz_scheduler_shutdown(s, true), 0);
    asyncz_scheduler_free(s);
    gate_destroy(ss);
}

typedef struct removal {
    asyncz_scheduler *s;
    atomic_bool done;
    int rc;
} removal;

static void *remove_slow(void *arg)
{
    removal *r = arg;
    r->rc = asyncz_scheduler_remove_store(r->s, "slow");
    atomic_store(&r->done, true);
    return NULL;
}

/* Removing a store whose claim is under way waits for the claim, then closes it; the scheduler goes on with
 * its other store, and a lookup in the removed one says it is not there. */
static void removing_a_store_waits_for_its_call(void **state)
{
    (void)state;
    gate ss_gate, *ss = &ss_gate;
    asyncz_scheduler *s = start_two_stores(ss);
    block_next_claim(s, ss);
    removal r = {.s = s};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, remove_slow, &r), 0);
    struct timespec pause = {.tv_nsec = 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_false(atomic_load(&r.done));
    let_claim_go(ss);
    pthread_join(th, NULL);
    assert_int_equal(r.rc, 0);
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_scheduler_get_task(s, &t, "wake", "slow"), ASYNCZ_ENOTFOUND);
    assert_int_equal(asyncz_scheduler_get_task(s, &t, "wake", "mem"), 0);
    asyncz_task_free(t);
    assert_int_equal(asyncz_scheduler_shutdown(s, true), 0);
    asyncz_scheduler_free(s);
    gate_destroy(ss);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(api_answers_while_a_claim_blocks),
    cmocka_unit_test(calls_into_one_store_take_turns),
    cmocka_unit_test(removing_a_store_waits_for_its_call),
};

AZ_TEST_MAIN(tests)
