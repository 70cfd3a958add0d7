/* Two live schedulers under one identity share one heartbeat record in a shared store: each overwrites the
 * other's, `asyncz status` shows one of them, and when one dies the other does not report it lost (a
 * scheduler never reports its own identity), so the runs it had in flight go unreported. Before the
 * scheduler starts (and heartbeats, overwriting the record), the daemon looks at the heartbeats under its
 * configured identity in each store:
 *   - on this host, from a process that is still running: a certain conflict; the daemon refuses to start;
 *   - on this host, from a process that is gone: this daemon's predecessor, which died without signing off;
 *     the record is taken over;
 *   - from another host, not expired: maybe a live scheduler, maybe one that died less than three heartbeat
 *     periods ago (a failover); a warning, and the daemon starts.
 * Only a configured identity is checked: the default one, hostname:pid, cannot be taken by a live process. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"

#define LOGGER "asyncz.daemon"

typedef struct look {
    const char *identity, *store;
    char host[256];
    asyncz_time_t now;
    bool taken;     /* a live process on this host */
    char why[1024]; /* what to tell when taken */
} look;

static bool process_alive(int64_t pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int on_instance(const asyncz_instance *inst, void *userdata)
{
    look *l = userdata;
    if (strcmp(inst->id, l->identity) != 0 || inst->expires_at < l->now)
        return 0;
    char at[ASYNCZ_TIME_FORMAT_SIZE];
    asyncz_time_format(at, sizeof at, inst->heartbeat_at, NULL);
    const char *host = inst->hostname ? inst->hostname : "";
    if (strcmp(host, l->host) == 0 && process_alive(inst->pid)) {
        l->taken = true;
        snprintf(l->why, sizeof l->why,
                 "[scheduler] identity '%s' is taken: process %lld on this host (%s) heartbeats under it in "
                 "store %s (last at %s); stop that scheduler, or give this daemon an identity of its own",
                 l->identity, (long long)inst->pid, host, l->store, at);
    } else if (strcmp(host, l->host) == 0) {
        asyncz_log(
            ASYNCZ_LOG_INFO, LOGGER,
            "store %s: the heartbeat of identity '%s' (process %lld, gone) is taken over by this daemon",
            l->store, l->identity, (long long)inst->pid);
    } else {
        asyncz_log(
            ASYNCZ_LOG_WARNING, LOGGER,
            "store %s: another scheduler heartbeats under this daemon's identity '%s' (host %s, process "
            "%lld, last at %s): if it is running, the two share one heartbeat and neither reports the "
            "other's loss; give each scheduler its own [scheduler] identity",
            l->store, l->identity, host, (long long)inst->pid, at);
    }
    return 0;
}

int az_daemon_check_identity(const az_config *cfg)
{
    if (!cfg->identity)
        return 0;
    look l = {.identity = cfg->identity, .now = asyncz_now()};
    if (gethostname(l.host, sizeof l.host - 1) != 0)
        snprintf(l.host, sizeof l.host, "localhost");
    for (size_t i = 0; i < cfg->n_stores && !l.taken; i++) {
        asyncz_store *st = NULL;
        /* A store that cannot be opened here is left for the scheduler's start to report. */
        if (asyncz_store_open(&st, cfg->stores[i].url) == 0 && strcmp(asyncz_store_kind(st), "memory") != 0 &&
            asyncz_store_connect_inspect(st, NULL, NULL) == 0) {
            l.store = cfg->stores[i].name;
            asyncz_store_instances(st, on_instance, &l);
        }
        asyncz_store_free(st);
    }
    return l.taken ? az_cli_failure("%s", l.why) : 0;
}
