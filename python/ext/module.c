/* The _casyncz module: its error type, the time and zone helpers the Python layer converts datetimes with,
 * and the module's creation (the types are made by their own files). */
#include "casyncz.h"

#include <string.h>

PyObject *casyncz_error_type;
/* code (int) -> exception class, filled by the Python layer (casyncz/errors.py) through set_error_types. */
static PyObject *error_types;

PyObject *casyncz_raise(int code, const char *message)
{
    if (!message || !*message)
        message = asyncz_strerror(code);
    PyObject *cls = NULL;
    if (error_types) {
        PyObject *key = PyLong_FromLong(code);
        if (!key)
            return NULL;
        cls = PyDict_GetItemWithError(error_types, key); /* borrowed */
        Py_DECREF(key);
        if (!cls && PyErr_Occurred())
            return NULL;
    }
    PyObject *exc_args = Py_BuildValue("(is)", code, message);
    if (exc_args) {
        PyErr_SetObject(cls ? cls : casyncz_error_type, exc_args);
        Py_DECREF(exc_args);
    }
    return NULL;
}

int casyncz_time_from_py(PyObject *obj, asyncz_time_t *out)
{
    if (obj == NULL || obj == Py_None) {
        *out = ASYNCZ_TIME_NONE;
        return 0;
    }
    if (!PyLong_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "a time must be microseconds since the epoch (int) or None");
        return -1;
    }
    long long v = PyLong_AsLongLong(obj);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < ASYNCZ_TIME_MIN || v > ASYNCZ_TIME_MAX) {
        PyErr_SetString(PyExc_OverflowError, "time outside the years 1 to 9999");
        return -1;
    }
    *out = v;
    return 0;
}

PyObject *casyncz_time_to_py(asyncz_time_t t)
{
    if (t == ASYNCZ_TIME_NONE)
        Py_RETURN_NONE;
    return PyLong_FromLongLong(t);
}

PyObject *casyncz_text_to_py(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

int casyncz_dict_put(PyObject *d, const char *key, PyObject *value)
{
    if (!value)
        return -1;
    int rc = PyDict_SetItemString(d, key, value);
    Py_DECREF(value);
    return rc;
}

int casyncz_str_or_none(PyObject *obj, const char **out)
{
    *out = NULL;
    if (obj == NULL || obj == Py_None)
        return 0;
    if (!PyUnicode_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "expected a str or None");
        return -1;
    }
    *out = PyUnicode_AsUTF8AndSize(obj, NULL);
    return *out ? 0 : -1;
}

int casyncz_zone_from_py(PyObject *name, asyncz_zone **out)
{
    const char *text;
    *out = NULL;
    if (casyncz_str_or_none(name, &text) != 0)
        return -1;
    if (!text)
        return 0;
    int rc = asyncz_zone_get(out, text);
    if (rc != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "time zone \"%.200s\": %s", text, asyncz_strerror(rc));
        casyncz_raise(rc, msg);
        return -1;
    }
    return 0;
}

static PyObject *set_error_types(PyObject *self, PyObject *mapping)
{
    if (!PyDict_Check(mapping)) {
        PyErr_SetString(PyExc_TypeError, "set_error_types takes a dict {code: exception class}");
        return NULL;
    }
    PyObject *old = error_types;
    error_types = Py_NewRef(mapping);
    Py_XDECREF(old);
    Py_RETURN_NONE;
}

/* parse_time(text, zone=None) -> microseconds: ISO-8601; a naive value is wall-clock time in zone (UTC when
 * None), a time in a DST gap or overlap resolved by asyncz's policy. */
static PyObject *parse_time(PyObject *self, PyObject *args)
{
    const char *text;
    PyObject *zone_name = Py_None;
    if (!PyArg_ParseTuple(args, "s|O:parse_time", &text, &zone_name))
        return NULL;
    asyncz_zone *zone;
    if (casyncz_zone_from_py(zone_name, &zone) != 0)
        return NULL;
    asyncz_time_t t;
    int column = 0;
    int rc = asyncz_time_parse(&t, text, zone, &column);
    asyncz_zone_unref(zone);
    if (rc != 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "cannot read \"%.200s\" as an ISO-8601 time (column %d): %s", text, column,
                 asyncz_strerror(rc));
        return casyncz_raise(rc, msg);
    }
    return PyLong_FromLongLong(t);
}

/* format_time(usec, zone=None) -> "2026-03-29T03:00:00+02:00" in zone (UTC when None). */
static PyObject *format_time(PyObject *self, PyObject *args)
{
    long long t;
    PyObject *zone_name = Py_None;
    if (!PyArg_ParseTuple(args, "L|O:format_time", &t, &zone_name))
        return NULL;
    asyncz_zone *zone;
    if (casyncz_zone_from_py(zone_name, &zone) != 0)
        return NULL;
    char buf[ASYNCZ_TIME_FORMAT_SIZE];
    int n = asyncz_time_format(buf, sizeof buf, t, zone);
    asyncz_zone_unref(zone);
    if (n < 0)
        return casyncz_raise(n, "time outside the years 1 to 9999");
    return PyUnicode_FromStringAndSize(buf, n);
}

/* zone_name(name) -> the zone's canonical name ("local" resolved to its IANA name when known). */
static PyObject *zone_name(PyObject *self, PyObject *name)
{
    asyncz_zone *zone;
    if (casyncz_zone_from_py(name, &zone) != 0)
        return NULL;
    if (!zone)
        Py_RETURN_NONE;
    PyObject *res = PyUnicode_FromString(asyncz_zone_name(zone));
    asyncz_zone_unref(zone);
    return res;
}

/* zone_offset(name, usec) -> seconds east of UTC in effect at that instant. */
static PyObject *zone_offset(PyObject *self, PyObject *args)
{
    PyObject *name;
    long long t;
    if (!PyArg_ParseTuple(args, "OL:zone_offset", &name, &t))
        return NULL;
    asyncz_zone *zone;
    if (casyncz_zone_from_py(name, &zone) != 0)
        return NULL;
    int32_t off = asyncz_zone_offset(zone ? zone : asyncz_zone_utc(), t);
    asyncz_zone_unref(zone);
    return PyLong_FromLong(off);
}

static PyObject *now(PyObject *self, PyObject *unused)
{
    return PyLong_FromLongLong(asyncz_now());
}

static PyObject *version(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(asyncz_version());
}

static PyObject *event_name(PyObject *self, PyObject *code)
{
    unsigned long c = PyLong_AsUnsignedLong(code);
    if (c == (unsigned long)-1 && PyErr_Occurred())
        return NULL;
    return PyUnicode_FromString(asyncz_event_name((uint32_t)c));
}

/* set_log_level("warning"): the lowest level libasyncz prints (to stderr). */
static PyObject *set_log_level(PyObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s:set_log_level", &name))
        return NULL;
    asyncz_log_level level;
    if (asyncz_log_level_parse(name, &level) != 0)
        return casyncz_raise(ASYNCZ_EINVAL, "unknown log level (trace, debug, info, warning, error, "
                                            "critical, off)");
    asyncz_log_set_level(level);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"set_error_types", set_error_types, METH_O, "Map asyncz error codes to exception classes."},
    {"parse_time", parse_time, METH_VARARGS, "ISO-8601 text to microseconds since the epoch."},
    {"format_time", format_time, METH_VARARGS, "Microseconds since the epoch to ISO-8601 text."},
    {"zone_name", zone_name, METH_O, "The canonical name of a zone."},
    {"zone_offset", zone_offset, METH_VARARGS, "A zone's UTC offset in seconds at an instant."},
    {"now", now, METH_NOARGS, "The current time in microseconds since the epoch."},
    {"version", version, METH_NOARGS, "The version of libasyncz compiled in."},
    {"event_name", event_name, METH_O, "The name of an event code."},
    {"set_log_level", set_log_level, METH_VARARGS, "The lowest level libasyncz logs."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "casyncz._casyncz",
    .m_doc = "libasyncz, the asyncz scheduler in C, for the casyncz package.",
    .m_size = -1,
    .m_methods = module_methods,
};

static int add_constants(PyObject *m)
{
    if (PyModule_AddIntConstant(m, "RUN_DONE", ASYNCZ_RUN_DONE) || //
        PyModule_AddIntConstant(m, "RUN_PENDING", ASYNCZ_RUN_PENDING) ||
        PyModule_AddIntConstant(m, "EPYTHON", CASYNCZ_EPYTHON) ||
        PyModule_AddIntConstant(m, "GRACE_UNLIMITED", (long)ASYNCZ_GRACE_UNLIMITED) ||
        PyModule_AddIntConstant(m, "STATE_STOPPED", ASYNCZ_STATE_STOPPED) ||
        PyModule_AddIntConstant(m, "STATE_RUNNING", ASYNCZ_STATE_RUNNING) ||
        PyModule_AddIntConstant(m, "STATE_PAUSED", ASYNCZ_STATE_PAUSED))
        return -1;
#define CASYNCZ_ADD_ERR_(name, value, text)                                                                  \
    if (PyModule_AddIntConstant(m, #name, value))                                                            \
        return -1;
    ASYNCZ_ERRNO_MAP(CASYNCZ_ADD_ERR_)
#undef CASYNCZ_ADD_ERR_
    return 0;
}

PyMODINIT_FUNC PyInit__casyncz(void);

PyMODINIT_FUNC PyInit__casyncz(void)
{
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    casyncz_error_type = PyErr_NewException("casyncz._casyncz.Error", NULL, NULL);
    if (!casyncz_error_type || PyModule_AddObject(m, "Error", Py_NewRef(casyncz_error_type)) < 0 ||
        add_constants(m) < 0 || casyncz_trigger_init(m) < 0 || casyncz_run_init(m) < 0 ||
        casyncz_core_init(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
