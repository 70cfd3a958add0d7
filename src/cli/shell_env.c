/* The environment of the daemon's shell commands (shell_env.h). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell_env.h"

static int grow(az_shell_env *e)
{
    if (e->n + 1 < e->cap)
        return 0;
    size_t cap = e->cap ? e->cap * 2 : 64;
    char **items = realloc(e->items, cap * sizeof *items);
    if (!items)
        return ASYNCZ_ENOMEM;
    e->items = items;
    e->cap = cap;
    return 0;
}

int az_shell_env_init(az_shell_env *e, char *const *base)
{
    *e = (az_shell_env){0};
    if (grow(e))
        return ASYNCZ_ENOMEM;
    e->items[0] = NULL;
    for (; base && *base; base++) {
        char *copy = strdup(*base);
        if (!copy || grow(e)) {
            free(copy);
            az_shell_env_free(e);
            return ASYNCZ_ENOMEM;
        }
        e->items[e->n++] = copy;
        e->items[e->n] = NULL;
    }
    return 0;
}

/* Whether item is an entry of name ("NAME=..."). */
static bool is_entry(const char *item, const char *name, size_t len)
{
    return strncmp(item, name, len) == 0 && item[len] == '=';
}

void az_shell_env_unset(az_shell_env *e, const char *name)
{
    size_t len = strlen(name), kept = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (is_entry(e->items[i], name, len))
            free(e->items[i]);
        else
            e->items[kept++] = e->items[i];
    }
    e->n = kept;
    if (e->items)
        e->items[e->n] = NULL;
}

int az_shell_env_set(az_shell_env *e, const char *name, const char *value)
{
    char *item = NULL;
    if (asprintf(&item, "%s=%s", name, value) < 0)
        return ASYNCZ_ENOMEM;
    if (grow(e)) {
        free(item);
        return ASYNCZ_ENOMEM;
    }
    az_shell_env_unset(e, name);
    e->items[e->n++] = item;
    e->items[e->n] = NULL;
    return 0;
}

const char *az_shell_env_get(const az_shell_env *e, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < e->n; i++)
        if (is_entry(e->items[i], name, len))
            return e->items[i] + len + 1;
    return NULL;
}

/* Set name to value, or remove it when value is NULL. */
static int set_or_unset(az_shell_env *e, const char *name, const char *value)
{
    if (value)
        return az_shell_env_set(e, name, value);
    az_shell_env_unset(e, name);
    return 0;
}

/* Whole seconds since the epoch, rounded down (a time before 1970 gives a negative number). */
static int64_t epoch_seconds(asyncz_time_t t)
{
    int64_t s = t / ASYNCZ_USEC_PER_SEC;
    return t % ASYNCZ_USEC_PER_SEC < 0 ? s - 1 : s;
}

int az_shell_env_set_context(az_shell_env *e, const az_run_context *c)
{
    char iso[ASYNCZ_TIME_FORMAT_SIZE], epoch[32], token[32];
    bool when =
        c->scheduled != ASYNCZ_TIME_NONE && asyncz_time_format(iso, sizeof iso, c->scheduled, c->zone) >= 0;
    if (when)
        snprintf(epoch, sizeof epoch, "%" PRId64, epoch_seconds(c->scheduled));
    snprintf(token, sizeof token, "%" PRIu64, c->fencing_token);
    int rc = set_or_unset(e, "ASYNCZ_TASK_ID", c->task_id);
    rc = rc ? rc : set_or_unset(e, "ASYNCZ_TASK_NAME", c->task_name);
    rc = rc ? rc : set_or_unset(e, "ASYNCZ_RUN_ID", c->run_id);
    rc = rc ? rc : set_or_unset(e, "ASYNCZ_SCHEDULED_TIME", when ? iso : NULL);
    rc = rc ? rc : set_or_unset(e, "ASYNCZ_SCHEDULED_EPOCH", when ? epoch : NULL);
    rc = rc ? rc : set_or_unset(e, "ASYNCZ_FENCING_TOKEN", c->fencing_token ? token : NULL);
    rc = rc ? rc : set_or_unset(e, "ASYNCZ_SCHEDULER", c->scheduler);
    return rc;
}

char *const *az_shell_env_items(const az_shell_env *e)
{
    return e->items;
}

void az_shell_env_free(az_shell_env *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->items[i]);
    free(e->items);
    *e = (az_shell_env){0};
}
