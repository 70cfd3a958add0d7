/* The PostgreSQL store's wake-ups: a thread on its own connection LISTENs on "<tablename>_wakeup" and calls
 * host->wakeup when another connection inserts or replaces a record (postgresql.c sends pg_notify in the
 * same statement as the write, so the notification arrives only once the write is committed). */
#ifdef ASYNCZ_WITH_POSTGRESQL

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "store/backend.h"
#include "store/postgresql_internal.h"

/* How long a connection attempt may take, and how long to wait between attempts after the first one
 * failed. The wait is on stop_fd, so closing the store never waits for it. */
#define CONNECT_TIMEOUT_MS 10000
#define RETRY_MS 1000

static void drop_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

void az_pg_quiet_notices(PGconn *conn)
{
    PQsetNoticeProcessor(conn, drop_notice, NULL);
}

/* Wait for fd (events) or stop_fd. 1: fd is ready; 0: timed out; -1: stop was asked. */
static int wait_fd(int fd, short events, int stop_fd, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = fd, .events = events}, {.fd = stop_fd, .events = POLLIN}};
    for (;;) {
        int n = poll(fds, 2, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || fds[1].revents)
            return -1;
        return n > 0 ? 1 : 0;
    }
}

/* Connect without blocking past stop: libpq's asynchronous connection, polled with stop_fd beside it. NULL
 * when stopped, timed out or refused, with the reason in why. */
static PGconn *connect_interruptible(const az_pg_listener *l, char *why, size_t size)
{
    PGconn *c = PQconnectStartParams(l->params->keys, l->params->values, 0);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (c && PQstatus(c) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        short ev = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        int ready = wait_fd(PQsocket(c), ev, l->stop_fd, CONNECT_TIMEOUT_MS);
        if (ready <= 0) {
            snprintf(why, size, "%s", ready == 0 ? "connection timed out" : "stopped");
            PQfinish(c);
            return NULL;
        }
        st = PQconnectPoll(c);
    }
    if (c && PQstatus(c) == CONNECTION_OK) {
        az_pg_quiet_notices(c);
        return c;
    }
    snprintf(why, size, "%s", c ? PQerrorMessage(c) : "out of memory");
    why[strcspn(why, "\n")] = '\0';
    PQfinish(c);
    return NULL;
}

/* A connection that LISTENs on the channel, or NULL with the reason in why. */
static PGconn *connect_listening(const az_pg_listener *l, char *why, size_t size)
{
    PGconn *c = connect_interruptible(l, why, size);
    if (!c)
        return NULL;
    PGresult *r = PQexec(c, l->listen_sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        snprintf(why, size, "LISTEN: %s", PQerrorMessage(c));
        why[strcspn(why, "\n")] = '\0';
    }
    PQclear(r);
    if (ok && PQsetnonblocking(c, 1) == 0)
        return c;
    PQfinish(c);
    return NULL;
}

/* Hand every pending notification from another connection to the host as one wake-up. */
static void deliver_notifications(az_pg_listener *l)
{
    bool wake = false;
    PGnotify *n;
    while ((n = PQnotifies(l->conn)) != NULL) {
        wake = wake || n->be_pid != atomic_load(&l->own_pid);
        PQfreemem(n);
    }
    if (wake)
        l->host->wakeup(l->host->host_data);
}

/* Read what the server sent. false when the connection is gone. */
static bool read_input(az_pg_listener *l)
{
    if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK)
        return false;
    deliver_notifications(l);
    return true;
}

/* The connection broke (server restart, terminated backend): connect again until it works or stop is asked.
 * The first attempt is immediate, later ones RETRY_MS apart. Notifications sent meanwhile are lost, so a
 * new connection wakes the host once to make it look at the store. false when stopped. */
static bool reconnect(az_pg_listener *l)
{
    PQfinish(l->conn);
    l->conn = NULL;
    for (int attempt = 0;; attempt++) {
        if (attempt > 0 && wait_fd(-1, 0, l->stop_fd, RETRY_MS) < 0)
            return false;
        char why[256];
        l->conn = connect_listening(l, why, sizeof why);
        if (l->conn) {
            l->host->wakeup(l->host->host_data);
            return true;
        }
    }
}

static void *listener_main(void *arg)
{
    az_pg_listener *l = arg;
    for (;;) {
        int ready = wait_fd(PQsocket(l->conn), POLLIN, l->stop_fd, -1);
        if (ready < 0)
            return NULL;
        if (!read_input(l) && !reconnect(l))
            return NULL;
    }
}

int az_pg_listener_start(az_pg_listener *l, const az_pg_params *params, const char *desc, const char *channel,
                         const asyncz_store_host *host)
{
    l->params = params;
    l->desc = desc;
    l->host = host;
    snprintf(l->listen_sql, sizeof l->listen_sql, "LISTEN \"%s\"", channel);
    l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->stop_fd < 0)
        return az_store_fail(ASYNCZ_ESTORE, "postgresql %s: eventfd: %s", desc, strerror(errno));
    char why[256];
    l->conn = connect_listening(l, why, sizeof why);
    int rc = l->conn ? 0 : az_store_fail(ASYNCZ_ESTORE, "postgresql %s: listener: %s", desc, why);
    if (!rc && pthread_create(&l->thread, NULL, listener_main, l) != 0)
        rc = az_store_fail(ASYNCZ_ENOMEM, "postgresql %s: cannot start the listener thread", desc);
    if (rc) {
        PQfinish(l->conn);
        l->conn = NULL;
        close(l->stop_fd);
        l->stop_fd = -1;
        return rc;
    }
    l->running = true;
    return 0;
}

void az_pg_listener_stop(az_pg_listener *l)
{
    if (!l->running)
        return;
    uint64_t one = 1;
    while (write(l->stop_fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
    pthread_join(l->thread, NULL);
    PQfinish(l->conn);
    l->conn = NULL;
    close(l->stop_fd);
    l->stop_fd = -1;
    l->running = false;
}

#endif
