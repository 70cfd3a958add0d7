/* The table of the tool's commands: to add one, write its function and help text and add a line here. */
#include <string.h>

#include "cli.h"
#include "daemon.h"

const az_cli_command az_cli_commands[] = {
    {"preview", "list a trigger's next fire times without running anything", az_cli_preview,
     az_cli_preview_help},
    {"start", "run the scheduler daemon with the tasks of a config file", az_cli_start, az_cli_start_help},
    {"version", "print the version of the asyncz library", az_cli_version, az_cli_version_help},
    {NULL, NULL, NULL, NULL},
};

const az_cli_command *az_cli_find_command(const char *name)
{
    for (const az_cli_command *c = az_cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}
