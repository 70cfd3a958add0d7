/* The Trigger type: an immutable libasyncz trigger, made by the module's factories (cron, crontab,
 * interval, calendar, date, and_, or_, shutdown, trigger_from_json) and asked for fire times. Times are
 * microseconds since the epoch; the Python layer (casyncz/triggers.py) converts datetimes. */
#include "casyncz.h"

PyTypeObject *casyncz_trigger_type;

PyObject *casyncz_trigger_wrap(asyncz_trigger *t)
{
    casyncz_trigger_object *obj = PyObject_New(casyncz_trigger_object, casyncz_trigger_type);
    if (!obj)
        return NULL;
    obj->trigger = asyncz_trigger_ref(t);
    return (PyObject *)obj;
}

asyncz_trigger *casyncz_trigger_of(PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, casyncz_trigger_type)) {
        PyErr_SetString(PyExc_TypeError, "expected a casyncz trigger");
        return NULL;
    }
    return ((casyncz_trigger_object *)obj)->trigger;
}

static void trigger_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    asyncz_trigger_unref(((casyncz_trigger_object *)self)->trigger);
    freefunc free_fn = (freefunc)PyType_GetSlot(tp, Py_tp_free);
    free_fn(self);
    Py_DECREF(tp);
}

/* Wrap a trigger just made (consuming the constructor's reference), or raise for its error. */
static PyObject *made(int rc, asyncz_trigger *t, const asyncz_trigger_error *err)
{
    if (rc != 0) {
        char msg[512] = "";
        if (err && (err->reason[0] || err->field[0]))
            asyncz_trigger_error_format(err, msg, sizeof msg);
        return casyncz_raise(rc, msg);
    }
    PyObject *obj = casyncz_trigger_wrap(t);
    asyncz_trigger_unref(t);
    return obj;
}

/* The options every kind takes, as keyword arguments: timezone (a zone name), start_date, end_date
 * (microseconds or None), jitter (microseconds or None), jitter_seed. */
typedef struct {
    PyObject *timezone, *start_date, *end_date, *jitter;
    unsigned long long seed;
} common_args;

/* Fill opts from the arguments. opts->timezone receives a new zone reference (release with
 * asyncz_zone_unref). Returns 0 or -1 with an exception set. */
static int options_from(const common_args *a, asyncz_trigger_options *opts)
{
    asyncz_trigger_options_init(opts);
    long long jitter = 0;
    if (a->jitter && a->jitter != Py_None) {
        jitter = PyLong_AsLongLong(a->jitter);
        if (jitter == -1 && PyErr_Occurred())
            return -1;
        if (jitter < 0) {
            PyErr_SetString(PyExc_ValueError, "jitter must not be negative");
            return -1;
        }
    }
    if (casyncz_time_from_py(a->start_date, &opts->start_date) != 0 ||
        casyncz_time_from_py(a->end_date, &opts->end_date) != 0)
        return -1;
    opts->jitter = jitter;
    opts->jitter_seed = a->seed;
    return casyncz_zone_from_py(a->timezone, &opts->timezone);
}

#define COMMON_KWLIST "timezone", "start_date", "end_date", "jitter", "jitter_seed"
#define COMMON_FORMAT "OOOOK"
#define COMMON_PTRS(a) &(a).timezone, &(a).start_date, &(a).end_date, &(a).jitter, &(a).seed
#define COMMON_INIT                                                                                          \
    {                                                                                                        \
        Py_None, Py_None, Py_None, Py_None, 0                                                                \
    }

/* cron(year=None, ..., second=None, *, timezone, start_date, end_date, jitter, jitter_seed): APScheduler 3's
 * field API; each field an expression string or None. */
static PyObject *make_cron(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"year", "month",  "day",    "week",        "day_of_week",
                             "hour", "minute", "second", COMMON_KWLIST, NULL};
    asyncz_cron_fields f = {0};
    common_args a = COMMON_INIT;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|zzzzzzzz$" COMMON_FORMAT ":cron", kwlist, &f.year,
                                     &f.month, &f.day, &f.week, &f.day_of_week, &f.hour, &f.minute, &f.second,
                                     COMMON_PTRS(a)))
        return NULL;
    asyncz_trigger_options opts;
    if (options_from(&a, &opts) != 0)
        return NULL;
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err = {0};
    int rc = asyncz_trigger_cron_new(&t, &f, &opts, &err);
    asyncz_zone_unref(opts.timezone);
    return made(rc, t, &err);
}

/* crontab(expression, *, common options): cron(5) semantics, 5 to 7 fields, @daily and friends. */
static PyObject *make_crontab(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"expression", COMMON_KWLIST, NULL};
    const char *expr;
    common_args a = COMMON_INIT;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|$" COMMON_FORMAT ":crontab", kwlist, &expr,
                                     COMMON_PTRS(a)))
        return NULL;
    asyncz_trigger_options opts;
    if (options_from(&a, &opts) != 0)
        return NULL;
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err = {0};
    int rc = asyncz_trigger_crontab_new(&t, expr, &opts, &err);
    asyncz_zone_unref(opts.timezone);
    return made(rc, t, &err);
}

/* interval(usec, *, common options): elapsed time from start_date (default: now + interval). */
static PyObject *make_interval(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"usec", COMMON_KWLIST, NULL};
    long long usec;
    common_args a = COMMON_INIT;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "L|$" COMMON_FORMAT ":interval", kwlist, &usec,
                                     COMMON_PTRS(a)))
        return NULL;
    asyncz_trigger_options opts;
    if (options_from(&a, &opts) != 0)
        return NULL;
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err = {0};
    int rc = asyncz_trigger_interval_new(&t, usec, &opts, &err);
    asyncz_zone_unref(opts.timezone);
    return made(rc, t, &err);
}

/* calendar(years=0, months=0, weeks=0, days=0, hour=0, minute=0, second=0, *, common options). */
static PyObject *make_calendar(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"years",  "months", "weeks",       "days", "hour",
                             "minute", "second", COMMON_KWLIST, NULL};
    int years = 0, months = 0, weeks = 0, days = 0, hour = 0, minute = 0, second = 0;
    common_args a = COMMON_INIT;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|iiiiiii$" COMMON_FORMAT ":calendar", kwlist, &years,
                                     &months, &weeks, &days, &hour, &minute, &second, COMMON_PTRS(a)))
        return NULL;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
        PyErr_SetString(PyExc_ValueError, "hour, minute and second must be a time of day");
        return NULL;
    }
    asyncz_calendar_interval ci = {years, months, weeks, days, (int8_t)hour, (int8_t)minute, (int8_t)second};
    asyncz_trigger_options opts;
    if (options_from(&a, &opts) != 0)
        return NULL;
    asyncz_trigger *t = NULL;
    asyncz_trigger_error err = {0};
    int rc = asyncz_trigger_calendar_new(&t, &ci, &opts, &err);
    asyncz_zone_unref(opts.timezone);
    return made(rc, t, &err);
}

/* date(run_date=None, *, common options): once, at run_date (None: now). */
static PyObject *make_date(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"run_date", COMMON_KWLIST, NULL};
    PyObject *when = Py_None;
    common_args a = COMMON_INIT;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O$" COMMON_FORMAT ":date", kwlist, &when,
                                     COMMON_PTRS(a)))
        return NULL;
    asyncz_time_t run_date;
    if (casyncz_time_from_py(when, &run_date) != 0)
        return NULL;
    asyncz_trigger_options opts;
    if (options_from(&a, &opts) != 0)
        return NULL;
    asyncz_trigger *t = NULL;
    int rc = asyncz_trigger_date_new(&t, run_date, &opts);
    asyncz_zone_unref(opts.timezone);
    return made(rc, t, NULL);
}

/* The and/or combinators: children is a sequence of Trigger objects. */
static PyObject *make_combined(PyObject *args, PyObject *kwargs, bool is_and)
{
    static char *kwlist[] = {"triggers", COMMON_KWLIST, NULL};
    PyObject *seq;
    common_args a = COMMON_INIT;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|$" COMMON_FORMAT ":combine", kwlist, &seq,
                                     COMMON_PTRS(a)))
        return NULL;
    PyObject *list = PySequence_List(seq);
    if (!list)
        return NULL;
    Py_ssize_t n = PyList_Size(list);
    asyncz_trigger **children = PyMem_Calloc(n ? (size_t)n : 1, sizeof *children);
    PyObject *res = NULL;
    if (!children) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (!(children[i] = casyncz_trigger_of(PyList_GetItem(list, i))))
            goto out;
    asyncz_trigger_options opts;
    if (options_from(&a, &opts) != 0)
        goto out;
    asyncz_trigger *t = NULL;
    int rc = is_and ? asyncz_trigger_and_new(&t, children, (size_t)n, &opts)
                    : asyncz_trigger_or_new(&t, children, (size_t)n, &opts);
    asyncz_zone_unref(opts.timezone);
    res = made(rc, t, NULL);
out:
    PyMem_Free(children);
    Py_DECREF(list);
    return res;
}

static PyObject *make_and(PyObject *self, PyObject *args, PyObject *kwargs)
{
    return make_combined(args, kwargs, true);
}

static PyObject *make_or(PyObject *self, PyObject *args, PyObject *kwargs)
{
    return make_combined(args, kwargs, false);
}

static PyObject *make_shutdown(PyObject *self, PyObject *unused)
{
    asyncz_trigger *t = NULL;
    int rc = asyncz_trigger_shutdown_new(&t); /* before made() reads t */
    return made(rc, t, NULL);
}

/* trigger_from_json(text): a trigger from its JSON document ({"type": "cron", ...}). */
static PyObject *trigger_from_json(PyObject *self, PyObject *args)
{
    const char *text;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "s#:trigger_from_json", &text, &len))
        return NULL;
    asyncz_trigger *t = NULL;
    asyncz_doc_error err = {0};
    int rc = asyncz_trigger_from_json(&t, text, (size_t)len, &err);
    if (rc != 0) {
        char msg[300];
        asyncz_doc_error_format(&err, msg, sizeof msg);
        return casyncz_raise(rc, msg);
    }
    return made(0, t, NULL);
}

/* next(previous, now) -> the next fire time or None (exhausted). */
static PyObject *trigger_next(PyObject *self, PyObject *args)
{
    PyObject *prev_obj;
    long long now;
    if (!PyArg_ParseTuple(args, "OL:next", &prev_obj, &now))
        return NULL;
    asyncz_time_t prev, out;
    if (casyncz_time_from_py(prev_obj, &prev) != 0)
        return NULL;
    int rc = asyncz_trigger_next(((casyncz_trigger_object *)self)->trigger, prev, now, &out);
    if (rc != 0)
        return casyncz_raise(rc, NULL);
    return casyncz_time_to_py(out);
}

/* preview(start, count) -> up to count fire times from start (fewer when the trigger is exhausted). */
static PyObject *trigger_preview(PyObject *self, PyObject *args)
{
    long long from;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "Ln:preview", &from, &count))
        return NULL;
    if (count < 0 || count > 1000000) {
        PyErr_SetString(PyExc_ValueError, "count must be between 0 and 1,000,000");
        return NULL;
    }
    asyncz_time_t *times = PyMem_Calloc(count ? (size_t)count : 1, sizeof *times);
    if (!times)
        return PyErr_NoMemory();
    size_t n = 0;
    int rc =
        asyncz_trigger_preview(((casyncz_trigger_object *)self)->trigger, from, (size_t)count, times, &n);
    PyObject *list = rc == 0 ? PyList_New((Py_ssize_t)n) : casyncz_raise(rc, NULL);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *v = PyLong_FromLongLong(times[i]);
        if (!v) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, (Py_ssize_t)i, v);
    }
    PyMem_Free(times);
    return list;
}

static PyObject *trigger_describe(PyObject *self, PyObject *unused)
{
    char buf[512];
    int n = asyncz_trigger_describe(((casyncz_trigger_object *)self)->trigger, buf, sizeof buf);
    if (n < 0)
        return casyncz_raise(n, NULL);
    return PyUnicode_FromStringAndSize(buf, n < (int)sizeof buf ? n : (int)sizeof buf - 1);
}

static PyObject *trigger_to_json(PyObject *self, PyObject *unused)
{
    char *text = NULL;
    size_t len = 0;
    int rc = asyncz_trigger_to_json(((casyncz_trigger_object *)self)->trigger, &text, &len);
    if (rc != 0)
        return casyncz_raise(rc, NULL);
    PyObject *res = PyUnicode_FromStringAndSize(text, (Py_ssize_t)len);
    free(text);
    return res;
}

static PyObject *trigger_kind(PyObject *self, void *closure)
{
    return PyUnicode_FromString(asyncz_trigger_kind(((casyncz_trigger_object *)self)->trigger));
}

static PyObject *trigger_zone(PyObject *self, void *closure)
{
    asyncz_zone *z = asyncz_trigger_zone(((casyncz_trigger_object *)self)->trigger);
    if (!z)
        Py_RETURN_NONE;
    return PyUnicode_FromString(asyncz_zone_name(z));
}

static PyMethodDef trigger_methods[] = {
    {"next", trigger_next, METH_VARARGS, "next(previous, now): the next fire time, or None."},
    {"preview", trigger_preview, METH_VARARGS, "preview(start, count): the next fire times from start."},
    {"describe", trigger_describe, METH_NOARGS, "A one-line description."},
    {"to_json", trigger_to_json, METH_NOARGS, "The trigger's JSON document."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef trigger_getset[] = {
    {"kind", trigger_kind, NULL, "cron, interval, calendarinterval, date, and, or or shutdown", NULL},
    {"zone", trigger_zone, NULL, "the name of the trigger's zone", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot trigger_slots[] = {
    {Py_tp_dealloc, trigger_dealloc},
    {Py_tp_methods, trigger_methods},
    {Py_tp_getset, trigger_getset},
    {Py_tp_doc, "A libasyncz trigger (immutable). Made by the module's factory functions."},
    {0, NULL},
};

static PyType_Spec trigger_spec = {
    .name = "casyncz._casyncz.Trigger",
    .basicsize = sizeof(casyncz_trigger_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = trigger_slots,
};

static PyMethodDef factory_methods[] = {
    {"cron", (PyCFunction)(void (*)(void))make_cron, METH_VARARGS | METH_KEYWORDS,
     "A cron trigger (fields)."},
    {"crontab", (PyCFunction)(void (*)(void))make_crontab, METH_VARARGS | METH_KEYWORDS,
     "A crontab trigger."},
    {"interval", (PyCFunction)(void (*)(void))make_interval, METH_VARARGS | METH_KEYWORDS,
     "An interval trigger."},
    {"calendar", (PyCFunction)(void (*)(void))make_calendar, METH_VARARGS | METH_KEYWORDS,
     "A calendar interval trigger."},
    {"date", (PyCFunction)(void (*)(void))make_date, METH_VARARGS | METH_KEYWORDS, "A one-shot trigger."},
    {"and_", (PyCFunction)(void (*)(void))make_and, METH_VARARGS | METH_KEYWORDS, "All children agree."},
    {"or_", (PyCFunction)(void (*)(void))make_or, METH_VARARGS | METH_KEYWORDS, "The earliest child."},
    {"shutdown", make_shutdown, METH_NOARGS, "Fires once when the scheduler shuts down."},
    {"trigger_from_json", trigger_from_json, METH_VARARGS, "A trigger from its JSON document."},
    {NULL, NULL, 0, NULL},
};

int casyncz_trigger_init(PyObject *module)
{
    casyncz_trigger_type = (PyTypeObject *)PyType_FromSpec(&trigger_spec);
    if (!casyncz_trigger_type)
        return -1;
    if (PyModule_AddObject(module, "Trigger", Py_NewRef((PyObject *)casyncz_trigger_type)) < 0)
        return -1;
    return PyModule_AddFunctions(module, factory_methods);
}
