/* The command lines of the management commands: one getopt_long loop for all of them, the options they
 * share (--store, --json, --no-color, --timezone, -h), and small value parsers. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manage.h"

const char *az_cli_option_name(const struct option *options, int code)
{
    for (const struct option *o = options; o->name; o++)
        if (o->val == code)
            return o->name;
    return "?";
}

int az_cli_set_once(const struct option *options, const char **slot, int code, const char *value)
{
    if (*slot)
        return az_cli_usage_error("--%s given twice", az_cli_option_name(options, code));
    *slot = value;
    return 0;
}

int az_cli_set_positional(const char **slot, const char *value)
{
    if (*slot)
        return az_cli_usage_error("unexpected argument '%s' (one task id only)", value);
    *slot = value;
    return 0;
}

static int common_option(const struct option *options, az_cli_common *common, int code, const char *value)
{
    switch (code) {
    case AZ_OPT_STORE:
        return az_cli_set_once(options, &common->store, code, value);
    case AZ_OPT_SHOW_ZONE:
        return az_cli_set_once(options, &common->timezone, code, value);
    case AZ_OPT_JSON:
        common->json = true;
        return 0;
    case AZ_OPT_NO_COLOR:
        common->no_color = true;
        return 0;
    default: /* 'h' */
        common->help = true;
        return 0;
    }
}

static bool is_common(int code)
{
    return code == 'h' || (code >= AZ_OPT_STORE && code < AZ_OPT_OWN);
}

/* getopt_long's '?': an unknown option, or a value given to an option that takes none. */
static int unknown_option(const struct option *options, char **argv)
{
    if (optopt && optopt != '?' && strcmp(az_cli_option_name(options, optopt), "?") != 0)
        return az_cli_usage_error("option --%s takes no value", az_cli_option_name(options, optopt));
    if (optopt && optopt < 128)
        return az_cli_usage_error("unknown option '-%c'", optopt);
    return az_cli_usage_error("unknown or ambiguous option '%s'", argv[optind - 1]);
}

int az_cli_parse_options(int argc, char **argv, const struct option *options, az_cli_common *common,
                         az_cli_option_fn fn, void *ctx)
{
    memset(common, 0, sizeof *common);
    opterr = 0; /* the messages below name the command and point to --help */
    optind = 0; /* 0, not 1: glibc then starts afresh, also after an earlier command line */
    int code, rc = 0;
    /* "-": positional arguments come back in order as code 1, wherever they stand. */
    while (rc == 0 && (code = getopt_long(argc, argv, "-:h", options, NULL)) != -1) {
        if (code == ':')
            rc = az_cli_usage_error("option --%s needs a value", az_cli_option_name(options, optopt));
        else if (code == '?')
            rc = unknown_option(options, argv);
        else if ((rc = az_cli_check_option_value(options, code, argv)) != 0)
            break;
        else if (is_common(code))
            rc = common_option(options, common, code, optarg);
        else
            rc = fn(ctx, code, optarg);
    }
    return rc;
}

bool az_cli_use_color(const az_cli_common *common)
{
    const char *no_color = getenv("NO_COLOR");
    return !common->no_color && !(no_color && no_color[0]) && isatty(STDOUT_FILENO);
}

bool az_cli_help_requested(const az_cli_common *common, const char *command)
{
    if (common->help)
        az_cli_print_command_help(stdout, command);
    return common->help;
}

int az_cli_parse_long(const char *option, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!text[0] || *end || errno == ERANGE || v < min || v > max || text[0] == ' ' || text[0] == '+')
        return az_cli_bad_value(option, text, 0, "must be a whole number from %ld to %ld", min, max);
    *out = v;
    return 0;
}
