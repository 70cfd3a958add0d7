/* Runs: the context a task function sees, and how executors execute and finish runs. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/event.h"
#include "asyncz/log.h"
#include "core/log_internal.h"
#include "core/run_internal.h"
#include "core/run_output.h"
#include "core/scheduler_internal.h"

static const char LOGGER[] = "asyncz.executor";

/* Give an outcome its run id: a copy of `given` (checked), or a fresh one. */
static int set_run_id(az_run_outcome *oc, const char *given)
{
    if (!given)
        return az_run_id_generate(oc->run_id) == 0 ? 0 : ASYNCZ_EIO;
    if (!az_run_id_valid(given))
        return ASYNCZ_EINVAL;
    memcpy(oc->run_id, given, AZ_RUN_ID_SIZE);
    return 0;
}

int az_run_new(asyncz_run **out, const az_run_init *init)
{
    if (!out || !init || !init->task || !init->times || init->n_times == 0)
        return ASYNCZ_EINVAL;
    asyncz_run *r = calloc(1, sizeof *r);
    az_run_outcome *oc = !r ? NULL : init->n_times == 1 ? &r->one_outcome : calloc(init->n_times, sizeof *oc);
    if (!r || !oc) {
        free(r);
        return ASYNCZ_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < init->n_times && rc == 0; i++) {
        oc[i].scheduled = init->times[i];
        oc[i].exit_status = -1;
        oc[i].started = oc[i].finished = ASYNCZ_TIME_NONE;
        rc = set_run_id(&oc[i], init->run_ids ? init->run_ids[i] : NULL);
    }
    if (rc) {
        if (oc != &r->one_outcome)
            free(oc);
        free(r);
        return rc;
    }
    r->scheduler = init->scheduler;
    r->task = asyncz_task_ref(init->task);
    r->fn = init->fn;
    r->fn_userdata = init->fn_userdata;
    r->clock = init->clock;
    r->clock_userdata = init->clock_userdata;
    r->store_alias = init->store_alias;
    r->token = init->token;
    r->coalesced = init->coalesced ? init->coalesced : (uint32_t)init->n_times;
    r->n_times = init->n_times;
    r->outcomes = oc;
    r->done = init->done;
    r->done_userdata = init->done_userdata;
    r->fail_exit_status = -1;
    r->fn_fail_kind = -1;
    r->fn_exit_status = -1;
    r->output_max = init->output_max;
    r->output_published_at = ASYNCZ_TIME_NONE;
    pthread_mutex_init(&r->output_lock, NULL);
    *out = r;
    return 0;
}

static void clear_scratch(asyncz_run *r)
{
    free(r->result);
    free(r->error_message);
    r->result = r->error_message = NULL;
    r->error_code = 0;
    r->fn_fail_kind = -1;
    r->fn_exit_status = -1;
    r->fn_signal = 0;
}

void az_run_free(asyncz_run *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_times; i++) {
        free(r->outcomes[i].result);
        free(r->outcomes[i].error_message);
        az_output_free(r->outcomes[i].output);
    }
    if (r->outcomes != &r->one_outcome)
        free(r->outcomes);
    clear_scratch(r);
    asyncz_task_free(r->task);
    pthread_mutex_destroy(&r->output_lock);
    free(r);
}

asyncz_time_t asyncz_run_now(const asyncz_run *r)
{
    return r && r->clock ? r->clock(r->clock_userdata) : asyncz_now();
}

/* ---- the context a function sees ---------------------------------------------------------------- */

const char *asyncz_run_task_id(const asyncz_run *r)
{
    return asyncz_task_id(r->task);
}

const char *asyncz_run_task_name(const asyncz_run *r)
{
    return asyncz_task_name(r->task);
}

const char *asyncz_run_func(const asyncz_run *r)
{
    return asyncz_task_func(r->task);
}

asyncz_time_t asyncz_run_scheduled_time(const asyncz_run *r)
{
    return r->outcomes[r->current < r->n_times ? r->current : r->n_times - 1].scheduled;
}

const char *asyncz_run_id(const asyncz_run *r)
{
    return r->outcomes[r->current < r->n_times ? r->current : r->n_times - 1].run_id;
}

uint32_t asyncz_run_coalesced(const asyncz_run *r)
{
    return r->coalesced;
}

uint64_t asyncz_run_fencing_token(const asyncz_run *r)
{
    return r->token;
}

asyncz_scheduler *asyncz_run_scheduler(const asyncz_run *r)
{
    return r->scheduler;
}

const char *asyncz_run_args_json(const asyncz_run *r)
{
    return asyncz_task_args_json(r->task);
}

const char *asyncz_run_kwargs_json(const asyncz_run *r)
{
    return asyncz_task_kwargs_json(r->task);
}

size_t asyncz_run_arg_count(const asyncz_run *r)
{
    return r->task->args ? json_array_size(r->task->args) : 0;
}

static json_t *arg_at(const asyncz_run *r, size_t i)
{
    return r->task->args ? json_array_get(r->task->args, i) : NULL;
}

static json_t *kwarg(const asyncz_run *r, const char *key)
{
    return r->task->kwargs && key ? json_object_get(r->task->kwargs, key) : NULL;
}

static int get_int(json_t *v, int64_t *out)
{
    if (!v)
        return ASYNCZ_ENOTFOUND;
    if (!json_is_integer(v))
        return ASYNCZ_EINVAL;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int get_double(json_t *v, double *out)
{
    if (!v)
        return ASYNCZ_ENOTFOUND;
    if (!json_is_number(v))
        return ASYNCZ_EINVAL;
    *out = json_number_value(v);
    return 0;
}

static int get_bool(json_t *v, bool *out)
{
    if (!v)
        return ASYNCZ_ENOTFOUND;
    if (!json_is_boolean(v))
        return ASYNCZ_EINVAL;
    *out = json_is_true(v);
    return 0;
}

static int get_string(json_t *v, const char **out)
{
    if (!v)
        return ASYNCZ_ENOTFOUND;
    if (!json_is_string(v))
        return ASYNCZ_EINVAL;
    *out = json_string_value(v);
    return 0;
}

int asyncz_run_arg_int(const asyncz_run *r, size_t i, int64_t *out)
{
    return out ? get_int(arg_at(r, i), out) : ASYNCZ_EINVAL;
}

int asyncz_run_arg_double(const asyncz_run *r, size_t i, double *out)
{
    return out ? get_double(arg_at(r, i), out) : ASYNCZ_EINVAL;
}

int asyncz_run_arg_bool(const asyncz_run *r, size_t i, bool *out)
{
    return out ? get_bool(arg_at(r, i), out) : ASYNCZ_EINVAL;
}

int asyncz_run_arg_string(const asyncz_run *r, size_t i, const char **out)
{
    return out ? get_string(arg_at(r, i), out) : ASYNCZ_EINVAL;
}

int asyncz_run_kwarg_int(const asyncz_run *r, const char *key, int64_t *out)
{
    return out ? get_int(kwarg(r, key), out) : ASYNCZ_EINVAL;
}

int asyncz_run_kwarg_double(const asyncz_run *r, const char *key, double *out)
{
    return out ? get_double(kwarg(r, key), out) : ASYNCZ_EINVAL;
}

int asyncz_run_kwarg_bool(const asyncz_run *r, const char *key, bool *out)
{
    return out ? get_bool(kwarg(r, key), out) : ASYNCZ_EINVAL;
}

int asyncz_run_kwarg_string(const asyncz_run *r, const char *key, const char **out)
{
    return out ? get_string(kwarg(r, key), out) : ASYNCZ_EINVAL;
}

/* ---- outcome ------------------------------------------------------------------------------------- */

int asyncz_run_set_result(asyncz_run *r, const char *json)
{
    if (!r || !json)
        return ASYNCZ_EINVAL;
    size_t len = strlen(json);
    if (len > ASYNCZ_TASK_ARGS_MAX)
        return ASYNCZ_ETOOBIG;
    json_error_t jerr;
    json_t *v = json_loadb(json, len, JSON_DECODE_ANY, &jerr);
    if (!v)
        return ASYNCZ_EPARSE;
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    if (!text)
        return ASYNCZ_ENOMEM;
    free(r->result);
    r->result = text;
    return 0;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

void asyncz_run_set_error(asyncz_run *r, int code, const char *fmt, ...)
{
    if (!r)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = fmt ? vformat(fmt, ap) : NULL;
    va_end(ap);
    free(r->error_message);
    r->error_message = msg;
    r->error_code = code ? code : ASYNCZ_EINVAL;
}

/* Record the outcome of the current time from the function's return status and the scratch fields. */
static void record_status(asyncz_run *r, int status)
{
    az_run_outcome *oc = &r->outcomes[r->current];
    if (oc->finished == ASYNCZ_TIME_NONE)
        oc->finished = asyncz_run_now(r);
    if (status < 0 && !r->error_code)
        r->error_code = status;
    if (status > ASYNCZ_RUN_PENDING) {
        r->error_code = ASYNCZ_EINVAL;
        free(r->error_message);
        r->error_message = NULL;
        r->error_message =
            format("function returned %d, which is neither done, pending nor an error", status);
    }
    if (r->error_code) {
        oc->code = ASYNCZ_EVENT_TASK_ERROR;
        oc->error_code = r->error_code;
        if (r->fn_fail_kind >= 0) {
            oc->fail_kind = (uint8_t)r->fn_fail_kind;
            oc->exit_status = r->fn_exit_status;
            oc->signal = r->fn_signal;
        }
        oc->error_message = r->error_message;
        r->error_message = NULL;
        if (!oc->error_message)
            oc->error_message =
                format("%s (%s)", asyncz_strerror(oc->error_code), asyncz_err_name(oc->error_code));
    } else {
        oc->code = ASYNCZ_EVENT_TASK_EXECUTED;
        oc->result = r->result;
        r->result = NULL;
    }
    clear_scratch(r);
    r->current++;
}

static void finish(asyncz_run *r)
{
    r->resume = false;
    if (r->done)
        r->done(r, r->done_userdata);
    else
        az_run_free(r);
}

/* Whether the current time is past the task's grace at `now` (strictly later than the grace allows). A run
 * requested outside the schedule is never missed: someone asked for it, however late it starts. */
static bool missed(const asyncz_run *r, asyncz_time_t now)
{
    int64_t grace = r->task->grace;
    const az_run_outcome *oc = &r->outcomes[r->current];
    if (oc->scheduled == r->task->run_requested)
        return false;
    return grace != ASYNCZ_GRACE_UNLIMITED && now - oc->scheduled > grace;
}

/* Report the current time as missed at `now` and move on. */
static void record_missed(asyncz_run *r, asyncz_time_t now)
{
    az_run_outcome *oc = &r->outcomes[r->current];
    oc->code = ASYNCZ_EVENT_TASK_MISSED;
    char at[AZ_LOG_TEXT_SIZE], late[AZ_LOG_TEXT_SIZE];
    az_log_time(at, sizeof at, oc->scheduled);
    az_log_duration(late, sizeof late, now - oc->scheduled);
    asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "run of task \"%s\" (%s) due at %s missed by %s",
               asyncz_run_task_name(r), asyncz_run_task_id(r), at, late);
    r->current++;
}

bool az_run_skip_missed(asyncz_run *r)
{
    asyncz_time_t now = asyncz_run_now(r);
    while (r->current < r->n_times && missed(r, now))
        record_missed(r, now);
    if (r->current < r->n_times)
        return false;
    finish(r);
    return true;
}

static void log_call(const asyncz_run *r, const char *what)
{
    if (!asyncz_log_enabled(r->debug_log ? ASYNCZ_LOG_INFO : ASYNCZ_LOG_DEBUG))
        return;
    char when[ASYNCZ_TIME_FORMAT_SIZE];
    asyncz_time_format(when, sizeof when, asyncz_run_scheduled_time(r), NULL);
    asyncz_log(r->debug_log ? ASYNCZ_LOG_INFO : ASYNCZ_LOG_DEBUG, LOGGER,
               "%s task \"%s\" (%s, scheduled at %s)", what, asyncz_run_task_name(r), asyncz_run_task_id(r),
               when);
}

int asyncz_run_execute(asyncz_run *r)
{
    while (r->current < r->n_times) {
        asyncz_time_t now = asyncz_run_now(r);
        if (missed(r, now)) {
            record_missed(r, now);
            continue;
        }
        if (!r->fn) {
            asyncz_run_set_error(r, ASYNCZ_ENOTFOUND, "function \"%s\" is not registered",
                                 asyncz_run_func(r));
            record_status(r, ASYNCZ_ENOTFOUND);
            continue;
        }
        log_call(r, "running");
        r->outcomes[r->current].started = now;
        int status = r->fn(r, r->fn_userdata);
        if (status == ASYNCZ_RUN_PENDING && !r->no_pending)
            return ASYNCZ_RUN_PENDING;
        if (status == ASYNCZ_RUN_PENDING)
            asyncz_run_set_error(r, ASYNCZ_EUNSUPPORTED, "this executor does not allow pending runs");
        record_status(r, status == ASYNCZ_RUN_PENDING ? ASYNCZ_EUNSUPPORTED : status);
        log_call(r, "finished");
    }
    finish(r);
    return ASYNCZ_RUN_DONE;
}

void asyncz_run_complete(asyncz_run *r, int status)
{
    if (!r || r->current >= r->n_times)
        return;
    record_status(r, status == ASYNCZ_RUN_PENDING ? ASYNCZ_EINVAL : status);
    if (r->current < r->n_times && r->done) {
        /* More times to run: the owner continues the run on its loop thread. */
        r->resume = true;
        r->done(r, r->done_userdata);
        return;
    }
    if (r->current < r->n_times) {
        asyncz_run_execute(r);
        return;
    }
    finish(r);
}

void asyncz_run_fail(asyncz_run *r, int code, int signal, const char *fmt, ...)
{
    if (!r)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = fmt ? vformat(fmt, ap) : NULL;
    va_end(ap);
    asyncz_time_t now = asyncz_run_now(r);
    for (; r->current < r->n_times; r->current++) {
        az_run_outcome *oc = &r->outcomes[r->current];
        oc->code = ASYNCZ_EVENT_TASK_ERROR;
        oc->error_code = code ? code : ASYNCZ_EINVAL;
        oc->signal = signal;
        oc->fail_kind = r->fail_kind;
        oc->exit_status = r->fail_exit_status;
        oc->finished = now;
        oc->error_message = strdup(msg ? msg : asyncz_strerror(oc->error_code));
    }
    free(msg);
    finish(r);
}

/* ---- how a failure is recorded ---------------------------------------------------------------------------
 */

int asyncz_run_set_failure(asyncz_run *r, asyncz_run_outcome kind, int exit_status, int signal)
{
    if (!r || (kind != ASYNCZ_RUN_FAILED && kind != ASYNCZ_RUN_TIMED_OUT && kind != ASYNCZ_RUN_CRASHED) ||
        exit_status > 255 || signal < 0)
        return ASYNCZ_EINVAL;
    r->fn_fail_kind = (int8_t)(kind == ASYNCZ_RUN_TIMED_OUT ? AZ_FAIL_TIMEOUT
                               : kind == ASYNCZ_RUN_CRASHED ? AZ_FAIL_CRASH
                                                            : AZ_FAIL_ERROR);
    r->fn_exit_status = exit_status < 0 ? -1 : exit_status;
    r->fn_signal = signal;
    return 0;
}

int az_run_outcome_of(const az_run_outcome *oc)
{
    switch (oc->code) {
    case ASYNCZ_EVENT_TASK_EXECUTED:
        return ASYNCZ_RUN_SUCCEEDED;
    case ASYNCZ_EVENT_TASK_MISSED:
        return ASYNCZ_RUN_MISSED;
    case ASYNCZ_EVENT_TASK_ERROR:
        return oc->fail_kind == AZ_FAIL_TIMEOUT     ? ASYNCZ_RUN_TIMED_OUT
               : oc->fail_kind == AZ_FAIL_CRASH     ? ASYNCZ_RUN_CRASHED
               : oc->fail_kind == AZ_FAIL_CANCELLED ? ASYNCZ_RUN_CANCELLED
                                                    : ASYNCZ_RUN_FAILED;
    default:
        return ASYNCZ_RUN_CANCELLED; /* never reached its turn */
    }
}

/* ---- output ------------------------------------------------------------------------------------------ */

/* Output was added to r: a run whose output the scheduler publishes while it runs is marked, and the
 * scheduler woken, once until its round has copied the output (so at most once per copy, not per line). */
static void output_grew(asyncz_run *r)
{
    if (!r->output_live || atomic_load_explicit(&r->output_dirty, memory_order_relaxed) ||
        atomic_exchange(&r->output_dirty, true))
        return;
    atomic_fetch_add(&r->scheduler->output_dirty_runs, 1);
    az_loop_wake(r->scheduler);
}

/* The output of oc, made on first use (output_lock held). NULL: out of memory. */
static az_output *output_of(asyncz_run *r, az_run_outcome *oc)
{
    if (!oc->output)
        oc->output = az_output_new(r->output_max);
    return oc->output;
}

int asyncz_run_output(asyncz_run *r, asyncz_output_stream stream, const char *text)
{
    if (!r || !text || stream < ASYNCZ_OUTPUT_STDOUT || stream > ASYNCZ_OUTPUT_NOTE)
        return ASYNCZ_EINVAL;
    size_t i = r->current;
    if (r->output_max == 0 || i >= r->n_times)
        return 0;
    asyncz_time_t now = asyncz_run_now(r);
    az_run_outcome *oc = &r->outcomes[i];
    pthread_mutex_lock(&r->output_lock);
    az_output *o = output_of(r, oc);
    int rc = o ? az_output_add(o, now, stream, text, strlen(text)) : ASYNCZ_ENOMEM;
    if (rc == 0 && r->output_ship && r->output_ship(r, i, oc->started, o, r->output_ship_userdata)) {
        az_output_free(o);
        oc->output = NULL;
    }
    pthread_mutex_unlock(&r->output_lock);
    if (rc == 0)
        output_grew(r);
    return rc;
}

/* Add a worker's lines (a JSON array) to oc's output (output_lock held); nothing when r keeps none. */
static int output_add_json(asyncz_run *r, az_run_outcome *oc, const json_t *lines, bool truncated)
{
    if (r->output_max == 0 || json_array_size(lines) == 0)
        return 0;
    az_output *o = output_of(r, oc);
    return o ? az_output_add_json(o, lines, truncated) : ASYNCZ_ENOMEM;
}

int az_run_output_encode(size_t index, asyncz_time_t started, const az_output *o, char **out, size_t *len)
{
    json_t *lines = az_output_to_json(o);
    json_t *msg =
        lines ? json_pack("{s:I, s:I, s:o, s:b}", "i", (json_int_t)index, "started", (json_int_t)started,
                          "output", lines, "output_truncated", (int)(o && o->truncated))
              : NULL;
    *out = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (!*out)
        return ASYNCZ_ENOMEM;
    *len = strlen(*out);
    return 0;
}

int az_run_output_received(asyncz_run *r, size_t base, const char *msg, size_t len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(msg, len, 0, &jerr);
    json_int_t index = -1, started = ASYNCZ_TIME_NONE;
    int truncated = 0;
    json_t *lines = NULL;
    if (!doc ||
        json_unpack(doc, "{s:I, s?I, s:o, s?b}", "i", &index, "started", &started, "output", &lines,
                    "output_truncated", &truncated) != 0 ||
        index < 0 || (size_t)index >= r->n_times - base || !json_is_array(lines)) {
        json_decref(doc);
        return ASYNCZ_EPARSE;
    }
    az_run_outcome *oc = &r->outcomes[base + (size_t)index];
    pthread_mutex_lock(&r->output_lock);
    if (oc->started == ASYNCZ_TIME_NONE)
        oc->started = (asyncz_time_t)started;
    int rc = output_add_json(r, oc, lines, truncated);
    pthread_mutex_unlock(&r->output_lock);
    json_decref(doc);
    output_grew(r);
    return rc;
}

/* ---- shipping a run to another process ------------------------------------------------------------ */

int asyncz_run_encode(const asyncz_run *r, char **out, size_t *len)
{
    if (!r || !out)
        return ASYNCZ_EINVAL;
    json_t *times = json_array();
    json_t *ids = json_array();
    for (size_t i = r->current; times && ids && i < r->n_times; i++) {
        json_array_append_new(times, json_integer(r->outcomes[i].scheduled));
        json_array_append_new(ids, json_string(r->outcomes[i].run_id));
    }
    /* The task's args are shared with other copies of the task on other threads: let jansson take its
     * references itself ("O"), and give tasks without args fresh empty values that are dropped after. */
    json_t *no_args = r->task->args ? NULL : json_array();
    json_t *no_kwargs = r->task->kwargs ? NULL : json_object();
    json_t *msg = json_pack("{s:s, s:s, s:s, s:O, s:O, s:o, s:o, s:I, s:I, s:I, s:I}", "id",
                            asyncz_run_task_id(r), "name", asyncz_run_task_name(r), "func",
                            asyncz_run_func(r), "args", r->task->args ? r->task->args : no_args, "kwargs",
                            r->task->kwargs ? r->task->kwargs : no_kwargs, "times", times, "run_ids", ids,
                            "token", (json_int_t)r->token, "coalesced", (json_int_t)r->coalesced, "grace",
                            (json_int_t)r->task->grace, "output_max", (json_int_t)r->output_max);
    json_decref(no_args);
    json_decref(no_kwargs);
    if (!msg)
        return ASYNCZ_ENOMEM;
    *out = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!*out)
        return ASYNCZ_ENOMEM;
    if (len)
        *len = strlen(*out);
    return 0;
}

/* The task a worker rebuilds from a message. */
static int task_from_message(json_t *msg, asyncz_task **out)
{
    const char *id, *name, *func;
    json_t *args, *kwargs;
    if (json_unpack(msg, "{s:s, s:s, s:s, s:o, s:o}", "id", &id, "name", &name, "func", &func, "args", &args,
                    "kwargs", &kwargs) != 0)
        return ASYNCZ_EPARSE;
    asyncz_task *t;
    int rc = asyncz_task_new(&t, func);
    if (rc == 0 && (rc = asyncz_task_set_id(t, id)) == 0 && (rc = asyncz_task_set_name(t, name)) == 0 &&
        (rc = az_task_set_args_value(t, json_incref(args))) == 0)
        rc = az_task_set_kwargs_value(t, json_incref(kwargs));
    if (rc) {
        asyncz_task_free(t);
        return rc == ASYNCZ_ENOMEM ? rc : ASYNCZ_EPARSE;
    }
    json_int_t grace;
    if (json_unpack(msg, "{s:I}", "grace", &grace) == 0)
        t->grace = grace;
    *out = t;
    return 0;
}

static json_t *outcome_json_bare(const az_run_outcome *oc)
{
    if (oc->code == ASYNCZ_EVENT_TASK_EXECUTED) {
        json_t *res = NULL;
        if (oc->result) {
            json_error_t e;
            res = json_loads(oc->result, JSON_DECODE_ANY, &e);
        }
        return json_pack("{s:I, s:s, s:o*, s:I, s:I}", "t", (json_int_t)oc->scheduled, "status", "executed",
                         "result", res, "started", (json_int_t)oc->started, "finished",
                         (json_int_t)oc->finished);
    }
    return json_pack("{s:I, s:s, s:i, s:s, s:I, s:I, s:i, s:i, s:i}", "t", (json_int_t)oc->scheduled,
                     "status", "error", "code", oc->error_code, "message",
                     oc->error_message ? oc->error_message : "", "started", (json_int_t)oc->started,
                     "finished", (json_int_t)oc->finished, "kind", (int)oc->fail_kind, "exit_status",
                     oc->exit_status, "signal", oc->signal);
}

/* An outcome's output, added to its message o (stolen; NULL stays NULL). */
static json_t *with_output(json_t *o, const az_run_outcome *oc)
{
    if (!o || !oc->output)
        return o;
    json_t *lines = az_output_to_json(oc->output);
    if (!lines || json_object_set_new(o, "output", lines) != 0 ||
        json_object_set_new(o, "output_truncated", json_boolean(oc->output->truncated)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *outcome_json(const az_run_outcome *oc)
{
    return with_output(outcome_json_bare(oc), oc);
}

/* Run the rebuilt task for each time, inline, collecting the outcomes. */
static int invoke_times(asyncz_scheduler *s, asyncz_task *task, json_t *msg, json_t *times,
                        az_output_ship_fn ship, void *ship_userdata, char **out, size_t *out_len)
{
    asyncz_task_fn fn = NULL;
    void *ud = NULL;
    az_scheduler_lookup_fn(s, asyncz_task_func(task), &fn, &ud);
    json_int_t token = 0, coalesced = 1, output_max = 0;
    json_unpack(msg, "{s?I, s?I, s?I}", "token", &token, "coalesced", &coalesced, "output_max", &output_max);
    size_t n = json_array_size(times);
    asyncz_time_t *tv = calloc(n ? n : 1, sizeof *tv);
    if (!tv)
        return ASYNCZ_ENOMEM;
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    json_t *id_list = json_object_get(msg, "run_ids");
    bool have_ids = json_array_size(id_list) == n;
    for (size_t i = 0; ids && i < n; i++) {
        tv[i] = (asyncz_time_t)json_integer_value(json_array_get(times, i));
        ids[i] = have_ids ? json_string_value(json_array_get(id_list, i)) : NULL;
        have_ids = have_ids && ids[i];
    }
    if (!ids) {
        free(tv);
        return ASYNCZ_ENOMEM;
    }
    az_run_init init = {.scheduler = s,
                        .task = task,
                        .fn = fn,
                        .fn_userdata = ud,
                        .token = (uint64_t)token,
                        .coalesced = (uint32_t)coalesced,
                        .times = tv,
                        .n_times = n,
                        .run_ids = have_ids ? ids : NULL,
                        .output_max = output_max > 0 ? (size_t)output_max : 0};
    asyncz_run *r;
    int rc = az_run_new(&r, &init);
    free(tv);
    free(ids);
    if (rc)
        return rc;
    r->no_pending = true;
    r->task->grace = ASYNCZ_GRACE_UNLIMITED; /* lateness was judged by the scheduler's clock */
    r->output_ship = ship;
    r->output_ship_userdata = ship_userdata;
    while (r->current < r->n_times) {
        r->outcomes[r->current].started = asyncz_run_now(r);
        int st = r->fn ? r->fn(r, r->fn_userdata) : ASYNCZ_ENOTFOUND;
        if (!r->fn)
            asyncz_run_set_error(r, ASYNCZ_ENOTFOUND, "function \"%s\" is not registered",
                                 asyncz_task_func(task));
        if (st == ASYNCZ_RUN_PENDING) {
            asyncz_run_set_error(r, ASYNCZ_EUNSUPPORTED, "a process pool does not allow pending runs");
            st = ASYNCZ_EUNSUPPORTED;
        }
        record_status(r, st);
    }
    json_t *list = json_array();
    for (size_t i = 0; list && i < r->n_times; i++)
        json_array_append_new(list, outcome_json(&r->outcomes[i]));
    az_run_free(r);
    json_t *doc = list ? json_pack("{s:o}", "outcomes", list) : NULL;
    *out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!*out)
        return ASYNCZ_ENOMEM;
    if (out_len)
        *out_len = strlen(*out);
    return 0;
}

int asyncz_run_invoke_encoded(asyncz_scheduler *s, const char *text, size_t len, char **out, size_t *out_len)
{
    return az_run_invoke_streaming(s, text, len, NULL, NULL, out, out_len);
}

int az_run_invoke_streaming(asyncz_scheduler *s, const char *text, size_t len, az_output_ship_fn ship,
                            void *ship_userdata, char **out, size_t *out_len)
{
    if (!s || !text || !out)
        return ASYNCZ_EINVAL;
    json_error_t jerr;
    json_t *msg = json_loadb(text, len, 0, &jerr);
    json_t *times = msg ? json_object_get(msg, "times") : NULL;
    if (!json_is_array(times) || json_array_size(times) == 0) {
        json_decref(msg);
        return ASYNCZ_EPARSE;
    }
    asyncz_task *task;
    int rc = task_from_message(msg, &task);
    if (rc == 0) {
        rc = invoke_times(s, task, msg, times, ship, ship_userdata, out, out_len);
        asyncz_task_free(task);
    }
    json_decref(msg);
    return rc;
}

/* Apply one outcome from a worker to the current time of the run. */
static int apply_outcome(asyncz_run *r, json_t *o)
{
    const char *status;
    if (json_unpack(o, "{s:s}", "status", &status) != 0)
        return ASYNCZ_EPARSE;
    json_int_t started = ASYNCZ_TIME_NONE, finished = ASYNCZ_TIME_NONE;
    json_unpack(o, "{s?I, s?I}", "started", &started, "finished", &finished);
    az_run_outcome *oc = &r->outcomes[r->current];
    /* The lines the worker did not send while the function ran come after those it did. A malformed line
     * ends them; the outcome is kept. */
    pthread_mutex_lock(&r->output_lock);
    oc->started = (asyncz_time_t)started;
    output_add_json(r, oc, json_object_get(o, "output"),
                    json_is_true(json_object_get(o, "output_truncated")));
    pthread_mutex_unlock(&r->output_lock);
    oc->finished = (asyncz_time_t)finished;
    if (strcmp(status, "executed") == 0) {
        json_t *res = json_object_get(o, "result");
        if (res && !json_is_null(res))
            r->result = json_dumps(res, JSON_COMPACT | JSON_ENCODE_ANY);
        record_status(r, ASYNCZ_RUN_DONE);
        return 0;
    }
    int code = 0;
    const char *message = "";
    if (strcmp(status, "error") != 0 || json_unpack(o, "{s:i, s:s}", "code", &code, "message", &message) != 0)
        return ASYNCZ_EPARSE;
    int kind = AZ_FAIL_ERROR, exit_status = -1, sig = 0;
    json_unpack(o, "{s?i, s?i, s?i}", "kind", &kind, "exit_status", &exit_status, "signal", &sig);
    asyncz_run_set_error(r, code ? code : ASYNCZ_EINVAL, "%s", message);
    if (kind == AZ_FAIL_TIMEOUT || kind == AZ_FAIL_CRASH || exit_status >= 0 || sig > 0)
        asyncz_run_set_failure(r,
                               kind == AZ_FAIL_TIMEOUT ? ASYNCZ_RUN_TIMED_OUT
                               : kind == AZ_FAIL_CRASH ? ASYNCZ_RUN_CRASHED
                                                       : ASYNCZ_RUN_FAILED,
                               exit_status > 255 ? -1 : exit_status, sig < 0 ? 0 : sig);
    record_status(r, code ? code : ASYNCZ_EINVAL);
    return 0;
}

void asyncz_run_finish_encoded(asyncz_run *r, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *doc = text ? json_loadb(text, len, 0, &jerr) : NULL;
    json_t *list = doc ? json_object_get(doc, "outcomes") : NULL;
    size_t i = 0;
    for (; json_is_array(list) && i < json_array_size(list) && r->current < r->n_times; i++)
        if (apply_outcome(r, json_array_get(list, i)) != 0)
            break;
    json_decref(doc);
    if (r->current < r->n_times) {
        asyncz_run_fail(r, ASYNCZ_EPARSE, 0, "malformed outcome from a worker process");
        return;
    }
    finish(r);
}
