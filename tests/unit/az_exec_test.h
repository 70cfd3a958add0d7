/* Helpers for the executor tests: runs made directly with az_run_new (no scheduler loop) whose done callback
 * records every outcome into a sink, and bounded waits for them. Header-only: each test program includes
 * it once. */
#ifndef AZ_EXEC_TEST_H
#define AZ_EXEC_TEST_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "az_test.h"
#include "asyncz/sys/executor.h"
#include "core/run_internal.h"
#include "core/run_output.h"
#include "core/scheduler_internal.h"

#define SINK_MAX 512
#define WAIT_SECONDS 10

/* One outcome of one scheduled time of a finished run. */
typedef struct sink_rec {
    char task_id[64];
    uint32_t code;
    int error_code;
    int signal;
    char message[256];
    char result[256];
    char run_id[AZ_RUN_ID_SIZE];
    uint8_t fail_kind; /* AZ_FAIL_* */
    int exit_status;
    bool timed; /* started and finished times set */
    size_t n_output;
    char last_output[256]; /* the last output line's text */
} sink_rec;

typedef struct sink {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t runs;    /* done callbacks for finished runs */
    size_t resumes; /* done callbacks asking to continue a run */
    size_t n;
    sink_rec recs[SINK_MAX];
} sink;

static inline void sink_init(sink *k)
{
    memset(k, 0, sizeof *k);
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->cond, NULL);
}

static inline void sink_close(sink *k)
{
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->lock);
}

static inline void sink_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static inline void sink_done(asyncz_run *run, void *userdata)
{
    sink *k = userdata;
    pthread_mutex_lock(&k->lock);
    if (run->resume) {
        /* A pending run completed with times left: continue it, as the scheduler's loop would. */
        k->resumes++;
        pthread_mutex_unlock(&k->lock);
        asyncz_run_execute(run);
        return;
    }
    for (size_t i = 0; i < run->n_times && k->n < SINK_MAX; i++) {
        sink_rec *r = &k->recs[k->n++];
        const az_run_outcome *oc = &run->outcomes[i];
        sink_copy(r->task_id, sizeof r->task_id, asyncz_run_task_id(run));
        r->code = oc->code;
        r->error_code = oc->error_code;
        r->signal = oc->signal;
        sink_copy(r->message, sizeof r->message, oc->error_message);
        sink_copy(r->result, sizeof r->result, oc->result);
        sink_copy(r->run_id, sizeof r->run_id, oc->run_id);
        r->fail_kind = oc->fail_kind;
        r->exit_status = oc->exit_status;
        r->timed = oc->started != ASYNCZ_TIME_NONE && oc->finished >= oc->started;
        const asyncz_output_line *lines = az_output_lines(oc->output, &r->n_output);
        sink_copy(r->last_output, sizeof r->last_output, r->n_output ? lines[r->n_output - 1].text : NULL);
    }
    k->runs++;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    az_run_free(run);
}

/* Wait until at least `runs` runs have finished; false after WAIT_SECONDS. */
static inline bool sink_wait(sink *k, size_t runs)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&k->lock);
    int rc = 0;
    while (k->runs < runs && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&k->cond, &k->lock, &until);
    bool ok = k->runs >= runs;
    pthread_mutex_unlock(&k->lock);
    return ok;
}

static inline size_t sink_runs(sink *k)
{
    pthread_mutex_lock(&k->lock);
    size_t n = k->runs;
    pthread_mutex_unlock(&k->lock);
    return n;
}

/* The first record of task `id`, or NULL. */
static inline const sink_rec *sink_find(sink *k, const char *id)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->recs[i].task_id, id) == 0)
            return &k->recs[i];
    return NULL;
}

/* A run of function `func` for task `id` with args (JSON text, may be NULL), for n_times scheduled times
 * (now, now + 1 µs, ...), with an unlimited grace time so a queue wait never turns into a miss. */
static inline asyncz_run *make_run(asyncz_scheduler *s, sink *k, const char *func, const char *id,
                                   const char *args, size_t n_times)
{
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, func), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    if (args)
        assert_int_equal(asyncz_task_set_args_json(t, args), 0);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, ASYNCZ_GRACE_UNLIMITED), 0);
    asyncz_time_t times[8];
    assert_true(n_times >= 1 && n_times <= 8);
    asyncz_time_t now = asyncz_now();
    for (size_t i = 0; i < n_times; i++)
        times[i] = now + (asyncz_time_t)i;
    asyncz_task_fn fn = NULL;
    void *ud = NULL;
    az_scheduler_lookup_fn(s, func, &fn, &ud);
    az_run_init init = {.scheduler = s,
                        .task = t,
                        .fn = fn,
                        .fn_userdata = ud,
                        .store_alias = "default",
                        .token = 1,
                        .times = times,
                        .n_times = n_times,
                        .done = sink_done,
                        .done_userdata = k,
                        .output_max = ASYNCZ_RUN_OUTPUT_DEFAULT_MAX};
    asyncz_run *run = NULL;
    assert_int_equal(az_run_new(&run, &init), 0);
    asyncz_task_free(t);
    return run;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

#endif
