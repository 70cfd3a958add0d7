/* The task object's layout, shared by the task functions, the JSON codec, the scheduler core and stores. */
#ifndef AZ_TASK_INTERNAL_H
#define AZ_TASK_INTERNAL_H

#include <jansson.h>
#include <stdatomic.h>

#include "asyncz/scheduler.h"
#include "asyncz/sys/store.h"
#include "asyncz/task.h"

struct asyncz_task {
    atomic_int refs;
    char *id; /* NULL until set or generated */
    uint32_t
        id_hash; /* az_map_hash(id) while id is set: the scheduler's instance counts look tasks up by it */
    char *name;  /* NULL: the function name */
    char *func;
    asyncz_trigger *trigger; /* owned reference; NULL: run once, now */
    json_t *args;            /* owned; NULL: [] */
    json_t *kwargs;          /* owned; NULL: {} */
    char *args_text;         /* compact JSON of args; NULL: "[]" */
    char *kwargs_text;       /* compact JSON of kwargs; NULL: "{}" */
    char *executor;          /* NULL: "default" */
    char *store;             /* NULL: "default" */
    int64_t grace;           /* > 0 or ASYNCZ_GRACE_UNLIMITED */
    asyncz_time_t next_run_time;
    asyncz_time_t
        run_requested; /* a run asked for outside the schedule (asyncz_task_request_run); NONE: none */
    asyncz_time_t resume_next; /* with run_requested: the next run time it goes on from (NONE: paused) */
    uint32_t max_instances;
    bool coalesce;
    bool has_next;   /* next_run_time set (explicitly, or by the scheduler) */
    bool no_history; /* its runs are not recorded in the run history (asyncz_task_set_history) */
};

/* Whether text is 1..max bytes of valid UTF-8 with no control characters (tab allowed when tabs). */
bool az_text_valid(const char *text, size_t max, bool tabs);

/* Set a task's args/kwargs from a parsed JSON value (stolen, also on error). Errors: ASYNCZ_EPARSE (wrong
 * type), ASYNCZ_ETOOBIG, ASYNCZ_ENOMEM. */
int az_task_set_args_value(asyncz_task *task, json_t *value);
int az_task_set_kwargs_value(asyncz_task *task, json_t *value);

/* The same validation as asyncz_task_validate. */
int az_task_check(const asyncz_task *task, char *errbuf, size_t errsize);

/* Give the task `next` as the next run time of its own schedule (ASYNCZ_TIME_NONE: paused), keeping a
 * pending run request: the request still runs once, first when it is earlier, and the task goes on from
 * `next` afterwards. What pause, resume and reschedule do. */
void az_task_set_schedule(asyncz_task *task, asyncz_time_t next);

/* The list behind asyncz_task_list (scheduler.h; src/core/task_list.c): task references it owns. stored and
 * matched are what asyncz_store_list_tasks counted (counted true); otherwise the accessors give n. */
struct asyncz_task_list {
    asyncz_task **items;
    size_t n, cap;
    size_t stored, matched;
    bool counted;
};

/* A new empty list (NULL: out of memory). */
asyncz_task_list *az_task_list_new(void);

/* Append task (a reference the list takes over; released also on failure). Errors: ASYNCZ_ENOMEM. */
int az_task_list_push(asyncz_task_list *l, asyncz_task *task);

#endif
