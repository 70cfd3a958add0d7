/* The debug executor: runs functions inline on the submitting thread and logs each call at info level.
 * Pending runs are refused (reported as TASK_ERROR), so every run has finished when submit returns and
 * there is nothing to wait for at shutdown. */
#include <stdatomic.h>
#include <stdlib.h>

#include "asyncz/error.h"
#include "core/run_internal.h"

typedef struct debug_exec {
    asyncz_executor_base base;
    atomic_bool started;
} debug_exec;

static int debug_start(asyncz_executor *ex, const asyncz_executor_host *host)
{
    atomic_store(&((debug_exec *)ex)->started, true);
    return 0;
}

static int debug_submit(asyncz_executor *ex, asyncz_run *run)
{
    if (!run)
        return ASYNCZ_EINVAL;
    if (!atomic_load(&((debug_exec *)ex)->started))
        return ASYNCZ_ESTATE;
    run->debug_log = true;
    run->no_pending = true;
    asyncz_run_execute(run);
    return 0;
}

static void debug_shutdown(asyncz_executor *ex, bool wait)
{
    atomic_store(&((debug_exec *)ex)->started, false);
}

static void debug_destroy(asyncz_executor *ex)
{
    free(ex);
}

static const asyncz_executor_ops DEBUG_OPS = {
    .version = ASYNCZ_EXECUTOR_OPS_VERSION,
    .name = "debug",
    .flags = ASYNCZ_EXECUTOR_INLINE,
    .start = debug_start,
    .submit = debug_submit,
    .shutdown = debug_shutdown,
    .destroy = debug_destroy,
};

int asyncz_executor_debug_new(asyncz_executor **out)
{
    if (!out)
        return ASYNCZ_EINVAL;
    debug_exec *e = calloc(1, sizeof *e);
    if (!e)
        return ASYNCZ_ENOMEM;
    atomic_init(&e->started, false);
    asyncz_executor_base_init(&e->base, &DEBUG_OPS);
    *out = (asyncz_executor *)e;
    return 0;
}
