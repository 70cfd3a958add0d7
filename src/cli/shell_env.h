/* The environment of a shell command the daemon starts (a shell task's command, a failure hook): the
 * daemon's own environment plus the run's context in ASYNCZ_* variables (docs/daemon.md, "The
 * environment of a command"):
 *
 *   ASYNCZ_TASK_ID, ASYNCZ_TASK_NAME, ASYNCZ_RUN_ID, ASYNCZ_SCHEDULED_TIME (ISO-8601 with the offset, in
 *   the daemon's [scheduler] timezone), ASYNCZ_SCHEDULED_EPOCH (whole seconds), ASYNCZ_FENCING_TOKEN,
 *   ASYNCZ_SCHEDULER (the scheduler's identity).
 *
 * These names belong to the daemon: a variable of the same name in the daemon's own environment is
 * replaced (or removed when the run has no such value), never passed on as if it were the run's. Values
 * are bytes and go as they are, without quoting or escaping. */
#ifndef AZ_CLI_SHELL_ENV_H
#define AZ_CLI_SHELL_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "asyncz.h"

typedef struct az_shell_env {
    char **items; /* "NAME=value", NULL-terminated (when n > 0 or after init) */
    size_t n, cap;
} az_shell_env;

/* What a command is told about its run. Strings borrowed; NULL: not known (the variable is left out). */
typedef struct az_run_context {
    const char *task_id, *task_name, *run_id, *scheduler;
    asyncz_time_t scheduled; /* ASYNCZ_TIME_NONE: not known */
    uint64_t fencing_token;  /* 0: not known */
    const asyncz_zone *zone; /* of ASYNCZ_SCHEDULED_TIME; NULL: UTC */
} az_run_context;

/* Start e as a copy of base (a NULL-terminated "NAME=value" list such as environ; NULL: empty). Returns 0
 * or ASYNCZ_ENOMEM (e is then empty and may be freed). Any thread. */
int az_shell_env_init(az_shell_env *e, char *const *base);

/* Set name to value (both borrowed, copied), replacing every earlier entry of that name. Returns 0 or
 * ASYNCZ_ENOMEM (e unchanged). */
int az_shell_env_set(az_shell_env *e, const char *name, const char *value);

/* Remove every entry of name. */
void az_shell_env_unset(az_shell_env *e, const char *name);

/* The value of name in e (borrowed), or NULL. */
const char *az_shell_env_get(const az_shell_env *e, const char *name);

/* Set the ASYNCZ_* variables of c (see above); those c does not know are removed. Returns 0 or
 * ASYNCZ_ENOMEM (some may be set). */
int az_shell_env_set_context(az_shell_env *e, const az_run_context *c);

/* The list for execve (borrowed from e). */
char *const *az_shell_env_items(const az_shell_env *e);

void az_shell_env_free(az_shell_env *e);

#endif
