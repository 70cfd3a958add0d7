/* Counting failed logins, per key (a client address, a user name), in a table of fixed size: a key that
 * failed too often in a row must wait before its next try, longer after each further failure. When the table
 * is full, the key that failed longest ago gives its place (one that is blocked only when all are). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"

#define KEY_MAX 128

typedef struct entry {
    char key[KEY_MAX]; /* "" when free */
    unsigned failures;
    int64_t last_failure;
    int64_t blocked_until;
} entry;

struct az_auth_throttle {
    pthread_mutex_t lock;
    entry *items;
    size_t capacity;
};

az_auth_throttle *az_auth_throttle_new(size_t capacity)
{
    az_auth_throttle *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->capacity = capacity ? capacity : 1;
    t->items = calloc(t->capacity, sizeof *t->items);
    if (!t->items || pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t->items);
        free(t);
        return NULL;
    }
    return t;
}

void az_auth_throttle_free(az_auth_throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->items);
    free(t);
}

static entry *find_locked(az_auth_throttle *t, const char *key)
{
    char k[KEY_MAX];
    snprintf(k, sizeof k, "%s", key);
    for (size_t i = 0; i < t->capacity; i++)
        if (t->items[i].key[0] && strcmp(t->items[i].key, k) == 0)
            return &t->items[i];
    return NULL;
}

/* A free entry, else the one to give up: not blocked and failed longest ago, else blocked the shortest. */
static entry *place_locked(az_auth_throttle *t, int64_t now)
{
    entry *victim = NULL;
    for (size_t i = 0; i < t->capacity; i++) {
        entry *e = &t->items[i];
        if (!e->key[0])
            return e;
        bool blocked = e->blocked_until > now, victim_blocked = victim && victim->blocked_until > now;
        if (!victim || (victim_blocked && !blocked) ||
            (blocked == victim_blocked &&
             (blocked ? e->blocked_until < victim->blocked_until : e->last_failure < victim->last_failure)))
            victim = e;
    }
    return victim;
}

int64_t az_auth_throttle_wait(az_auth_throttle *t, const char *key, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    entry *e = find_locked(t, key);
    int64_t wait = e && e->blocked_until > now ? e->blocked_until - now : 0;
    pthread_mutex_unlock(&t->lock);
    return wait;
}

void az_auth_throttle_fail(az_auth_throttle *t, const char *key, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    entry *e = find_locked(t, key);
    if (!e) {
        e = place_locked(t, now);
        *e = (entry){0};
        snprintf(e->key, sizeof e->key, "%s", key);
    }
    if (e->failures && now - e->last_failure >= AZ_AUTH_THROTTLE_WINDOW && now >= e->blocked_until)
        e->failures = 0; /* quiet long enough: a fresh start */
    e->failures++;
    e->last_failure = now;
    if (e->failures >= AZ_AUTH_THROTTLE_LIMIT) {
        unsigned doublings = e->failures - AZ_AUTH_THROTTLE_LIMIT;
        int64_t delay = AZ_AUTH_THROTTLE_DELAY;
        for (unsigned i = 0; i < doublings && delay < AZ_AUTH_THROTTLE_MAX_DELAY; i++)
            delay *= 2;
        e->blocked_until = now + (delay < AZ_AUTH_THROTTLE_MAX_DELAY ? delay : AZ_AUTH_THROTTLE_MAX_DELAY);
    }
    pthread_mutex_unlock(&t->lock);
}

void az_auth_throttle_clear(az_auth_throttle *t, const char *key)
{
    pthread_mutex_lock(&t->lock);
    entry *e = find_locked(t, key);
    if (e)
        *e = (entry){0};
    pthread_mutex_unlock(&t->lock);
}

void az_auth_client_key(const char *client, char *out, size_t size)
{
    struct in6_addr a6;
    if (client && inet_pton(AF_INET6, client, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
        memset(a6.s6_addr + 8, 0, 8);
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &a6, text, sizeof text);
        snprintf(out, size, "%s/64", text);
        return;
    }
    snprintf(out, size, "%s", client ? client : "");
}
