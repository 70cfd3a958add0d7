/* The daemon's run-history settings (docs/daemon.md "Run history"): `history`, `history_max_age` and
 * `history_max_runs_per_task` in [scheduler] (every store's default) and [store NAME] (that store's), and
 * `run_output_max` in [scheduler]. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

/* Most runs per task a config may keep: a bound that still leaves a store's size predictable. */
#define HISTORY_MAX_RUNS_PER_TASK_LIMIT 10000000u

int az_cfg_read_history(az_cfg_section *sec, const az_cfg_history *inherit, az_cfg_history *out,
                        az_cfg_errors *errs)
{
    *out = *inherit;
    int rc = 0;
    az_cfg_entry *e;
    if ((e = az_cfg_get(sec, "history")) && az_cfg_parse_bool(sec, e, &out->enabled, errs))
        rc = -1;
    if ((e = az_cfg_get(sec, "history_max_age"))) {
        if (az_cfg_parse_duration(sec, e, true, &out->max_age, errs))
            rc = -1;
        else if (out->max_age == ASYNCZ_GRACE_UNLIMITED)
            out->max_age = 0; /* none: no age limit */
    }
    if ((e = az_cfg_get(sec, "history_max_runs_per_task")) &&
        az_cfg_parse_uint(sec, e, 0, HISTORY_MAX_RUNS_PER_TASK_LIMIT, &out->max_runs_per_task, errs))
        rc = -1;
    return rc;
}

long long az_cfg_parse_size(const char *text)
{
    char *end;
    if (!isdigit((unsigned char)text[0]))
        return -1;
    long long n = strtoll(text, &end, 10);
    long long unit = 1;
    if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kib") == 0 || strcasecmp(end, "kb") == 0)
        unit = 1024;
    else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mib") == 0 || strcasecmp(end, "mb") == 0)
        unit = 1024 * 1024;
    else if (*end)
        return -1;
    return n > (1LL << 40) ? -1 : n * unit;
}

int az_cfg_read_output_max(az_cfg_section *sec, size_t *out, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, "run_output_max");
    if (!e)
        return 0;
    long long n = az_cfg_parse_size(e->value);
    if (n < 0 || n > ASYNCZ_RUN_OUTPUT_MAX) {
        az_cfg_error_add(errs, e->line,
                         "[%s] run_output_max: '%s': %s (bytes, or with K or M: 64K; at most 1M)", sec->label,
                         e->value, n < 0 ? "not a size" : "too large");
        return -1;
    }
    *out = (size_t)n;
    return 0;
}
