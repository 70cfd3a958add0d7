/* The task calls of the Core type: add, get, list, pause / resume / run / remove, reschedule. Tasks cross
 * into Python as dicts of their fields (args and kwargs as JSON text; times as microseconds). */
#include "casyncz.h"

#include <string.h>

#define CORE(self) ((casyncz_core_object *)(self))

/* Apply the optional fields of add_task to t. Returns 0 or -1 with an exception set. */
typedef struct {
    const char *id, *name, *args_json, *kwargs_json, *executor, *store;
    PyObject *trigger, *grace, *coalesce, *max_instances, *next_run_time;
} task_fields;

static int check(int rc, const char *what)
{
    if (rc == 0)
        return 0;
    char msg[128];
    snprintf(msg, sizeof msg, "invalid %s", what);
    casyncz_raise(rc, msg);
    return -1;
}

static int apply_fields(asyncz_task *t, const task_fields *f)
{
    if (f->trigger && f->trigger != Py_None) {
        asyncz_trigger *tr = casyncz_trigger_of(f->trigger);
        if (!tr || check(asyncz_task_set_trigger(t, tr), "trigger"))
            return -1;
    }
    if ((f->id && check(asyncz_task_set_id(t, f->id), "task id")) ||
        (f->name && check(asyncz_task_set_name(t, f->name), "task name")) ||
        (f->args_json && check(asyncz_task_set_args_json(t, f->args_json), "args (a JSON array)")) ||
        (f->kwargs_json && check(asyncz_task_set_kwargs_json(t, f->kwargs_json), "kwargs (a JSON object)")) ||
        (f->executor && check(asyncz_task_set_executor(t, f->executor), "executor alias")) ||
        (f->store && check(asyncz_task_set_store(t, f->store), "store alias")))
        return -1;
    if (f->grace && f->grace != Py_None) {
        long long g = PyLong_AsLongLong(f->grace);
        if ((g == -1 && PyErr_Occurred()) || check(asyncz_task_set_misfire_grace_time(t, g), "grace time"))
            return -1;
    }
    if (f->coalesce && f->coalesce != Py_None) {
        int c = PyObject_IsTrue(f->coalesce);
        if (c < 0 || check(asyncz_task_set_coalesce(t, c), "coalesce"))
            return -1;
    }
    if (f->max_instances && f->max_instances != Py_None) {
        unsigned long m = PyLong_AsUnsignedLong(f->max_instances);
        if ((m == (unsigned long)-1 && PyErr_Occurred()) || m > UINT32_MAX ||
            check(asyncz_task_set_max_instances(t, (uint32_t)m), "max_instances (at least 1)"))
            return -1;
    }
    if (f->next_run_time) { /* given: None pauses the task, a time sets it */
        asyncz_time_t when;
        if (casyncz_time_from_py(f->next_run_time, &when) != 0 ||
            check(asyncz_task_set_next_run_time(t, when), "next run time"))
            return -1;
    }
    return 0;
}

/* A field add_task leaves out: Ellipsis (None has meanings of its own: next_run_time None pauses). */
static PyObject *given(PyObject *obj)
{
    return obj == Py_Ellipsis ? NULL : obj;
}

/* add_task(func, trigger, id, name, args_json, kwargs_json, executor, store, misfire_grace_time, coalesce,
 * max_instances, next_run_time, replace) -> the task's id. Every argument positional (the scheduler's
 * add_task calls it once per task: no keyword matching); the last five may be ... for "left out":
 * next_run_time left out is computed from the trigger, None adds the task paused. */
PyObject *casyncz_core_add_task(PyObject *self, PyObject *args)
{
    const char *func;
    task_fields f = {0};
    int replace = 0;
    if (!PyArg_ParseTuple(args, "sOzzzzzzOOOOp:add_task", &func, &f.trigger, &f.id, &f.name, &f.args_json,
                          &f.kwargs_json, &f.executor, &f.store, &f.grace, &f.coalesce, &f.max_instances,
                          &f.next_run_time, &replace))
        return NULL;
    f.grace = given(f.grace);
    f.coalesce = given(f.coalesce);
    f.max_instances = given(f.max_instances);
    f.next_run_time = given(f.next_run_time);
    asyncz_task *t = NULL;
    int rc = asyncz_task_new(&t, func);
    if (rc != 0)
        return casyncz_raise(rc, "invalid function name (1-255 bytes of text)");
    PyObject *res = NULL;
    if (apply_fields(t, &f) == 0) {
        Py_BEGIN_ALLOW_THREADS;
        rc = asyncz_scheduler_add_task(CORE(self)->scheduler, t, replace ? ASYNCZ_REPLACE_EXISTING : 0);
        Py_END_ALLOW_THREADS;
        res = rc == 0 ? PyUnicode_FromString(asyncz_task_id(t)) : casyncz_core_raise(CORE(self), rc);
    }
    asyncz_task_free(t);
    return res;
}

/* A task's fields as a dict (new reference). */
static PyObject *task_dict(const asyncz_task *t)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    asyncz_trigger *tr = asyncz_task_trigger(t);
    PyObject *trigger = tr ? casyncz_trigger_wrap(tr) : Py_NewRef(Py_None);
    if (casyncz_dict_put(d, "id", casyncz_text_to_py(asyncz_task_id(t))) ||
        casyncz_dict_put(d, "name", casyncz_text_to_py(asyncz_task_name(t))) ||
        casyncz_dict_put(d, "func", casyncz_text_to_py(asyncz_task_func(t))) ||
        casyncz_dict_put(d, "trigger", trigger) ||
        casyncz_dict_put(d, "args_json", casyncz_text_to_py(asyncz_task_args_json(t))) ||
        casyncz_dict_put(d, "kwargs_json", casyncz_text_to_py(asyncz_task_kwargs_json(t))) ||
        casyncz_dict_put(d, "executor", casyncz_text_to_py(asyncz_task_executor(t))) ||
        casyncz_dict_put(d, "store", casyncz_text_to_py(asyncz_task_store(t))) ||
        casyncz_dict_put(d, "misfire_grace_time", PyLong_FromLongLong(asyncz_task_misfire_grace_time(t))) ||
        casyncz_dict_put(d, "coalesce", PyBool_FromLong(asyncz_task_coalesce(t))) ||
        casyncz_dict_put(d, "max_instances", PyLong_FromUnsignedLong(asyncz_task_max_instances(t))) ||
        casyncz_dict_put(d, "next_run_time", casyncz_time_to_py(asyncz_task_next_run_time(t))) ||
        casyncz_dict_put(d, "paused", PyBool_FromLong(asyncz_task_paused(t)))) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

/* get_task(id, store=None) -> dict, or None when there is no such task. */
PyObject *casyncz_core_get_task(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"id", "store", NULL};
    const char *id, *store = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|z:get_task", kwlist, &id, &store))
        return NULL;
    asyncz_task *t = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_get_task(CORE(self)->scheduler, &t, id, store);
    Py_END_ALLOW_THREADS;
    if (rc == ASYNCZ_ENOTFOUND)
        Py_RETURN_NONE;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    PyObject *d = task_dict(t);
    asyncz_task_free(t);
    return d;
}

/* list_tasks(store=None) -> [dict], each store's in order of next run time, paused tasks last. */
PyObject *casyncz_core_list_tasks(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"store", NULL};
    const char *store = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|z:list_tasks", kwlist, &store))
        return NULL;
    asyncz_task_list *list = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_list_tasks(CORE(self)->scheduler, &list, store);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    size_t n = asyncz_task_list_count(list);
    PyObject *res = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; res && i < n; i++) {
        PyObject *d = task_dict(asyncz_task_list_at(list, i));
        if (!d) {
            Py_CLEAR(res);
            break;
        }
        PyList_SetItem(res, (Py_ssize_t)i, d);
    }
    asyncz_task_list_free(list);
    return res;
}

/* task_op(op, id, store=None): "pause", "resume", "run" or "remove" one task. */
PyObject *casyncz_core_task_op(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"op", "id", "store", NULL};
    const char *op, *id, *store = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "ss|z:task_op", kwlist, &op, &id, &store))
        return NULL;
    int (*fn)(asyncz_scheduler *, const char *, const char *) =
        strcmp(op, "pause") == 0    ? asyncz_scheduler_pause_task
        : strcmp(op, "resume") == 0 ? asyncz_scheduler_resume_task
        : strcmp(op, "run") == 0    ? asyncz_scheduler_run_task
        : strcmp(op, "remove") == 0 ? asyncz_scheduler_remove_task
                                    : NULL;
    if (!fn)
        return casyncz_raise(ASYNCZ_EINVAL, "op must be pause, resume, run or remove");
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = fn(CORE(self)->scheduler, id, store);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    Py_RETURN_NONE;
}

PyObject *casyncz_core_remove_all_tasks(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"store", NULL};
    const char *store = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|z:remove_all_tasks", kwlist, &store))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_remove_all_tasks(CORE(self)->scheduler, store);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    Py_RETURN_NONE;
}

/* reschedule_task(id, trigger, store=None): a new trigger and the next run time it computes now. */
PyObject *casyncz_core_reschedule_task(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"id", "trigger", "store", NULL};
    const char *id, *store = NULL;
    PyObject *trigger_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sO|z:reschedule_task", kwlist, &id, &trigger_obj, &store))
        return NULL;
    asyncz_trigger *tr = casyncz_trigger_of(trigger_obj);
    if (!tr)
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_reschedule_task(CORE(self)->scheduler, id, store, tr);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    Py_RETURN_NONE;
}

/* update_task(id, store=None, *, func, trigger, name, args_json, kwargs_json, executor, misfire_grace_time,
 * coalesce, max_instances, next_run_time): change the given fields of a stored task (the others stay). The
 * next run time is kept unless given (reschedule_task recomputes it from a trigger). */
PyObject *casyncz_core_update_task(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"id",          "store",         "func",
                             "trigger",     "name",          "args_json",
                             "kwargs_json", "executor",      "misfire_grace_time",
                             "coalesce",    "max_instances", "next_run_time",
                             NULL};
    const char *id, *store = NULL, *func = NULL;
    task_fields f = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|z$zOzzzzOOOO:update_task", kwlist, &id, &store, &func,
                                     &f.trigger, &f.name, &f.args_json, &f.kwargs_json, &f.executor, &f.grace,
                                     &f.coalesce, &f.max_instances, &f.next_run_time))
        return NULL;
    asyncz_task *t = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_get_task(CORE(self)->scheduler, &t, id, store);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    PyObject *res = NULL;
    if ((!func || check(asyncz_task_set_func(t, func), "function name") == 0) && apply_fields(t, &f) == 0) {
        Py_BEGIN_ALLOW_THREADS;
        rc = asyncz_scheduler_update_task(CORE(self)->scheduler, t);
        Py_END_ALLOW_THREADS;
        res = rc == 0 ? Py_NewRef(Py_None) : casyncz_core_raise(CORE(self), rc);
    }
    asyncz_task_free(t);
    return res;
}
