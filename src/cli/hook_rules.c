/* The rules of the failure hooks (hook_rules.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "hook_rules.h"

/* Keys kept before the idle ones are dropped. */
#define LIMITER_START_CAP 64

bool az_hook_classify(const asyncz_event *ev, az_run_failure *out)
{
    *out = (az_run_failure){.outcome = "failed", .exit_status = ev->exit_status, .signal = ev->signal};
    switch (ev->outcome) {
    case ASYNCZ_RUN_CANCELLED:
        return false;
    case ASYNCZ_RUN_TIMED_OUT:
    case ASYNCZ_RUN_CRASHED:
        out->outcome = asyncz_run_outcome_name((asyncz_run_outcome)ev->outcome);
        return true;
    default:
        return true;
    }
}

typedef struct az_hook_slot {
    char *key;
    int64_t until; /* no hook of key before this time */
    uint32_t suppressed;
} az_hook_slot;

void az_hook_limiter_init(az_hook_limiter *l)
{
    *l = (az_hook_limiter){0};
}

void az_hook_limiter_free(az_hook_limiter *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->slots[i].key);
    free(l->slots);
    *l = (az_hook_limiter){0};
}

size_t az_hook_limiter_size(const az_hook_limiter *l)
{
    return l->n;
}

static az_hook_slot *find(az_hook_limiter *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->slots[i].key, key) == 0)
            return &l->slots[i];
    return NULL;
}

/* Drop the slots that no longer hold anything back: interval over, nothing counted. */
static void drop_idle(az_hook_limiter *l, int64_t now)
{
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (now >= l->slots[i].until && l->slots[i].suppressed == 0)
            free(l->slots[i].key);
        else
            l->slots[kept++] = l->slots[i];
    }
    l->n = kept;
}

/* A new slot for key, or NULL when out of memory. */
static az_hook_slot *add(az_hook_limiter *l, const char *key, int64_t now)
{
    if (l->n == l->cap)
        drop_idle(l, now);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : LIMITER_START_CAP;
        az_hook_slot *slots = realloc(l->slots, cap * sizeof *slots);
        if (!slots)
            return NULL;
        l->slots = slots;
        l->cap = cap;
    }
    char *copy = strdup(key);
    if (!copy)
        return NULL;
    l->slots[l->n] = (az_hook_slot){.key = copy};
    return &l->slots[l->n++];
}

bool az_hook_limiter_admit(az_hook_limiter *l, const char *key, int64_t now, int64_t interval,
                           uint32_t *suppressed)
{
    *suppressed = 0;
    if (interval <= 0)
        return true;
    az_hook_slot *s = find(l, key);
    if (!s && !(s = add(l, key, now)))
        return true;
    if (now < s->until) {
        if (s->suppressed < UINT32_MAX)
            s->suppressed++;
        return false;
    }
    *suppressed = s->suppressed;
    s->suppressed = 0;
    s->until = now + interval;
    return true;
}
