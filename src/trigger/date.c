/* Date triggers: fire once, at run_date. */
#include <stdlib.h>

#include "trigger/trigger_codec.h"
#include "trigger/trigger_internal.h"

typedef struct date_trigger {
    asyncz_trigger_base base;
    asyncz_time_t run_date;
} date_trigger;

/* Without a previous fire time the run date is the answer even when it has passed: whether a late run
 * still happens is the scheduler's misfire decision, not the trigger's. A run date before start_date never
 * comes. */
static int date_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now, asyncz_time_t *out)
{
    const date_trigger *dt = (const date_trigger *)t;
    asyncz_time_t start = dt->base.start_date;
    if (previous != ASYNCZ_TIME_NONE || (start != ASYNCZ_TIME_NONE && dt->run_date < start))
        *out = ASYNCZ_TIME_NONE;
    else
        *out = dt->run_date;
    return 0;
}

static int date_describe(const asyncz_trigger *t, char *buf, size_t size)
{
    const date_trigger *dt = (const date_trigger *)t;
    char when[ASYNCZ_TIME_FORMAT_SIZE];
    int len = 0;
    if (buf && size)
        buf[0] = '\0';
    if (asyncz_time_format(when, sizeof when, dt->run_date, dt->base.zone) > 0)
        az_describe_append(buf, size, &len, "%s", when);
    return len;
}

static void date_destroy(asyncz_trigger *t)
{
    free(t);
}

static const asyncz_trigger_ops date_ops = {
    .version = ASYNCZ_TRIGGER_OPS_VERSION,
    .name = "date",
    .next = date_next,
    .describe = date_describe,
    .destroy = date_destroy,
};

int asyncz_trigger_date_new(asyncz_trigger **out, asyncz_time_t run_date, const asyncz_trigger_options *opts)
{
    if (!out)
        return ASYNCZ_EINVAL;
    *out = NULL;
    date_trigger *dt = calloc(1, sizeof *dt);
    if (!dt)
        return ASYNCZ_ENOMEM;
    int rc = asyncz_trigger_base_init(&dt->base, &date_ops, opts);
    if (rc < 0) {
        free(dt);
        return rc;
    }
    dt->run_date = run_date == ASYNCZ_TIME_NONE ? asyncz_now() : run_date;
    *out = (asyncz_trigger *)dt;
    return 0;
}

bool az_trigger_date_run_date(const asyncz_trigger *t, asyncz_time_t *run_date)
{
    if (!t || ASYNCZ_TRIGGER_CBASE(t)->ops != &date_ops)
        return false;
    *run_date = ((const date_trigger *)t)->run_date;
    return true;
}
