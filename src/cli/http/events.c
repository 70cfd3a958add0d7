/* The live event stream (events.h): a ring of the last events and the subscribers' streams.
 *
 * Locking: one mutex guards the ring, the sequence number and the closed flag; a condition variable wakes
 * the streams waiting for the next event. Publishing (on the scheduler's thread, for every event) only
 * copies the event's members into the ring; the first stream that sends an event formats it, under the
 * lock, and the others copy that text. A stream copies its next message out under the lock and writes it
 * to the connection without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "manage.h"

/* An event as published: the members az_event_json reads, copied (the event's strings are the scheduler's
 * for the listener's call only), and its message once a stream has needed it. */
typedef struct held {
    asyncz_event ev;         /* its strings point into text, run_times at first_run */
    asyncz_time_t first_run; /* run_times[0]: the only one az_event_json reads */
    const asyncz_zone *zone; /* borrowed: the daemon's, which outlives the hub */
    char *msg;               /* "id: N\nevent: ...\n\n"; NULL until a stream sends it */
    char text[];
} held;

struct az_event_hub {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    held *ring[AZ_EVENT_HUB_KEEP]; /* event of sequence number n at n % KEEP */
    uint64_t next;                 /* the next event's sequence number (the first is 1) */
    uint64_t dropped;
    bool closed;
};

static void held_free(held *h)
{
    if (h) {
        free(h->msg);
        free(h);
    }
}

int az_event_hub_new(az_event_hub **out)
{
    az_event_hub *hub = calloc(1, sizeof *hub);
    if (!hub)
        return ASYNCZ_ENOMEM;
    pthread_mutex_init(&hub->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&hub->changed, &attr);
    pthread_condattr_destroy(&attr);
    hub->next = 1;
    *out = hub;
    return 0;
}

void az_event_hub_close(az_event_hub *hub)
{
    if (!hub)
        return;
    pthread_mutex_lock(&hub->lock);
    hub->closed = true;
    pthread_cond_broadcast(&hub->changed);
    pthread_mutex_unlock(&hub->lock);
}

void az_event_hub_free(az_event_hub *hub)
{
    if (!hub)
        return;
    for (size_t i = 0; i < AZ_EVENT_HUB_KEEP; i++)
        held_free(hub->ring[i]);
    pthread_cond_destroy(&hub->changed);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

uint64_t az_event_hub_published(az_event_hub *hub)
{
    pthread_mutex_lock(&hub->lock);
    uint64_t n = hub->next - 1;
    pthread_mutex_unlock(&hub->lock);
    return n;
}

uint64_t az_event_hub_dropped(az_event_hub *hub)
{
    pthread_mutex_lock(&hub->lock);
    uint64_t n = hub->dropped;
    pthread_mutex_unlock(&hub->lock);
    return n;
}

/* ---- formatting ---------------------------------------------------------------------------------------- */

static bool is_run_event(uint32_t code)
{
    return code & (ASYNCZ_EVENT_TASK_EXECUTED | ASYNCZ_EVENT_TASK_ERROR | ASYNCZ_EVENT_TASK_MISSED);
}

static int set_text(json_t *obj, const char *key, const char *value)
{
    return value ? json_object_set_new(obj, key, az_cli_json_text(value)) : 0;
}

/* A member read here must be copied by hold() too: the ring keeps only those. */
json_t *az_event_json(const asyncz_event *ev, const asyncz_zone *zone)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = json_object_set_new(o, "event", json_string(asyncz_event_name(ev->code)));
    rc |= az_cli_json_set_time(o, "time", ev->time, zone);
    rc |= set_text(o, ev->task_id ? "store" : "alias", ev->alias);
    rc |= set_text(o, "task_id", ev->task_id);
    rc |= set_text(o, "task_name", ev->task_name);
    rc |= set_text(o, "run_id", ev->run_id);
    if (is_run_event(ev->code)) {
        rc |= az_cli_json_set_time(o, "scheduled_run_time", ev->scheduled_run_time, zone);
        rc |= json_object_set_new(o, "outcome", json_string(asyncz_run_outcome_name(ev->outcome)));
    }
    if (ev->n_run_times > 0) {
        rc |= az_cli_json_set_time(o, "scheduled_run_time", ev->run_times[0], zone);
        rc |= json_object_set_new(o, "coalesced", json_integer(ev->coalesced));
    }
    if (ev->code == ASYNCZ_EVENT_TASK_ERROR || ev->code == ASYNCZ_EVENT_TASK_QUARANTINED)
        rc |= set_text(o, "error", ev->error_message);
    if (ev->code == ASYNCZ_EVENT_TASK_ERROR && ev->exit_status >= 0)
        rc |= json_object_set_new(o, "exit_status", json_integer(ev->exit_status));
    if (ev->signal)
        rc |= json_object_set_new(o, "signal", json_integer(ev->signal));
    rc |= set_text(o, "instance_id", ev->instance_id);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* "id: N\nevent: NAME\ndata: JSON\n\n" (JSON on one line: JSON_COMPACT escapes newlines). */
static char *format_message(uint64_t seq, const asyncz_event *ev, const asyncz_zone *zone)
{
    json_t *doc = az_event_json(ev, zone);
    char *data = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    char *msg = NULL;
    if (data && asprintf(&msg, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)seq,
                         asyncz_event_name(ev->code), data) < 0)
        msg = NULL;
    free(data);
    return msg;
}

static size_t size_of(const char *text)
{
    return text ? strlen(text) + 1 : 0;
}

/* Copy text to *at (advancing it); NULL stays NULL. */
static const char *put(char **at, const char *text)
{
    if (!text)
        return NULL;
    size_t n = strlen(text) + 1;
    char *copy = memcpy(*at, text, n);
    *at += n;
    return copy;
}

/* A copy of what az_event_json reads of ev, in one allocation; NULL when out of memory. */
static held *hold(const asyncz_event *ev, const asyncz_zone *zone)
{
    size_t n = size_of(ev->alias) + size_of(ev->task_id) + size_of(ev->task_name) + size_of(ev->run_id) +
               size_of(ev->error_message) + size_of(ev->instance_id);
    held *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    char *at = h->text;
    bool runs = ev->run_times && ev->n_run_times > 0;
    h->ev = (asyncz_event){.code = ev->code,
                           .time = ev->time,
                           .scheduled_run_time = ev->scheduled_run_time,
                           .run_times = &h->first_run,
                           .n_run_times = runs ? 1 : 0,
                           .coalesced = ev->coalesced,
                           .error_code = ev->error_code,
                           .signal = ev->signal,
                           .fencing_token = ev->fencing_token,
                           .outcome = ev->outcome,
                           .exit_status = ev->exit_status};
    h->ev.alias = put(&at, ev->alias);
    h->ev.task_id = put(&at, ev->task_id);
    h->ev.task_name = put(&at, ev->task_name);
    h->ev.run_id = put(&at, ev->run_id);
    h->ev.error_message = put(&at, ev->error_message);
    h->ev.instance_id = put(&at, ev->instance_id);
    h->first_run = runs ? ev->run_times[0] : ASYNCZ_TIME_NONE;
    h->zone = zone;
    h->msg = NULL;
    return h;
}

void az_event_hub_publish(az_event_hub *hub, const asyncz_event *ev, const asyncz_zone *zone)
{
    /* Formatting waits for a stream that wants the event: a daemon with no stream open spends a copy per
     * event on its scheduler's thread, not a JSON document (a few µs each, at thousands of runs a second). */
    held *h = hold(ev, zone);
    pthread_mutex_lock(&hub->lock);
    if (hub->closed) {
        held_free(h);
    } else if (!h) {
        hub->dropped++;
    } else {
        uint64_t seq = hub->next;
        held_free(hub->ring[seq % AZ_EVENT_HUB_KEEP]);
        hub->ring[seq % AZ_EVENT_HUB_KEEP] = h;
        hub->next = seq + 1;
        pthread_cond_broadcast(&hub->changed);
    }
    pthread_mutex_unlock(&hub->lock);
}

/* ---- a subscriber's stream ---------------------------------------------------------------------------- */

typedef struct stream {
    az_event_hub *hub;
    uint64_t want; /* the next sequence number to send */
    char *pending; /* a message copied out of the ring, not yet all written */
    size_t len, off;
    bool greeted; /* the first message ("retry:") was sent */
} stream;

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Take the next message into st->pending: an event, a "lagged" notice, or a keep-alive comment after a
 * quiet spell. Returns false when the hub closed. */
static bool next_message(stream *st)
{
    az_event_hub *hub = st->hub;
    struct timespec deadline;
    deadline_in(&deadline, AZ_EVENT_HUB_KEEPALIVE_MS);
    pthread_mutex_lock(&hub->lock);
    int rc = 0;
    while (!hub->closed && st->want >= hub->next && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&hub->changed, &hub->lock, &deadline);
    bool open = !hub->closed;
    char *msg = NULL;
    if (open && st->want < hub->next) {
        uint64_t oldest = hub->next > AZ_EVENT_HUB_KEEP ? hub->next - AZ_EVENT_HUB_KEEP : 1;
        if (st->want < oldest) {
            if (asprintf(&msg, "event: lagged\ndata: {\"missed\":%llu}\n\n",
                         (unsigned long long)(oldest - st->want)) < 0)
                msg = NULL;
            st->want = oldest;
        } else {
            held *h = hub->ring[st->want % AZ_EVENT_HUB_KEEP];
            if (!h->msg && !(h->msg = format_message(st->want, &h->ev, h->zone)))
                hub->dropped++; /* out of memory: this stream goes on without it */
            msg = h->msg ? strdup(h->msg) : NULL;
            st->want++;
        }
    } else if (open) {
        msg = strdup(": keep-alive\n\n");
    }
    pthread_mutex_unlock(&hub->lock);
    st->pending = msg;
    st->len = msg ? strlen(msg) : 0;
    st->off = 0;
    return open;
}

static long stream_read(void *ctx, char *buf, size_t max)
{
    stream *st = ctx;
    if (!st->greeted) {
        st->greeted = true;
        static const char hello[] = "retry: 3000\n\n";
        size_t n = sizeof hello - 1 < max ? sizeof hello - 1 : max;
        memcpy(buf, hello, n);
        return (long)n;
    }
    if (!st->pending && !next_message(st))
        return -1;
    if (!st->pending)
        return 0; /* out of memory: try again */
    size_t n = st->len - st->off < max ? st->len - st->off : max;
    memcpy(buf, st->pending + st->off, n);
    st->off += n;
    if (st->off == st->len) {
        free(st->pending);
        st->pending = NULL;
    }
    return (long)n;
}

static void stream_free(void *ctx)
{
    stream *st = ctx;
    free(st->pending);
    free(st);
}

/* Where a stream starts: after Last-Event-ID when the client sends one (a reconnection), else at the next
 * event. */
static uint64_t start_at(az_event_hub *hub, const az_http_request *req)
{
    const char *last = az_http_header(req, "Last-Event-ID");
    pthread_mutex_lock(&hub->lock);
    uint64_t next = hub->next;
    pthread_mutex_unlock(&hub->lock);
    if (last && *last && strspn(last, "0123456789") == strlen(last) && strlen(last) < 20) {
        uint64_t id = strtoull(last, NULL, 10);
        if (id < next)
            return id + 1;
    }
    return next;
}

static void get_events(az_http_app *app, az_http_request *req, az_http_response *resp)
{
    stream *st = calloc(1, sizeof *st);
    if (!st) {
        az_http_reply_error(resp, 500, "out_of_memory", "out of memory");
        return;
    }
    st->hub = app->events;
    st->want = start_at(app->events, req);
    resp->status = 200;
    resp->content_type = "text/event-stream";
    resp->stream = stream_read;
    resp->stream_free = stream_free;
    resp->stream_ctx = st;
    az_http_add_header(resp, "Cache-Control", "no-store");
    az_http_add_header(resp, "X-Accel-Buffering", "no"); /* nginx: pass each message on at once */
}

const az_http_route az_http_events_routes[] = {
    {"GET", "/api/v1/events", AZ_HTTP_ROLE_VIEWER, get_events},
    {NULL, NULL, 0, NULL},
};
