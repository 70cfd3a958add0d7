/* The casyncz extension module: libasyncz for Python (limited API 3.10). Shared declarations of its parts:
 * module.c (the module, errors, time and zone helpers), trigger.c (the Trigger type), core.c and
 * core_tasks.c (the Core type: a scheduler embedded in the caller's loop), run.c (the Run type and the C
 * callbacks that call into Python).
 *
 * Threads: every function here that takes PyObject arguments runs with the GIL held. The C callbacks
 * (task functions, listeners) may be called on any thread with or without the GIL and take it themselves.
 * Calls into libasyncz that can wait (for a lock, a store, a thread) release the GIL around the call, so a
 * thread-pool task or a listener on another thread can take it meanwhile. */
#ifndef CASYNCZ_H
#define CASYNCZ_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <asyncz.h>

/* The error code a run reports when its Python function raised: not an ASYNCZ_E* code (those are -1..-15
 * and grow downwards from there), so listeners can tell an exception from a failure of the scheduler. */
#define CASYNCZ_EPYTHON (-1000)

/* ---- module.c ------------------------------------------------------------------------------------ */

/* casyncz._casyncz.Error, the base of every exception raised for an asyncz error code (borrowed). */
extern PyObject *casyncz_error_type;

/* Raise the exception registered for code (set_error_types) or Error, with args (code, message). Returns
 * NULL for `return casyncz_raise(...)`. message: borrowed; NULL or "" gives asyncz_strerror(code). */
PyObject *casyncz_raise(int code, const char *message);

/* A time from Python: None gives ASYNCZ_TIME_NONE, an int is microseconds since the epoch. Returns 0, or -1
 * with a Python exception set. */
int casyncz_time_from_py(PyObject *obj, asyncz_time_t *out);
/* A time to Python: ASYNCZ_TIME_NONE is None, anything else an int of microseconds. New reference. */
PyObject *casyncz_time_to_py(asyncz_time_t t);

/* The zone named by name (NULL or None: *out NULL, meaning the caller's default). A new reference in *out.
 * Returns 0, or -1 with a Python exception set. */
int casyncz_zone_from_py(PyObject *name, asyncz_zone **out);

/* A UTF-8 C string from a str (borrowed from the object, valid while it lives), NULL for None. Returns 0 or
 * -1 with TypeError set. */
int casyncz_str_or_none(PyObject *obj, const char **out);

/* A str for a C string (None for NULL; bytes that are not UTF-8 replaced). New reference, or NULL with an
 * exception. */
PyObject *casyncz_text_to_py(const char *s);

/* d[key] = value, value stolen (NULL: its error is already set, and the call fails). Returns 0 or -1. */
int casyncz_dict_put(PyObject *d, const char *key, PyObject *value);

/* ---- trigger.c ----------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD asyncz_trigger *trigger; /* one reference */
} casyncz_trigger_object;

extern PyTypeObject *casyncz_trigger_type;

/* Make the Trigger type and add the trigger factories to the module. Returns 0 or -1. */
int casyncz_trigger_init(PyObject *module);
/* A new Trigger object taking a new reference to t (not consumed). NULL with an exception on failure. */
PyObject *casyncz_trigger_wrap(asyncz_trigger *t);
/* The trigger of a Trigger object (borrowed), or NULL with TypeError set. */
asyncz_trigger *casyncz_trigger_of(PyObject *obj);

/* ---- core.c, core_tasks.c ------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD asyncz_scheduler *scheduler;
    PyObject *runner;       /* called as runner(run) for every run of a registered function; may be NULL */
    PyObject *listener;     /* called as listener(event tuple) for every event; may be NULL */
    uint32_t listener_mask; /* the codes the listener wants (read without the GIL: __atomic builtins) */
    uint64_t listener_id;
} casyncz_core_object;

extern PyTypeObject *casyncz_core_type;

int casyncz_core_init(PyObject *module);

/* The task methods of the Core type (core_tasks.c), each a METH_VARARGS | METH_KEYWORDS function. */
PyObject *casyncz_core_add_task(PyObject *self, PyObject *args); /* METH_VARARGS */
PyObject *casyncz_core_get_task(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *casyncz_core_list_tasks(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *casyncz_core_task_op(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *casyncz_core_remove_all_tasks(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *casyncz_core_reschedule_task(PyObject *self, PyObject *args, PyObject *kwargs);

/* The run history and audit methods of the Core type (core_history.c), METH_VARARGS | METH_KEYWORDS. */
PyObject *casyncz_core_list_runs(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *casyncz_core_get_run(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *casyncz_core_list_audit(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *casyncz_core_update_task(PyObject *self, PyObject *args, PyObject *kwargs);

/* Raise the scheduler's last error (asyncz_scheduler_errmsg) for code. Returns NULL. */
PyObject *casyncz_core_raise(casyncz_core_object *core, int code);

/* ---- run.c --------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD asyncz_run *run; /* NULL once the run is complete: every method then raises */
} casyncz_run_object;

extern PyTypeObject *casyncz_run_type;

int casyncz_run_init(PyObject *module);

/* The task function registered for every Python function name (userdata: the Core object, borrowed): takes
 * the GIL and calls core->runner with a Run object. */
int casyncz_run_trampoline(asyncz_run *run, void *userdata);

/* The listener registered for the Core (userdata: the Core object, borrowed): takes the GIL and calls
 * core->listener with the event as a tuple (see core.c). */
int casyncz_event_trampoline(const asyncz_event *event, void *userdata);

#endif
