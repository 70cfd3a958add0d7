/* Pages of runs or audit entries merged across the stores of the config (api_common.h). Each store lists
 * its records newest first by id (UUIDv7) with a cursor of its own; a page reads `limit` from each store
 * still to list, takes the newest `limit` of them all, and keeps in its cursor, per store, the position
 * after the records that store gave: the store's cursor of its next page when all of its records were
 * taken, else the cursor after the ones taken (one more query of exactly that many), else the one it had.
 */
#include <stdlib.h>
#include <string.h>

#include "api_common.h"

/* One store of the listing and where it stands. */
typedef struct source {
    const char *name;
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE]; /* where its next items start ("" from the newest) */
    bool done;                               /* nothing left (or it keeps no such records) */
    json_t *items;                           /* this page's candidates */
    char next[ASYNCZ_HISTORY_CURSOR_SIZE];   /* its cursor after all the candidates */
    size_t taken;
} source;

typedef struct listing {
    source *src;
    size_t n;
} listing;

static void listing_free(listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->src[i].items);
    free(l->src);
}

/* The stores of the listing, placed where cursor (NULL: the first page) left them. Returns 0 or -1
 * (answered 400: a cursor of another listing). */
static int start(const az_http_app *app, const char *store, const json_t *cursor, const az_api_merge *m,
                 listing *l, az_http_response *resp)
{
    l->src = calloc(app->cfg->n_stores ? app->cfg->n_stores : 1, sizeof *l->src);
    l->n = 0;
    if (!l->src) {
        az_http_reply_error(resp, 500, "internal", "out of memory");
        return -1;
    }
    json_t *positions = cursor ? json_object_get(cursor, "s") : NULL;
    json_t *one = cursor ? json_object_get(cursor, "one") : NULL;
    if (cursor &&
        (!json_is_object(positions) ||
         (store ? !json_is_string(one) || strcmp(json_string_value(one), store) : !json_is_null(one))))
        return az_api_bad_cursor(resp, m->kind);
    for (size_t i = 0; i < app->cfg->n_stores; i++) {
        const char *name = app->cfg->stores[i].name;
        if (store && strcmp(name, store) != 0)
            continue;
        source *s = &l->src[l->n++];
        s->name = name;
        json_t *at = positions ? json_object_get(positions, name) : NULL;
        if (cursor && !json_is_null(at) &&
            (!json_is_string(at) || json_string_length(at) >= sizeof s->cursor))
            return az_api_bad_cursor(resp, m->kind);
        s->done = cursor && json_is_null(at);
        snprintf(s->cursor, sizeof s->cursor, "%s", json_is_string(at) ? json_string_value(at) : "");
    }
    return 0;
}

/* One store's page of candidates. Returns 0 or -1 (answered). */
static int fetch(az_http_app *app, source *s, size_t limit, const az_api_merge *m, bool alone,
                 az_http_response *resp)
{
    if (!(s->items = json_array())) {
        az_http_reply_error(resp, 500, "internal", "out of memory");
        return -1;
    }
    int rc = m->page(app, s->name, s->cursor, limit, m->ctx, s->items, s->next);
    if (rc == ASYNCZ_EUNSUPPORTED && !alone) {
        s->done = true;
        json_array_clear(s->items);
        return 0;
    }
    if (rc == ASYNCZ_EUNSUPPORTED) {
        az_http_reply_error(resp, 409, "unsupported", m->unsupported, s->name);
        return -1;
    }
    if (rc == ASYNCZ_EINVAL && s->cursor[0])
        return az_api_bad_cursor(resp, m->kind);
    if (rc)
        return az_api_fail(resp, rc, asyncz_scheduler_errmsg(app->s), "cannot list the %s of store '%s'",
                           m->kind, s->name);
    return 0;
}

static const char *id_of(const source *s, size_t i, const char *key)
{
    const char *id = json_string_value(json_object_get(json_array_get(s->items, i), key));
    return id ? id : "";
}

/* The newest `limit` of the candidates, in order, into items. */
static int merge(listing *l, size_t limit, const char *key, json_t *items)
{
    while (json_array_size(items) < limit) {
        source *best = NULL;
        for (size_t i = 0; i < l->n; i++) {
            source *s = &l->src[i];
            if (!s->done && s->taken < json_array_size(s->items) &&
                (!best || strcmp(id_of(s, s->taken, key), id_of(best, best->taken, key)) > 0))
                best = s;
        }
        if (!best)
            return 0;
        if (json_array_append(items, json_array_get(best->items, best->taken)) != 0)
            return -1;
        best->taken++;
    }
    return 0;
}

/* Move each store's cursor past what it gave. Returns 0 or -1 (answered). */
static int advance(az_http_app *app, listing *l, const az_api_merge *m, az_http_response *resp)
{
    for (size_t i = 0; i < l->n; i++) {
        source *s = &l->src[i];
        if (s->done)
            continue;
        if (s->taken == json_array_size(s->items)) { /* all of them (or it had none) */
            memcpy(s->cursor, s->next, sizeof s->cursor);
            s->done = !s->cursor[0];
            continue;
        }
        if (s->taken == 0)
            continue;
        json_t *again = json_array();
        char next[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
        int rc = again ? m->page(app, s->name, s->cursor, s->taken, m->ctx, again, next) : ASYNCZ_ENOMEM;
        json_decref(again);
        if (rc)
            return az_api_fail(resp, rc, asyncz_scheduler_errmsg(app->s), "cannot list the %s of store '%s'",
                               m->kind, s->name);
        memcpy(s->cursor, next, sizeof s->cursor);
        s->done = !s->cursor[0];
    }
    return 0;
}

/* The cursor of the next page, or JSON null when every store is done. */
static json_t *next_cursor(const listing *l, const char *store, const char *kind)
{
    json_t *positions = json_object();
    bool more = false;
    for (size_t i = 0; positions && i < l->n; i++) {
        more = more || !l->src[i].done;
        json_object_set_new(positions, l->src[i].name,
                            l->src[i].done ? json_null() : json_string(l->src[i].cursor));
    }
    if (!more) {
        json_decref(positions);
        return json_null();
    }
    char *text = az_api_cursor_make(json_pack("{s:s, s:o, s:o}", "k", kind, "one",
                                              store ? json_string(store) : json_null(), "s", positions));
    json_t *v = text ? json_string(text) : NULL;
    free(text);
    return v;
}

int az_api_merged_page(az_http_app *app, const az_http_request *req, az_http_response *resp,
                       const char *store, const az_api_merge *m)
{
    size_t limit;
    json_t *cursor = NULL;
    if (az_api_limit(req, resp, &limit) || az_api_cursor_param(req, resp, m->kind, &cursor))
        return -1;
    listing l = {0};
    int rc = start(app, store, cursor, m, &l, resp);
    json_decref(cursor);
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        if (!l.src[i].done)
            rc = fetch(app, &l.src[i], limit, m, store != NULL, resp);
    json_t *items = rc == 0 ? json_array() : NULL;
    if (rc == 0 && (!items || merge(&l, limit, m->key, items) != 0)) {
        az_http_reply_error(resp, 500, "internal", "out of memory");
        rc = -1;
    }
    if (rc == 0)
        rc = advance(app, &l, m, resp);
    json_t *next = rc == 0 ? next_cursor(&l, store, m->kind) : NULL;
    if (rc == 0 && !next) {
        az_http_reply_error(resp, 500, "internal", "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        az_http_reply_json(resp, 200, json_pack("{s:O, s:o}", "items", items, "next_cursor", next));
        next = NULL;
    }
    json_decref(next);
    json_decref(items);
    listing_free(&l);
    return rc ? -1 : 0;
}
