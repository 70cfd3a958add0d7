/* The value getopt_long gives an option that needs one: with "--id --cron X" it takes "--cron" as the id
 * and the command goes on with a wrong task. Shared by every parser of the tool (the management commands,
 * preview, start). */
#include <string.h>

#include "cli.h"

int az_cli_check_option_value(const struct option *options, int code, char *const *argv)
{
    const struct option *o = options;
    while (o->name && o->val != code)
        o++;
    if (!o->name || o->has_arg != required_argument || !optarg || optind < 1)
        return 0;
    /* "--id=VALUE" leaves optarg inside that word; "--id VALUE" makes it the next word. Only a separate
     * word is suspect: the "=" form says the value is meant. */
    if (optarg != argv[optind - 1] || strncmp(optarg, "--", 2) != 0)
        return 0;
    return az_cli_usage_error("option --%s needs a value, got the option '%s' (write --%s='%s' if that is "
                              "the value)",
                              o->name, optarg, o->name, optarg);
}
