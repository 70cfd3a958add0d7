/* The preview command's command line, read with getopt_long: both "--opt VALUE" and "--opt=VALUE" work.
 * This file only collects the values; preview.c and trigger_opts.c make sense of them. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

enum option_code {
    OPT_CRON = 256,
    OPT_YEAR,
    OPT_MONTH,
    OPT_DAY,
    OPT_WEEK,
    OPT_DAY_OF_WEEK,
    OPT_HOUR,
    OPT_MINUTE,
    OPT_SECOND,
    OPT_INTERVAL,
    OPT_CALENDAR,
    OPT_TIME_OF_DAY,
    OPT_AT,
    OPT_SHUTDOWN,
    OPT_START_DATE,
    OPT_END_DATE,
    OPT_TIMEZONE,
    OPT_JITTER,
    OPT_JITTER_SEED,
    OPT_FROM,
    OPT_COUNT,
    OPT_JSON,
    OPT_AND,
    OPT_OR,
    OPT_HELP = 'h',
};

static const struct option long_options[] = {
    {"cron", required_argument, NULL, OPT_CRON},
    {"year", required_argument, NULL, OPT_YEAR},
    {"month", required_argument, NULL, OPT_MONTH},
    {"day", required_argument, NULL, OPT_DAY},
    {"week", required_argument, NULL, OPT_WEEK},
    {"day-of-week", required_argument, NULL, OPT_DAY_OF_WEEK},
    {"hour", required_argument, NULL, OPT_HOUR},
    {"minute", required_argument, NULL, OPT_MINUTE},
    {"second", required_argument, NULL, OPT_SECOND},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"calendar-interval", required_argument, NULL, OPT_CALENDAR},
    {"time-of-day", required_argument, NULL, OPT_TIME_OF_DAY},
    {"at", required_argument, NULL, OPT_AT},
    {"shutdown", no_argument, NULL, OPT_SHUTDOWN},
    {"start-date", required_argument, NULL, OPT_START_DATE},
    {"end-date", required_argument, NULL, OPT_END_DATE},
    {"timezone", required_argument, NULL, OPT_TIMEZONE},
    {"jitter", required_argument, NULL, OPT_JITTER},
    {"jitter-seed", required_argument, NULL, OPT_JITTER_SEED},
    {"from", required_argument, NULL, OPT_FROM},
    {"count", required_argument, NULL, OPT_COUNT},
    {"json", no_argument, NULL, OPT_JSON},
    {"and", no_argument, NULL, OPT_AND},
    {"or", no_argument, NULL, OPT_OR},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* The long name of an option code, for messages. */
static const char *option_name(int code)
{
    for (const struct option *o = long_options; o->name; o++)
        if (o->val == code)
            return o->name;
    return NULL;
}

static int add_spec(az_preview_args *args, az_cli_kind kind, const char *value)
{
    if (args->n_specs == AZ_CLI_MAX_TRIGGERS)
        return az_cli_usage_error("too many triggers (at most %d)", AZ_CLI_MAX_TRIGGERS);
    args->specs[args->n_specs++] = (az_cli_spec){kind, value};
    return 0;
}

/* Options that may be given once: a second value would silently win otherwise. */
static int set_once(const char **slot, int code, const char *value)
{
    if (*slot)
        return az_cli_usage_error("--%s given twice", option_name(code));
    *slot = value;
    return 0;
}

/* The field API options are one trigger, placed where the first of them appears. */
static int set_field(az_preview_args *args, int code, const char *value)
{
    asyncz_cron_fields *f = &args->fields;
    const char **slots[] = {&f->year,        &f->month, &f->day,    &f->week,
                            &f->day_of_week, &f->hour,  &f->minute, &f->second};
    bool first =
        !(f->year || f->month || f->day || f->week || f->day_of_week || f->hour || f->minute || f->second);
    int rc = set_once(slots[code - OPT_YEAR], code, value);
    if (rc == 0 && first)
        rc = add_spec(args, AZ_CLI_FIELDS, NULL);
    return rc;
}

static int set_combine(az_preview_args *args, az_cli_combine combine)
{
    if (args->combine != AZ_CLI_SINGLE && args->combine != combine)
        return az_cli_usage_error("--and and --or cannot be used together");
    args->combine = combine;
    return 0;
}

/* A trigger option: one more trigger of its kind. */
static int trigger_option(az_preview_args *args, int code, const char *value)
{
    switch (code) {
    case OPT_CRON:
        return add_spec(args, AZ_CLI_CRONTAB, value);
    case OPT_INTERVAL:
        return add_spec(args, AZ_CLI_INTERVAL, value);
    case OPT_CALENDAR:
        return add_spec(args, AZ_CLI_CALENDAR, value);
    case OPT_AT:
        return add_spec(args, AZ_CLI_DATE, value);
    case OPT_SHUTDOWN:
        return add_spec(args, AZ_CLI_SHUTDOWN, NULL);
    default:
        return set_field(args, code, value);
    }
}

static int other_option(az_preview_args *args, int code, const char *value)
{
    switch (code) {
    case OPT_TIME_OF_DAY:
        return set_once(&args->time_of_day, code, value);
    case OPT_START_DATE:
        return set_once(&args->start_date, code, value);
    case OPT_END_DATE:
        return set_once(&args->end_date, code, value);
    case OPT_TIMEZONE:
        return set_once(&args->timezone, code, value);
    case OPT_JITTER:
        return set_once(&args->jitter, code, value);
    case OPT_JITTER_SEED:
        return set_once(&args->jitter_seed, code, value);
    case OPT_FROM:
        return set_once(&args->from, code, value);
    case OPT_COUNT:
        return set_once(&args->count, code, value);
    case OPT_JSON:
        args->json = true;
        return 0;
    case OPT_AND:
        return set_combine(args, AZ_CLI_AND);
    case OPT_OR:
        return set_combine(args, AZ_CLI_OR);
    case OPT_HELP:
        args->help = true;
        return 0;
    default:
        return az_cli_usage_error("internal error: unhandled option %d", code);
    }
}

static int handle_option(az_preview_args *args, int code, const char *value)
{
    if ((code >= OPT_CRON && code <= OPT_CALENDAR) || code == OPT_AT || code == OPT_SHUTDOWN)
        return trigger_option(args, code, value);
    return other_option(args, code, value);
}

/* getopt_long's '?': an unknown option, or a value given to an option that takes none. */
static int unknown_option(char **argv)
{
    const char *name = option_name(optopt);
    if (optopt && name)
        return az_cli_usage_error("option --%s takes no value", name);
    if (optopt)
        return az_cli_usage_error("unknown option '-%c'", optopt);
    return az_cli_usage_error("unknown or ambiguous option '%s'", argv[optind - 1]);
}

int az_cli_preview_parse_args(int argc, char **argv, az_preview_args *args)
{
    memset(args, 0, sizeof *args);
    opterr = 0; /* the messages below name the command and point to --help */
    optind = 1;
    int code;
    while ((code = getopt_long(argc, argv, "+:h", long_options, NULL)) != -1) {
        int rc;
        if (code == ':')
            rc = az_cli_usage_error("option --%s needs a value", option_name(optopt));
        else if (code == '?')
            rc = unknown_option(argv);
        else
            rc = handle_option(args, code, optarg);
        if (rc)
            return rc;
    }
    if (optind < argc)
        return az_cli_usage_error("unexpected argument '%s'", argv[optind]);
    return 0;
}
