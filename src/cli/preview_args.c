/* The preview command's command line, read with getopt_long: both "--opt VALUE" and "--opt=VALUE" work.
 * This file only collects the values; preview.c and trigger_opts.c make sense of them. */
#include <getopt.h>
#include <pthread.h>
#include <string.h>

#include "cli.h"

/* The preview command's own options, after the trigger words. */
enum option_code {
    OPT_FROM = AZ_OPT_TRIGGER_END,
    OPT_COUNT,
    OPT_JSON,
    OPT_TASK,
    OPT_STORE,
    OPT_HELP = 'h',
};

static const struct option long_options[] = {
    AZ_CLI_TRIGGER_LONG_OPTIONS,
    {"from", required_argument, NULL, OPT_FROM},
    {"count", required_argument, NULL, OPT_COUNT},
    {"json", no_argument, NULL, OPT_JSON},
    {"task", required_argument, NULL, OPT_TASK},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* The long name of an option code in a table, for messages. */
static const char *name_in(const struct option *options, int code)
{
    for (const struct option *o = options; o->name; o++)
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
static int set_once(const struct option *options, const char **slot, int code, const char *value)
{
    if (*slot)
        return az_cli_usage_error("--%s given twice", name_in(options, code));
    *slot = value;
    return 0;
}

/* The field API options are one trigger, placed where the first of them appears. */
static int set_field(az_preview_args *args, const struct option *options, int code, const char *value)
{
    asyncz_cron_fields *f = &args->fields;
    const char **slots[] = {&f->year,        &f->month, &f->day,    &f->week,
                            &f->day_of_week, &f->hour,  &f->minute, &f->second};
    bool first =
        !(f->year || f->month || f->day || f->week || f->day_of_week || f->hour || f->minute || f->second);
    int rc = set_once(options, slots[code - AZ_OPT_YEAR], code, value);
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

/* The options every trigger shares. */
static int common_trigger_option(az_preview_args *args, const struct option *options, int code,
                                 const char *value)
{
    switch (code) {
    case AZ_OPT_TIME_OF_DAY:
        return set_once(options, &args->time_of_day, code, value);
    case AZ_OPT_START_DATE:
        return set_once(options, &args->start_date, code, value);
    case AZ_OPT_END_DATE:
        return set_once(options, &args->end_date, code, value);
    case AZ_OPT_TIMEZONE:
        return set_once(options, &args->timezone, code, value);
    case AZ_OPT_JITTER:
        return set_once(options, &args->jitter, code, value);
    case AZ_OPT_JITTER_SEED:
        return set_once(options, &args->jitter_seed, code, value);
    case AZ_OPT_AND:
        return set_combine(args, AZ_CLI_AND);
    case AZ_OPT_OR:
        return set_combine(args, AZ_CLI_OR);
    default:
        return set_field(args, options, code, value);
    }
}

int az_cli_trigger_option(az_preview_args *args, const struct option *options, int code, const char *value)
{
    switch (code) {
    case AZ_OPT_CRON:
        return add_spec(args, AZ_CLI_CRONTAB, value);
    case AZ_OPT_INTERVAL:
        return add_spec(args, AZ_CLI_INTERVAL, value);
    case AZ_OPT_CALENDAR:
        return add_spec(args, AZ_CLI_CALENDAR, value);
    case AZ_OPT_AT:
        return add_spec(args, AZ_CLI_DATE, value);
    case AZ_OPT_SHUTDOWN:
        return add_spec(args, AZ_CLI_SHUTDOWN, NULL);
    default:
        return common_trigger_option(args, options, code, value);
    }
}

bool az_cli_trigger_given(const az_preview_args *a)
{
    return a->n_specs || a->time_of_day || a->start_date || a->end_date || a->timezone || a->jitter ||
           a->jitter_seed || a->combine != AZ_CLI_SINGLE;
}

static int preview_option(az_preview_args *args, int code, const char *value)
{
    switch (code) {
    case OPT_FROM:
        return set_once(long_options, &args->from, code, value);
    case OPT_COUNT:
        return set_once(long_options, &args->count, code, value);
    case OPT_TASK:
        return set_once(long_options, &args->task, code, value);
    case OPT_STORE:
        return set_once(long_options, &args->store, code, value);
    case OPT_JSON:
        args->json = true;
        return 0;
    case OPT_HELP:
        args->help = true;
        return 0;
    default:
        return az_cli_usage_error("internal error: unhandled option %d", code);
    }
}

static int handle_option(az_preview_args *args, int code, const char *value)
{
    if (code >= AZ_OPT_CRON && code < AZ_OPT_TRIGGER_END)
        return az_cli_trigger_option(args, long_options, code, value);
    return preview_option(args, code, value);
}

/* getopt_long's '?': an unknown option, or a value given to an option that takes none. */
static int unknown_option(char **argv)
{
    const char *name = name_in(long_options, optopt);
    if (optopt && name)
        return az_cli_usage_error("option --%s takes no value", name);
    if (optopt)
        return az_cli_usage_error("unknown option '-%c'", optopt);
    return az_cli_usage_error("unknown or ambiguous option '%s'", argv[optind - 1]);
}

static int parse_locked(int argc, char **argv, az_preview_args *args)
{
    opterr = 0; /* the messages below name the command and point to --help */
    optind = 1;
    int code;
    while ((code = getopt_long(argc, argv, "+:h", long_options, NULL)) != -1) {
        int rc;
        if (code == ':')
            rc = az_cli_usage_error("option --%s needs a value", name_in(long_options, optopt));
        else if (code == '?')
            rc = unknown_option(argv);
        else if ((rc = az_cli_check_option_value(long_options, code, argv)) == 0)
            rc = handle_option(args, code, optarg);
        if (rc)
            return rc;
    }
    if (optind < argc)
        return az_cli_usage_error("unexpected argument '%s'", argv[optind]);
    return 0;
}

/* getopt_long keeps its state in globals (optind, optarg and its own): the daemon's HTTP handlers read
 * trigger keys through this parser on their connection threads (az_cfg_task_build), one at a time. */
static pthread_mutex_t getopt_lock = PTHREAD_MUTEX_INITIALIZER;

int az_cli_preview_parse_args(int argc, char **argv, az_preview_args *args)
{
    memset(args, 0, sizeof *args);
    pthread_mutex_lock(&getopt_lock);
    int rc = parse_locked(argc, argv, args);
    pthread_mutex_unlock(&getopt_lock);
    return rc;
}
