/* Messages to the user on stderr, each prefixed with the command that failed ("asyncz preview: ...").
 * stdout stays reserved for results, so scripts can rely on it. */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

/* The name of the running command; set once by main before anything can fail. */
static const char *current_command;

void az_cli_set_command(const char *command)
{
    current_command = command;
}

static void print_prefix(void)
{
    if (current_command)
        fprintf(stderr, "asyncz %s: ", current_command);
    else
        fputs("asyncz: ", stderr);
}

int az_cli_bad_value(const char *option, const char *value, int column, const char *fmt, ...)
{
    print_prefix();
    fprintf(stderr, "%s '%s': ", option, value ? value : "");
    if (column > 0)
        fprintf(stderr, "column %d: ", column);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return AZ_CLI_EXIT_USAGE;
}

int az_cli_usage_error(const char *fmt, ...)
{
    print_prefix();
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (current_command)
        fprintf(stderr, "\nTry 'asyncz %s --help' for more information.\n", current_command);
    else
        fputs("\nTry 'asyncz --help' for more information.\n", stderr);
    return AZ_CLI_EXIT_USAGE;
}

int az_cli_failure(const char *fmt, ...)
{
    print_prefix();
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return AZ_CLI_EXIT_FAILURE;
}

void az_cli_warning(const char *fmt, ...)
{
    print_prefix();
    fputs("warning: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
