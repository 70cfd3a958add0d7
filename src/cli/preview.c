/* `asyncz preview`: list a trigger's next fire times without running anything.
 *
 * The first time listed is next(no previous, now = --from); each further one is next(previous = the one
 * before, now = the one before), which is asyncz_trigger_preview. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- the shared values ------------------------------------------------------------------------------ */

static int resolve_dates(const az_preview_args *a, az_preview_plan *p)
{
    int rc = 0;
    if (a->from)
        rc = az_cli_parse_time("--from", a->from, p->zone, &p->from);
    else
        p->from = asyncz_now();
    if (rc == 0 && a->start_date)
        rc = az_cli_parse_time("--start-date", a->start_date, p->zone, &p->opts.start_date);
    if (rc == 0 && a->end_date)
        rc = az_cli_parse_time("--end-date", a->end_date, p->zone, &p->opts.end_date);
    if (rc == 0 && a->start_date && a->end_date && p->opts.end_date < p->opts.start_date)
        rc = az_cli_bad_value("--end-date", a->end_date, 0, "is before --start-date '%s'", a->start_date);
    return rc;
}

static int resolve_jitter(const az_preview_args *a, az_preview_plan *p)
{
    int rc = 0;
    if (a->jitter)
        rc = az_cli_parse_duration("--jitter", a->jitter, &p->opts.jitter);
    if (rc == 0 && p->opts.jitter < 0)
        rc = az_cli_bad_value("--jitter", a->jitter, 0, "must not be negative");
    if (rc == 0 && a->jitter_seed)
        rc = az_cli_parse_seed("--jitter-seed", a->jitter_seed, &p->opts.jitter_seed);
    return rc;
}

int az_cli_resolve_plan(const az_preview_args *a, az_preview_plan *p)
{
    memset(p, 0, sizeof *p);
    asyncz_trigger_options_init(&p->opts);
    p->count = AZ_CLI_COUNT_DEFAULT;
    int rc = az_cli_parse_zone("--timezone", a->timezone ? a->timezone : "local", &p->zone);
    if (rc)
        return rc;
    p->opts.timezone = p->zone;
    if (a->count)
        rc = az_cli_parse_count("--count", a->count, &p->count);
    if (rc == 0)
        rc = resolve_dates(a, p);
    if (rc == 0)
        rc = resolve_jitter(a, p);
    return rc;
}

/* ---- running ---------------------------------------------------------------------------------------- */

/* An and-trigger whose children never agree: say so, and how to line them up, rather than only that a
 * search limit was reached. */
static int search_failure(int rc)
{
    if (rc == ASYNCZ_ESEARCH)
        return az_cli_failure(
            "the --and triggers never agree on a fire time (none in common within %d search "
            "rounds): their times must meet, e.g. give --interval a --start-date on a time "
            "the other triggers match, or use intervals that divide their period",
            ASYNCZ_AND_MAX_ITERATIONS);
    return az_cli_failure("cannot compute the next fire time: %s", asyncz_strerror(rc));
}

/* Whether the trigger has no fire time after the n listed (or none at all when n is 0). */
static int check_exhausted(const asyncz_trigger *t, const az_preview_plan *p, const asyncz_time_t *times,
                           size_t n, bool *exhausted)
{
    if (n < p->count) {
        *exhausted = true;
        return 0;
    }
    asyncz_time_t previous = n ? times[n - 1] : ASYNCZ_TIME_NONE;
    asyncz_time_t next;
    int rc = asyncz_trigger_next(t, previous, n ? times[n - 1] : p->from, &next);
    if (rc < 0)
        return search_failure(rc);
    *exhausted = next == ASYNCZ_TIME_NONE;
    return 0;
}

static int show(const asyncz_trigger *t, const az_preview_plan *p, const asyncz_time_t *times, size_t n,
                bool json)
{
    if (!json)
        return az_cli_print_times(times, n, p->zone);
    bool exhausted = true;
    int rc = check_exhausted(t, p, times, n, &exhausted);
    return rc ? rc : az_cli_print_json(times, n, p->zone, exhausted);
}

int az_cli_preview_run(const asyncz_trigger *t, const az_preview_plan *p, bool json)
{
    asyncz_time_t *times = calloc(p->count ? p->count : 1, sizeof *times);
    if (!times)
        return az_cli_failure("out of memory");
    size_t n = 0;
    int rc = asyncz_trigger_preview(t, p->from, p->count, times, &n);
    if (rc < 0) {
        /* The times found before the failure are still right; the plain listing shows them. */
        if (!json)
            az_cli_print_times(times, n, p->zone);
        rc = search_failure(rc);
    } else {
        rc = show(t, p, times, n, json);
    }
    free(times);
    return rc;
}

static int finish_output(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return rc ? rc : az_cli_failure("cannot write to standard output");
    return rc;
}

int az_cli_preview(int argc, char **argv)
{
    az_preview_args args;
    int rc = az_cli_preview_parse_args(argc, argv, &args);
    if (rc)
        return rc;
    if (args.help) {
        az_cli_print_command_help(stdout, "preview");
        return finish_output(0);
    }
    if (args.task || args.store)
        return finish_output(az_cli_preview_task(&args));
    az_preview_plan plan;
    asyncz_trigger *trigger = NULL;
    rc = az_cli_resolve_plan(&args, &plan);
    if (rc == 0)
        rc = az_cli_build_trigger(&args, &plan, &trigger);
    if (rc == 0)
        rc = az_cli_preview_run(trigger, &plan, args.json);
    asyncz_trigger_unref(trigger);
    asyncz_zone_unref(plan.zone);
    return finish_output(rc);
}
