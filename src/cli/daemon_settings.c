/* What a reload changed outside the tasks, from the settings fingerprints of the two configs (config.c:
 * "[label]" lines, each followed by its "key=value" lines, for [scheduler], the stores and the executors).
 * The [scheduler] task defaults apply to the tasks at once (a task that inherits one is written again; the
 * on_failure keys, which are the daemon's and not stored, take effect with the reload);
 * everything else (stores, executors, plugins, identity, log, shutdown_timeout...) only at the next start. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static const char *const task_defaults[] = {"timezone",           "misfire_grace_time",
                                            "coalesce",           "max_instances",
                                            "executor",           "store",
                                            "on_failure",         "on_failure_interval",
                                            "on_failure_timeout", NULL};

static bool is_task_default(const char *key, size_t len)
{
    for (const char *const *k = task_defaults; *k; k++)
        if (strlen(*k) == len && strncmp(*k, key, len) == 0)
            return true;
    return false;
}

/* The label of the section line `line` belongs to in fp (the text between [ and ] of the closest "[...]"
 * line above it), into label. */
static void label_of(const char *fp, const char *line, char *label, size_t size)
{
    const char *best = NULL;
    for (const char *p = fp; p && p <= line; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (*p == '[')
            best = p;
    size_t n = best ? strcspn(best + 1, "]\n") : 0;
    snprintf(label, size, "%.*s", (int)n, best ? best + 1 : "");
}

/* Whether the line (label, text) is in fp under the same label. */
static bool has_line(const char *fp, const char *label, const char *text, size_t len)
{
    for (const char *p = fp; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        size_t n = strcspn(p, "\n");
        if (n != len || strncmp(p, text, len) != 0)
            continue;
        char here[256];
        label_of(fp, p, here, sizeof here);
        if (strcmp(here, label) == 0)
            return true;
    }
    return false;
}

/* Add name to the comma-separated list once. */
static void list_add(char *list, size_t size, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += len)
        if ((p == list || (p - list >= 2 && p[-2] == ',')) && (p[len] == '\0' || p[len] == ','))
            return;
    size_t used = strlen(list);
    snprintf(list + used, size - used, "%s%s", used ? ", " : "", name);
}

/* Every line of a that b lacks goes to one of the lists. */
static void diff_into(const char *a, const char *b, char *defaults, size_t dsize, char *restart, size_t rsize)
{
    for (const char *p = a; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        size_t n = strcspn(p, "\n");
        char label[256], name[320];
        label_of(a, p, label, sizeof label);
        if (has_line(b, label, p, n))
            continue;
        if (*p == '[') { /* a section added or removed; [scheduler]'s keys are compared one by one */
            snprintf(name, sizeof name, "[%s]", label);
            if (strcmp(label, "scheduler") != 0)
                list_add(restart, rsize, name);
            continue;
        }
        size_t key_len = strcspn(p, "=\n");
        if (strcmp(label, "scheduler") == 0 && is_task_default(p, key_len)) {
            snprintf(name, sizeof name, "%.*s", (int)key_len, p);
            list_add(defaults, dsize, name);
        } else if (strcmp(label, "scheduler") == 0) {
            snprintf(name, sizeof name, "[scheduler] %.*s", (int)key_len, p);
            list_add(restart, rsize, name);
        } else {
            snprintf(name, sizeof name, "[%s]", label);
            list_add(restart, rsize, name);
        }
    }
}

void az_daemon_settings_changes(const char *before, const char *after, char *defaults, size_t dsize,
                                char *restart, size_t rsize)
{
    defaults[0] = restart[0] = '\0';
    diff_into(before, after, defaults, dsize, restart, rsize);
    diff_into(after, before, defaults, dsize, restart, rsize);
}
