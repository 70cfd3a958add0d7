/* The `triggers` suite: the cost of next() chained from each fire time to the next, for the common trigger
 * shapes, once in UTC and once in Europe/Berlin (DST), starting 2026-01-01T00:00 local; and parse cost. */
#include <stdio.h>
#include <string.h>

#include "asyncz.h"
#include "bench.h"

typedef struct chain_state {
    asyncz_trigger *trigger;
    asyncz_time_t origin; /* 2026-01-01T00:00 local */
    asyncz_time_t prev;
    int error;
} chain_state;

static uint64_t chain_body(void *p, uint64_t iterations)
{
    chain_state *s = p;
    for (uint64_t i = 0; i < iterations; i++) {
        asyncz_time_t next;
        asyncz_time_t from = s->prev == ASYNCZ_TIME_NONE ? s->origin : s->prev;
        if (asyncz_trigger_next(s->trigger, s->prev, from, &next) < 0) {
            s->error = 1;
            return i;
        }
        /* An exhausted trigger (or the end of the calendar) starts over from the origin. */
        s->prev = next;
    }
    return iterations;
}

typedef int (*trigger_maker)(asyncz_trigger **out, const asyncz_trigger_options *opts,
                             asyncz_trigger_error *err);

static int make_every_second(asyncz_trigger **out, const asyncz_trigger_options *o, asyncz_trigger_error *e)
{
    asyncz_cron_fields f = {.second = "*"};
    return asyncz_trigger_cron_new(out, &f, o, e);
}

static int make_daily(asyncz_trigger **out, const asyncz_trigger_options *o, asyncz_trigger_error *e)
{
    asyncz_cron_fields f = {.hour = "3", .minute = "0"};
    return asyncz_trigger_cron_new(out, &f, o, e);
}

static int make_business(asyncz_trigger **out, const asyncz_trigger_options *o, asyncz_trigger_error *e)
{
    return asyncz_trigger_crontab_new(out, "*/15 9-17 * * 1-5", o, e);
}

static int make_feb29(asyncz_trigger **out, const asyncz_trigger_options *o, asyncz_trigger_error *e)
{
    asyncz_cron_fields f = {.month = "2", .day = "29", .hour = "0", .minute = "0"};
    return asyncz_trigger_cron_new(out, &f, o, e);
}

static int make_last_fri(asyncz_trigger **out, const asyncz_trigger_options *o, asyncz_trigger_error *e)
{
    asyncz_cron_fields f = {.day = "last fri", .hour = "9", .minute = "0"};
    return asyncz_trigger_cron_new(out, &f, o, e);
}

static int make_interval(asyncz_trigger **out, const asyncz_trigger_options *o, asyncz_trigger_error *e)
{
    return asyncz_trigger_interval_new(out, ASYNCZ_USEC_PER_HOUR, o, e);
}

static const struct chain_case {
    const char *name;
    trigger_maker make;
} chain_cases[] = {
    {"cron_every_second", make_every_second}, {"cron_daily", make_daily},
    {"crontab_business", make_business},      {"cron_feb29", make_feb29},
    {"cron_last_fri", make_last_fri},         {"interval_1h", make_interval},
};

static int run_chain_case(const bench_ctx *ctx, const struct chain_case *c, const char *suffix,
                          asyncz_zone *zone)
{
    char name[64];
    snprintf(name, sizeof name, "%s_%s", c->name, suffix);
    if (!bench_selected(ctx, name))
        return 0;
    chain_state s = {.prev = ASYNCZ_TIME_NONE};
    asyncz_time_parse(&s.origin, "2026-01-01T00:00:00", zone, NULL);
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = zone;
    opts.start_date = s.origin; /* the interval's grid origin; no effect on the cron searches */
    asyncz_trigger_error err;
    int rc = c->make(&s.trigger, &opts, &err);
    if (rc < 0) {
        fprintf(stderr, "asyncz-bench: %s: %s\n", name, asyncz_strerror(rc));
        return 1;
    }
    bench_run(ctx, "triggers", name, chain_body, &s);
    asyncz_trigger_unref(s.trigger);
    if (s.error)
        fprintf(stderr, "asyncz-bench: %s: next() failed\n", name);
    return s.error;
}

typedef struct parse_state {
    asyncz_zone *zone;
    int crontab; /* 1: a crontab string; 0: the field API */
} parse_state;

static uint64_t parse_body(void *p, uint64_t iterations)
{
    parse_state *s = p;
    asyncz_trigger_options opts;
    asyncz_trigger_options_init(&opts);
    opts.timezone = s->zone;
    opts.jitter_seed = 1;
    asyncz_cron_fields f = {.day = "last fri", .hour = "9", .minute = "0"};
    for (uint64_t i = 0; i < iterations; i++) {
        asyncz_trigger *t = NULL;
        int rc = s->crontab ? asyncz_trigger_crontab_new(&t, "*/15 9-17 * * 1-5", &opts, NULL)
                            : asyncz_trigger_cron_new(&t, &f, &opts, NULL);
        if (rc < 0)
            return i;
        asyncz_trigger_unref(t);
    }
    return iterations;
}

static void run_parse_cases(const bench_ctx *ctx)
{
    parse_state crontab = {.zone = asyncz_zone_utc(), .crontab = 1};
    parse_state fields = {.zone = asyncz_zone_utc(), .crontab = 0};
    if (bench_selected(ctx, "parse_crontab_business"))
        bench_run(ctx, "triggers", "parse_crontab_business", parse_body, &crontab);
    if (bench_selected(ctx, "parse_cron_fields_last_fri"))
        bench_run(ctx, "triggers", "parse_cron_fields_last_fri", parse_body, &fields);
}

int bench_triggers(const bench_ctx *ctx)
{
    asyncz_zone *berlin = NULL;
    int rc = asyncz_zone_get(&berlin, "Europe/Berlin");
    if (rc < 0) {
        fprintf(stderr, "asyncz-bench: cannot load Europe/Berlin: %s\n", asyncz_strerror(rc));
        return 1;
    }
    int failed = 0;
    for (size_t i = 0; i < sizeof chain_cases / sizeof chain_cases[0]; i++) {
        failed |= run_chain_case(ctx, &chain_cases[i], "utc", asyncz_zone_utc());
        failed |= run_chain_case(ctx, &chain_cases[i], "berlin", berlin);
    }
    run_parse_cases(ctx);
    asyncz_zone_unref(berlin);
    return failed;
}
