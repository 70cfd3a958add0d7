/* The store a management command works on: --store URL, else $ASYNCZ_STORE; connected for inspection, so
 * records that cannot be read are skipped, reported as warnings and left where they are. */
#include <stdlib.h>
#include <string.h>

#include "manage.h"

#define STORE_ENV "ASYNCZ_STORE"

static bool seen(const az_cli_store *s, const char *id)
{
    for (size_t i = 0; i < s->n_bad; i++)
        if (strcmp(s->bad[i].id, id) == 0)
            return true;
    return false;
}

static void remember(az_cli_store *s, const char *id, const char *reason)
{
    if (s->n_bad == s->cap_bad) {
        size_t cap = s->cap_bad ? s->cap_bad * 2 : 8;
        az_cli_unreadable *grown = realloc(s->bad, cap * sizeof *grown);
        if (!grown)
            return;
        s->bad = grown;
        s->cap_bad = cap;
    }
    az_cli_unreadable u = {strdup(id), strdup(reason)};
    if (!u.id || !u.reason) {
        free(u.id);
        free(u.reason);
        return;
    }
    s->bad[s->n_bad++] = u;
}

/* The store reports an unreadable record on every read that meets it: warn once per id. */
static void on_unreadable(void *userdata, const char *task_id, const char *reason)
{
    az_cli_store *s = userdata;
    const char *id = task_id ? task_id : "?";
    if (seen(s, id))
        return;
    remember(s, id, reason ? reason : "");
    if (!s->quiet)
        az_cli_warning("task \"%s\" cannot be read (left in place): %s", id, reason ? reason : "");
}

/* Where the URL came from, for messages: "--store" or "ASYNCZ_STORE:" (the environment). */
static const char *url_source(const az_cli_store *s)
{
    return s->from_env ? STORE_ENV ":" : "--store";
}

/* Messages show the URL masked (asyncz_store_url_mask): they reach terminals, logs and the journal. The
 * library's messages name the store too (masked the same way): each message names it once. */
static int open_url(az_cli_store *s, const char *url)
{
    char shown[1024];
    asyncz_store_url_mask(url, shown, sizeof shown);
    int rc = asyncz_store_open(&s->st, url);
    bool named = false;
    const char *why = az_cli_store_reason(shown, asyncz_store_errmsg(), &named);
    if (rc == ASYNCZ_EINVAL || rc == ASYNCZ_EUNSUPPORTED)
        return az_cli_bad_value(url_source(s), shown, 0, "%s", why);
    if (rc)
        return az_cli_failure("%scannot open the store%s%s: %s", s->from_env ? STORE_ENV ": " : "",
                              named ? "" : " ", named ? "" : shown, why);
    return 0;
}

int az_cli_store_open(az_cli_store *s, const char *store_option, unsigned flags)
{
    memset(s, 0, sizeof *s);
    bool quiet = flags & AZ_CLI_STORE_QUIET;
    s->quiet = quiet;
    s->url = store_option;
    if (!s->url || !s->url[0]) {
        s->url = getenv(STORE_ENV);
        s->from_env = true;
    }
    if (!s->url || !s->url[0])
        return az_cli_usage_error("no store given: use --store URL or set " STORE_ENV
                                  " (for example sqlite:////var/lib/asyncz/tasks.db)");
    /* The library logs each unreadable record and each failure it returns; the tool reports both itself,
     * once and in its own words (on_unreadable, asyncz_store_errmsg), so the library's log stays off. */
    asyncz_log_set_level(ASYNCZ_LOG_OFF);
    int rc = open_url(s, s->url);
    if (rc)
        return rc;
    rc = flags & AZ_CLI_STORE_CREATE ? asyncz_store_connect_inspect(s->st, on_unreadable, s)
                                     : asyncz_store_connect_existing(s->st, on_unreadable, s);
    if (!rc)
        return 0;
    const char *hint = rc == ASYNCZ_ENOTFOUND ? " ('asyncz add' or a daemon creates a store)" : "";
    char shown[1024];
    az_cli_redact_url(s->url, shown, sizeof shown);
    const char *why = az_cli_store_reason(shown, asyncz_store_errmsg(), &s->error_named);
    if (quiet) {
        snprintf(s->error, sizeof s->error, "%s%s", why, hint);
        return AZ_CLI_EXIT_FAILURE;
    }
    return az_cli_failure("%scannot connect to the store%s%s: %s%s", s->from_env ? STORE_ENV ": " : "",
                          s->error_named ? "" : " ", s->error_named ? "" : shown, why, hint);
}

void az_cli_store_close(az_cli_store *s)
{
    asyncz_store_free(s->st);
    s->st = NULL;
    for (size_t i = 0; i < s->n_bad; i++) {
        free(s->bad[i].id);
        free(s->bad[i].reason);
    }
    free(s->bad);
    s->bad = NULL;
    s->n_bad = s->cap_bad = 0;
}

int az_cli_store_failed(int rc, const char *what, const char *id)
{
    if (rc == ASYNCZ_ENOTFOUND && id) {
        fflush(stdout);
        az_cli_failure("no task with id \"%s\" in the store", id);
        return AZ_CLI_EXIT_NOTFOUND;
    }
    const char *msg = asyncz_store_errmsg();
    return az_cli_failure("%s: %s", what, msg[0] ? msg : asyncz_strerror(rc));
}

int az_cli_store_task_failed(az_cli_store *s, int rc, const char *what, const char *id)
{
    if (rc == ASYNCZ_ENOTFOUND && id && seen(s, id))
        return az_cli_failure("task \"%s\" cannot be read (see the warning above)", id);
    return az_cli_store_failed(rc, what, id);
}

int az_cli_store_lookup(az_cli_store *s, const char *id, asyncz_task **out)
{
    *out = NULL;
    if (!asyncz_task_id_valid(id))
        return az_cli_bad_value(
            "task id", id, 0, "not a valid id (1 to 255 of A-Z a-z 0-9 . _ @ + -, not starting with . or -)");
    int rc = asyncz_store_get_task(s->st, id, out);
    return rc ? az_cli_store_task_failed(s, rc, "cannot read the task", id) : 0;
}

int az_cli_store_list(az_cli_store *s, az_task_vec *out)
{
    memset(out, 0, sizeof *out);
    int rc = asyncz_store_list_tasks(s->st, NULL, &out->list);
    if (rc == ASYNCZ_ENOMEM)
        return az_cli_failure("out of memory while listing the tasks");
    if (rc)
        return az_cli_store_failed(rc, "cannot list the tasks", NULL);
    size_t n = asyncz_task_list_count(out->list);
    out->items = malloc((n ? n : 1) * sizeof *out->items);
    if (!out->items) {
        az_task_vec_free(out);
        return az_cli_failure("out of memory while listing the tasks");
    }
    for (size_t i = 0; i < n; i++)
        out->items[i] = asyncz_task_list_at(out->list, i);
    out->n = n;
    return 0;
}

void az_task_vec_free(az_task_vec *v)
{
    free(v->items);
    asyncz_task_list_free(v->list);
    memset(v, 0, sizeof *v);
}

int az_cli_store_update(az_cli_store *s, asyncz_task *task)
{
    int rc = asyncz_store_update_task(s->st, task);
    return rc ? az_cli_store_failed(rc, "cannot write the task", asyncz_task_id(task)) : 0;
}

void az_cli_redact_url(const char *url, char *buf, size_t size)
{
    asyncz_store_url_mask(url, buf, size);
}

int az_cli_with_store(int rc, const az_cli_common *common, az_cli_store_fn fn, void *ctx)
{
    asyncz_zone *zone = NULL;
    az_cli_store s = {0};
    if (rc == 0)
        rc = az_cli_show_zone(common, &zone);
    if (rc == 0)
        rc = az_cli_store_open(&s, common->store, 0);
    if (rc == 0)
        rc = fn(&s, common, zone, ctx);
    az_cli_store_close(&s);
    asyncz_zone_unref(zone);
    return az_cli_finish(rc);
}
