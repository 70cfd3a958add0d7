/* The run history and audit trail calls of the Core type: list_runs, get_run, list_audit. Records cross
 * into Python as dicts (times as microseconds, outcomes, sources and actions by name); a listing returns
 * its page and the cursor of the next one (None after the last). The store is read with the GIL released,
 * into copies, which become dicts once it is held again. */
#include "casyncz.h"

#include <stdlib.h>
#include <string.h>

#define CORE(self) ((casyncz_core_object *)(self))

/* ---- building dicts ----------------------------------------------------------------------------------- */

static const char *stream_name(asyncz_output_stream stream)
{
    return stream == ASYNCZ_OUTPUT_STDOUT ? "stdout" : stream == ASYNCZ_OUTPUT_STDERR ? "stderr" : "note";
}

/* [(time, stream, text), ...] of a record's output lines. */
static PyObject *output_list(const asyncz_run_record *r)
{
    PyObject *lines = PyList_New((Py_ssize_t)r->n_output);
    for (size_t i = 0; lines && i < r->n_output; i++) {
        const asyncz_output_line *l = &r->output[i];
        PyObject *t = casyncz_time_to_py(l->time), *text = casyncz_text_to_py(l->text ? l->text : "");
        PyObject *line = t && text ? Py_BuildValue("(OsO)", t, stream_name(l->stream), text) : NULL;
        Py_XDECREF(t);
        Py_XDECREF(text);
        if (!line) {
            Py_CLEAR(lines);
            break;
        }
        PyList_SetItem(lines, (Py_ssize_t)i, line);
    }
    return lines;
}

static PyObject *run_dict(const asyncz_run_record *r)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    if (casyncz_dict_put(d, "run_id", casyncz_text_to_py(r->run_id)) ||
        casyncz_dict_put(d, "task_id", casyncz_text_to_py(r->task_id)) ||
        casyncz_dict_put(d, "task_name", casyncz_text_to_py(r->task_name)) ||
        casyncz_dict_put(d, "store", casyncz_text_to_py(r->store_alias)) ||
        casyncz_dict_put(d, "scheduled_time", casyncz_time_to_py(r->scheduled_time)) ||
        casyncz_dict_put(d, "coalesced", PyLong_FromUnsignedLong(r->coalesced)) ||
        casyncz_dict_put(d, "source", PyUnicode_FromString(asyncz_run_source_name(r->source))) ||
        casyncz_dict_put(d, "scheduler", casyncz_text_to_py(r->scheduler)) ||
        casyncz_dict_put(d, "host", casyncz_text_to_py(r->host)) ||
        casyncz_dict_put(d, "pid", PyLong_FromLongLong(r->pid)) ||
        casyncz_dict_put(d, "fencing_token", PyLong_FromUnsignedLongLong(r->fencing_token)) ||
        casyncz_dict_put(d, "submitted_at", casyncz_time_to_py(r->submitted_at)) ||
        casyncz_dict_put(d, "started_at", casyncz_time_to_py(r->started_at)) ||
        casyncz_dict_put(d, "finished_at", casyncz_time_to_py(r->finished_at)) ||
        casyncz_dict_put(d, "outcome", PyUnicode_FromString(asyncz_run_outcome_name(r->outcome))) ||
        casyncz_dict_put(d, "error_code", PyLong_FromLong(r->error_code)) ||
        casyncz_dict_put(d, "exit_status",
                         r->exit_status >= 0 ? PyLong_FromLong(r->exit_status) : Py_NewRef(Py_None)) ||
        casyncz_dict_put(d, "signal", PyLong_FromLong(r->signal)) ||
        casyncz_dict_put(d, "error_message", casyncz_text_to_py(r->error_message)) ||
        casyncz_dict_put(d, "result", casyncz_text_to_py(r->result)) ||
        casyncz_dict_put(d, "output", output_list(r)) ||
        casyncz_dict_put(d, "output_truncated", PyBool_FromLong(r->output_truncated))) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *audit_dict(const asyncz_audit_entry *e)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    if (casyncz_dict_put(d, "id", casyncz_text_to_py(e->id)) ||
        casyncz_dict_put(d, "at", casyncz_time_to_py(e->at)) ||
        casyncz_dict_put(d, "action", PyUnicode_FromString(asyncz_audit_action_name(e->action))) ||
        casyncz_dict_put(d, "task_id", casyncz_text_to_py(e->task_id)) ||
        casyncz_dict_put(d, "actor", casyncz_text_to_py(e->actor)) ||
        casyncz_dict_put(d, "host", casyncz_text_to_py(e->host)) ||
        casyncz_dict_put(d, "pid", PyLong_FromLongLong(e->pid)) ||
        casyncz_dict_put(d, "changes", casyncz_text_to_py(e->changes))) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

/* ---- collecting copies without the GIL ------------------------------------------------------------------
 */

/* Room for one more item of size bytes after n in *items (capacity *cap, doubled when full). Errors:
 * ASYNCZ_ENOMEM, *items unchanged. */
static int room_for_one(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t more = *cap ? *cap * 2 : 16;
    void *grown = realloc(*items, more * size);
    if (!grown)
        return ASYNCZ_ENOMEM;
    *items = grown;
    *cap = more;
    return 0;
}

typedef struct {
    asyncz_run_record **items;
    size_t n, cap;
} run_page;

static int keep_run(const asyncz_run_record *rec, void *ud)
{
    run_page *p = ud;
    int rc = room_for_one((void **)&p->items, &p->cap, p->n, sizeof *p->items);
    if (rc == 0)
        rc = asyncz_run_record_copy(&p->items[p->n], rec);
    if (rc == 0)
        p->n++;
    return rc;
}

static void run_page_free(run_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        asyncz_run_record_free(p->items[i]);
    free(p->items);
}

/* An audit entry kept with its own copies of its strings. */
typedef struct {
    asyncz_audit_entry e;
    char *task_id, *actor, *host, *changes;
} kept_audit;

typedef struct {
    kept_audit *items;
    size_t n, cap;
} audit_page;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void kept_audit_free(kept_audit *k)
{
    free(k->task_id);
    free(k->actor);
    free(k->host);
    free(k->changes);
}

static int keep_audit(const asyncz_audit_entry *e, void *ud)
{
    audit_page *p = ud;
    if (room_for_one((void **)&p->items, &p->cap, p->n, sizeof *p->items) != 0)
        return ASYNCZ_ENOMEM;
    kept_audit *k = &p->items[p->n];
    *k = (kept_audit){.e = *e,
                      .task_id = dup_or_null(e->task_id),
                      .actor = dup_or_null(e->actor),
                      .host = dup_or_null(e->host),
                      .changes = dup_or_null(e->changes)};
    if ((e->task_id && !k->task_id) || (e->actor && !k->actor) || (e->host && !k->host) ||
        (e->changes && !k->changes)) {
        kept_audit_free(k);
        return ASYNCZ_ENOMEM;
    }
    k->e.task_id = k->task_id;
    k->e.actor = k->actor;
    k->e.host = k->host;
    k->e.changes = k->changes;
    p->n++;
    return 0;
}

static void audit_page_free(audit_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        kept_audit_free(&p->items[i]);
    free(p->items);
}

/* (list, next cursor or None) of n dicts made by make from the items of a page. */
static PyObject *page_result(size_t n, PyObject *(*make)(const void *item, size_t i), const void *items,
                             const char *next_cursor)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *d = make(items, i);
        if (!d) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, (Py_ssize_t)i, d);
    }
    if (!list)
        return NULL;
    PyObject *cursor = next_cursor[0] ? PyUnicode_FromString(next_cursor) : Py_NewRef(Py_None);
    PyObject *res = cursor ? PyTuple_Pack(2, list, cursor) : NULL;
    Py_DECREF(list);
    Py_XDECREF(cursor);
    return res;
}

static PyObject *make_run(const void *items, size_t i)
{
    return run_dict(((asyncz_run_record *const *)items)[i]);
}

static PyObject *make_audit(const void *items, size_t i)
{
    return audit_dict(&((const kept_audit *)items)[i].e);
}

/* ---- the calls ---------------------------------------------------------------------------------------- */

/* The outcome bits of a sequence of outcome names (None: every outcome). Returns 0 or -1 with an exception.
 */
static int outcome_bits(PyObject *names, uint32_t *out)
{
    *out = 0;
    if (!names || names == Py_None)
        return 0;
    PyObject *seq = PyUnicode_Check(names) ? PyTuple_Pack(1, names) : PySequence_Tuple(names);
    if (!seq)
        return -1;
    int rc = 0;
    Py_ssize_t n = PySequence_Size(seq);
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        PyObject *item = PySequence_GetItem(seq, i);
        const char *name = item ? PyUnicode_AsUTF8AndSize(item, NULL) : NULL;
        asyncz_run_outcome o;
        if (!name)
            rc = -1;
        else if (asyncz_run_outcome_parse(name, &o) != 0) {
            PyErr_Format(PyExc_ValueError,
                         "unknown run outcome %R: running, succeeded, failed, timed_out, crashed, missed, "
                         "skipped, lost or cancelled",
                         item);
            rc = -1;
        } else
            *out |= ASYNCZ_RUN_OUTCOME_BIT(o);
        Py_XDECREF(item);
    }
    Py_DECREF(seq);
    return rc;
}

/* list_runs(store=None, task_id=None, outcomes=None, since=None, until=None, scheduler=None, limit=0,
 * cursor=None, with_output=False) -> ([dict], next cursor or None). Newest first. */
PyObject *casyncz_core_list_runs(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"store",     "task_id", "outcomes", "since",       "until",
                             "scheduler", "limit",   "cursor",   "with_output", NULL};
    const char *store = NULL, *task_id = NULL, *scheduler = NULL, *cursor = NULL;
    PyObject *outcomes = NULL, *since = Py_None, *until = Py_None;
    Py_ssize_t limit = 0;
    int with_output = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|zzOOOznzp:list_runs", kwlist, &store, &task_id,
                                     &outcomes, &since, &until, &scheduler, &limit, &cursor, &with_output))
        return NULL;
    asyncz_history_query q;
    asyncz_history_query_init(&q);
    if (limit < 0)
        return casyncz_raise(ASYNCZ_EINVAL, "limit must be 0 (the default page) or more");
    if (outcome_bits(outcomes, &q.outcomes) != 0 || casyncz_time_from_py(since, &q.since) != 0 ||
        casyncz_time_from_py(until, &q.until) != 0)
        return NULL;
    q.task_id = task_id;
    q.scheduler = scheduler;
    q.limit = (size_t)limit;
    q.cursor = cursor;
    q.with_output = with_output;
    run_page page = {0};
    char next[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_list_runs(CORE(self)->scheduler, store, &q, keep_run, &page, next);
    Py_END_ALLOW_THREADS;
    PyObject *res =
        rc == 0 ? page_result(page.n, make_run, page.items, next) : casyncz_core_raise(CORE(self), rc);
    run_page_free(&page);
    return res;
}

/* get_run(run_id, store=None) -> dict with its output, or None. */
PyObject *casyncz_core_get_run(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"run_id", "store", NULL};
    const char *run_id, *store = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|z:get_run", kwlist, &run_id, &store))
        return NULL;
    asyncz_run_record *rec = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_get_run(CORE(self)->scheduler, store, run_id, &rec);
    Py_END_ALLOW_THREADS;
    if (rc == ASYNCZ_ENOTFOUND) /* no such run (the Python side checks the store's alias first) */
        Py_RETURN_NONE;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    PyObject *d = run_dict(rec);
    asyncz_run_record_free(rec);
    return d;
}

/* list_audit(store=None, task_id=None, actor=None, since=None, until=None, limit=0, cursor=None)
 * -> ([dict], next cursor or None). Newest first. */
PyObject *casyncz_core_list_audit(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"store", "task_id", "actor", "since", "until", "limit", "cursor", NULL};
    const char *store = NULL, *task_id = NULL, *actor = NULL, *cursor = NULL;
    PyObject *since = Py_None, *until = Py_None;
    Py_ssize_t limit = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|zzzOOnz:list_audit", kwlist, &store, &task_id, &actor,
                                     &since, &until, &limit, &cursor))
        return NULL;
    asyncz_audit_query q;
    asyncz_audit_query_init(&q);
    if (limit < 0)
        return casyncz_raise(ASYNCZ_EINVAL, "limit must be 0 (the default page) or more");
    if (casyncz_time_from_py(since, &q.since) != 0 || casyncz_time_from_py(until, &q.until) != 0)
        return NULL;
    q.task_id = task_id;
    q.actor = actor;
    q.limit = (size_t)limit;
    q.cursor = cursor;
    audit_page page = {0};
    char next[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_list_audit(CORE(self)->scheduler, store, &q, keep_audit, &page, next);
    Py_END_ALLOW_THREADS;
    PyObject *res =
        rc == 0 ? page_result(page.n, make_audit, page.items, next) : casyncz_core_raise(CORE(self), rc);
    audit_page_free(&page);
    return res;
}
