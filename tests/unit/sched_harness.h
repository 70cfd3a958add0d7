/* Test harness for scheduler tests: a virtual clock, an inline executor written against the extension API
 * (so it also tests custom executors), recording task functions and a recording listener. Header-only so
 * each test program can include it. */
#ifndef AZ_SCHED_HARNESS_H
#define AZ_SCHED_HARNESS_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/sys/executor.h"
#include "az_test.h"

/* ---- virtual clock ------------------------------------------------------------------------------------ */

typedef struct vclock {
    asyncz_time_t now;
} vclock;

static inline asyncz_time_t vclock_now(void *ud)
{
    return ((vclock *)ud)->now;
}

/* ---- an inline executor (custom, through sys/executor.h) ------------------------------------------------
 */

typedef struct inline_exec {
    asyncz_executor_base base;
    int submitted;
    bool started;
} inline_exec;

static inline int inline_start(asyncz_executor *ex, const asyncz_executor_host *host)
{
    (void)host;
    ((inline_exec *)ex)->started = true;
    return 0;
}

static inline int inline_submit(asyncz_executor *ex, asyncz_run *run)
{
    ((inline_exec *)ex)->submitted++;
    asyncz_run_execute(run);
    return 0;
}

static inline void inline_shutdown(asyncz_executor *ex, bool wait)
{
    (void)wait;
    ((inline_exec *)ex)->started = false;
}

static inline void inline_destroy(asyncz_executor *ex)
{
    free(ex);
}

static const asyncz_executor_ops INLINE_OPS = {
    .version = ASYNCZ_EXECUTOR_OPS_VERSION,
    .name = "test-inline",
    .flags = ASYNCZ_EXECUTOR_INLINE | ASYNCZ_EXECUTOR_PENDING,
    .start = inline_start,
    .submit = inline_submit,
    .shutdown = inline_shutdown,
    .destroy = inline_destroy,
};

static inline asyncz_executor *inline_exec_new(void)
{
    inline_exec *ex = calloc(1, sizeof *ex);
    assert_non_null(ex);
    assert_int_equal(asyncz_executor_base_init(&ex->base, &INLINE_OPS), 0);
    return (asyncz_executor *)ex;
}

/* ---- recording ----------------------------------------------------------------------------------------- */

#define REC_MAX 4096

typedef struct rec_event {
    uint32_t code;
    char task_id[64];
    char alias[64];
    asyncz_time_t scheduled;
    size_t n_run_times;
    asyncz_time_t first_run_time;
    uint32_t coalesced;
    int error_code;
    char error_message[128];
    char result[64];
    int signal;
} rec_event;

typedef struct recorder {
    pthread_mutex_t lock;
    rec_event events[REC_MAX];
    size_t n_events;
    asyncz_time_t calls[REC_MAX]; /* scheduled times seen by task functions */
    size_t n_calls;
    asyncz_run *pending[64]; /* runs left pending by the "pending" function */
    size_t n_pending;
} recorder;

static inline void recorder_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
}

static inline void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static inline int record_event(const asyncz_event *e, void *ud)
{
    recorder *r = ud;
    pthread_mutex_lock(&r->lock);
    if (r->n_events < REC_MAX) {
        rec_event *x = &r->events[r->n_events++];
        x->code = e->code;
        copy_str(x->task_id, sizeof x->task_id, e->task_id);
        copy_str(x->alias, sizeof x->alias, e->alias);
        x->scheduled = e->scheduled_run_time;
        x->n_run_times = e->n_run_times;
        x->first_run_time = e->n_run_times ? e->run_times[0] : ASYNCZ_TIME_NONE;
        x->coalesced = e->coalesced;
        x->error_code = e->error_code;
        copy_str(x->error_message, sizeof x->error_message, e->error_message);
        copy_str(x->result, sizeof x->result, e->result_json);
        x->signal = e->signal;
    }
    pthread_mutex_unlock(&r->lock);
    return 0;
}

static inline size_t count_events(recorder *r, uint32_t code)
{
    size_t n = 0;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_events; i++)
        n += r->events[i].code == code;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* The i-th recorded event with this code (fails the test if there is none). */
static inline rec_event *nth_event(recorder *r, uint32_t code, size_t nth)
{
    for (size_t i = 0; i < r->n_events; i++)
        if (r->events[i].code == code && nth-- == 0)
            return &r->events[i];
    fail_msg("no event %s #%zu", asyncz_event_name(code), nth);
    return NULL;
}

static inline int fn_count(asyncz_run *run, void *ud)
{
    recorder *r = ud;
    pthread_mutex_lock(&r->lock);
    if (r->n_calls < REC_MAX)
        r->calls[r->n_calls++] = asyncz_run_scheduled_time(run);
    pthread_mutex_unlock(&r->lock);
    return ASYNCZ_RUN_DONE;
}

static inline size_t call_count(recorder *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->n_calls;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static inline int fn_fail(asyncz_run *run, void *ud)
{
    (void)ud;
    asyncz_run_set_error(run, -77, "boom at %lld", (long long)asyncz_run_scheduled_time(run));
    return ASYNCZ_RUN_DONE;
}

static inline int fn_result(asyncz_run *run, void *ud)
{
    (void)ud;
    int64_t a = 0, b = 0;
    asyncz_run_arg_int(run, 0, &a);
    asyncz_run_kwarg_int(run, "b", &b);
    char buf[64];
    snprintf(buf, sizeof buf, "{\"sum\":%lld}", (long long)(a + b));
    return asyncz_run_set_result(run, buf) == 0 ? ASYNCZ_RUN_DONE : ASYNCZ_EINVAL;
}

static inline int fn_pending(asyncz_run *run, void *ud)
{
    recorder *r = ud;
    fn_count(run, ud);
    pthread_mutex_lock(&r->lock);
    r->pending[r->n_pending++] = run;
    pthread_mutex_unlock(&r->lock);
    return ASYNCZ_RUN_PENDING;
}

/* An interval trigger in UTC starting at start, and a date trigger at when (new references). */
static inline asyncz_trigger *interval(int64_t every, asyncz_time_t start)
{
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    o.start_date = start;
    asyncz_trigger *t;
    assert_int_equal(asyncz_trigger_interval_new(&t, every, &o, NULL), 0);
    return t;
}

static inline asyncz_trigger *at(asyncz_time_t when)
{
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    asyncz_trigger *t;
    assert_int_equal(asyncz_trigger_date_new(&t, when, &o), 0);
    return t;
}

/* ---- a scheduler on the virtual clock ------------------------------------------------------------------ */

/* A new scheduler on clock (virtual time; zone UTC) with an inline executor "default", the function "count"
 * counting into rec, and every event recorded in rec. o (may be NULL) carries other options; its clock and
 * timezone are set here. Not started: the caller adds stores, functions and listeners, then starts it. */
static inline asyncz_scheduler *harness_scheduler_new(vclock *clock, recorder *rec,
                                                      asyncz_scheduler_options *o)
{
    asyncz_scheduler_options defaults;
    if (!o) {
        asyncz_scheduler_options_init(&defaults);
        o = &defaults;
    }
    o->clock = vclock_now;
    o->clock_userdata = clock;
    o->timezone = asyncz_zone_utc();
    asyncz_scheduler *s = NULL;
    assert_int_equal(asyncz_scheduler_new(&s, o), 0);
    assert_int_equal(asyncz_scheduler_add_executor(s, "default", inline_exec_new()), 0);
    assert_int_equal(asyncz_scheduler_register(s, "count", fn_count, rec), 0);
    assert_int_equal(asyncz_scheduler_add_listener(s, ASYNCZ_EVENT_ALL, record_event, rec, NULL), 0);
    return s;
}

/* One loop round of an embedded scheduler at virtual time t; returns the milliseconds until the next one is
 * needed (-1: none). */
static inline int harness_dispatch_at(asyncz_scheduler *s, vclock *clock, asyncz_time_t t)
{
    clock->now = t;
    int timeout = -2;
    assert_int_equal(asyncz_scheduler_dispatch(s, &timeout), 0);
    return timeout;
}

#endif
