/* What every store shares: the base, opening by URL, connecting outside a scheduler, errors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/task.h"
#include "asyncz/sys/store.h"
#include "store/backend.h"
#include "core/store_open.h"

static _Thread_local char store_errmsg[512];

int az_store_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(store_errmsg, sizeof store_errmsg, fmt, ap);
    va_end(ap);
    return code;
}

const char *asyncz_store_errmsg(void)
{
    return store_errmsg;
}

int asyncz_store_base_init(asyncz_store_base *base, const asyncz_store_ops *ops)
{
    if (!base || !ops || ops->version < 2 || ops->version > ASYNCZ_STORE_OPS_VERSION || !ops->name ||
        !ops->add || !ops->update || !ops->remove || !ops->remove_all || !ops->lookup || !ops->list ||
        !ops->due || !ops->earliest || !ops->count || !ops->claim || !ops->release || !ops->destroy)
        return ASYNCZ_EINVAL;
    base->ops = ops;
    base->connected = false;
    return 0;
}

const char *asyncz_store_kind(const asyncz_store *st)
{
    return st ? ((const asyncz_store_base *)st)->ops->name : NULL;
}

void asyncz_store_free(asyncz_store *st)
{
    if (!st)
        return;
    az_store_do_close(st);
    ASYNCZ_STORE_BASE(st)->ops->destroy(st);
}

/* ---- connecting outside a scheduler -------------------------------------------------------------- */

static void standalone_wakeup(void *data)
{
    (void)data;
}

/* The host of a store connected outside a scheduler. The built-in stores copy their host; a custom store
 * may keep the pointer until it is closed, so connections take their hosts in turn from a thread-local
 * pool: a tool's connections on one thread keep theirs as long as it has fewer than this many open. */
#define STANDALONE_HOSTS 64

static const asyncz_store_host *standalone_host(asyncz_unreadable_fn fn, void *userdata, bool inspect,
                                                bool existing)
{
    static _Thread_local char identity[300];
    static _Thread_local asyncz_store_host hosts[STANDALONE_HOSTS];
    static _Thread_local unsigned next;
    char name[256] = "localhost";
    if (gethostname(name, sizeof name - 1) != 0)
        strcpy(name, "localhost");
    name[sizeof name - 1] = '\0';
    snprintf(identity, sizeof identity, "%s:%ld:tool", name, (long)getpid());
    asyncz_store_host *host = &hosts[next++ % STANDALONE_HOSTS];
    *host = (asyncz_store_host){.alias = "default",
                                .identity = identity,
                                .wakeup = standalone_wakeup,
                                .quarantined = fn,
                                .host_data = userdata,
                                .inspect = inspect,
                                .existing = existing};
    return host;
}

int asyncz_store_connect(asyncz_store *st)
{
    if (!st)
        return az_store_fail(ASYNCZ_EINVAL, "no store");
    if (ASYNCZ_STORE_BASE(st)->connected)
        return 0;
    return az_store_do_open(st, standalone_host(NULL, NULL, false, false));
}

int asyncz_store_connect_inspect(asyncz_store *st, asyncz_unreadable_fn fn, void *userdata)
{
    if (!st)
        return az_store_fail(ASYNCZ_EINVAL, "no store");
    return az_store_do_open(st, standalone_host(fn, userdata, true, false));
}

int asyncz_store_connect_existing(asyncz_store *st, asyncz_unreadable_fn fn, void *userdata)
{
    if (!st)
        return az_store_fail(ASYNCZ_EINVAL, "no store");
    return az_store_do_open(st, standalone_host(fn, userdata, true, true));
}

const char *asyncz_store_local_path(asyncz_store *st)
{
    az_backend *b = az_persist_backend(st);
    return b && b->ops->local_path ? b->ops->local_path(b) : NULL;
}

int asyncz_store_quarantined(asyncz_store *st, asyncz_quarantine_fn fn, void *userdata)
{
    if (!st || !fn)
        return az_store_fail(ASYNCZ_EINVAL, "no store or no callback");
    const asyncz_store_base *base = ASYNCZ_STORE_BASE(st);
    if (!base->connected)
        return az_store_fail(ASYNCZ_ESTATE, "the %s store is not connected", base->ops->name);
    return base->ops->quarantined ? base->ops->quarantined(st, fn, userdata) : 0;
}

int asyncz_store_instances(asyncz_store *st, asyncz_instance_fn fn, void *userdata)
{
    if (!st || !fn)
        return az_store_fail(ASYNCZ_EINVAL, "no store or no callback");
    const asyncz_store_base *base = ASYNCZ_STORE_BASE(st);
    if (!base->connected)
        return az_store_fail(ASYNCZ_ESTATE, "the %s store is not connected", base->ops->name);
    return base->ops->instances ? base->ops->instances(st, fn, userdata) : 0;
}

/* ---- adding many tasks ------------------------------------------------------------------------- */

static int compare_ids(const void *a, const void *b)
{
    return strcmp(asyncz_task_id(*(asyncz_task *const *)a), asyncz_task_id(*(asyncz_task *const *)b));
}

/* The same id twice would make the batch conflict with itself; sorted copies find it in n log n. */
static int check_distinct(asyncz_task *const *tasks, size_t n)
{
    asyncz_task **sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return az_store_fail(ASYNCZ_ENOMEM, "out of memory");
    memcpy(sorted, tasks, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_ids);
    int rc = 0;
    for (size_t i = 1; i < n && !rc; i++)
        if (compare_ids(&sorted[i - 1], &sorted[i]) == 0)
            rc = az_store_fail(ASYNCZ_EINVAL, "task id \"%s\" appears twice in the tasks to add",
                               asyncz_task_id(sorted[i]));
    free(sorted);
    return rc;
}

static int check_batch(asyncz_task *const *tasks, size_t n)
{
    if (!tasks)
        return az_store_fail(ASYNCZ_EINVAL, "no tasks");
    for (size_t i = 0; i < n; i++)
        if (!tasks[i] || !asyncz_task_id(tasks[i]))
            return az_store_fail(ASYNCZ_EINVAL, "task %zu of %zu is %s", i + 1, n,
                                 tasks[i] ? "without an id" : "NULL");
    return check_distinct(tasks, n);
}

/* A store without add_many: one by one, and what was added is removed again when one fails. The removals
 * keep the message of the failure, which is what the caller needs to read. */
static int add_one_by_one(asyncz_store *st, asyncz_task *const *tasks, size_t n)
{
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(st)->ops;
    size_t added = 0;
    int rc = 0;
    while (added < n && (rc = ops->add(st, tasks[added])) == 0)
        added++;
    if (!rc)
        return 0;
    if (rc == ASYNCZ_EEXISTS)
        az_store_fail(rc, "the %s store already holds a task with id \"%s\"", ops->name,
                      asyncz_task_id(tasks[added]));
    char msg[sizeof store_errmsg];
    memcpy(msg, store_errmsg, sizeof msg);
    while (added > 0)
        (void)ops->remove(st, asyncz_task_id(tasks[--added]));
    memcpy(store_errmsg, msg, sizeof msg);
    return rc;
}

typedef int (*add_many_fn)(asyncz_store *st, asyncz_task *const *tasks, size_t n);

/* Tables of version 2 end before add_many: never read it from them. */
static add_many_fn add_many_of(const asyncz_store_ops *ops)
{
    return ops->version >= 3 ? ops->add_many : NULL;
}

int asyncz_store_add_tasks(asyncz_store *st, asyncz_task *const *tasks, size_t n)
{
    if (!st)
        return az_store_fail(ASYNCZ_EINVAL, "no store");
    const asyncz_store_base *base = ASYNCZ_STORE_BASE(st);
    if (!base->connected)
        return az_store_fail(ASYNCZ_ESTATE, "the %s store is not connected", base->ops->name);
    if (n == 0)
        return 0;
    store_errmsg[0] = '\0';
    int rc = check_batch(tasks, n);
    if (rc)
        return rc;
    add_many_fn add_many = add_many_of(base->ops);
    return add_many ? add_many(st, tasks, n) : add_one_by_one(st, tasks, n);
}

/* ---- opening by URL ---------------------------------------------------------------------------- */

typedef int (*backend_ctor)(az_url *url, az_backend **out);

typedef struct scheme_entry {
    const char *scheme;
    backend_ctor ctor; /* NULL: not built in */
    const char *needs; /* what to build with when ctor is NULL */
} scheme_entry;

#ifdef ASYNCZ_WITH_SQLITE
#define SQLITE_CTOR az_backend_sqlite_new
#else
#define SQLITE_CTOR NULL
#endif
#ifdef ASYNCZ_WITH_POSTGRESQL
#define POSTGRESQL_CTOR az_backend_postgresql_new
#else
#define POSTGRESQL_CTOR NULL
#endif
#ifdef ASYNCZ_WITH_MARIADB
#define MARIADB_CTOR az_backend_mariadb_new
#else
#define MARIADB_CTOR NULL
#endif
#ifdef ASYNCZ_WITH_REDIS
#define REDIS_CTOR az_backend_redis_new
#else
#define REDIS_CTOR NULL
#endif
#ifdef ASYNCZ_WITH_MONGODB
#define MONGODB_CTOR az_backend_mongodb_new
#else
#define MONGODB_CTOR NULL
#endif
#ifdef ASYNCZ_WITH_FILE
#define FILE_CTOR az_backend_file_new
#else
#define FILE_CTOR NULL
#endif

static const scheme_entry schemes[] = {
    {"file", FILE_CTOR, "the file store"},
    {"sqlite", SQLITE_CTOR, "ASYNCZ_STORE_SQLITE (libsqlite3)"},
    {"postgresql", POSTGRESQL_CTOR, "ASYNCZ_STORE_POSTGRESQL (libpq)"},
    {"postgres", POSTGRESQL_CTOR, "ASYNCZ_STORE_POSTGRESQL (libpq)"},
    {"mariadb", MARIADB_CTOR, "ASYNCZ_STORE_MARIADB (MariaDB Connector/C)"},
    {"mysql", MARIADB_CTOR, "ASYNCZ_STORE_MARIADB (MariaDB Connector/C)"},
    {"redis", REDIS_CTOR, "ASYNCZ_STORE_REDIS (hiredis)"},
    {"mongodb", MONGODB_CTOR, "ASYNCZ_STORE_MONGODB (libmongoc)"},
};

static int open_memory(az_url *url, asyncz_store **out)
{
    if ((url->host && *url->host) || (url->path && *url->path) || url->n_options)
        return az_store_fail(ASYNCZ_EINVAL, "store URL \"%s\": memory:// takes no host, path or options",
                             url->text);
    return asyncz_store_memory_new(out);
}

bool asyncz_store_scheme_supported(const char *scheme)
{
    if (!scheme)
        return false;
    if (strcmp(scheme, "memory") == 0)
        return true;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strcmp(schemes[i].scheme, scheme) == 0)
            return schemes[i].ctor != NULL;
    return false;
}

static int open_backend(az_url *url, asyncz_store **out)
{
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        if (strcmp(schemes[i].scheme, url->scheme) != 0)
            continue;
        if (!schemes[i].ctor)
            return az_store_fail(ASYNCZ_EUNSUPPORTED, "store URL \"%s\": this libasyncz was built without %s",
                                 url->text, schemes[i].needs);
        az_backend *b = NULL;
        int rc = schemes[i].ctor(url, &b);
        if (!rc && (rc = az_persist_new(b, out)) == 0)
            az_persist_set_label(*out, url->text);
        return rc;
    }
    return az_store_fail(ASYNCZ_EUNSUPPORTED,
                         "store URL \"%s\": unknown scheme \"%s\" (known: memory, file, sqlite, postgresql, "
                         "mariadb, mysql, redis, mongodb)",
                         url->text, url->scheme);
}

int asyncz_store_open(asyncz_store **out, const char *url)
{
    if (!out || !url)
        return az_store_fail(ASYNCZ_EINVAL, "no URL");
    *out = NULL;
    az_url u;
    int rc = az_url_parse(url, &u);
    if (rc)
        return rc;
    store_errmsg[0] = '\0';
    rc = strcmp(u.scheme, "memory") == 0 ? open_memory(&u, out) : open_backend(&u, out);
    az_url_free(&u);
    return rc;
}
