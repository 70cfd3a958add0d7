/* Extension API: custom trigger kinds. Weaker stability promise than the rest of the API: the struct
 * layout may grow in a later minor version, guarded by `version`.
 *
 * A custom trigger embeds asyncz_trigger_base as its first member, fills it with asyncz_trigger_base_init()
 * and returns &self->base as its asyncz_trigger*. The library then applies the common options: end_date
 * (results past it mean exhausted) and jitter. start_date is the kind's business, because what it means
 * differs (a search bound for cron, the grid origin for an interval).
 */
#ifndef ASYNCZ_SYS_TRIGGER_H
#define ASYNCZ_SYS_TRIGGER_H

#include <stdatomic.h>

#include "asyncz/trigger.h"

ASYNCZ_BEGIN_DECLS

#define ASYNCZ_TRIGGER_OPS_VERSION 1

typedef struct asyncz_trigger_ops {
    uint32_t version; /* ASYNCZ_TRIGGER_OPS_VERSION */
    const char *name; /* kind name, e.g. "cron" */
    /* The kind's next fire time before end_date and jitter are applied. Same contract as
     * asyncz_trigger_next. Must be thread-safe (no mutation of the trigger). */
    int (*next)(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now, asyncz_time_t *out);
    /* Describe the kind's own parameters (without the common options) like snprintf. May be NULL. */
    int (*describe)(const asyncz_trigger *t, char *buf, size_t size);
    /* Release the kind's resources and the object itself. The base's zone is released by the library. */
    void (*destroy)(asyncz_trigger *t);
} asyncz_trigger_ops;

/* Common state of every trigger. Treat as read-only after asyncz_trigger_base_init(). */
typedef struct asyncz_trigger_base {
    const asyncz_trigger_ops *ops;
    atomic_int refs;
    asyncz_zone *zone; /* owned reference */
    asyncz_time_t start_date, end_date;
    int64_t jitter;
    uint64_t jitter_seed;
} asyncz_trigger_base;

/* The base of any trigger (triggers are asyncz_trigger_base underneath). */
#define ASYNCZ_TRIGGER_BASE(t) ((asyncz_trigger_base *)(t))
#define ASYNCZ_TRIGGER_CBASE(t) ((const asyncz_trigger_base *)(t))

/* Initialise the base of a new trigger with one reference, the given ops and options (opts may be NULL).
 * Takes a reference to the zone (or resolves "local" when opts->timezone is NULL).
 * Errors: ASYNCZ_EINVAL (bad ops version, negative jitter, end_date before start_date), ASYNCZ_EZONE /
 * ASYNCZ_ETZDATA (the local zone cannot be loaded), in which case nothing needs releasing. */
ASYNCZ_API int asyncz_trigger_base_init(asyncz_trigger_base *base, const asyncz_trigger_ops *ops,
                                        const asyncz_trigger_options *opts);

/* The raw next of a trigger: the kind's next with end_date applied but no jitter. This is what and/or use
 * on their children, and what a custom combinator should use. */
ASYNCZ_API int asyncz_trigger_next_raw(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now,
                                       asyncz_time_t *out);

ASYNCZ_END_DECLS

#endif
