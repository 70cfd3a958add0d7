/* The asyncz command-line tool: dispatch to the commands of commands.c. It uses only the public API
 * ("asyncz.h"). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* `asyncz help [COMMAND]`, `asyncz --help`. */
static int print_help(int argc, char **argv)
{
    if (argc > 2)
        return az_cli_usage_error("help takes at most one command name");
    if (argc == 2 && strcmp(argv[1], "help") != 0 && !az_cli_find_command(argv[1]))
        return az_cli_usage_error("no help for unknown command '%s'", argv[1]);
    if (argc == 2 && strcmp(argv[1], "help") != 0)
        az_cli_print_command_help(stdout, argv[1]);
    else
        az_cli_print_main_help(stdout);
    return az_cli_finish(0);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return az_cli_usage_error("no command given");
    const char *name = argv[1];
    if (az_cli_is_help_flag(name) || strcmp(name, "help") == 0)
        return print_help(argc - 1, argv + 1);
    if (strcmp(name, "--version") == 0)
        name = "version";
    const az_cli_command *c = az_cli_find_command(name);
    if (c) {
        az_cli_set_command(c->name);
        return c->run(argc - 1, argv + 1);
    }
    if (name[0] == '-')
        return az_cli_usage_error("unknown option '%s'", name);
    return az_cli_usage_error("unknown command '%s'", name);
}
