/* The console's sessions, in memory: a hash table keyed by the SHA-256 of each session's cookie (the cookie
 * itself is not kept), and a list in the order they started, so that the oldest go first when the table is
 * full. A session ends when unused for the idle time, or at the absolute time after its login, whichever
 * comes first. One mutex guards it all: every operation is a few pointer moves. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"

typedef struct session {
    uint8_t key[AZ_AUTH_SHA256_LEN]; /* SHA-256 of the cookie */
    az_auth_session_view v;
    struct session *next_in_bucket;
    struct session *older, *newer; /* the order sessions started in */
} session;

struct az_auth_sessions {
    pthread_mutex_t lock;
    session **buckets;
    size_t mask; /* buckets - 1, a power of two less one */
    session *oldest, *newest;
    size_t n, max;
    int64_t idle_sec, max_sec;
};

az_auth_sessions *az_auth_sessions_new(size_t max)
{
    az_auth_sessions *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t n_buckets = 16;
    while (n_buckets < 2 * max)
        n_buckets *= 2;
    s->buckets = calloc(n_buckets, sizeof *s->buckets);
    if (!s->buckets || pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s->buckets);
        free(s);
        return NULL;
    }
    s->mask = n_buckets - 1;
    s->max = max ? max : 1;
    s->idle_sec = s->max_sec = 3600;
    return s;
}

void az_auth_sessions_free(az_auth_sessions *s)
{
    if (!s)
        return;
    for (session *e = s->oldest, *next; e; e = next) {
        next = e->newer;
        explicit_bzero(e, sizeof *e);
        free(e);
    }
    pthread_mutex_destroy(&s->lock);
    free(s->buckets);
    free(s);
}

void az_auth_sessions_set_lifetimes(az_auth_sessions *s, int64_t idle_sec, int64_t max_sec)
{
    pthread_mutex_lock(&s->lock);
    s->idle_sec = idle_sec;
    s->max_sec = max_sec;
    pthread_mutex_unlock(&s->lock);
}

static int64_t expires_locked(const az_auth_sessions *s, const az_auth_session_view *v)
{
    int64_t idle_end = v->last_used + s->idle_sec, max_end = v->created + s->max_sec;
    return idle_end < max_end ? idle_end : max_end;
}

int64_t az_auth_sessions_expires(az_auth_sessions *s, const az_auth_session_view *view)
{
    pthread_mutex_lock(&s->lock);
    int64_t t = expires_locked(s, view);
    pthread_mutex_unlock(&s->lock);
    return t;
}

static session **bucket_of(az_auth_sessions *s, const uint8_t *key)
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return &s->buckets[h & s->mask];
}

static void remove_locked(az_auth_sessions *s, session *e)
{
    for (session **p = bucket_of(s, e->key); *p; p = &(*p)->next_in_bucket)
        if (*p == e) {
            *p = e->next_in_bucket;
            break;
        }
    if (e->older)
        e->older->newer = e->newer;
    else
        s->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        s->newest = e->older;
    s->n--;
    explicit_bzero(e, sizeof *e);
    free(e);
}

static session *find_locked(az_auth_sessions *s, const uint8_t *key)
{
    for (session *e = *bucket_of(s, key); e; e = e->next_in_bucket)
        if (memcmp(e->key, key, AZ_AUTH_SHA256_LEN) == 0)
            return e;
    return NULL;
}

static void sweep_locked(az_auth_sessions *s, int64_t now)
{
    for (session *e = s->oldest, *next; e; e = next) {
        next = e->newer;
        if (now >= expires_locked(s, &e->v))
            remove_locked(s, e);
    }
}

/* A session id: 12 random bytes in base64url (16 characters), for logs and the principal. */
static int make_id(char *out)
{
    uint8_t raw[12];
    if (az_auth_random(raw, sizeof raw) != 0)
        return -1;
    az_auth_base64url(raw, sizeof raw, out);
    return 0;
}

int az_auth_sessions_start(az_auth_sessions *s, const char *user, az_http_role role,
                           const uint8_t pw_fingerprint[AZ_AUTH_SHA256_LEN], int64_t now, char *cookie,
                           az_auth_session_view *view)
{
    session *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    if (az_auth_secret_make(cookie) != 0 || az_auth_secret_make(e->v.info.csrf_token) != 0 ||
        make_id(e->v.info.id) != 0) {
        free(e);
        return -1;
    }
    az_auth_sha256(cookie, strlen(cookie), e->key);
    snprintf(e->v.info.user, sizeof e->v.info.user, "%s", user);
    e->v.info.role = role;
    memcpy(e->v.pw_fingerprint, pw_fingerprint, AZ_AUTH_SHA256_LEN);
    e->v.created = e->v.last_used = now;

    pthread_mutex_lock(&s->lock);
    sweep_locked(s, now);
    while (s->n >= s->max)
        remove_locked(s, s->oldest);
    session **b = bucket_of(s, e->key);
    e->next_in_bucket = *b;
    *b = e;
    e->older = s->newest;
    if (s->newest)
        s->newest->newer = e;
    else
        s->oldest = e;
    s->newest = e;
    s->n++;
    e->v.info.expires = expires_locked(s, &e->v);
    *view = e->v;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

az_auth_lookup az_auth_sessions_find(az_auth_sessions *s, const char *cookie, int64_t now, bool touch,
                                     az_auth_session_view *view)
{
    if (!az_auth_secret_well_formed(cookie))
        return AZ_AUTH_SESSION_UNKNOWN;
    uint8_t key[AZ_AUTH_SHA256_LEN];
    az_auth_sha256(cookie, strlen(cookie), key);
    pthread_mutex_lock(&s->lock);
    az_auth_lookup rc = AZ_AUTH_SESSION_UNKNOWN;
    session *e = find_locked(s, key);
    if (e && now >= expires_locked(s, &e->v)) {
        remove_locked(s, e);
        rc = AZ_AUTH_SESSION_EXPIRED;
    } else if (e) {
        if (touch && now > e->v.last_used)
            e->v.last_used = now;
        e->v.info.expires = expires_locked(s, &e->v);
        if (view)
            *view = e->v;
        rc = AZ_AUTH_SESSION_FOUND;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

bool az_auth_sessions_end(az_auth_sessions *s, const char *cookie)
{
    if (!az_auth_secret_well_formed(cookie))
        return false;
    uint8_t key[AZ_AUTH_SHA256_LEN];
    az_auth_sha256(cookie, strlen(cookie), key);
    pthread_mutex_lock(&s->lock);
    session *e = find_locked(s, key);
    if (e)
        remove_locked(s, e);
    pthread_mutex_unlock(&s->lock);
    return e != NULL;
}

size_t az_auth_sessions_filter(az_auth_sessions *s, bool (*keep)(void *ctx, const az_auth_session_view *v),
                               void *ctx)
{
    size_t ended = 0;
    pthread_mutex_lock(&s->lock);
    for (session *e = s->oldest, *next; e; e = next) {
        next = e->newer;
        if (!keep(ctx, &e->v)) {
            remove_locked(s, e);
            ended++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return ended;
}

size_t az_auth_sessions_count(az_auth_sessions *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->n;
    pthread_mutex_unlock(&s->lock);
    return n;
}
