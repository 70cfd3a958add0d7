/* The Run type (one execution of a task's function, as the Python runner sees it) and the two C callbacks
 * that call into Python: the task function registered for every Python function name, and the listener.
 *
 * A Run wraps an asyncz_run for as long as it is valid: until the function returns done, or, after it
 * returned pending, until complete() is called. After that every method raises RuntimeError, so a Python
 * object outliving its run cannot touch freed memory. */
#include "casyncz.h"

#include <stdio.h>

PyTypeObject *casyncz_run_type;

static asyncz_run *live(PyObject *self)
{
    asyncz_run *run = ((casyncz_run_object *)self)->run;
    if (!run)
        PyErr_SetString(PyExc_RuntimeError, "the run is complete");
    return run;
}

/* info() -> (task_id, name, func, run_id, scheduled_time, args_json, kwargs_json, coalesced) */
static PyObject *run_info(PyObject *self, PyObject *unused)
{
    asyncz_run *run = live(self);
    if (!run)
        return NULL;
    PyObject *id = casyncz_text_to_py(asyncz_run_task_id(run)),
             *name = casyncz_text_to_py(asyncz_run_task_name(run));
    PyObject *res = NULL;
    if (id && name)
        res = Py_BuildValue("(OOssLssI)", id, name, asyncz_run_func(run), asyncz_run_id(run),
                            (long long)asyncz_run_scheduled_time(run), asyncz_run_args_json(run),
                            asyncz_run_kwargs_json(run), (unsigned)asyncz_run_coalesced(run));
    Py_XDECREF(id);
    Py_XDECREF(name);
    return res;
}

/* call_info() -> (func, run_id, args_json, kwargs_json): what running it needs, and no more (once per run).
 */
static PyObject *run_call_info(PyObject *self, PyObject *unused)
{
    asyncz_run *run = live(self);
    if (!run)
        return NULL;
    return Py_BuildValue("(ssss)", asyncz_run_func(run), asyncz_run_id(run), asyncz_run_args_json(run),
                         asyncz_run_kwargs_json(run));
}

/* set_result(json_text): the result the TASK_EXECUTED event carries. */
static PyObject *run_set_result(PyObject *self, PyObject *args)
{
    const char *json;
    if (!PyArg_ParseTuple(args, "s:set_result", &json))
        return NULL;
    asyncz_run *run = live(self);
    if (!run)
        return NULL;
    int rc = asyncz_run_set_result(run, json);
    if (rc != 0)
        return casyncz_raise(rc, "the result is not JSON of at most 64 KiB");
    Py_RETURN_NONE;
}

/* set_error(message, code=EPYTHON): the run ends as TASK_ERROR with this message (a traceback). */
static PyObject *run_set_error(PyObject *self, PyObject *args)
{
    const char *message;
    int code = CASYNCZ_EPYTHON;
    if (!PyArg_ParseTuple(args, "s|i:set_error", &message, &code))
        return NULL;
    asyncz_run *run = live(self);
    if (!run)
        return NULL;
    asyncz_run_set_error(run, code ? code : CASYNCZ_EPYTHON, "%s", message);
    Py_RETURN_NONE;
}

/* complete(): finish a run whose function returned pending (any thread; once). The outcome is what
 * set_result / set_error reported before. */
static PyObject *run_complete(PyObject *self, PyObject *unused)
{
    asyncz_run *run = live(self);
    if (!run)
        return NULL;
    ((casyncz_run_object *)self)->run = NULL;
    Py_BEGIN_ALLOW_THREADS;
    asyncz_run_complete(run, ASYNCZ_RUN_DONE);
    Py_END_ALLOW_THREADS;
    Py_RETURN_NONE;
}

static PyObject *run_is_live(PyObject *self, void *closure)
{
    return PyBool_FromLong(((casyncz_run_object *)self)->run != NULL);
}

static void run_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    freefunc free_fn = (freefunc)PyType_GetSlot(tp, Py_tp_free);
    free_fn(self);
    Py_DECREF(tp);
}

static PyMethodDef run_methods[] = {
    {"info", run_info, METH_NOARGS,
     "(task_id, name, func, run_id, scheduled_time, args_json, kwargs_json, coalesced)"},
    {"call_info", run_call_info, METH_NOARGS, "(func, run_id, args_json, kwargs_json)"},
    {"set_result", run_set_result, METH_VARARGS, "Report the run's result as JSON text."},
    {"set_error", run_set_error, METH_VARARGS, "Report a failure (the message is the traceback)."},
    {"complete", run_complete, METH_NOARGS, "Finish a pending run."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef run_getset[] = {
    {"live", run_is_live, NULL, "whether the run can still be reported on", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot run_slots[] = {
    {Py_tp_dealloc, run_dealloc},
    {Py_tp_methods, run_methods},
    {Py_tp_getset, run_getset},
    {Py_tp_doc, "One execution of a task's function."},
    {0, NULL},
};

static PyType_Spec run_spec = {
    .name = "casyncz._casyncz.Run",
    .basicsize = sizeof(casyncz_run_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = run_slots,
};

int casyncz_run_init(PyObject *module)
{
    casyncz_run_type = (PyTypeObject *)PyType_FromSpec(&run_spec);
    if (!casyncz_run_type)
        return -1;
    return PyModule_AddObject(module, "Run", Py_NewRef((PyObject *)casyncz_run_type));
}

/* Report the Python exception being raised as the run's error, and clear it. */
static void fail_with_exception(asyncz_run *run, const char *what)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *text = value ? PyObject_Str(value) : NULL;
    const char *msg = text ? PyUnicode_AsUTF8AndSize(text, NULL) : NULL;
    asyncz_run_set_error(run, CASYNCZ_EPYTHON, "%s: %s", what, msg ? msg : "(no message)");
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    PyErr_Clear();
}

int casyncz_run_trampoline(asyncz_run *run, void *userdata)
{
    casyncz_core_object *core = userdata;
    PyGILState_STATE gil = PyGILState_Ensure();
    int status = ASYNCZ_RUN_DONE;
    PyObject *runner = core->runner;
    casyncz_run_object *obj = runner ? PyObject_New(casyncz_run_object, casyncz_run_type) : NULL;
    if (!runner) {
        asyncz_run_set_error(run, ASYNCZ_ESTATE, "the Python scheduler is gone");
        goto out;
    }
    if (!obj) {
        fail_with_exception(run, "cannot make the run object");
        goto out;
    }
    obj->run = run;
    Py_INCREF(runner); /* the runner may replace itself */
    PyObject *res = PyObject_CallFunctionObjArgs(runner, (PyObject *)obj, NULL);
    Py_DECREF(runner);
    if (!res) {
        /* The runner reports the function's exceptions itself; one escaping it is a bug of casyncz. */
        fail_with_exception(run, "casyncz runner failed");
    } else {
        long v = PyLong_Check(res) ? PyLong_AsLong(res) : ASYNCZ_RUN_DONE;
        if (v == ASYNCZ_RUN_PENDING)
            status = ASYNCZ_RUN_PENDING;
        PyErr_Clear();
        Py_DECREF(res);
    }
    if (status != ASYNCZ_RUN_PENDING)
        obj->run = NULL; /* done: the run is not ours to touch after this returns */
    Py_DECREF(obj);
out:
    PyGILState_Release(gil);
    return status;
}

static PyObject *times_list(const asyncz_time_t *times, size_t n)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *v = PyLong_FromLongLong(times[i]);
        if (!v) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, (Py_ssize_t)i, v);
    }
    return list;
}

/* The event as a tuple: (code, time, alias, task_id, task_name, scheduled_run_time, run_times, coalesced,
 * result_json, error_code, error_message, run_id, instance_id, fencing_token). */
static PyObject *event_tuple(const asyncz_event *e)
{
    PyObject *sched = casyncz_time_to_py(e->scheduled_run_time);
    PyObject *times = times_list(e->run_times, e->n_run_times);
    PyObject *res = NULL;
    if (sched && times)
        res = Py_BuildValue("(kLzzzOOkzizzzK)", (unsigned long)e->code, (long long)e->time, e->alias,
                            e->task_id, e->task_name, sched, times, (unsigned long)e->coalesced,
                            e->result_json, e->error_code, e->error_message, e->run_id, e->instance_id,
                            (unsigned long long)e->fencing_token);
    Py_XDECREF(sched);
    Py_XDECREF(times);
    return res;
}

int casyncz_event_trampoline(const asyncz_event *event, void *userdata)
{
    casyncz_core_object *core = userdata;
    if (!(event->code & __atomic_load_n(&core->listener_mask, __ATOMIC_RELAXED)))
        return 0; /* nobody in Python wants it: no GIL, no tuple */
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = 0;
    PyObject *listener = core->listener;
    if (listener) {
        Py_INCREF(listener);
        PyObject *tuple = event_tuple(event);
        PyObject *res = tuple ? PyObject_CallFunctionObjArgs(listener, tuple, NULL) : NULL;
        if (!res) {
            PyErr_WriteUnraisable(listener);
            rc = -1;
        }
        Py_XDECREF(res);
        Py_XDECREF(tuple);
        Py_DECREF(listener);
    }
    PyGILState_Release(gil);
    return rc;
}
