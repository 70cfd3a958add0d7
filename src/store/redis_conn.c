/* Redis connections for the Redis store: connect, log in, and talk without being killed by SIGPIPE. */
#ifdef ASYNCZ_WITH_REDIS

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "asyncz/error.h"
#include "store/backend.h"
#include "store/redis.h"

/* A server that does not answer a connect within this time counts as unreachable. */
#define CONNECT_TIMEOUT_SEC 5
/* No single command of the store takes long; a server silent for this long is treated as lost. */
#define COMMAND_TIMEOUT_SEC 30

int az_redis_fail(const az_redis_conf *conf, const char *what, const redisContext *c, const redisReply *reply)
{
    const char *why = "unexpected reply";
    if (c && c->err)
        why = c->errstr[0] ? c->errstr : "connection lost";
    else if (reply && reply->type == REDIS_REPLY_ERROR)
        why = reply->str;
    else if (!reply)
        why = "no reply";
    return az_store_fail(ASYNCZ_ESTORE, "%s: %s: %s", conf->where, what, why);
}

/* Take back a SIGPIPE that a failed write raised for this thread while it was blocked, so that it is not
 * delivered (and the process not killed) when the mask is restored. */
static void consume_sigpipe(const sigset_t *pipe_set)
{
    sigset_t pending;
    if (sigpending(&pending) != 0 || !sigismember(&pending, SIGPIPE))
        return;
    const struct timespec zero = {0, 0};
    (void)sigtimedwait(pipe_set, NULL, &zero);
}

redisReply *az_redis_command(redisContext *c, int argc, const char *const *argv, const size_t *lens)
{
    /* hiredis writes with write(2): a peer that has gone away would raise SIGPIPE, whose default action
     * ends the process. A library may not change the process's disposition, so it blocks the signal for
     * this thread during the call and discards one that its own failed write raised. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    redisReply *reply = redisCommandArgv(c, argc, (const char **)argv, lens);
    if (c->err && !sigismember(&old, SIGPIPE))
        consume_sigpipe(&pipe_set);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return reply;
}

/* Run a command whose only interesting answer is "not an error". */
static int simple(const az_redis_conf *conf, redisContext *c, const char *what, int argc, const char **argv)
{
    size_t lens[4];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *reply = az_redis_command(c, argc, argv, lens);
    int rc = !reply || reply->type == REDIS_REPLY_ERROR ? az_redis_fail(conf, what, c, reply) : 0;
    freeReplyObject(reply);
    return rc;
}

static int authenticate(const az_redis_conf *conf, redisContext *c)
{
    if (!conf->password)
        return 0;
    if (conf->user) {
        const char *argv[] = {"AUTH", conf->user, conf->password};
        return simple(conf, c, "AUTH", 3, argv);
    }
    const char *argv[] = {"AUTH", conf->password};
    return simple(conf, c, "AUTH", 2, argv);
}

static int set_up(const az_redis_conf *conf, const char *name, redisContext *c)
{
    int rc = authenticate(conf, c);
    const char *setname[] = {"CLIENT", "SETNAME", name};
    if (!rc && name)
        rc = simple(conf, c, "CLIENT SETNAME", 3, setname);
    char db[16];
    snprintf(db, sizeof db, "%d", conf->db);
    const char *select[] = {"SELECT", db};
    if (!rc && conf->db != 0)
        rc = simple(conf, c, "SELECT", 2, select);
    return rc;
}

int az_redis_connect(const az_redis_conf *conf, const char *name, redisContext **out)
{
    *out = NULL;
    redisContext *c =
        redisConnectWithTimeout(conf->host, conf->port, (struct timeval){CONNECT_TIMEOUT_SEC, 0});
    if (!c)
        return az_store_fail(ASYNCZ_ENOMEM, "%s: connect: out of memory", conf->where);
    int rc = c->err ? az_redis_fail(conf, "connect", c, NULL) : 0;
    /* hiredis opens its socket without SOCK_CLOEXEC: mark it at once so that a child exec'd by another
     * thread does not inherit the store's connection. */
    if (!rc && fcntl(c->fd, F_SETFD, FD_CLOEXEC) != 0)
        rc = az_store_fail(ASYNCZ_ESTORE, "%s: connect: cannot mark the socket close-on-exec", conf->where);
    if (!rc && redisSetTimeout(c, (struct timeval){COMMAND_TIMEOUT_SEC, 0}) != REDIS_OK)
        rc = az_redis_fail(conf, "connect: setting the command timeout", c, NULL);
    if (!rc)
        rc = set_up(conf, name, c);
    if (rc) {
        redisFree(c);
        return rc;
    }
    *out = c;
    return 0;
}

#endif
