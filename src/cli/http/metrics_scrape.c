/* What /metrics reads from the scheduler when it is scraped (metrics.h): the scheduler's state, its tasks by
 * store and state, the overdue ones and each task's period, whether each store answers, and how many
 * records each store keeps in its quarantine. Read at most every ttl (the quarantine: quarantine_ttl, as it
 * needs a connection of its own to each store, kept from one reading to the next) and kept as ready text,
 * so that frequent scrapes cost a copy. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics.h"

/* A connection of the scrape's own to a store of the config, to read its quarantine (the scheduler does not
 * hand its stores out). Opened at the first reading, kept, dropped when a reading fails. */
typedef struct quarantine_conn {
    char *name, *url;
    asyncz_store *st;
} quarantine_conn;

struct az_metrics_scrape {
    pthread_mutex_t lock; /* one reading at a time; held while reading the stores */
    int64_t ttl, quarantine_ttl;
    az_metrics_text text; /* the families read from the scheduler */
    asyncz_time_t read_at;
    bool read;
    az_metrics_text quarantine; /* asyncz_quarantined_records */
    asyncz_time_t quarantine_at;
    bool quarantine_read;
    quarantine_conn conns[AZ_METRICS_MAX_STORES];
    size_t n_conns;
};

int az_metrics_scrape_new(az_metrics_scrape **out)
{
    az_metrics_scrape *sc = calloc(1, sizeof *sc);
    if (!sc || pthread_mutex_init(&sc->lock, NULL) != 0) {
        free(sc);
        *out = NULL;
        return ASYNCZ_ENOMEM;
    }
    sc->ttl = AZ_METRICS_SCRAPE_TTL_USEC;
    sc->quarantine_ttl = AZ_METRICS_QUARANTINE_TTL_USEC;
    *out = sc;
    return 0;
}

void az_metrics_scrape_free(az_metrics_scrape *sc)
{
    if (!sc)
        return;
    free(sc->text.data);
    free(sc->quarantine.data);
    for (size_t i = 0; i < sc->n_conns; i++) {
        asyncz_store_free(sc->conns[i].st);
        free(sc->conns[i].name);
        free(sc->conns[i].url);
    }
    pthread_mutex_destroy(&sc->lock);
    free(sc);
}

void az_metrics_scrape_set_ttl(az_metrics_scrape *sc, int64_t ttl_usec, int64_t quarantine_ttl_usec)
{
    pthread_mutex_lock(&sc->lock);
    sc->ttl = ttl_usec;
    sc->quarantine_ttl = quarantine_ttl_usec;
    pthread_mutex_unlock(&sc->lock);
}

static void text_reset(az_metrics_text *t)
{
    free(t->data);
    memset(t, 0, sizeof *t);
}

/* ---- tasks ------------------------------------------------------------------------------------------------
 */

/* What one store's task list says. */
typedef struct store_tasks {
    const char *name;
    bool listed;
    uint64_t scheduled, paused, overdue;
} store_tasks;

/* The time between the task's next run and the one after (0: none, or no trigger to ask). */
static int64_t period_of(const asyncz_task *t)
{
    asyncz_trigger *trigger = asyncz_task_trigger(t);
    asyncz_time_t next = asyncz_task_next_run_time(t), after = ASYNCZ_TIME_NONE;
    if (!trigger || next == ASYNCZ_TIME_NONE || asyncz_trigger_next(trigger, next, next, &after) != 0 ||
        after == ASYNCZ_TIME_NONE || after <= next)
        return 0;
    return after - next;
}

/* Count one store's tasks into *st and write their periods (while fewer than AZ_METRICS_MAX_TASKS were
 * written: *n_periods) to periods. */
static void read_store_tasks(asyncz_scheduler *s, store_tasks *st, asyncz_time_t now,
                             az_metrics_text *periods, size_t *n_periods)
{
    asyncz_task_list *list = NULL;
    if (asyncz_scheduler_list_tasks(s, &list, st->name) != 0)
        return;
    st->listed = true;
    for (size_t i = 0, n = asyncz_task_list_count(list); i < n; i++) {
        const asyncz_task *t = asyncz_task_list_at(list, i);
        if (asyncz_task_paused(t) || !asyncz_task_has_next_run_time(t)) {
            st->paused++;
            continue;
        }
        st->scheduled++;
        if (asyncz_task_next_run_time(t) < now - AZ_METRICS_OVERDUE_USEC)
            st->overdue++;
        int64_t period = period_of(t);
        if (period > 0 && *n_periods < AZ_METRICS_MAX_TASKS) {
            az_metrics_text_append(periods, "asyncz_task_period_seconds{task=\"", 33);
            az_metrics_text_label(periods, asyncz_task_id(t));
            az_metrics_text_append(periods, "\",store=\"", 9);
            az_metrics_text_label(periods, st->name);
            az_metrics_text_append(periods, "\"}", 2);
            az_metrics_text_seconds(periods, period);
            ++*n_periods;
        }
    }
    asyncz_task_list_free(list);
}

static void store_gauge(az_metrics_text *t, const char *name, const char *store, const char *k2,
                        const char *v2, uint64_t value)
{
    az_metrics_text_printf(t, "%s{store=\"", name);
    az_metrics_text_label(t, store);
    if (k2) {
        az_metrics_text_printf(t, "\",%s=\"", k2);
        az_metrics_text_label(t, v2);
    }
    az_metrics_text_printf(t, "\"} %llu\n", (unsigned long long)value);
}

static void read_state(asyncz_scheduler *s, az_metrics_text *t)
{
    static const char *const states[] = {"stopped", "running", "paused"};
    asyncz_scheduler_state now = asyncz_scheduler_get_state(s);
    az_metrics_text_family(t, "asyncz_scheduler_state", "gauge",
                           "1 for the scheduler's state, 0 for the others.");
    for (int i = 0; i < 3; i++)
        az_metrics_text_printf(t, "asyncz_scheduler_state{state=\"%s\"} %d\n", states[i], (int)now == i);
}

/* Everything but the quarantine, read anew into sc->text. */
static void read_scheduler(az_metrics_scrape *sc, az_http_app *app)
{
    text_reset(&sc->text);
    az_metrics_text *t = &sc->text;
    const char *names[AZ_METRICS_MAX_STORES];
    size_t n = az_metrics_store_names(app, names, AZ_METRICS_MAX_STORES);
    store_tasks tasks[AZ_METRICS_MAX_STORES];
    az_metrics_text periods = {0};
    size_t n_periods = 0;
    asyncz_time_t now = asyncz_now();
    for (size_t i = 0; i < n; i++) {
        tasks[i] = (store_tasks){.name = names[i]};
        read_store_tasks(app->s, &tasks[i], now, &periods, &n_periods);
    }
    read_state(app->s, t);
    az_metrics_text_family(t, "asyncz_tasks", "gauge",
                           "Tasks by store and state (stores that could be listed).");
    for (size_t i = 0; i < n; i++)
        if (tasks[i].listed) {
            store_gauge(t, "asyncz_tasks", names[i], "state", "scheduled", tasks[i].scheduled);
            store_gauge(t, "asyncz_tasks", names[i], "state", "paused", tasks[i].paused);
        }
    az_metrics_text_family(t, "asyncz_tasks_overdue", "gauge",
                           "Scheduled tasks whose next run time is more than 60 s in the past.");
    for (size_t i = 0; i < n; i++)
        if (tasks[i].listed)
            store_gauge(t, "asyncz_tasks_overdue", names[i], NULL, NULL, tasks[i].overdue);
    az_metrics_text_family(
        t, "asyncz_task_period_seconds", "gauge",
        "Time between a scheduled task's next run and the one after (recurring triggers).");
    if (periods.data)
        az_metrics_text_append(t, periods.data, periods.len);
    t->failed |= periods.failed;
    free(periods.data);
    az_metrics_text_family(t, "asyncz_store_up", "gauge", "1 when the store answers a read, else 0.");
    for (size_t i = 0; i < n; i++) {
        char why[256];
        store_gauge(t, "asyncz_store_up", names[i], NULL, NULL,
                    az_metrics_probe_store(app->s, names[i], why, sizeof why) == 0);
    }
}

/* ---- quarantine -------------------------------------------------------------------------------------------
 */

static int count_one(const asyncz_quarantined *q, void *userdata)
{
    (void)q;
    ++*(uint64_t *)userdata;
    return 0;
}

/* The kept connection of store name at url (a new one when the url changed), or NULL (out of room or
 * memory). */
static quarantine_conn *conn_of(az_metrics_scrape *sc, const char *name, const char *url)
{
    for (size_t i = 0; i < sc->n_conns; i++)
        if (strcmp(sc->conns[i].name, name) == 0) {
            if (strcmp(sc->conns[i].url, url) != 0) {
                char *copy = strdup(url);
                if (!copy)
                    return NULL;
                asyncz_store_free(sc->conns[i].st);
                sc->conns[i].st = NULL;
                free(sc->conns[i].url);
                sc->conns[i].url = copy;
            }
            return &sc->conns[i];
        }
    if (sc->n_conns == AZ_METRICS_MAX_STORES)
        return NULL;
    quarantine_conn *c = &sc->conns[sc->n_conns];
    *c = (quarantine_conn){.name = strdup(name), .url = strdup(url)};
    if (!c->name || !c->url) {
        free(c->name);
        free(c->url);
        return NULL;
    }
    sc->n_conns++;
    return c;
}

/* How many records store name (at url) keeps in its quarantine, through the scrape's own connection to it.
 * Returns 0 or an error (the connection is then dropped, to be made again at the next reading). */
static int count_quarantined(az_metrics_scrape *sc, const char *name, const char *url, uint64_t *count)
{
    *count = 0;
    if (strncmp(url, "memory:", 7) == 0)
        return 0; /* keeps no quarantine, and another memory store would not be the daemon's */
    quarantine_conn *c = conn_of(sc, name, url);
    if (!c)
        return ASYNCZ_ENOMEM;
    int rc = 0;
    if (!c->st && (rc = asyncz_store_open(&c->st, url)) == 0)
        rc = asyncz_store_connect_existing(c->st, NULL, NULL); /* inspecting: moves nothing aside */
    if (rc == 0)
        rc = asyncz_store_quarantined(c->st, count_one, count);
    if (rc) {
        asyncz_store_free(c->st);
        c->st = NULL;
    }
    return rc;
}

static void read_quarantine(az_metrics_scrape *sc, az_http_app *app)
{
    text_reset(&sc->quarantine);
    az_metrics_text *t = &sc->quarantine;
    az_metrics_text_family(t, "asyncz_quarantined_records", "gauge",
                           "Records kept in each store's quarantine (stores that could be read).");
    for (size_t i = 0; app->cfg && i < app->cfg->n_stores; i++) {
        uint64_t count;
        if (count_quarantined(sc, app->cfg->stores[i].name, app->cfg->stores[i].url, &count) == 0)
            store_gauge(t, "asyncz_quarantined_records", app->cfg->stores[i].name, NULL, NULL, count);
    }
}

/* ---- rendering --------------------------------------------------------------------------------------------
 */

static bool stale(bool read, asyncz_time_t at, asyncz_time_t now, int64_t ttl)
{
    return !read || now - at >= ttl || now < at;
}

void az_metrics_scrape_render(az_metrics_scrape *sc, az_http_app *app, az_metrics_text *t)
{
    if (!sc || !app || !app->s)
        return;
    pthread_mutex_lock(&sc->lock);
    asyncz_time_t now = asyncz_now();
    if (stale(sc->read, sc->read_at, now, sc->ttl) || sc->text.failed) {
        read_scheduler(sc, app);
        sc->read = true;
        sc->read_at = now;
    }
    if (stale(sc->quarantine_read, sc->quarantine_at, now, sc->quarantine_ttl) || sc->quarantine.failed) {
        read_quarantine(sc, app);
        sc->quarantine_read = true;
        sc->quarantine_at = now;
    }
    if (sc->text.data)
        az_metrics_text_append(t, sc->text.data, sc->text.len);
    if (sc->quarantine.data)
        az_metrics_text_append(t, sc->quarantine.data, sc->quarantine.len);
    t->failed |= sc->text.failed || sc->quarantine.failed;
    pthread_mutex_unlock(&sc->lock);
}
