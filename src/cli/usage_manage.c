/* Help texts of the task-management commands. asyncz(1) and docs/cli-*.md say the same at more length;
 * keep them in step. */
#include "manage.h"

#define STORE_HELP                                                                                           \
    "  --store URL                the store (default: $ASYNCZ_STORE): sqlite:////path/tasks.db,\n"           \
    "                             file:///dir, postgresql://..., mariadb://..., redis://..., "               \
    "mongodb://...\n"
#define COMMON_HELP                                                                                          \
    STORE_HELP                                                                                               \
    "  --json                     print one JSON document instead of text\n"                                 \
    "  --no-color                 no colors, even on a terminal (NO_COLOR=1 does the same)\n"                \
    "  -h, --help                 show this help\n"
#define SHOW_ZONE_HELP "  --timezone ZONE            show times in ZONE (default: local)\n"
#define EXIT_HELP                                                                                            \
    "\nExit status: 0 success, 1 runtime failure (store unreachable...), 2 bad command line or input,\n"     \
    "3 no such task.\n"

#define TASK_HELP                                                                                            \
    "What it runs (one of):\n"                                                                               \
    "  --command 'LINE'           a shell command line, run by the daemon as /bin/sh -c 'LINE'\n"            \
    "  --timeout DURATION         stop the command after DURATION (the run fails)\n"                         \
    "  --function NAME            a function a plugin library registers\n"                                   \
    "  --args JSON                its positional arguments, a JSON array (default [])\n"                     \
    "  --kwargs JSON              its keyword arguments, a JSON object (default {})\n"                       \
    "\n"                                                                                                     \
    "Trigger (the words of 'asyncz preview'; see 'asyncz preview --help'):\n"                                \
    "  --cron 'EXPR', --year .. --second EXPR, --interval DURATION, --calendar-interval SPEC\n"              \
    "  [--time-of-day HH:MM], --at TIME, --shutdown, --and, --or, --start-date TIME, --end-date TIME,\n"     \
    "  --timezone ZONE (of the trigger, and of times shown), --jitter DURATION, --jitter-seed N\n"           \
    "\n"                                                                                                     \
    "Task options:\n"                                                                                        \
    "  --name TEXT                a name to show in tables and logs (add: default the task's id)\n"          \
    "  --executor NAME            the executor alias of the daemon (default: default)\n"                     \
    "  --misfire-grace-time D     how late a run may still start (default 1s; 'none': any lateness)\n"       \
    "  --coalesce, --no-coalesce  run missed runs once (default) or each of them\n"                          \
    "  --max-instances N          how many runs of the task at once (default 1)\n"

const char az_cli_add_help[] =
    "Usage: asyncz add TRIGGER... (--command 'LINE' | --function NAME) [OPTIONS]\n"
    "\n"
    "Write a new task to the store. Its next run time is the trigger's first fire time from now. Prints\n"
    "the task's id and its next run time, separated by a tab.\n"
    "\n" TASK_HELP "  --id ID                    the task's id (default: a generated one)\n"
    "  --paused                   add it paused (no next run time; 'asyncz resume ID' starts it)\n"
    "  --replace                  replace a task with the same id instead of failing\n"
    "\n"
    "Common options:\n" COMMON_HELP EXIT_HELP "\n"
    "Example:\n"
    "  asyncz add --store sqlite:////var/lib/asyncz/tasks.db --id backup --cron '30 2 * * *' \\\n"
    "      --timezone Europe/Berlin --command 'tar czf /backup/home.tgz /home' --timeout 1h\n";

const char az_cli_update_help[] =
    "Usage: asyncz update ID [OPTIONS] [--dry-run]\n"
    "\n"
    "Change the options given and keep the rest. Trigger options replace the whole trigger, and a\n"
    "scheduled task gets its next run time from now (a paused one stays paused). Prints each changed\n"
    "field as 'FIELD: OLD -> NEW'.\n"
    "\n"
    "  --dry-run                  print the changes, write nothing\n"
    "\n" TASK_HELP "\nCommon options:\n" COMMON_HELP EXIT_HELP;

const char az_cli_list_help[] =
    "Usage: asyncz list [--state S] [--trigger KIND] [--executor NAME] [--query TEXT]\n"
    "                   [--sort-by next|id|name] [--desc] [--limit N] [OPTIONS]\n"
    "\n"
    "List the tasks of a store: id, name, trigger, next run, last run (outcome and age, when some listed\n"
    "task has run: see 'asyncz history'), executor, and what it runs. Paused tasks are dim on a terminal.\n"
    "Records that cannot be read are reported on stderr and left in place.\n"
    "Lines fit COLUMNS, else the terminal's width: name, trigger and what runs are cut with an ellipsis\n"
    "(ids and times never); piped without COLUMNS, nothing is cut. Control characters show escaped (\\n).\n"
    "\n"
    "  --state S                  scheduled, paused, shutdown (runs when a scheduler stops) or all\n"
    "  --trigger KIND             cron, interval, calendar, date, and, or or shutdown\n"
    "  --executor NAME            only tasks of this executor\n"
    "  --query TEXT               only tasks whose id, name or command/function contains TEXT\n"
    "  --sort-by KEY              next (next run time, paused last; the default), id or name\n"
    "  --desc                     reverse the order\n"
    "  --limit N                  at most N tasks\n" SHOW_ZONE_HELP COMMON_HELP EXIT_HELP;

const char az_cli_inspect_help[] =
    "Usage: asyncz inspect ID [--count N] [OPTIONS]\n"
    "\n"
    "Show every field of a task, its next run times (a paused task's as a resume now would give them) and\n"
    "its last 5 runs (outcome, age, duration, run id for 'asyncz logs').\n"
    "\n"
    "  --count N                  how many next run times (default 5)\n" SHOW_ZONE_HELP COMMON_HELP EXIT_HELP;

const char az_cli_timeline_help[] =
    "Usage: asyncz timeline [--from TIME] [--until TIME] [--count N] [OPTIONS]\n"
    "\n"
    "The upcoming runs of all scheduled tasks, merged in time order.\n"
    "\n"
    "  --from TIME                start here (default: now)\n"
    "  --until TIME               stop after TIME (default: no end)\n"
    "  --count N                  at most N runs (default 20)\n" SHOW_ZONE_HELP COMMON_HELP EXIT_HELP;

const char az_cli_pause_help[] =
    "Usage: asyncz pause ID [OPTIONS]\n"
    "\n"
    "Pause a task: it keeps its trigger but has no next run time until resumed.\n"
    "\n" SHOW_ZONE_HELP COMMON_HELP EXIT_HELP;

const char az_cli_resume_help[] =
    "Usage: asyncz resume ID [OPTIONS]\n"
    "\n"
    "Resume a paused task: its next run time is its trigger's first fire time from now.\n"
    "\n" SHOW_ZONE_HELP COMMON_HELP EXIT_HELP;

const char az_cli_remove_help[] = "Usage: asyncz remove ID [OPTIONS]\n"
                                  "\n"
                                  "Remove a task from the store (also one whose record cannot be read).\n"
                                  "\n" COMMON_HELP EXIT_HELP;

const char az_cli_run_help[] =
    "Usage: asyncz run ID [OPTIONS]\n"
    "\n"
    "Queue one run of a task now, for the scheduler (asyncz start) that owns the store: the task becomes\n"
    "due, that scheduler runs it once (never dropped as missed, however late it picks it up), and the task\n"
    "then goes on from its next run time as before, or stays paused. This command runs nothing itself; with\n"
    "no scheduler on the store the run waits until one starts. A second request while one is queued changes\n"
    "nothing.\n"
    "\n" SHOW_ZONE_HELP COMMON_HELP EXIT_HELP;

const char az_cli_status_help[] =
    "Usage: asyncz status [OPTIONS]\n"
    "\n"
    "Summarize a store: its kind, how many tasks are scheduled and paused, the next run, quarantined and\n"
    "unreadable records, the schedulers registered in it (live or with an expired heartbeat), and, when\n"
    "the store keeps run history, the runs of the last hour and day with how many failed or were late\n"
    "(missed, or started more than 1s after their scheduled time).\n"
    "\n" SHOW_ZONE_HELP COMMON_HELP EXIT_HELP;

const char az_cli_instances_help[] =
    "Usage: asyncz instances [OPTIONS]\n"
    "\n"
    "List the schedulers registered in a shared store: id, host, pid, version, start, last heartbeat,\n"
    "when the heartbeat expires, and the runs in flight. Expired ones are yellow on a terminal.\n"
    "\n" SHOW_ZONE_HELP COMMON_HELP EXIT_HELP;

const char az_cli_doctor_help[] =
    "Usage: asyncz doctor [--strict] [OPTIONS]\n"
    "\n"
    "Check what keeps tasks from running, one line per check (ok, warning or error): the store answers;\n"
    "the sealing key (" ASYNCZ_STORE_KEY_ENV ") fits the records; zone data is present and every\n"
    "task's zone loads; no record is quarantined or unreadable; no scheduler heartbeat has expired.\n"
    "\n"
    "  --strict                   exit 1 on warnings too\n" COMMON_HELP
    "\nExit status: 0 no error (with --strict: no warning either), 1 an error, 2 bad command line.\n";

const char az_cli_quarantine_help[] =
    "Usage: asyncz quarantine list [OPTIONS]\n"
    "       asyncz quarantine show ID [--at TIME] [OPTIONS]\n"
    "       asyncz quarantine restore ID [--at TIME] [--replace] [OPTIONS]\n"
    "       asyncz quarantine drop ID [--at TIME | --all] [OPTIONS]\n"
    "\n"
    "The records a scheduler moved aside because they failed to decode, open (sealing) or validate.\n"
    "  list                       one row per quarantined record: task id, when, why (oldest first)\n"
    "  show ID                    the reason and the record's content: its task document (a sealed one\n"
    "                             opened with the current " ASYNCZ_STORE_KEY_ENV "), text,\n"
    "                             or a hex dump; and whether it can be restored\n"
    "  restore ID                 check the record again with the current key; if it is a valid task now,\n"
    "                             put it back in the store and remove it from the quarantine. Otherwise say\n"
    "                             why and change nothing\n"
    "  drop ID                    remove the quarantined record for good\n"
    "\n"
    "One id may have several quarantined records. show shows all of them, restore takes the newest, and\n"
    "drop wants --at or --all when there are several.\n"
    "  --at TIME                  the record quarantined at TIME, as 'list' shows it (to the microsecond)\n"
    "  --all                      drop: every record of ID\n"
    "  --replace                  restore: overwrite a task with the same id that is in the store (without\n"
    "                             it, such a task is an error, exit status 2)\n" SHOW_ZONE_HELP COMMON_HELP
    "\nExit status: 0 success, 1 runtime failure (store unreachable, the record still invalid), 2 bad\n"
    "command line or a live task with the same id, 3 no such quarantined record.\n";

const char az_cli_export_help[] =
    "Usage: asyncz export [--output FILE] [OPTIONS]\n"
    "\n"
    "Write every task of the store as JSON lines: one task document per line, the document the stores\n"
    "keep (see 'asyncz import'). The documents are plaintext even when the store is sealed: they hold the\n"
    "commands in clear. FILE is created with mode 0600 and replaced only once it is complete; without\n"
    "--output (or with -) the lines go to standard output. Records that cannot be read are not exported:\n"
    "they are named on standard error and the exit status is 1.\n"
    "\n"
    "  --output FILE              write to FILE instead of standard output\n" STORE_HELP
    "  --json                     accepted; changes nothing (the output is JSON lines already)\n"
    "  --no-color, -h, --help     as for every command\n" EXIT_HELP;

const char az_cli_import_help[] =
    "Usage: asyncz import [FILE|-] [--replace] [OPTIONS]\n"
    "\n"
    "Add the tasks of FILE (default: standard input), JSON lines as 'asyncz export' writes them (empty "
    "lines\n"
    "are skipped). Every line is checked before anything is added: a line that is not a valid task\n"
    "document, or the same id twice, is an error naming the line (exit status 2), and nothing is added.\n"
    "A task whose id the store holds already is an error too, unless --replace. The tasks keep the next run\n"
    "times of their documents. Records are sealed with the " ASYNCZ_STORE_KEY_ENV " set now,\n"
    "which is how to change a store's key: export with the old key, import into a new store with the new\n"
    "one. Like 'add', import creates the store (a sqlite:// file, a file:// directory, tables) if needed.\n"
    "\n"
    "  --replace                  overwrite the tasks whose ids the store holds already\n" COMMON_HELP
        EXIT_HELP;

const char az_cli_history_help[] =
    "Usage: asyncz history [TASK_ID] [--outcome O[,O...]] [--since WHEN] [--until WHEN]\n"
    "                      [--scheduler NAME] [--limit N] [--cursor C] [OPTIONS]\n"
    "\n"
    "List the runs the schedulers recorded in the store, newest first: run id, task, scheduled time, how\n"
    "late it started, how long it took, outcome, the scheduler that ran it, and the error. Failed, timed\n"
    "out, crashed and lost runs are red on a terminal, missed, skipped and cancelled ones yellow. When\n"
    "there are more runs than the page shows, the last line gives the --cursor of the next page (the same\n"
    "filters go with it). 'asyncz logs RUN_ID' shows one run's output.\n"
    "\n"
    "  TASK_ID                    only this task's runs\n"
    "  --outcome O[,O...]         only these outcomes: running, succeeded, failed, timed_out, crashed,\n"
    "                             missed, skipped, lost, cancelled\n"
    "  --since WHEN               runs submitted at WHEN or later: a duration back from now (1d, 2h30m)\n"
    "                             or an ISO-8601 time (in --timezone when it has no offset)\n"
    "  --until WHEN               runs submitted before WHEN (the same forms)\n"
    "  --scheduler NAME           only the runs this scheduler identity recorded\n"
    "  --limit N                  at most N runs, 1 to 10000 (default 50)\n"
    "  --cursor C                 the next page, from the cursor a previous page printed\n" SHOW_ZONE_HELP
        STORE_HELP
    "  --json                     one JSON object: {\"runs\": [...], \"next_cursor\": C or null}\n"
    "  --no-color                 no colors, even on a terminal (NO_COLOR=1 does the same)\n"
    "  -h, --help                 show this help\n"
    "\nExit status: 0 success, 1 runtime failure (store unreachable, the store keeps no run history),\n"
    "2 bad command line (an unknown outcome, a bad time or cursor).\n";

const char az_cli_audit_help[] =
    "Usage: asyncz audit [TASK_ID] [--action A[,A...]] [--actor NAME] [--since WHEN] [--until WHEN]\n"
    "                    [--limit N] [--cursor C] [OPTIONS]\n"
    "\n"
    "List the changes made to the store's tasks, newest first: when, which task, the action, who made it\n"
    "(a user as 'NAME (uid N)' for this tool, 'config' for what the daemon's config wrote) and what\n"
    "changed (each field's value before and after; the fields of an added or removed task). Every add,\n"
    "update, pause, resume, remove and run request through this tool, the daemon or a program using the\n"
    "library is recorded in the store, with the same retention as the run history.\n"
    "\n"
    "  TASK_ID                    only this task's changes\n"
    "  --action A[,A...]          only these actions: add, update, pause, resume, remove, run\n"
    "  --actor NAME               only the changes this actor made (exactly as shown)\n"
    "  --since WHEN               changes made at WHEN or later: a duration back from now (1d, 2h30m)\n"
    "                             or an ISO-8601 time (in --timezone when it has no offset)\n"
    "  --until WHEN               changes made before WHEN (the same forms)\n"
    "  --limit N                  at most N changes, 1 to 10000 (default 50)\n"
    "  --cursor C                 the next page, from the cursor a previous page printed\n" SHOW_ZONE_HELP
        STORE_HELP
    "  --json                     one JSON object: {\"entries\": [...], \"next_cursor\": C or null}, each\n"
    "                             entry with its changes as {\"field\": {\"before\": ..., \"after\": ...}}\n"
    "  --no-color                 no colors, even on a terminal (NO_COLOR=1 does the same)\n"
    "  -h, --help                 show this help\n"
    "\nExit status: 0 success, 1 runtime failure (store unreachable, the store keeps no audit trail),\n"
    "2 bad command line (an unknown action, a bad time or cursor).\n";

const char az_cli_logs_help[] =
    "Usage: asyncz logs RUN_ID [--follow] [OPTIONS]\n"
    "\n"
    "Show one run: its record (task, outcome, times, scheduler, exit status, error, result) and the output\n"
    "lines the daemon kept (the last part of a shell command's output): time, stream (out, err, note) and\n"
    "text, stderr red on a terminal. '(output truncated: older lines dropped)' comes first when the start\n"
    "of the output was not kept. Control characters show escaped; --json gives the exact text.\n"
    "\n"
    "  --follow                   while the run is running, read it again every half second and print\n"
    "                             the new lines; when it ends, print a last line with its outcome and\n"
    "                             stop. The exit status is 0 whatever the outcome (as 'kubectl logs -f'):\n"
    "                             read the outcome from that line or from 'asyncz logs "
    "--json'\n" SHOW_ZONE_HELP STORE_HELP
    "  --json                     the record with its output as one JSON object; with --follow, one\n"
    "                             JSON object a line: each output line, then the record as it ended\n"
    "  --no-color                 no colors, even on a terminal (NO_COLOR=1 does the same)\n"
    "  -h, --help                 show this help\n"
    "\nExit status: 0 success, 1 runtime failure (store unreachable, the store keeps no run history),\n"
    "2 bad command line (not a run id), 3 no such run.\n";
