/* What other parts of the library need from the scheduler. */
#ifndef AZ_SCHEDULER_INTERNAL_H
#define AZ_SCHEDULER_INTERNAL_H

#include "asyncz/scheduler.h"

/* Look up a registered function (thread-safe). *fn is NULL when the name is not registered. */
void az_scheduler_lookup_fn(asyncz_scheduler *s, const char *name, asyncz_task_fn *fn, void **userdata);

#endif
