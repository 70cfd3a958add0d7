/* The stores of the daemon's config as the JSON API names them (?store=), and the API's own connections to
 * the persistent ones for what the scheduler's API has no call for (instances, quarantine): api_common.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "api_snapshot.h"

const az_cfg_store *az_api_store(const az_http_app *app, const char *name)
{
    for (size_t i = 0; name && i < app->cfg->n_stores; i++)
        if (strcmp(app->cfg->stores[i].name, name) == 0)
            return &app->cfg->stores[i];
    return NULL;
}

void az_api_store_names(const az_http_app *app, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < app->cfg->n_stores && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", app->cfg->stores[i].name);
}

int az_api_store_param(const az_http_app *app, const az_http_request *req, az_http_response *resp,
                       const char **out)
{
    const char *name = az_http_query(req, "store");
    *out = NULL;
    if (!name)
        return 0;
    if (!az_api_store(app, name)) {
        char names[512];
        az_api_store_names(app, names, sizeof names);
        az_http_reply_error_with(resp, 404, "not_found", json_pack("{s:s}", "parameter", "store"),
                                 "no store '%.100s' in the daemon's config (its stores: %s)", name, names);
        return -1;
    }
    *out = name;
    return 0;
}

/* ---- connections --------------------------------------------------------------------------------------- */

/* The most stores a config names that get a connection; more are refused (bounded memory). */
#define MAX_CONNS 64

/* One store's connection. The table's lock only finds or adds the entry; connecting happens under the
 * entry's own lock, so that a store that is slow to answer holds up only the requests that need it. */
typedef struct conn {
    char *url;
    pthread_mutex_t lock;
    asyncz_store *st; /* NULL until connected (a failed attempt is tried again by the next request) */
} conn;

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static conn *conns[MAX_CONNS];
static size_t n_conns;

static bool is_memory(const char *url)
{
    return strncmp(url, "memory:", 7) == 0;
}

/* The entry of url, added when missing; NULL when out of memory or the table is full. */
static conn *find_conn(const char *url)
{
    pthread_mutex_lock(&conns_lock);
    conn *c = NULL;
    for (size_t i = 0; i < n_conns && !c; i++)
        if (strcmp(conns[i]->url, url) == 0)
            c = conns[i];
    if (!c && n_conns < MAX_CONNS && (c = calloc(1, sizeof *c)) != NULL) {
        if ((c->url = strdup(url)) != NULL) {
            pthread_mutex_init(&c->lock, NULL);
            conns[n_conns++] = c;
        } else {
            free(c);
            c = NULL;
        }
    }
    pthread_mutex_unlock(&conns_lock);
    return c;
}

int az_api_store_conn(const az_cfg_store *cs, asyncz_store **out, char *why, size_t size)
{
    *out = NULL;
    snprintf(why, size, "%s", "");
    if (is_memory(cs->url)) {
        snprintf(why, size, "a memory store lives in the daemon's scheduler only");
        return ASYNCZ_EUNSUPPORTED;
    }
    conn *c = find_conn(cs->url);
    if (!c) {
        snprintf(why, size, "out of memory");
        return ASYNCZ_ENOMEM;
    }
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    if (!c->st) {
        asyncz_store *st = NULL;
        rc = asyncz_store_open(&st, cs->url);
        if (rc == 0)
            rc = asyncz_store_connect_inspect(st, NULL, NULL);
        if (rc == 0)
            c->st = st;
        else
            snprintf(why, size, "%s", asyncz_store_errmsg()[0] ? asyncz_store_errmsg() : asyncz_strerror(rc));
        if (rc)
            asyncz_store_free(st);
    }
    *out = c->st;
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void az_http_api_close(void)
{
    az_api_snapshot_clear();
    az_api_status_forget();
    pthread_mutex_lock(&conns_lock);
    for (size_t i = 0; i < n_conns; i++) {
        asyncz_store_free(conns[i]->st);
        pthread_mutex_destroy(&conns[i]->lock);
        free(conns[i]->url);
        free(conns[i]);
    }
    n_conns = 0;
    pthread_mutex_unlock(&conns_lock);
}
