/* And / or triggers: combinations of child triggers.
 *
 * Both ask their children for the first raw fire time (end_date applied, no jitter) at or after a search
 * time; a date child whose run date lies before the search time is no match. And fires when every child
 * agrees on a time, or gives up with ASYNCZ_ESEARCH after ASYNCZ_AND_MAX_ITERATIONS rounds; or fires at the
 * earliest child time. */
#include <stdlib.h>

#include "trigger/trigger_codec.h"
#include "trigger/trigger_internal.h"

typedef struct combine_trigger {
    asyncz_trigger_base base;
    size_t n;
    asyncz_trigger *children[];
} combine_trigger;

/* One round of the and-search: each child's first time at or after t. *all_equal tells whether they agree,
 * *latest is the latest of them, ASYNCZ_TIME_NONE when any child is exhausted. */
static int and_round(const combine_trigger *ct, asyncz_time_t t, asyncz_time_t *latest, bool *all_equal)
{
    *latest = ASYNCZ_TIME_NONE;
    *all_equal = true;
    for (size_t i = 0; i < ct->n; i++) {
        asyncz_time_t ti;
        int rc = az_trigger_first_from(ct->children[i], t, &ti);
        if (rc < 0)
            return rc;
        if (ti == ASYNCZ_TIME_NONE) {
            *latest = ASYNCZ_TIME_NONE;
            return 0;
        }
        if (i > 0 && ti != *latest)
            *all_equal = false;
        if (i == 0 || ti > *latest)
            *latest = ti;
    }
    return 0;
}

static int and_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now, asyncz_time_t *out)
{
    const combine_trigger *ct = (const combine_trigger *)t;
    asyncz_time_t search = az_trigger_search_start(&ct->base, previous, now);
    for (int round = 0; round < ASYNCZ_AND_MAX_ITERATIONS; round++) {
        asyncz_time_t latest;
        bool all_equal;
        int rc = and_round(ct, search, &latest, &all_equal);
        if (rc < 0)
            return rc;
        if (latest == ASYNCZ_TIME_NONE || all_equal) {
            *out = latest;
            return 0;
        }
        search = latest;
    }
    return ASYNCZ_ESEARCH;
}

static int or_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now, asyncz_time_t *out)
{
    const combine_trigger *ct = (const combine_trigger *)t;
    asyncz_time_t search = az_trigger_search_start(&ct->base, previous, now);
    asyncz_time_t earliest = ASYNCZ_TIME_NONE;
    for (size_t i = 0; i < ct->n; i++) {
        asyncz_time_t ti;
        int rc = az_trigger_first_from(ct->children[i], search, &ti);
        if (rc < 0)
            return rc;
        if (ti != ASYNCZ_TIME_NONE && (earliest == ASYNCZ_TIME_NONE || ti < earliest))
            earliest = ti;
    }
    *out = earliest;
    return 0;
}

/* The children's own descriptions, comma separated: and[cron[...], interval[...]]. */
static int combine_describe(const asyncz_trigger *t, char *buf, size_t size)
{
    const combine_trigger *ct = (const combine_trigger *)t;
    int len = 0;
    if (buf && size)
        buf[0] = '\0';
    for (size_t i = 0; i < ct->n; i++) {
        if (i > 0)
            az_describe_append(buf, size, &len, ", ");
        size_t used = (size_t)len;
        int n = asyncz_trigger_describe(ct->children[i], used < size ? buf + used : NULL,
                                        used < size ? size - used : 0);
        if (n > 0)
            len += n;
    }
    return len;
}

static void combine_destroy(asyncz_trigger *t)
{
    combine_trigger *ct = (combine_trigger *)t;
    for (size_t i = 0; i < ct->n; i++)
        asyncz_trigger_unref(ct->children[i]);
    free(ct);
}

static const asyncz_trigger_ops and_ops = {
    .version = ASYNCZ_TRIGGER_OPS_VERSION,
    .name = "and",
    .next = and_next,
    .describe = combine_describe,
    .destroy = combine_destroy,
};

static const asyncz_trigger_ops or_ops = {
    .version = ASYNCZ_TRIGGER_OPS_VERSION,
    .name = "or",
    .next = or_next,
    .describe = combine_describe,
    .destroy = combine_destroy,
};

static int combine_new(asyncz_trigger **out, const asyncz_trigger_ops *ops, asyncz_trigger *const *children,
                       size_t n, const asyncz_trigger_options *opts)
{
    if (!out)
        return ASYNCZ_EINVAL;
    *out = NULL;
    if (!children || n == 0 || n > (SIZE_MAX - sizeof(combine_trigger)) / sizeof children[0])
        return ASYNCZ_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!children[i])
            return ASYNCZ_EINVAL;
    combine_trigger *ct = calloc(1, sizeof *ct + n * sizeof children[0]);
    if (!ct)
        return ASYNCZ_ENOMEM;
    int rc = asyncz_trigger_base_init(&ct->base, ops, opts);
    if (rc < 0) {
        free(ct);
        return rc;
    }
    ct->n = n;
    for (size_t i = 0; i < n; i++)
        ct->children[i] = asyncz_trigger_ref(children[i]);
    *out = (asyncz_trigger *)ct;
    return 0;
}

int asyncz_trigger_and_new(asyncz_trigger **out, asyncz_trigger *const *children, size_t n,
                           const asyncz_trigger_options *opts)
{
    return combine_new(out, &and_ops, children, n, opts);
}

int asyncz_trigger_or_new(asyncz_trigger **out, asyncz_trigger *const *children, size_t n,
                          const asyncz_trigger_options *opts)
{
    return combine_new(out, &or_ops, children, n, opts);
}

bool az_trigger_combine_children(const asyncz_trigger *t, asyncz_trigger *const **children, size_t *n)
{
    const asyncz_trigger_ops *ops = t ? ASYNCZ_TRIGGER_CBASE(t)->ops : NULL;
    if (ops != &and_ops && ops != &or_ops)
        return false;
    const combine_trigger *ct = (const combine_trigger *)t;
    *children = ct->children;
    *n = ct->n;
    return true;
}
