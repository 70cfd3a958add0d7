/* The rules of the daemon's failure hooks (`on_failure`, docs/daemon.md), apart from running them
 * (daemon_hooks.c): which failed runs call for a hook and what they are called, and the per-task rate
 * limit. Pure logic without threads or processes; the caller serializes access to a limiter. */
#ifndef AZ_CLI_HOOK_RULES_H
#define AZ_CLI_HOOK_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a failed run was, for ASYNCZ_OUTCOME, ASYNCZ_EXIT_STATUS and ASYNCZ_SIGNAL. */
typedef struct az_run_failure {
    const char *outcome; /* "failed", "timed_out" or "crashed" (static) */
    int exit_status;     /* a command's exit status; -1: not known */
    int signal;          /* the signal that ended the command or the worker; 0: none known */
} az_run_failure;

/* Read a TASK_ERROR event (borrowed): its outcome (failed, timed_out, crashed: a command's timeout, exit
 * status or signal, as the shell task or the process pool recorded it), exit status and signal. Returns
 * false for a run that was cancelled (an executor shut down under it as the daemon stopped: not a failure
 * of the run), true with *out filled otherwise. */
bool az_hook_classify(const asyncz_event *ev, az_run_failure *out);

/* At most one hook per key (a task) per interval; the failures in between are counted. */
typedef struct az_hook_limiter {
    struct az_hook_slot *slots;
    size_t n, cap;
} az_hook_limiter;

void az_hook_limiter_init(az_hook_limiter *l);
void az_hook_limiter_free(az_hook_limiter *l);

/* A failure of key (borrowed, copied) at now (usec of a monotonic clock), with interval (usec; 0: no limit)
 * between two hooks of that key. Returns true when its hook may run, with *suppressed the number of
 * failures held back since the key's last hook (then reset); false when it is held back (counted). Out of
 * memory admits the hook (with *suppressed 0): a lost limit is better than a lost alarm. */
bool az_hook_limiter_admit(az_hook_limiter *l, const char *key, int64_t now, int64_t interval,
                           uint32_t *suppressed);

/* How many keys the limiter holds (slots whose interval has passed without a held-back failure are dropped
 * once it is full). */
size_t az_hook_limiter_size(const az_hook_limiter *l);

#endif
