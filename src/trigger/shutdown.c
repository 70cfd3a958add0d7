/* Shutdown triggers: never fire by time. The scheduler runs their tasks once, when it shuts down. */
#include <stdlib.h>

#include "trigger/trigger_codec.h"
#include "trigger/trigger_internal.h"

static int shutdown_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now,
                         asyncz_time_t *out)
{
    *out = ASYNCZ_TIME_NONE;
    return 0;
}

static void shutdown_destroy(asyncz_trigger *t)
{
    free(t);
}

static const asyncz_trigger_ops shutdown_ops = {
    .version = ASYNCZ_TRIGGER_OPS_VERSION,
    .name = "shutdown",
    .next = shutdown_next,
    .describe = NULL,
    .destroy = shutdown_destroy,
};

int asyncz_trigger_shutdown_new(asyncz_trigger **out)
{
    if (!out)
        return ASYNCZ_EINVAL;
    *out = NULL;
    asyncz_trigger_base *b = calloc(1, sizeof *b);
    if (!b)
        return ASYNCZ_ENOMEM;
    /* UTC rather than the local zone: the zone means nothing here, and UTC cannot fail to load. */
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = asyncz_zone_utc();
    int rc = asyncz_trigger_base_init(b, &shutdown_ops, &opts);
    if (rc < 0) {
        free(b);
        return rc;
    }
    *out = (asyncz_trigger *)b;
    return 0;
}

bool az_trigger_is_shutdown(const asyncz_trigger *t)
{
    return t && ASYNCZ_TRIGGER_CBASE(t)->ops == &shutdown_ops;
}
