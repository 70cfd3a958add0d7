/* The asyncz command-line tool: dispatch to the commands. It uses only the public API ("asyncz.h"). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static bool is_help_flag(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static int finish(int rc)
{
    if (fflush(stdout) != 0 && rc == 0)
        return az_cli_failure("cannot write to standard output");
    return rc;
}

static int print_version(int argc, char **argv)
{
    if (argc > 1 && is_help_flag(argv[1])) {
        az_cli_print_help(stdout, AZ_CLI_HELP_VERSION);
        return finish(0);
    }
    if (argc > 1)
        return az_cli_usage_error("unexpected argument '%s'", argv[1]);
    printf("asyncz %s\n", asyncz_version());
    return finish(0);
}

static bool help_topic(const char *name, az_cli_topic *topic)
{
    if (strcmp(name, "preview") == 0)
        *topic = AZ_CLI_HELP_PREVIEW;
    else if (strcmp(name, "version") == 0)
        *topic = AZ_CLI_HELP_VERSION;
    else if (strcmp(name, "help") == 0)
        *topic = AZ_CLI_HELP_MAIN;
    else
        return false;
    return true;
}

/* `asyncz help [COMMAND]`, `asyncz --help`. */
static int print_help(int argc, char **argv)
{
    az_cli_topic topic = AZ_CLI_HELP_MAIN;
    if (argc > 2)
        return az_cli_usage_error("help takes at most one command name");
    if (argc == 2 && !help_topic(argv[1], &topic))
        return az_cli_usage_error("no help for unknown command '%s'", argv[1]);
    az_cli_print_help(stdout, topic);
    return finish(0);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return az_cli_usage_error("no command given");
    const char *command = argv[1];
    if (is_help_flag(command) || strcmp(command, "help") == 0)
        return print_help(argc - 1, argv + 1);
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0)
        return print_version(argc - 1, argv + 1);
    if (strcmp(command, "preview") == 0) {
        az_cli_set_command("preview");
        return az_cli_preview(argc - 1, argv + 1);
    }
    if (command[0] == '-')
        return az_cli_usage_error("unknown option '%s'", command);
    return az_cli_usage_error("unknown command '%s'", command);
}
