/* Help texts. asyncz(1) says the same at more length; keep the two in step. */
#include "cli.h"

static const char main_head[] = "Usage: asyncz COMMAND [OPTIONS]\n"
                                "\n"
                                "The asyncz job scheduler's command-line tool.\n"
                                "\n"
                                "Commands:\n";

static const char main_tail[] =
    "  help [COMMAND] show this help, or a command's help\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "  --version      print the version (same as 'asyncz version')\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  a runtime failure (such as an --and search that finds no common time)\n"
    "  2  bad command line or bad input (unknown option, missing value, bad expression)\n"
    "  3  the task the command names does not exist\n"
    "\n"
    "Run 'asyncz help COMMAND' for a command's options; see asyncz(1) for more.\n";

const char az_cli_preview_help[] =
    "Usage: asyncz preview TRIGGER... [--and|--or] [--from TIME] [--count N] [--json] [OPTIONS]\n"
    "       asyncz preview --task ID [--store URL] [--from TIME] [--count N] [--json]\n"
    "\n"
    "List the next fire times of a trigger, one ISO-8601 time per line with the zone's UTC offset at that\n"
    "instant. Fewer lines than --count mean the trigger is exhausted.\n"
    "\n"
    "Trigger (one kind; several need --and or --or):\n"
    "  --cron 'EXPR'              crontab string: 'm h dom mon dow', 6 fields with seconds first, 7 with a\n"
    "                             year last, or @yearly @monthly @weekly @daily @hourly ...\n"
    "  --year, --month, --day, --week, --day-of-week, --hour, --minute, --second EXPR\n"
    "                             the cron field API (APScheduler 3); together they make ONE trigger.\n"
    "                             Here day-of-week 0 = Monday, unlike crontab's 0 = Sunday.\n"
    "  --interval DURATION        every DURATION of elapsed time (30s, 1h30m, 2d, 1w, 250ms ...);\n"
    "                             the first fire time is --start-date, else --from + DURATION\n"
    "  --calendar-interval SPEC   every SPEC of calendar time, units y mo w d (1mo, 2w, 1y6mo, 3d),\n"
    "                             at --time-of-day; fire dates count from the date of --start-date,\n"
    "                             else the date of --from in --timezone\n"
    "  --time-of-day HH:MM[:SS]   time of day of a calendar interval (default 00:00:00)\n"
    "  --at TIME                  once, at TIME (a date trigger)\n"
    "  --shutdown                 a shutdown trigger: never fires by time (no lines)\n"
    "  --and                      combine the triggers: fire when all of them agree\n"
    "  --or                       combine the triggers: fire at the earliest of them\n"
    "\n"
    "Trigger options:\n"
    "  --start-date TIME          no fire time before TIME\n"
    "  --end-date TIME            no fire time after TIME (inclusive)\n"
    "  --timezone ZONE            zone of wall-clock fields and naive times (default: local)\n"
    "  --jitter DURATION          delay each fire time by a random amount in [0, DURATION]\n"
    "  --jitter-seed N            seed for reproducible jitter (0: random)\n"
    "\n"
    "Preview options:\n"
    "  --from TIME                the moment to start from (default: now)\n"
    "  --count N                  how many fire times to list (default 5; 0 to 100000)\n"
    "  --json                     print one JSON object:\n"
    "                             {\"timezone\": ..., \"run_times\": [...], \"exhausted\": true|false}\n"
    "  -h, --help                 show this help\n"
    "\n"
    "A stored task's trigger instead (no trigger options then; times in its zone unless --timezone):\n"
    "  --task ID                  the task\n"
    "  --store URL                its store (default: $ASYNCZ_STORE)\n"
    "\n"
    "TIME is ISO-8601: 2026-03-29, 2026-03-29T03:00, 2026-03-29 03:00:00.25, with an optional Z or\n"
    "+02:00; without an offset it is wall-clock time in --timezone. ZONE is an IANA name\n"
    "(Europe/Berlin), UTC, local, or an offset (+05:30). Both '--opt VALUE' and '--opt=VALUE' work.\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 bad command line or input, 3 no such task (--task).\n"
    "\n"
    "Example:\n"
    "  asyncz preview --cron '0 9 * * 1-5' --timezone Europe/Berlin --count 3\n";

const char az_cli_version_help[] =
    "Usage: asyncz version [--json]\n"
    "       asyncz --version [--json]\n"
    "\n"
    "Print the version of the asyncz library the tool runs with, as 'asyncz MAJOR.MINOR.PATCH'.\n"
    "--json prints one object: the version and the store backends the library was built with,\n"
    "  {\"version\": \"MAJOR.MINOR.PATCH\", \"stores\": [\"memory\", \"file\", \"sqlite\", ...]}.\n";

void az_cli_print_main_help(FILE *f)
{
    fputs(main_head, f);
    for (const az_cli_command *c = az_cli_commands; c->name; c++)
        fprintf(f, "  %-14s %s\n", c->name, c->summary);
    fputs(main_tail, f);
}

void az_cli_print_command_help(FILE *f, const char *name)
{
    const az_cli_command *c = az_cli_find_command(name);
    if (c)
        fputs(c->help, f);
}
