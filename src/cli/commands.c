/* The table of the tool's commands: to add one, write its function and help text and add a line here. */
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "http/auth.h"
#include "manage.h"

const az_cli_command az_cli_commands[] = {
    /* the daemon */
    {"start", "run the scheduler daemon with the tasks of a config file", az_cli_start, az_cli_start_help},
    {"auth", "make API tokens and console users for the daemon's HTTP server", az_cli_auth, az_cli_auth_help},
    /* changing the tasks of a store */
    {"add", "add a task to a store", az_cli_add, az_cli_add_help},
    {"update", "change a task's options (--dry-run shows the changes)", az_cli_update, az_cli_update_help},
    {"pause", "pause a task", az_cli_pause, az_cli_pause_help},
    {"resume", "resume a paused task", az_cli_resume, az_cli_resume_help},
    {"remove", "remove a task from a store", az_cli_remove, az_cli_remove_help},
    {"run", "queue a run of a task now for the scheduler that owns the store", az_cli_run, az_cli_run_help},
    /* looking at them */
    {"list", "list the tasks of a store", az_cli_list, az_cli_list_help},
    {"inspect", "show every field of a task and its next runs", az_cli_inspect, az_cli_inspect_help},
    {"preview", "list a trigger's next fire times without running anything", az_cli_preview,
     az_cli_preview_help},
    {"timeline", "list the upcoming runs of all tasks in time order", az_cli_timeline, az_cli_timeline_help},
    {"history", "list the runs of a store's tasks, newest first", az_cli_history, az_cli_history_help},
    {"logs", "show one run's record and output (--follow while it runs)", az_cli_logs, az_cli_logs_help},
    {"audit", "list who changed which task, when and how, newest first", az_cli_audit, az_cli_audit_help},
    /* operating a store */
    {"status", "summarize a store: tasks, next run, quarantine, schedulers", az_cli_status,
     az_cli_status_help},
    {"instances", "list the schedulers registered in a store", az_cli_instances, az_cli_instances_help},
    {"doctor", "check a store and this machine for problems", az_cli_doctor, az_cli_doctor_help},
    {"quarantine", "list, show, restore or drop the records a scheduler quarantined", az_cli_quarantine,
     az_cli_quarantine_help},
    {"export", "write every task of a store as JSON lines (for another store or key)", az_cli_export,
     az_cli_export_help},
    {"import", "add the tasks of an export to a store", az_cli_import, az_cli_import_help},
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
