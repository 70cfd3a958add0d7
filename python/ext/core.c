/* The Core type: one libasyncz scheduler, run embedded in the caller's event loop (the Python layer watches
 * fd with loop.add_reader and calls dispatch()). Its functions are registered with one C task function that
 * calls the Python runner, and one C listener forwards every event to the Python listener. This file holds
 * the lifecycle, stores, executors and functions; core_tasks.c the task calls. */
#include "casyncz.h"

PyTypeObject *casyncz_core_type;

PyObject *casyncz_core_raise(casyncz_core_object *core, int code)
{
    return casyncz_raise(code, asyncz_scheduler_errmsg(core->scheduler));
}

#define CORE(self) ((casyncz_core_object *)(self))

/* Core(timezone=None, identity=None, misfire_grace_time=None, coalesce=True, max_instances=1): grace in
 * microseconds (GRACE_UNLIMITED: no limit; None: the library's default). */
static int core_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"timezone", "identity", "misfire_grace_time", "coalesce", "max_instances", NULL};
    PyObject *tz = Py_None, *grace = Py_None;
    const char *identity = NULL;
    int coalesce = ASYNCZ_TASK_DEFAULT_COALESCE;
    unsigned long max_instances = ASYNCZ_TASK_DEFAULT_MAX_INSTANCES;
    if (CORE(self)->scheduler) {
        PyErr_SetString(PyExc_RuntimeError, "Core.__init__ called twice");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OzOpk:Core", kwlist, &tz, &identity, &grace, &coalesce,
                                     &max_instances))
        return -1;
    asyncz_scheduler_options opts;
    asyncz_scheduler_options_init(&opts);
    if (grace != Py_None) {
        long long g = PyLong_AsLongLong(grace);
        if (g == -1 && PyErr_Occurred())
            return -1;
        opts.misfire_grace_time = g;
    }
    opts.identity = identity;
    opts.coalesce = coalesce;
    opts.max_instances = (uint32_t)max_instances;
    if (casyncz_zone_from_py(tz, &opts.timezone) != 0)
        return -1;
    asyncz_scheduler *s = NULL;
    int rc = asyncz_scheduler_new(&s, &opts);
    asyncz_zone_unref(opts.timezone);
    if (rc != 0)
        return casyncz_raise(rc, asyncz_scheduler_errmsg(NULL)), -1;
    CORE(self)->scheduler = s;
    rc = asyncz_scheduler_add_listener(s, ASYNCZ_EVENT_ALL, casyncz_event_trampoline, self,
                                       &CORE(self)->listener_id);
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc), -1;
    return 0;
}

static int core_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(CORE(self)->runner);
    Py_VISIT(CORE(self)->listener);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int core_clear(PyObject *self)
{
    Py_CLEAR(CORE(self)->runner);
    Py_CLEAR(CORE(self)->listener);
    return 0;
}

/* Freeing shuts a running scheduler down without waiting; the runner and listener are dropped first, so
 * nothing calls into Python for an object being destroyed. */
static void core_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    core_clear(self);
    asyncz_scheduler *s = CORE(self)->scheduler;
    CORE(self)->scheduler = NULL;
    if (s) {
        Py_BEGIN_ALLOW_THREADS;
        if (asyncz_scheduler_get_state(s) != ASYNCZ_STATE_STOPPED)
            (void)asyncz_scheduler_shutdown(s, false);
        asyncz_scheduler_free(s);
        Py_END_ALLOW_THREADS;
    }
    freefunc free_fn = (freefunc)PyType_GetSlot(tp, Py_tp_free);
    free_fn(self);
    Py_DECREF(tp);
}

static asyncz_scheduler *started(PyObject *self)
{
    asyncz_scheduler *s = CORE(self)->scheduler;
    if (!s)
        PyErr_SetString(PyExc_RuntimeError, "Core not initialised");
    return s;
}

/* Replace a callback slot with obj (None clears it). */
static PyObject *set_slot(PyObject **slot, PyObject *obj)
{
    if (obj != Py_None && !PyCallable_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "expected a callable or None");
        return NULL;
    }
    PyObject *old = *slot;
    *slot = obj == Py_None ? NULL : Py_NewRef(obj);
    Py_XDECREF(old);
    Py_RETURN_NONE;
}

static PyObject *core_set_runner(PyObject *self, PyObject *obj)
{
    return set_slot(&CORE(self)->runner, obj);
}

/* set_listener(listener, mask=ALL): events whose code is not in mask never reach Python (no GIL taken). */
static PyObject *core_set_listener(PyObject *self, PyObject *args)
{
    PyObject *obj;
    unsigned long mask = ASYNCZ_EVENT_ALL;
    if (!PyArg_ParseTuple(args, "O|k:set_listener", &obj, &mask))
        return NULL;
    PyObject *res = set_slot(&CORE(self)->listener, obj);
    if (res)
        __atomic_store_n(&CORE(self)->listener_mask, (uint32_t)mask, __ATOMIC_RELAXED);
    return res;
}

/* register(name): tasks may name this function; its runs go to the runner. */
static PyObject *core_register(PyObject *self, PyObject *args)
{
    const char *name;
    asyncz_scheduler *s = started(self);
    if (!s || !PyArg_ParseTuple(args, "s:register", &name))
        return NULL;
    int rc = asyncz_scheduler_register(s, name, casyncz_run_trampoline, self);
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    Py_RETURN_NONE;
}

/* add_store(alias, url=None): a store by URL (memory:// sqlite:///... redis://...), memory when None. Returns
 * the store's kind. */
static PyObject *core_add_store(PyObject *self, PyObject *args)
{
    const char *alias, *url = NULL;
    asyncz_scheduler *s = started(self);
    if (!s || !PyArg_ParseTuple(args, "s|z:add_store", &alias, &url))
        return NULL;
    asyncz_store *st = NULL;
    int rc = url ? asyncz_store_open(&st, url) : asyncz_store_memory_new(&st);
    if (rc != 0)
        return casyncz_raise(rc, asyncz_store_errmsg());
    PyObject *kind = PyUnicode_FromString(asyncz_store_kind(st));
    if (!kind) {
        asyncz_store_free(st);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_add_store(s, alias, st);
    Py_END_ALLOW_THREADS;
    if (rc != 0) {
        Py_DECREF(kind);
        return casyncz_core_raise(CORE(self), rc);
    }
    return kind;
}

/* add_executor(alias, kind="loop", max_workers=0): "loop" runs on the dispatching thread (the asyncio
 * loop's) and allows pending runs; "threadpool" on libasyncz's pool of threads. */
static PyObject *core_add_executor(PyObject *self, PyObject *args)
{
    const char *alias, *kind = "loop";
    unsigned max_workers = 0;
    asyncz_scheduler *s = started(self);
    if (!s || !PyArg_ParseTuple(args, "s|sI:add_executor", &alias, &kind, &max_workers))
        return NULL;
    asyncz_executor *ex = NULL;
    int rc;
    if (strcmp(kind, "loop") == 0)
        rc = asyncz_executor_loop_new(&ex);
    else if (strcmp(kind, "threadpool") == 0)
        rc = asyncz_executor_threadpool_new(&ex, max_workers);
    else
        return casyncz_raise(ASYNCZ_EINVAL, "executor kind must be \"loop\" or \"threadpool\"");
    if (rc != 0)
        return casyncz_raise(rc, "cannot make the executor");
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_add_executor(s, alias, ex);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    Py_RETURN_NONE;
}

/* start_embedded(paused=False) -> the fd to watch for readability. */
static PyObject *core_start_embedded(PyObject *self, PyObject *args)
{
    int paused = 0;
    asyncz_scheduler *s = started(self);
    if (!s || !PyArg_ParseTuple(args, "|p:start_embedded", &paused))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_start_embedded(s, paused ? ASYNCZ_START_PAUSED : 0);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    return PyLong_FromLong(asyncz_scheduler_fd(s));
}

/* dispatch() -> milliseconds until the scheduler next needs a call (-1: none). The GIL is released: task
 * functions and listeners that dispatch runs take it back themselves. */
static PyObject *core_dispatch(PyObject *self, PyObject *unused)
{
    asyncz_scheduler *s = started(self);
    if (!s)
        return NULL;
    int rc, timeout = -1;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_dispatch(s, &timeout);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    return PyLong_FromLong(timeout);
}

/* The calls without arguments that may wait: pause, resume. */
static PyObject *core_simple(PyObject *self, int (*fn)(asyncz_scheduler *))
{
    asyncz_scheduler *s = started(self);
    if (!s)
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = fn(s);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    Py_RETURN_NONE;
}

static PyObject *core_pause(PyObject *self, PyObject *unused)
{
    return core_simple(self, asyncz_scheduler_pause);
}

static PyObject *core_resume(PyObject *self, PyObject *unused)
{
    return core_simple(self, asyncz_scheduler_resume);
}

/* shutdown(wait=True): the GIL is released while libasyncz waits for thread-pool runs, which need it. */
static PyObject *core_shutdown(PyObject *self, PyObject *args)
{
    int wait = 1;
    asyncz_scheduler *s = started(self);
    if (!s || !PyArg_ParseTuple(args, "|p:shutdown", &wait))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = asyncz_scheduler_shutdown(s, wait);
    Py_END_ALLOW_THREADS;
    if (rc != 0)
        return casyncz_core_raise(CORE(self), rc);
    Py_RETURN_NONE;
}

static PyObject *core_state(PyObject *self, void *closure)
{
    asyncz_scheduler *s = started(self);
    return s ? PyLong_FromLong(asyncz_scheduler_get_state(s)) : NULL;
}

static PyObject *core_identity(PyObject *self, void *closure)
{
    asyncz_scheduler *s = started(self);
    return s ? PyUnicode_FromString(asyncz_scheduler_identity(s)) : NULL;
}

static PyObject *core_fd(PyObject *self, void *closure)
{
    asyncz_scheduler *s = started(self);
    return s ? PyLong_FromLong(asyncz_scheduler_fd(s)) : NULL;
}

#define KW_METHOD(name, fn, doc)                                                                             \
    {                                                                                                        \
        name, (PyCFunction)(void (*)(void))fn, METH_VARARGS | METH_KEYWORDS, doc                             \
    }

static PyMethodDef core_methods[] = {
    {"set_runner", core_set_runner, METH_O,
     "runner(run) is called for every run; returns RUN_PENDING or not."},
    {"set_listener", core_set_listener, METH_VARARGS, "set_listener(listener, mask): listener(event_tuple)."},
    {"register", core_register, METH_VARARGS, "Let tasks name this function."},
    {"add_store", core_add_store, METH_VARARGS, "add_store(alias, url=None) -> kind"},
    {"add_executor", core_add_executor, METH_VARARGS, "add_executor(alias, kind='loop', max_workers=0)"},
    {"start_embedded", core_start_embedded, METH_VARARGS, "start_embedded(paused=False) -> fd"},
    {"dispatch", core_dispatch, METH_NOARGS, "Do what is ready; the ms until the next call is needed."},
    {"pause", core_pause, METH_NOARGS, "Stop processing."},
    {"resume", core_resume, METH_NOARGS, "Process again."},
    {"shutdown", core_shutdown, METH_VARARGS, "shutdown(wait=True)"},
    {"add_task", casyncz_core_add_task, METH_VARARGS,
     "add_task(func, trigger, id, name, args_json, kwargs_json, executor, store, misfire_grace_time, "
     "coalesce, "
     "max_instances, next_run_time, replace) -> id; ... leaves a field out"},
    KW_METHOD("get_task", casyncz_core_get_task, "get_task(id, store=None) -> dict or None"),
    KW_METHOD("list_tasks", casyncz_core_list_tasks, "list_tasks(store=None) -> [dict]"),
    KW_METHOD("task_op", casyncz_core_task_op, "task_op(op, id, store=None): pause, resume, run, remove"),
    KW_METHOD("remove_all_tasks", casyncz_core_remove_all_tasks, "remove_all_tasks(store=None)"),
    KW_METHOD("update_task", casyncz_core_update_task, "update_task(id, store=None, **fields)"),
    KW_METHOD("reschedule_task", casyncz_core_reschedule_task, "reschedule_task(id, trigger, store=None)"),
    KW_METHOD("list_runs", casyncz_core_list_runs,
              "list_runs(store=None, task_id=None, outcomes=None, since=None, until=None, scheduler=None, "
              "limit=0, cursor=None, with_output=False) -> ([dict], next cursor or None)"),
    KW_METHOD("get_run", casyncz_core_get_run, "get_run(run_id, store=None) -> dict or None"),
    KW_METHOD(
        "list_audit", casyncz_core_list_audit,
        "list_audit(store=None, task_id=None, actor=None, since=None, until=None, limit=0, cursor=None) "
        "-> ([dict], next cursor or None)"),
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef core_getset[] = {
    {"state", core_state, NULL, "STATE_STOPPED, STATE_RUNNING or STATE_PAUSED", NULL},
    {"identity", core_identity, NULL, "the scheduler's name in shared stores", NULL},
    {"fd", core_fd, NULL, "the fd to watch (-1 unless started embedded)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot core_slots[] = {
    {Py_tp_init, core_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, core_dealloc},
    {Py_tp_traverse, core_traverse},
    {Py_tp_clear, core_clear},
    {Py_tp_methods, core_methods},
    {Py_tp_getset, core_getset},
    {Py_tp_doc, "A libasyncz scheduler run embedded in the caller's loop."},
    {0, NULL},
};

static PyType_Spec core_spec = {
    .name = "casyncz._casyncz.Core",
    .basicsize = sizeof(casyncz_core_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = core_slots,
};

int casyncz_core_init(PyObject *module)
{
    casyncz_core_type = (PyTypeObject *)PyType_FromSpec(&core_spec);
    if (!casyncz_core_type)
        return -1;
    return PyModule_AddObject(module, "Core", Py_NewRef((PyObject *)casyncz_core_type));
}
