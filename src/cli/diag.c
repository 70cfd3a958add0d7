/* Messages to the user on stderr, each prefixed with the command that failed ("asyncz preview: ...").
 * stdout stays reserved for results, so scripts can rely on it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The name of the running command; set once by main before anything can fail. */
static const char *current_command;

/* Where messages go instead of stderr while diverted (az_cli_divert_messages); NULL: stderr. Per thread:
 * the daemon's HTTP handlers build tasks with the config reader on their connection threads, each
 * diverting its own messages. */
static _Thread_local az_cli_message *diverted;

void az_cli_divert_messages(az_cli_message *into)
{
    diverted = into;
    if (into)
        *into = (az_cli_message){0};
}

/* Keep the first message only: later ones are consequences of the first. */
static bool divert(int status, const char *option, const char *fmt, va_list ap)
{
    if (!diverted)
        return false;
    if (diverted->status == 0) {
        diverted->status = status;
        snprintf(diverted->option, sizeof diverted->option, "%s", option ? option : "");
        vsnprintf(diverted->text, sizeof diverted->text, fmt, ap);
    }
    return true;
}

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

void az_cli_message_set(int status, const char *option, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    divert(status, option, fmt, ap);
    va_end(ap);
}

int az_cli_bad_value(const char *option, const char *value, int column, const char *fmt, ...)
{
    if (diverted) {
        char reason[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof reason, fmt, ap);
        va_end(ap);
        char where[32] = "";
        if (column > 0)
            snprintf(where, sizeof where, "column %d: ", column);
        az_cli_message_set(AZ_CLI_EXIT_USAGE, option, "'%s': %s%s", value ? value : "", where, reason);
        return AZ_CLI_EXIT_USAGE;
    }
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
    va_list ap;
    va_start(ap, fmt);
    if (divert(AZ_CLI_EXIT_USAGE, NULL, fmt, ap)) {
        va_end(ap);
        return AZ_CLI_EXIT_USAGE;
    }
    print_prefix();
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
    va_list ap;
    va_start(ap, fmt);
    if (divert(AZ_CLI_EXIT_FAILURE, NULL, fmt, ap)) {
        va_end(ap);
        return AZ_CLI_EXIT_FAILURE;
    }
    print_prefix();
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

const char *az_cli_store_reason(const char *shown, const char *msg, bool *named)
{
    size_t n = strlen(shown);
    if (strncmp(msg, "store URL \"", 11) == 0 && strncmp(msg + 11, shown, n) == 0 &&
        strncmp(msg + 11 + n, "\": ", 3) == 0)
        msg += 11 + n + 3;
    if (named)
        *named = n && strstr(msg, shown) != NULL;
    return msg;
}
