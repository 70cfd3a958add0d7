/* The Redis store's wake-ups: a thread with its own connection, subscribed to the store's channel, that
 * wakes the scheduler when another store object (another scheduler) inserts or replaces a record. */
#ifdef ASYNCZ_WITH_REDIS

#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "store/backend.h"
#include "store/redis.h"

/* After the subscriber lost its connection, it tries again this often (it runs on its own thread, so
 * waiting here holds nobody up; close interrupts the wait). */
#define RETRY_MS 1000

struct az_redis_sub {
    const az_redis_conf *conf;
    const char *name;
    const char *channel;
    const char *self;
    const asyncz_store_host *host;
    redisContext *c; /* NULL while disconnected */
    int stop[2];     /* closing stop[1] asks the thread to end */
    pthread_t thread;
};

static bool is_string(const redisReply *r, const char *s, size_t len)
{
    return r->type == REDIS_REPLY_STRING && r->len == len && memcmp(r->str, s, len) == 0;
}

/* Connect and subscribe; on success s->c is the subscribed connection. */
static int subscribe(az_redis_sub *s)
{
    redisContext *c = NULL;
    int rc = az_redis_connect(s->conf, s->name, &c);
    if (rc)
        return rc;
    const char *argv[] = {"SUBSCRIBE", s->channel};
    const size_t lens[] = {9, strlen(s->channel)};
    redisReply *reply = az_redis_command(c, 2, argv, lens);
    bool ok = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
              is_string(reply->element[0], "subscribe", 9);
    rc = ok ? 0 : az_redis_fail(s->conf, "SUBSCRIBE", c, reply);
    freeReplyObject(reply);
    if (rc) {
        redisFree(c);
        return rc;
    }
    s->c = c;
    return 0;
}

/* Wait until the stop pipe is closed (true) or, when fd >= 0, fd is readable (false), or timeout_ms. */
static bool wait_for(const az_redis_sub *s, int fd, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = s->stop[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    int n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
    return n > 0 && p[0].revents != 0;
}

/* A published message from another store object (not our own write echoed back). */
static bool from_other(const az_redis_sub *s, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || !is_string(r->element[0], "message", 7))
        return false;
    return !is_string(r->element[2], s->self, strlen(s->self));
}

/* Read what arrived and wake the scheduler once for any messages from others; false when the connection
 * is lost. */
static bool drain(az_redis_sub *s)
{
    if (redisBufferRead(s->c) != REDIS_OK)
        return false;
    bool wake = false;
    void *reply = NULL;
    while (redisGetReplyFromReader(s->c, &reply) == REDIS_OK && reply) {
        wake = from_other(s, reply) || wake;
        freeReplyObject(reply);
        reply = NULL;
    }
    if (wake && s->host->wakeup)
        s->host->wakeup(s->host->host_data);
    return s->c->err == 0;
}

/* Reconnect after a lost connection; messages may have been missed meanwhile, so wake the scheduler. */
static void resubscribe(az_redis_sub *s)
{
    if (subscribe(s) == 0 && s->host->wakeup)
        s->host->wakeup(s->host->host_data);
}

static void *run(void *arg)
{
    az_redis_sub *s = arg;
    /* This thread only reads after it subscribed, but a reconnect writes: never let SIGPIPE reach it. */
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
    for (;;) {
        if (!s->c) {
            if (wait_for(s, -1, RETRY_MS))
                break;
            resubscribe(s);
            continue;
        }
        if (wait_for(s, s->c->fd, -1))
            break;
        if (!drain(s)) {
            redisFree(s->c);
            s->c = NULL;
        }
    }
    return NULL;
}

static void sub_free(az_redis_sub *s)
{
    if (s->c)
        redisFree(s->c);
    for (int i = 0; i < 2; i++)
        if (s->stop[i] >= 0)
            close(s->stop[i]);
    free(s);
}

int az_redis_sub_start(const az_redis_conf *conf, const char *name, const char *channel, const char *self,
                       const asyncz_store_host *host, az_redis_sub **out)
{
    az_redis_sub *s = calloc(1, sizeof *s);
    if (!s)
        return az_store_fail(ASYNCZ_ENOMEM, "%s: subscriber: out of memory", conf->where);
    *s = (az_redis_sub){
        .conf = conf, .name = name, .channel = channel, .self = self, .host = host, .stop = {-1, -1}};
    int rc = 0;
    if (pipe2(s->stop, O_CLOEXEC) != 0)
        rc = az_store_fail(ASYNCZ_ESTORE, "%s: subscriber: cannot make a pipe", conf->where);
    if (!rc)
        rc = subscribe(s);
    if (!rc && pthread_create(&s->thread, NULL, run, s) != 0)
        rc = az_store_fail(ASYNCZ_ESTORE, "%s: subscriber: cannot start its thread", conf->where);
    if (rc) {
        sub_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void az_redis_sub_stop(az_redis_sub *s)
{
    if (!s)
        return;
    close(s->stop[1]);
    s->stop[1] = -1;
    pthread_join(s->thread, NULL);
    sub_free(s);
}

#endif
