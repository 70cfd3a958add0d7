/* Building the trigger a preview command line describes: one trigger per trigger option (the field API
 * options together make one), combined with and/or when --and or --or is given. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *kind_option(az_cli_kind kind)
{
    static const char *const names[] = {"--cron", "the field options", "--interval", "--calendar-interval",
                                        "--at",   "--shutdown"};
    return names[kind];
}

/* ---- reporting the library's errors --------------------------------------------------------------- */

/* The value to show with an error: the user's whole value unless the library blamed a different text. */
static const char *shown_value(const char *value, const asyncz_trigger_error *err)
{
    size_t n = strlen(err->expression);
    if (n == 0 || strncmp(value, err->expression, n) == 0)
        return value;
    return err->expression;
}

/* Report a constructor's failure. prefix (may be "") goes before the reason, e.g. "minute: " for a crontab.
 */
static int report_trigger_error(const char *option, const char *value, int rc,
                                const asyncz_trigger_error *err, const char *prefix)
{
    if (rc == ASYNCZ_ENOMEM)
        return az_cli_failure("%s", asyncz_strerror(rc));
    const char *reason = err->reason[0] ? err->reason : asyncz_strerror(rc);
    if (!value)
        return az_cli_failure("cannot make the %s trigger: %s", option, reason);
    return az_cli_bad_value(option, shown_value(value, err), err->reason[0] ? err->column : 0, "%s%s", prefix,
                            reason);
}

static int report_crontab_error(const char *value, int rc, const asyncz_trigger_error *err)
{
    char prefix[sizeof err->field + 2] = "";
    if (err->field[0] && strcmp(err->field, "crontab") != 0)
        snprintf(prefix, sizeof prefix, "%s: ", err->field);
    return report_trigger_error("--cron", value, rc, err, prefix);
}

/* The field API options in the order of asyncz_cron_fields, with the names the library's errors use. */
static const char *const field_names[] = {"year",        "month", "day",    "week",
                                          "day_of_week", "hour",  "minute", "second"};

static const char *field_value(const asyncz_cron_fields *f, int i)
{
    const char *values[] = {f->year,        f->month, f->day,    f->week,
                            f->day_of_week, f->hour,  f->minute, f->second};
    return values[i];
}

/* Which field option an error is about: the one it names, else the first one given. */
static int blamed_field(const asyncz_cron_fields *f, const asyncz_trigger_error *err)
{
    for (int i = 0; i < 8; i++)
        if (strcmp(err->field, field_names[i]) == 0 && field_value(f, i))
            return i;
    for (int i = 0; i < 8; i++)
        if (field_value(f, i))
            return i;
    return 0;
}

static int report_fields_error(const asyncz_cron_fields *f, int rc, const asyncz_trigger_error *err)
{
    int i = blamed_field(f, err);
    char option[32] = "--";
    for (const char *p = field_names[i]; *p; p++)
        option[strlen(option)] = *p == '_' ? '-' : *p;
    const char *value = field_value(f, i);
    return report_trigger_error(option, value ? value : "", rc, err, "");
}

/* A failure without an expression to blame (options the trigger kind rejects, a zone that cannot load). */
static int report_plain_error(const char *option, const char *value, int rc)
{
    asyncz_trigger_error none = {0};
    if (rc == ASYNCZ_EINVAL && value)
        return report_trigger_error(option, value, rc, &none, "the trigger options do not fit together: ");
    return report_trigger_error(option, NULL, rc, &none, "");
}

/* An implicit start (--from, or --from + interval) after --end-date: the library rejects such options, and
 * the user should learn why rather than read "invalid argument". */
static int check_implicit_start(const char *option, const char *start, const asyncz_trigger_options *o)
{
    if (o->end_date == ASYNCZ_TIME_NONE || o->start_date <= o->end_date)
        return 0;
    return az_cli_usage_error("--end-date is before the start of the %s trigger (%s)", option, start);
}

/* ---- one trigger per kind -------------------------------------------------------------------------- */

static int make_crontab(const char *value, const asyncz_trigger_options *o, asyncz_trigger **out)
{
    asyncz_trigger_error err = {0};
    int rc = asyncz_trigger_crontab_new(out, value, o, &err);
    return rc < 0 ? report_crontab_error(value, rc, &err) : 0;
}

static int make_fields(const asyncz_cron_fields *f, const asyncz_trigger_options *o, asyncz_trigger **out)
{
    asyncz_trigger_error err = {0};
    int rc = asyncz_trigger_cron_new(out, f, o, &err);
    return rc < 0 ? report_fields_error(f, rc, &err) : 0;
}

/* Midnight of the day of `from` in the plan's zone (the end of the gap when midnight is skipped). Returns
 * false when that day's midnight is out of range (the first day of year 1 west of UTC). */
static bool day_start(const az_preview_plan *plan, asyncz_time_t *out)
{
    asyncz_civil c;
    if (asyncz_zone_to_civil(plan->zone, plan->from, &c, NULL) < 0)
        return false;
    c.hour = c.minute = c.second = 0;
    c.usec = 0;
    return asyncz_zone_resolve(plan->zone, &c, out) == 0 && *out <= plan->from;
}

/* Where an interval without --start-date starts its grid. Alone, one interval after --from, which plays
 * the part of the moment the trigger was created (APScheduler's default). Inside --and/--or, on a grid
 * counted from midnight of the day of --from in --timezone: its first point after --from. A grid counted
 * from an arbitrary "now" (10:17:42 + k hours) would rarely meet the times of a cron or calendar child, so
 * the combination would never fire; counted from midnight, a whole-hour interval lies on whole hours and
 * meets '0 *\/6 * * *' whenever it is started. */
static int implicit_interval_start(const char *value, int64_t usec, const az_preview_plan *plan,
                                   bool combined, asyncz_trigger_options *o)
{
    asyncz_time_t midnight, first;
    const char *what = "--from + interval";
    bool ok;
    if (combined && day_start(plan, &midnight)) {
        what = "the first whole interval from midnight after --from";
        int64_t k = (plan->from - midnight) / usec + 1, span; /* from - midnight is within a day or two */
        ok = !__builtin_mul_overflow(k, usec, &span) && !__builtin_add_overflow(midnight, span, &first);
    } else {
        ok = !__builtin_add_overflow(plan->from, usec, &first);
    }
    if (!ok || first > ASYNCZ_TIME_MAX)
        return az_cli_bad_value("--interval", value, 0, "the first fire time would be past year 9999");
    o->start_date = first;
    return check_implicit_start("--interval", what, o);
}

/* Elapsed-time interval. Its grid starts at --start-date, else as implicit_interval_start says. */
static int make_interval(const char *value, const az_preview_plan *plan, bool combined,
                         asyncz_trigger_options o, asyncz_trigger **out)
{
    int64_t usec;
    int rc = az_cli_parse_duration("--interval", value, &usec);
    if (rc)
        return rc;
    if (usec <= 0)
        return az_cli_bad_value("--interval", value, 0, "the interval must be greater than zero");
    if (o.start_date == ASYNCZ_TIME_NONE && (rc = implicit_interval_start(value, usec, plan, combined, &o)))
        return rc;
    asyncz_trigger_error err = {0};
    rc = asyncz_trigger_interval_new(out, usec, &o, &err);
    if (rc < 0 && err.reason[0])
        return report_trigger_error("--interval", value, rc, &err, "");
    return rc < 0 ? report_plain_error("--interval", value, rc) : 0;
}

/* Calendar interval: fire dates count from the date of --start-date, else the date of --from. */
static int make_calendar(const char *value, const char *time_of_day, const az_preview_plan *plan,
                         asyncz_trigger_options o, asyncz_trigger **out)
{
    asyncz_calendar_interval ci = {0};
    int rc = az_cli_parse_calendar_spec("--calendar-interval", value, &ci);
    if (rc == 0 && time_of_day)
        rc = az_cli_parse_time_of_day("--time-of-day", time_of_day, &ci);
    if (rc)
        return rc;
    if (o.start_date == ASYNCZ_TIME_NONE) {
        o.start_date = plan->from;
        if ((rc = check_implicit_start("--calendar-interval", "--from", &o)))
            return rc;
    }
    asyncz_trigger_error err = {0};
    rc = asyncz_trigger_calendar_new(out, &ci, &o, &err);
    if (rc < 0 && err.reason[0])
        return report_trigger_error("--calendar-interval", value, rc, &err, "");
    return rc < 0 ? report_plain_error("--calendar-interval", value, rc) : 0;
}

static int make_date(const char *value, const az_preview_plan *plan, const asyncz_trigger_options *o,
                     asyncz_trigger **out)
{
    asyncz_time_t at;
    int rc = az_cli_parse_time("--at", value, plan->zone, &at);
    if (rc)
        return rc;
    rc = asyncz_trigger_date_new(out, at, o);
    return rc < 0 ? report_plain_error("--at", value, rc) : 0;
}

static int make_shutdown(asyncz_trigger **out)
{
    int rc = asyncz_trigger_shutdown_new(out);
    return rc < 0 ? report_plain_error("--shutdown", NULL, rc) : 0;
}

static int make_one(const az_preview_args *a, const az_cli_spec *spec, const az_preview_plan *plan,
                    const asyncz_trigger_options *o, asyncz_trigger **out)
{
    switch (spec->kind) {
    case AZ_CLI_CRONTAB:
        return make_crontab(spec->value, o, out);
    case AZ_CLI_FIELDS:
        return make_fields(&a->fields, o, out);
    case AZ_CLI_INTERVAL:
        return make_interval(spec->value, plan, a->combine != AZ_CLI_SINGLE, *o, out);
    case AZ_CLI_CALENDAR:
        return make_calendar(spec->value, a->time_of_day, plan, *o, out);
    case AZ_CLI_DATE:
        return make_date(spec->value, plan, o, out);
    case AZ_CLI_SHUTDOWN:
        return make_shutdown(out);
    }
    return az_cli_failure("internal error: unknown trigger kind");
}

/* ---- combining ------------------------------------------------------------------------------------- */

static void release_all(asyncz_trigger **children, size_t n)
{
    for (size_t i = 0; i < n; i++)
        asyncz_trigger_unref(children[i]);
}

/* The children of --and/--or. Their jitter would be ignored, so they get none; the combination jitters. */
static int make_children(const az_preview_args *a, const az_preview_plan *plan, asyncz_trigger **children)
{
    asyncz_trigger_options o = plan->opts;
    o.jitter = 0;
    for (size_t i = 0; i < a->n_specs; i++) {
        int rc = make_one(a, &a->specs[i], plan, &o, &children[i]);
        if (rc) {
            release_all(children, i);
            return rc;
        }
    }
    return 0;
}

static int make_combination(const az_preview_args *a, const az_preview_plan *plan, asyncz_trigger **out)
{
    asyncz_trigger *children[AZ_CLI_MAX_TRIGGERS];
    int rc = make_children(a, plan, children);
    if (rc)
        return rc;
    if (a->combine == AZ_CLI_AND)
        rc = asyncz_trigger_and_new(out, children, a->n_specs, &plan->opts);
    else
        rc = asyncz_trigger_or_new(out, children, a->n_specs, &plan->opts);
    release_all(children, a->n_specs);
    return rc < 0 ? report_plain_error(a->combine == AZ_CLI_AND ? "--and" : "--or", NULL, rc) : 0;
}

/* "--cron, --interval" for the message about several triggers without --and/--or. */
static void list_kinds(const az_preview_args *a, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < a->n_specs && used < size; i++)
        used +=
            (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", kind_option(a->specs[i].kind));
}

static bool has_calendar(const az_preview_args *a)
{
    for (size_t i = 0; i < a->n_specs; i++)
        if (a->specs[i].kind == AZ_CLI_CALENDAR)
            return true;
    return false;
}

static int check_specs(const az_preview_args *a)
{
    if (a->n_specs == 0)
        return az_cli_usage_error("no trigger given: use --cron, field options such as --minute, --interval, "
                                  "--calendar-interval, --at or --shutdown");
    if (a->n_specs > 1 && a->combine == AZ_CLI_SINGLE) {
        char kinds[512];
        list_kinds(a, kinds, sizeof kinds);
        return az_cli_usage_error("several triggers given (%s): add --and (fire when all agree) or --or "
                                  "(fire at the earliest)",
                                  kinds);
    }
    if (a->time_of_day && !has_calendar(a))
        return az_cli_usage_error("--time-of-day needs --calendar-interval");
    return 0;
}

int az_cli_build_trigger(const az_preview_args *a, const az_preview_plan *plan, asyncz_trigger **out)
{
    int rc = check_specs(a);
    if (rc)
        return rc;
    if (a->combine != AZ_CLI_SINGLE)
        return make_combination(a, plan, out);
    return make_one(a, &a->specs[0], plan, &plan->opts, out);
}
