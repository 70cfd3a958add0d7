/* Scheduler: temporary skeleton (registry only); the core follows. */
#include <pthread.h>
#include <stdlib.h>

#include "asyncz/error.h"
#include "core/registry.h"
#include "core/scheduler_internal.h"
#include "core/task_internal.h"

struct asyncz_scheduler {
    pthread_mutex_t lock;
    az_registry registry;
};

int asyncz_scheduler_new(asyncz_scheduler **out, const asyncz_scheduler_options *opts)
{
    (void)opts;
    asyncz_scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return ASYNCZ_ENOMEM;
    pthread_mutex_init(&s->lock, NULL);
    az_registry_init(&s->registry);
    *out = s;
    return 0;
}

void asyncz_scheduler_free(asyncz_scheduler *s)
{
    if (!s)
        return;
    az_registry_free(&s->registry);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int asyncz_scheduler_register(asyncz_scheduler *s, const char *name, asyncz_task_fn fn, void *userdata)
{
    if (!s || !fn || !az_text_valid(name, ASYNCZ_TASK_FUNC_MAX, false))
        return ASYNCZ_EINVAL;
    pthread_mutex_lock(&s->lock);
    int rc = az_registry_set(&s->registry, name, fn, userdata);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void az_scheduler_lookup_fn(asyncz_scheduler *s, const char *name, asyncz_task_fn *fn, void **userdata)
{
    pthread_mutex_lock(&s->lock);
    const az_registry_entry *e = az_registry_get(&s->registry, name);
    *fn = e ? e->fn : NULL;
    *userdata = e ? e->userdata : NULL;
    pthread_mutex_unlock(&s->lock);
}
