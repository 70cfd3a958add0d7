/* The PostgreSQL store against a real server: the store conformance suite, the persistent-store suite, and
 * what is particular to this backend (URL forms and options, the layout in the database, binary records,
 * the scan cursor, LISTEN/NOTIFY wake-ups, reconnecting after the server drops a connection, and the
 * messages of failed connections). Every table a run creates is named after its process and dropped at
 * the end. */
#if __has_include(<libpq-fe.h>)

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "az_servers.h"
#include "persist_suite.h"
#include "store/backend.h"
#include "store/postgresql_internal.h"
#include "core/store_open.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define LEASE (60 * SEC)
/* Bounds for what another thread or the server does in its own time: generous, never a speed claim. */
#define WAIT_MS 15000
/* The longest tablename the store takes (AZ_PG_TABLE_MAX). */
#define AZ_PG_TABLE_MAX_TEST 52

/* ---- URLs and namespaces --------------------------------------------------------------------------- */

/* Whether this process used the server (and so may have tables to drop). */
static bool used_server;

static const char *server_url(void)
{
    used_server = true;
    return az_servers_url("postgresql");
}

/* The server URL with extra query options appended (extra starts without '?' or '&'). */
static void url_with(char *buf, size_t size, const char *extra)
{
    const char *base = server_url();
    snprintf(buf, size, "%s%s%s", base, strchr(base, '?') ? "&" : "?", extra);
}

static void table_of(char *buf, size_t size, unsigned n)
{
    snprintf(buf, size, "azt_%ld_%u", (long)getpid(), n);
}

/* Each namespace is a table of its own, named after the process and n; application_name carries the same
 * name so that a test can find its store's server connections. */
static void pg_store_url(char *buf, size_t size, unsigned n)
{
    char table[64], extra[200];
    table_of(table, sizeof table, n);
    snprintf(extra, sizeof extra, "tablename=%s&application_name=%s", table, table);
    url_with(buf, size, extra);
}

/* ---- a second, plain libpq connection (what the tests check the store against) ------------------- */

static PGconn *raw_connect(void)
{
    PGconn *c = PQconnectdb(server_url());
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("raw connection to %s: %s", server_url(), PQerrorMessage(c));
    return c;
}

/* Run sql with text parameters; the result must be rows or a command. Clear it with PQclear. */
static PGresult *raw_exec(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    return r;
}

/* The single text value sql returns (static storage; "NULL" for NULL). */
static const char *raw_value(PGconn *c, const char *sql, int n, const char *const *params)
{
    static char value[256];
    PGresult *r = raw_exec(c, sql, n, params);
    assert_int_equal(PQntuples(r), 1);
    snprintf(value, sizeof value, "%s", PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return value;
}

/* Drop this process's tables (the namespaces' and their _quarantine and _instances) and sequences. */
static int drop_own_tables(void **state)
{
    (void)state;
    if (!used_server)
        return 0;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "azt\\_%ld\\_%%", (long)getpid());
    PGconn *c = PQconnectdb(server_url());
    if (PQstatus(c) == CONNECTION_OK) {
        const char *p[] = {prefix};
        PGresult *r = PQexecParams(c,
                                   "SELECT format('DROP TABLE IF EXISTS %I CASCADE', relname) FROM pg_class "
                                   "WHERE relkind = 'r' AND relname LIKE $1",
                                   1, NULL, p, NULL, NULL, 0);
        for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
            PQclear(PQexec(c, PQgetvalue(r, i, 0)));
        PQclear(r);
        r = PQexecParams(c,
                         "SELECT format('DROP SEQUENCE IF EXISTS %I', relname) FROM pg_class "
                         "WHERE relkind = 'S' AND relname LIKE $1",
                         1, NULL, p, NULL, NULL, 0);
        for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
            PQclear(PQexec(c, PQgetvalue(r, i, 0)));
        PQclear(r);
    }
    PQfinish(c);
    return 0;
}

/* ---- stores ----------------------------------------------------------------------------------------- */

typedef struct host_log {
    int wakeups;
} host_log;

static void on_wakeup(void *data)
{
    __atomic_add_fetch(&((host_log *)data)->wakeups, 1, __ATOMIC_SEQ_CST);
}

static int wakeups(host_log *h)
{
    return __atomic_load_n(&h->wakeups, __ATOMIC_SEQ_CST);
}

typedef struct opened {
    asyncz_store *st;
    asyncz_store_host host;
    host_log log;
} opened;

static void open_url(opened *o, const char *url)
{
    memset(o, 0, sizeof *o);
    int rc = asyncz_store_open(&o->st, url);
    if (rc)
        fail_msg("open %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    o->host = (asyncz_store_host){
        .alias = "default", .identity = "pg-test", .wakeup = on_wakeup, .host_data = &o->log};
    rc = az_store_do_open(o->st, &o->host);
    if (rc)
        fail_msg("connect %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
}

static void open_ns(opened *o, unsigned n)
{
    char url[1024];
    pg_store_url(url, sizeof url, n);
    open_url(o, url);
}

static void close_store(opened *o)
{
    asyncz_store_free(o->st);
    o->st = NULL;
}

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static az_backend *backend(asyncz_store *st)
{
    az_backend *b = az_persist_backend(st);
    assert_non_null(b);
    return b;
}

static size_t count(asyncz_store *st)
{
    size_t n = 0;
    int rc = ops(st)->count(st, &n);
    if (rc)
        fail_msg("count: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait (bounded by WAIT_MS) until h has seen at least n wake-ups. */
static bool wait_wakeups(host_log *h, int n)
{
    for (int waited = 0; waited < WAIT_MS; waited += 20) {
        if (wakeups(h) >= n)
            return true;
        sleep_ms(20);
    }
    return wakeups(h) >= n;
}

/* ---- URL forms and options --------------------------------------------------------------------------- */

static int open_status(const char *url)
{
    asyncz_store *st = NULL;
    int rc = asyncz_store_open(&st, url);
    asyncz_store_free(st);
    return rc;
}

static void pg_url_forms(void **state)
{
    (void)state;
    const char *good[] = {
        "postgresql://u:p@db.example:5432/jobs",
        "postgres://u@db.example/jobs?tablename=my_jobs",
        "postgresql://[::1]:5433/jobs?connect_timeout=3&sslmode=disable&notify=false",
        "postgresql:///jobs?application_name=worker-1",
        "postgresql://localhost",
        "sqlalchemy+postgresql://u@localhost/jobs",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        asyncz_store *st = NULL;
        int rc = asyncz_store_open(&st, good[i]);
        if (rc)
            fail_msg("%s: %s: %s", good[i], asyncz_strerror(rc), asyncz_store_errmsg());
        assert_string_equal(asyncz_store_kind(st), "postgresql");
        asyncz_store_free(st);
    }
}

static void pg_caps(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, "postgresql://localhost/jobs"), 0);
    assert_int_equal(ops(st)->caps,
                     ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED | ASYNCZ_STORE_CAP_NOTIFY);
    asyncz_store_free(st);
    assert_int_equal(asyncz_store_open(&st, "postgresql://localhost/jobs?notify=false"), 0);
    assert_int_equal(ops(st)->caps, ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED);
    asyncz_store_free(st);
}

/* An option refused with ASYNCZ_EINVAL and a message containing want. */
static void assert_refused(const char *url, const char *want)
{
    int rc = open_status(url);
    if (rc != ASYNCZ_EINVAL)
        fail_msg("%s: expected ASYNCZ_EINVAL, got %s", url, asyncz_err_name(rc));
    if (!strstr(asyncz_store_errmsg(), want))
        fail_msg("%s: message \"%s\" does not mention \"%s\"", url, asyncz_store_errmsg(), want);
}

static void pg_tablename_injection_refused(void **state)
{
    (void)state;
    /* x";DROP TABLE y;-- and x' OR '1 percent-encoded: never reach the server. */
    assert_refused("postgresql://localhost/jobs?tablename=x%22%3BDROP%20TABLE%20y%3B--", "tablename");
    assert_refused("postgresql://localhost/jobs?tablename=x%27%20OR%20%271", "tablename");
    assert_refused("postgresql://localhost/jobs?tablename=a.b", "tablename");
    assert_refused("postgresql://localhost/jobs?tablename=9lives", "tablename");
    assert_refused("postgresql://localhost/jobs?tablename=", "tablename");
}

static void pg_tablename_length(void **state)
{
    (void)state;
    char url[200];
    /* 52 bytes is the longest: "_quarantine" must still fit PostgreSQL's 63. */
    snprintf(url, sizeof url, "postgresql://localhost/jobs?tablename=%.52s",
             "t123456789012345678901234567890123456789012345678901234567890");
    assert_int_equal(open_status(url), 0);
    snprintf(url, sizeof url, "postgresql://localhost/jobs?tablename=%.53s",
             "t123456789012345678901234567890123456789012345678901234567890");
    assert_refused(url, "longer than 52");
}

static void pg_bad_options(void **state)
{
    (void)state;
    assert_refused("postgresql://localhost/jobs?connect_timeout=soon", "connect_timeout");
    assert_refused("postgresql://localhost/jobs?connect_timeout=0", "connect_timeout");
    assert_refused("postgresql://localhost/jobs?connect_timeout=5x", "connect_timeout");
    assert_refused("postgresql://localhost/jobs?notify=maybe", "notify");
    assert_refused("postgresql://localhost/jobs?table=x", "known: tablename");
    assert_refused("postgresql://localhost/a/b", "one database name");
}

/* ---- layout ------------------------------------------------------------------------------------------- */

static void pg_layout(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 1);
    char t[64], q[160];
    table_of(t, sizeof t, 1);
    const char *suffixes[] = {"", "_quarantine", "_instances", "_seq", "_order", "_lease"};
    PGconn *c = raw_connect();
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(q, sizeof q, "\"%s%s\"", t, suffixes[i]);
        const char *p[] = {q};
        if (strcmp(raw_value(c, "SELECT to_regclass($1) IS NOT NULL", 1, p), "t") != 0)
            fail_msg("%s was not created", q);
    }
    az_test_add(o.st, "paused", ASYNCZ_TIME_NONE);
    az_test_add(o.st, "due", T0);
    asyncz_claim cl;
    size_t n = 0;
    assert_int_equal(ops(o.st)->claim(o.st, T0, "owner-1", LEASE, 5, &cl, &n), 0);
    assert_int_equal(n, 1);
    asyncz_task_free(cl.task);
    snprintf(q, sizeof q,
             "SELECT next_run_time IS NULL, owner IS NULL, lease_until IS NULL FROM \"%s\" "
             "WHERE id = 'paused'",
             t);
    PGresult *r = raw_exec(c, q, 0, NULL);
    assert_string_equal(PQgetvalue(r, 0, 0), "t");
    assert_string_equal(PQgetvalue(r, 0, 1), "t");
    assert_string_equal(PQgetvalue(r, 0, 2), "t");
    PQclear(r);
    snprintf(q, sizeof q, "SELECT next_run_time, owner, lease_until, token FROM \"%s\" WHERE id = 'due'", t);
    r = raw_exec(c, q, 0, NULL);
    char want[64];
    snprintf(want, sizeof want, "%lld", (long long)T0);
    assert_string_equal(PQgetvalue(r, 0, 0), want);
    assert_string_equal(PQgetvalue(r, 0, 1), "owner-1");
    snprintf(want, sizeof want, "%lld", (long long)(T0 + LEASE));
    assert_string_equal(PQgetvalue(r, 0, 2), want);
    snprintf(want, sizeof want, "%llu", (unsigned long long)cl.token);
    assert_string_equal(PQgetvalue(r, 0, 3), want);
    PQclear(r);
    PQfinish(c);
    close_store(&o);
}

/* The token and the seq values come from the one sequence: a token is above every seq handed out before. */
static void pg_tokens_from_sequence(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 1);
    az_test_add(o.st, "a", T0);
    char t[64], q[160];
    table_of(t, sizeof t, 1);
    PGconn *c = raw_connect();
    snprintf(q, sizeof q, "SELECT seq FROM \"%s\" WHERE id = 'a'", t);
    unsigned long long seq = strtoull(raw_value(c, q, 0, NULL), NULL, 10);
    asyncz_claim cl;
    size_t n = 0;
    assert_int_equal(ops(o.st)->claim(o.st, T0, "me", LEASE, 1, &cl, &n), 0);
    assert_int_equal(n, 1);
    assert_true(cl.token > seq);
    snprintf(q, sizeof q, "SELECT last_value FROM \"%s_seq\"", t);
    assert_int_equal(strtoull(raw_value(c, q, 0, NULL), NULL, 10), cl.token);
    asyncz_task_free(cl.task);
    PQfinish(c);
    close_store(&o);
}

/* ---- records through the backend ----------------------------------------------------------------------- */

typedef struct got {
    int calls;
    unsigned char data[64];
    size_t len;
    asyncz_time_t next_run_time;
} got;

static int keep_found(const az_found *rec, void *userdata)
{
    got *g = userdata;
    g->calls++;
    g->len = rec->len < sizeof g->data ? rec->len : sizeof g->data;
    memcpy(g->data, rec->data, g->len);
    g->next_run_time = rec->next_run_time;
    return 0;
}

static void pg_binary_records(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 1);
    az_backend *b = backend(o.st);
    static const unsigned char bytes[] = {0, 1, 0, 0xff, '\\', 'x', 0, '\'', 0x80};
    az_record rec = {.id = "bin", .next_run_time = T0 + 7, .data = bytes, .len = sizeof bytes};
    assert_int_equal(b->ops->insert(b, &rec), 0);
    got g = {0};
    assert_int_equal(b->ops->get(b, "bin", keep_found, &g), 0);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.len, sizeof bytes);
    assert_memory_equal(g.data, bytes, sizeof bytes);
    assert_int_equal(g.next_run_time, T0 + 7);
    az_record empty = {.id = "empty", .next_run_time = ASYNCZ_TIME_NONE, .data = NULL, .len = 0};
    assert_int_equal(b->ops->insert(b, &empty), 0);
    g = (got){0};
    assert_int_equal(b->ops->get(b, "empty", keep_found, &g), 0);
    assert_int_equal(g.len, 0);
    assert_int_equal(g.next_run_time, ASYNCZ_TIME_NONE);
    assert_int_equal(b->ops->get(b, "none", keep_found, &g), ASYNCZ_ENOTFOUND);
    close_store(&o);
}

typedef struct scan_stop {
    int seen;
    int stop_at;
} scan_stop;

static int stop_at(const az_found *rec, void *userdata)
{
    (void)rec;
    scan_stop *s = userdata;
    return ++s->seen == s->stop_at ? 42 : 0;
}

/* The scan reads pages through a cursor: stopping in the middle ends its transaction, and the store goes
 * on working. */
static void pg_scan_stops_midway(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 1);
    az_backend *b = backend(o.st);
    for (int i = 0; i < 600; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%03d", i);
        az_record rec = {.id = id, .next_run_time = T0 + i, .data = (const unsigned char *)"x", .len = 1};
        assert_int_equal(b->ops->insert(b, &rec), 0);
    }
    scan_stop s = {0, 300};
    assert_int_equal(b->ops->scan(b, stop_at, &s), 42);
    assert_int_equal(s.seen, 300);
    s = (scan_stop){0, 0};
    assert_int_equal(b->ops->scan(b, stop_at, &s), 0);
    assert_int_equal(s.seen, 600);
    assert_int_equal(count(o.st), 600);
    close_store(&o);
}

static void pg_not_open(void **state)
{
    (void)state;
    char url[1024];
    pg_store_url(url, sizeof url, 1);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    az_backend *b = backend(st);
    size_t n = 0;
    assert_int_equal(b->ops->count(b, &n), ASYNCZ_ESTATE);
    assert_non_null(strstr(asyncz_store_errmsg(), "not open"));
    asyncz_store_free(st);
}

/* A failing statement is ASYNCZ_ESTORE naming the store, the statement and the server's reason. */
static void pg_sql_error_message(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 1);
    assert_int_equal(count(o.st), 0);
    char t[64], q[160];
    table_of(t, sizeof t, 1);
    PGconn *c = raw_connect();
    snprintf(q, sizeof q, "DROP TABLE \"%s\"", t);
    PQclear(raw_exec(c, q, 0, NULL));
    PQfinish(c);
    size_t n = 0;
    assert_int_equal(ops(o.st)->count(o.st, &n), ASYNCZ_ESTORE);
    const char *msg = asyncz_store_errmsg();
    if (!strstr(msg, "postgresql ") || !strstr(msg, t) || !strstr(msg, "SELECT count") ||
        !strstr(msg, "does not exist"))
        fail_msg("unexpected message: %s", msg);
    assert_null(strchr(msg, '\n'));
    close_store(&o);
}

/* ---- several store objects ---------------------------------------------------------------------------- */

/* The URL is made before the thread starts: the URL helpers keep static state. */
typedef struct opener {
    char url[1024];
    int rc;
} opener;

static void *open_concurrently(void *arg)
{
    opener *op = arg;
    asyncz_store *st = NULL;
    op->rc = asyncz_store_open(&st, op->url);
    if (!op->rc)
        op->rc = asyncz_store_connect(st);
    asyncz_store_free(st);
    return NULL;
}

/* Schedulers starting together on a new table: the tables are created once, nobody fails. */
static void pg_concurrent_create(void **state)
{
    (void)state;
    enum { N = 4 };
    pthread_t th[N];
    opener op[N];
    for (int i = 0; i < N; i++) {
        op[i].rc = -1;
        pg_store_url(op[i].url, sizeof op[i].url, 7);
        assert_int_equal(pthread_create(&th[i], NULL, open_concurrently, &op[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(op[i].rc, 0);
    }
}

#define CLAIM_TASKS 300
#define CLAIMERS 3

typedef struct claimer {
    asyncz_store *st;
    int ids[CLAIM_TASKS];
    int n;
    int rc;
} claimer;

static void *claim_all(void *arg)
{
    claimer *cl = arg;
    for (;;) {
        asyncz_claim batch[7];
        size_t n = 0;
        cl->rc = ops(cl->st)->claim(cl->st, T0, "racer", LEASE, 7, batch, &n);
        if (cl->rc || n == 0)
            return NULL;
        for (size_t i = 0; i < n; i++) {
            cl->ids[cl->n++] = atoi(asyncz_task_id(batch[i].task) + 1);
            asyncz_task_free(batch[i].task);
        }
    }
}

/* Store objects claiming at the same time (each its own connection, as separate processes) take disjoint
 * sets whose union is everything due. */
static void pg_concurrent_claims_disjoint(void **state)
{
    (void)state;
    opened o[CLAIMERS];
    for (int i = 0; i < CLAIMERS; i++)
        open_ns(&o[i], 1);
    for (int i = 0; i < CLAIM_TASKS; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%d", i);
        az_test_add(o[0].st, id, T0 - i);
    }
    static claimer cl[CLAIMERS];
    pthread_t th[CLAIMERS];
    for (int i = 0; i < CLAIMERS; i++) {
        cl[i] = (claimer){.st = o[i].st};
        assert_int_equal(pthread_create(&th[i], NULL, claim_all, &cl[i]), 0);
    }
    int seen[CLAIM_TASKS] = {0};
    for (int i = 0; i < CLAIMERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(cl[i].rc, 0);
        for (int k = 0; k < cl[i].n; k++)
            seen[cl[i].ids[k]]++;
    }
    for (int i = 0; i < CLAIM_TASKS; i++)
        if (seen[i] != 1)
            fail_msg("task t%d claimed %d times", i, seen[i]);
    for (int i = 0; i < CLAIMERS; i++)
        close_store(&o[i]);
}

/* ---- notifications -------------------------------------------------------------------------------- */

/* A task added or updated through one store object wakes the other; a store is not woken by its own
 * writes. */
static void pg_notify_wakes_other(void **state)
{
    (void)state;
    opened a, b;
    open_ns(&a, 1);
    open_ns(&b, 1);
    az_test_add(b.st, "from-b", T0);
    if (!wait_wakeups(&a.log, 1))
        fail_msg("no wake-up within %d ms after another store object added a task", WAIT_MS);
    asyncz_task *t = NULL;
    assert_int_equal(ops(b.st)->lookup(b.st, "from-b", &t), 0);
    assert_int_equal(asyncz_task_set_next_run_time(t, T0 + SEC), 0);
    int before = wakeups(&a.log);
    assert_int_equal(ops(b.st)->update(b.st, t), 0);
    asyncz_task_free(t);
    if (!wait_wakeups(&a.log, before + 1))
        fail_msg("no wake-up within %d ms after another store object updated a task", WAIT_MS);
    /* b's own notifications reached b's listener at about the same time as a's: it ignored them. */
    sleep_ms(300);
    assert_int_equal(wakeups(&b.log), 0);
    close_store(&a);
    close_store(&b);
}

/* With notify=false there is no listener: nothing wakes the store, writes still work. */
static void pg_notify_off(void **state)
{
    (void)state;
    char url[1024], table[64], extra[128];
    table_of(table, sizeof table, 1);
    snprintf(extra, sizeof extra, "tablename=%s&notify=false", table);
    url_with(url, sizeof url, extra);
    opened quiet, b;
    open_url(&quiet, url);
    open_ns(&b, 1);
    az_test_add(b.st, "x", T0);
    sleep_ms(300);
    assert_int_equal(wakeups(&quiet.log), 0);
    assert_int_equal(count(quiet.st), 1);
    close_store(&quiet);
    close_store(&b);
}

/* ---- connections lost ----------------------------------------------------------------------------- */

/* Terminate the server processes of namespace n's connections (the listener's or the others), waiting
 * until they are gone. Returns how many. */
static int terminate(unsigned n, bool listener)
{
    char table[64];
    table_of(table, sizeof table, n);
    const char *p[] = {table};
    /* The CTE picks the connections first: in a plain WHERE the planner may call pg_terminate_backend
     * before the other conditions. */
    const char *sql =
        listener ? "WITH v AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE application_name = "
                   "$1 AND query LIKE 'LISTEN%') SELECT count(*) FROM v WHERE "
                   "pg_terminate_backend(pid, 10000)"
                 : "WITH v AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE application_name = "
                   "$1 AND query NOT LIKE 'LISTEN%') SELECT count(*) FROM v WHERE "
                   "pg_terminate_backend(pid, 10000)";
    PGconn *c = raw_connect();
    int killed = atoi(raw_value(c, sql, 1, p));
    PQfinish(c);
    return killed;
}

/* The server dropped the store's connection: the next call may fail (ESTORE, with a message) or succeed;
 * the one after that has reconnected and succeeds. */
static void pg_reconnect_after_terminate(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 1);
    az_test_add(o.st, "a", T0);
    assert_int_equal(terminate(1, false), 1);
    size_t n = 0;
    int rc = ops(o.st)->count(o.st, &n);
    if (rc != 0 && rc != ASYNCZ_ESTORE)
        fail_msg("first call after the drop: %s", asyncz_err_name(rc));
    if (rc)
        assert_non_null(strstr(asyncz_store_errmsg(), "postgresql "));
    assert_int_equal(count(o.st), 1);
    az_test_add(o.st, "b", T0);
    asyncz_claim cl[2];
    assert_int_equal(ops(o.st)->claim(o.st, T0, "me", LEASE, 2, cl, &n), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ops(o.st)->release(o.st, asyncz_task_id(cl[i].task), cl[i].token, NULL), 0);
        asyncz_task_free(cl[i].task);
    }
    assert_int_equal(count(o.st), 0);
    close_store(&o);
}

/* Every call on a dropped connection is answered: a write that failed is reported, never silently lost. */
static void pg_reconnect_write(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 1);
    assert_int_equal(terminate(1, false), 1);
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, "job"), 0);
    assert_int_equal(asyncz_task_set_id(t, "w"), 0);
    assert_int_equal(asyncz_task_set_next_run_time(t, T0), 0);
    int rc = ops(o.st)->add(o.st, t);
    if (rc == ASYNCZ_ESTORE)
        rc = ops(o.st)->add(o.st, t);
    assert_int_equal(rc, 0);
    asyncz_task_free(t);
    assert_int_equal(count(o.st), 1);
    close_store(&o);
}

/* The listener's connection dropped: it connects again by itself (waking the store once, since
 * notifications may have been missed) and wakes it for other objects' writes as before. */
static void pg_listener_reconnects(void **state)
{
    (void)state;
    opened a, b;
    open_ns(&a, 1);
    open_ns(&b, 1);
    assert_int_equal(terminate(1, true), 2);
    if (!wait_wakeups(&a.log, 1))
        fail_msg("the listener did not reconnect within %d ms", WAIT_MS);
    int before = wakeups(&a.log);
    az_test_add(b.st, "after", T0);
    if (!wait_wakeups(&a.log, before + 1))
        fail_msg("no wake-up within %d ms after the listener reconnected", WAIT_MS);
    close_store(&a);
    close_store(&b);
}

/* ---- journals ------------------------------------------------------------------------------------- */

/* Journal entry i of task: ids of larger i sort after those of smaller i. id has AZ_JOURNAL_ID_LEN + 1
 * bytes. */
static az_jentry jentry(char *id, unsigned i, const char *task, const char *data)
{
    snprintf(id, AZ_JOURNAL_ID_LEN + 1, "0190%04x-%04x-7000-8000-%012x", i >> 16, i & 0xffff, i);
    return (az_jentry){.id = id,
                       .task_id = task,
                       .at = T0 + (asyncz_time_t)i,
                       .end_at = T0 + 2 * (asyncz_time_t)i,
                       .status = (int)(i % 32),
                       .who = "pg-test",
                       .data = (const unsigned char *)data,
                       .len = strlen(data)};
}

static void jput_one(az_backend *b, az_journal j, unsigned i, const char *task)
{
    char id[AZ_JOURNAL_ID_LEN + 1];
    az_jentry e = jentry(id, i, task, "{\"x\": 1}");
    int rc = b->ops->journal_put(b, j, &e, 1);
    if (rc)
        fail_msg("journal_put: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
}

static int count_entry(const az_jentry *e, void *userdata)
{
    (void)e;
    (*(size_t *)userdata)++;
    return 0;
}

static size_t jcount(az_backend *b, az_journal j)
{
    az_jquery q = {.since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 10000};
    size_t n = 0;
    int rc = b->ops->journal_list(b, j, &q, count_entry, &n);
    if (rc)
        fail_msg("journal_list: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return n;
}

/* Each journal is a table with its indexes, ids compared bytewise (collation "C" whatever the database's),
 * the columns stored as given beside the bytes. */
static void pg_journal_layout(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 41);
    char t[64], q[256];
    table_of(t, sizeof t, 41);
    const char *suffixes[] = {"_runs",  "_runs_task",  "_runs_stat",  "_runs_end",
                              "_audit", "_audit_task", "_audit_stat", "_audit_end"};
    PGconn *c = raw_connect();
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(q, sizeof q, "\"%s%s\"", t, suffixes[i]);
        const char *p[] = {q};
        if (strcmp(raw_value(c, "SELECT to_regclass($1) IS NOT NULL", 1, p), "t") != 0)
            fail_msg("%s was not created", q);
    }
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++) {
        snprintf(q, sizeof q, "%s_%s", t, az_journal_name((az_journal)j));
        const char *p[] = {q};
        assert_string_equal(raw_value(c,
                                      "SELECT string_agg(column_name || ':' || collation_name, ',' ORDER BY "
                                      "column_name) FROM information_schema.columns WHERE table_name = $1 "
                                      "AND collation_name IS NOT NULL AND column_name IN ('id', 'task_id')",
                                      1, p),
                            "id:C,task_id:C");
    }
    az_backend *b = backend(o.st);
    char id[AZ_JOURNAL_ID_LEN + 1];
    az_jentry e = jentry(id, 7, "the-task", "{\"a\": 1}");
    assert_int_equal(b->ops->journal_put(b, AZ_JOURNAL_AUDIT, &e, 1), 0);
    snprintf(q, sizeof q,
             "SELECT task_id || ' ' || (at - %lld) || ' ' || (end_at - %lld) || ' ' || status || ' ' || who "
             "|| ' ' "
             "|| convert_from(data, 'UTF8') FROM \"%s_audit\" WHERE id = $1",
             (long long)T0, (long long)T0, t);
    const char *p[] = {id};
    assert_string_equal(raw_value(c, q, 1, p), "the-task 7 14 7 pg-test {\"a\": 1}");
    snprintf(q, sizeof q, "SELECT count(*) FROM \"%s_runs\"", t);
    assert_string_equal(raw_value(c, q, 0, NULL), "0");
    PQfinish(c);
    close_store(&o);
}

/* The longest tablename (52 bytes) leaves room for every journal name, the primary keys' included: none is
 * cut to 63 bytes onto another. */
static void pg_journal_long_tablename(void **state)
{
    (void)state;
    char t[64], url[1024], extra[200], q[160];
    /* azt_<pid>_ (so that the end of the run drops it), then x up to the longest length. */
    int len = snprintf(t, sizeof t, "azt_%ld_", (long)getpid());
    memset(t + len, 'x', sizeof t - (size_t)len);
    t[AZ_PG_TABLE_MAX_TEST] = '\0';
    snprintf(extra, sizeof extra, "tablename=%s", t);
    url_with(url, sizeof url, extra);
    opened o;
    open_url(&o, url);
    jput_one(backend(o.st), AZ_JOURNAL_AUDIT, 1, "t");
    const char *suffixes[] = {"_audit", "_audit_task", "_audit_stat", "_audit_end", "_audit_pkey",
                              "_runs",  "_runs_task",  "_runs_stat",  "_runs_end",  "_runs_pkey"};
    PGconn *c = raw_connect();
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(q, sizeof q, "\"%s%s\"", t, suffixes[i]);
        assert_true(strlen(q) - 2 <= 63);
        const char *p[] = {q};
        if (strcmp(raw_value(c, "SELECT to_regclass($1) IS NOT NULL", 1, p), "t") != 0)
            fail_msg("%s was not created", q);
    }
    PQfinish(c);
    close_store(&o);
}

/* Wait (bounded by WAIT_MS) until c has received at least one notification; then give others that would
 * have been sent with it a moment to arrive. Returns how many arrived, each on channel. */
static int notifications(PGconn *c, const char *channel)
{
    int arrived = 0, since_first = 0;
    for (int waited = 0; waited < WAIT_MS && since_first < 300; waited += 20) {
        sleep_ms(20);
        since_first += arrived ? 20 : 0;
        assert_int_equal(PQconsumeInput(c), 1);
        for (PGnotify *n = PQnotifies(c); n; n = PQnotifies(c)) {
            assert_string_equal(n->relname, channel);
            PQfreemem(n);
            arrived++;
        }
    }
    return arrived;
}

/* Journal writes are not task changes: they send no NOTIFY. A task added after them sends one, which arrives
 * after any they would have sent (notifications come in commit order): exactly one arrives. */
static void pg_journal_no_notify(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 42);
    char t[64], q[128];
    table_of(t, sizeof t, 42);
    snprintf(q, sizeof q, "%s_wakeup", t);
    PGconn *c = raw_connect();
    char listen[160];
    snprintf(listen, sizeof listen, "LISTEN \"%s\"", q);
    PQclear(raw_exec(c, listen, 0, NULL));
    az_backend *b = backend(o.st);
    for (unsigned i = 1; i <= 4; i++)
        jput_one(b, i % 2 ? AZ_JOURNAL_RUNS : AZ_JOURNAL_AUDIT, i, "t");
    size_t removed = 0;
    assert_int_equal(b->ops->journal_prune_age(b, AZ_JOURNAL_RUNS, T0 + 3, 10, &removed), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(b->ops->journal_trim_task(b, AZ_JOURNAL_AUDIT, "t", 1, 10, &removed), 0);
    assert_int_equal(removed, 1);
    az_test_add(o.st, "marker", T0);
    assert_int_equal(notifications(c, q), 1);
    PQfinish(c);
    close_store(&o);
}

/* The server dropped the store's connection: the journals' statements are prepared again on the new one. */
static void pg_journal_reconnect(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 43);
    az_backend *b = backend(o.st);
    jput_one(b, AZ_JOURNAL_RUNS, 1, "t");
    assert_int_equal(jcount(b, AZ_JOURNAL_RUNS), 1);
    size_t seen = 0;
    char id[AZ_JOURNAL_ID_LEN + 1];
    jentry(id, 1, "t", "");
    assert_int_equal(b->ops->journal_get(b, AZ_JOURNAL_RUNS, id, count_entry, &seen), 0);
    assert_int_equal(terminate(43, false), 1);
    az_jentry e = jentry(id, 2, "t", "{}");
    int rc = b->ops->journal_put(b, AZ_JOURNAL_RUNS, &e, 1);
    if (rc == ASYNCZ_ESTORE)
        rc = b->ops->journal_put(b, AZ_JOURNAL_RUNS, &e, 1);
    if (rc)
        fail_msg("journal_put after reconnecting: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    rc = b->ops->journal_get(b, AZ_JOURNAL_RUNS, id, count_entry, &seen);
    if (rc)
        fail_msg("journal_get after reconnecting: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    assert_int_equal(seen, 2);
    size_t removed = 0;
    assert_int_equal(b->ops->journal_trim_task(b, AZ_JOURNAL_RUNS, "t", 1, 5, &removed), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(jcount(b, AZ_JOURNAL_RUNS), 1);
    close_store(&o);
}

/* A listing's entries in order: each id's number must be the one before minus step. */
typedef struct run_check {
    unsigned next;
    unsigned step;
    size_t n;
    bool in_order;
    size_t stop_after;
} run_check;

static int check_run(const az_jentry *e, void *userdata)
{
    run_check *c = userdata;
    unsigned i = (unsigned)strtoul(e->id + 24, NULL, 16);
    if (i != c->next)
        c->in_order = false;
    c->next = i - c->step;
    c->n++;
    return c->stop_after && c->n == c->stop_after ? 5 : 0;
}

/* Listings longer than a page (the backend fetches 128 rows a statement) carry on exactly below the last
 * entry handed out: no entry skipped or repeated, with filters, and a stop in the second page stops there. */
static void pg_journal_list_pages(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 45);
    az_backend *b = backend(o.st);
    enum { N = 700 };
    static char ids[N][AZ_JOURNAL_ID_LEN + 1];
    static az_jentry e[N];
    for (unsigned i = 0; i < N; i++)
        e[i] = jentry(ids[i], i + 1, (i + 1) % 2 ? "odd" : "even", "{}");
    assert_int_equal(b->ops->journal_put(b, AZ_JOURNAL_RUNS, e, N), 0);
    az_jquery q = {.task_id = "odd", .since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 300};
    run_check c = {.next = 699, .step = 2, .in_order = true};
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_RUNS, &q, check_run, &c), 0);
    assert_int_equal(c.n, 300);
    assert_true(c.in_order);
    q = (az_jquery){.since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 10000};
    c = (run_check){.next = 700, .step = 1, .in_order = true};
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_RUNS, &q, check_run, &c), 0);
    assert_int_equal(c.n, N);
    assert_true(c.in_order);
    q.before = ids[599]; /* entry 600 */
    c = (run_check){.next = 599, .step = 1, .in_order = true, .stop_after = 150};
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_RUNS, &q, check_run, &c), 5);
    assert_int_equal(c.n, 150);
    assert_true(c.in_order);
    close_store(&o);
}

/* Put entries first..last-1 of a history: entry i at `at`(i), status 2 for one in ten, tasks task-0..99. */
static void put_history(az_backend *b, unsigned first, unsigned last, asyncz_time_t (*at)(unsigned))
{
    enum { BATCH = 1000 };
    static char ids[BATCH][AZ_JOURNAL_ID_LEN + 1], tasks[BATCH][16];
    static az_jentry e[BATCH];
    for (unsigned start = first; start < last; start += BATCH) {
        unsigned n = last - start < BATCH ? last - start : BATCH;
        for (unsigned k = 0; k < n; k++) {
            unsigned i = start + k;
            snprintf(tasks[k], sizeof tasks[k], "task-%u", i % 100);
            e[k] = jentry(ids[k], i, tasks[k], "{\"output\": \"some text of a run\"}");
            e[k].at = e[k].end_at = at(i);
            e[k].status = i % 10 == 0 ? 2 : 0;
        }
        int rc = b->ops->journal_put(b, AZ_JOURNAL_RUNS, e, n);
        if (rc)
            fail_msg("journal_put: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    }
}

#define DAY (86400 * SEC)

/* 20,000 entries over the 29 days before the last, then 2,000 in the last day. */
static asyncz_time_t history_at(unsigned i)
{
    if (i < 20000)
        return T0 - 30 * DAY + (asyncz_time_t)i * (29 * DAY / 20000);
    return T0 - DAY + (asyncz_time_t)(i - 20000) * (DAY / 2000);
}

static const char *list_plan(az_backend *b, const az_jquery *q)
{
    static char plan[4096];
    int rc = az_pg_journal_list_plan(b, AZ_JOURNAL_RUNS, q, plan, sizeof plan);
    if (rc)
        fail_msg("plan: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return plan;
}

/* Listings walk an index in id order and stop at the limit, even when the table's statistics are older than
 * its newest entries (as they always are between two ANALYZEs), where a listing of the last day looks: no
 * scan of the whole table, no sort. */
static void pg_journal_plans(void **state)
{
    (void)state;
    opened o;
    open_ns(&o, 46);
    az_backend *b = backend(o.st);
    put_history(b, 0, 20000, history_at);
    char t[64], q[128];
    table_of(t, sizeof t, 46);
    snprintf(q, sizeof q, "ANALYZE \"%s_runs\"", t);
    PGconn *c = raw_connect();
    PQclear(raw_exec(c, q, 0, NULL));
    PQfinish(c);
    put_history(b, 20000, 22000, history_at);

    az_jquery failed = {.statuses = 1u << 2, .since = T0 - DAY, .until = ASYNCZ_TIME_NONE, .limit = 100};
    az_jquery task = {.task_id = "task-7", .since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 50};
    az_jquery newest = {.since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 100};
    const az_jquery *queries[] = {&failed, &task, &newest};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        const char *plan = list_plan(b, queries[i]);
        if (strstr(plan, "Seq Scan") || strstr(plan, "Sort") || !strstr(plan, "Index"))
            fail_msg("listing %zu: %s", i, plan);
    }
    assert_non_null(strstr(list_plan(b, &task), "_runs_task"));
    run_check ck = {.next = 21990, .step = 10, .in_order = true};
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_RUNS, &failed, check_run, &ck), 0);
    assert_int_equal(ck.n, 100);
    assert_true(ck.in_order);
    close_store(&o);
}

#define RACE_ENTRIES 400
#define RACE_ROUNDS 25

typedef struct racer {
    asyncz_store *st;
    bool descending;
    int rc;
    char msg[400];
} racer;

/* Upsert the same entries again and again, in ascending or descending order of id. */
static void *put_rounds(void *arg)
{
    racer *r = arg;
    az_backend *b = az_persist_backend(r->st);
    static char ids[2][RACE_ENTRIES][AZ_JOURNAL_ID_LEN + 1];
    az_jentry e[RACE_ENTRIES];
    for (int round = 0; !r->rc && round < RACE_ROUNDS; round++) {
        for (unsigned k = 0; k < RACE_ENTRIES; k++) {
            unsigned i = r->descending ? RACE_ENTRIES - k : k + 1;
            e[k] = jentry(ids[r->descending][k], i, "race",
                          r->descending ? "{\"by\": \"down\"}" : "{\"by\": \"up\"}");
        }
        r->rc = b->ops->journal_put(b, AZ_JOURNAL_RUNS, e, RACE_ENTRIES);
        if (r->rc)
            snprintf(r->msg, sizeof r->msg, "%s", asyncz_store_errmsg());
    }
    return NULL;
}

/* Batches from two schedulers that share entries, in opposite orders, wait for each other rather than
 * deadlock (the server would abort one of them). */
static void pg_journal_batches_cross(void **state)
{
    (void)state;
    opened o[2];
    racer r[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        open_ns(&o[i], 44);
        r[i] = (racer){.st = o[i].st, .descending = i == 1};
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, put_rounds, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++)
        if (r[i].rc)
            fail_msg("racer %d: %s: %s", i, asyncz_strerror(r[i].rc), r[i].msg);
    assert_int_equal(jcount(backend(o[0].st), AZ_JOURNAL_RUNS), RACE_ENTRIES);
    for (int i = 0; i < 2; i++)
        close_store(&o[i]);
}

/* ---- failed connections ---------------------------------------------------------------------------- */

/* Whether the server checks passwords: the test servers may trust every local connection. */
static bool server_checks_passwords(const char *url)
{
    PGconn *c = PQconnectdb(url);
    bool refused = PQstatus(c) != CONNECTION_OK;
    PQfinish(c);
    return refused;
}

/* A server URL with user (and password) replaced, keeping host, port and database. */
static void url_as(char *buf, size_t size, const char *userinfo)
{
    const char *base = server_url();
    const char *rest = strstr(base, "://");
    assert_non_null(rest);
    rest += 3;
    const char *at = strchr(rest, '@');
    const char *slash = strchr(rest, '/');
    if (at && (!slash || at < slash))
        rest = at + 1;
    snprintf(buf, size, "postgresql://%s@%s", userinfo, rest);
}

/* Connecting with a wrong password (or, on a server that trusts local connections, as a role that does
 * not exist) is ASYNCZ_ESTORE with the server's reason, never the password. */
static void pg_wrong_password(void **state)
{
    (void)state;
    char url[1024], userinfo[128];
    PGconn *c = raw_connect();
    snprintf(userinfo, sizeof userinfo, "%s:wrong-secret-pw", PQuser(c));
    PQfinish(c);
    url_as(url, sizeof url, userinfo);
    const char *want = "password authentication failed";
    if (!server_checks_passwords(url)) {
        url_as(url, sizeof url, "asyncz_no_such_role:wrong-secret-pw");
        want = "asyncz_no_such_role";
    }
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect(st), ASYNCZ_ESTORE);
    const char *msg = asyncz_store_errmsg();
    if (!strstr(msg, want) || !strstr(msg, "postgresql ") || !strstr(msg, "connect"))
        fail_msg("unexpected message: %s", msg);
    assert_null(strstr(msg, "wrong-secret-pw"));
    asyncz_store_free(st);
}

static void pg_unreachable_message(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, "postgresql://u:hidden-pw@127.0.0.1:1/jobs?connect_timeout=5"),
                     0);
    assert_int_equal(asyncz_store_connect(st), ASYNCZ_ESTORE);
    const char *msg = asyncz_store_errmsg();
    if (!strstr(msg, "postgresql 127.0.0.1:1/jobs") || !strstr(msg, "refused"))
        fail_msg("unexpected message: %s", msg);
    assert_null(strstr(msg, "hidden-pw"));
    assert_null(strchr(msg, '\n'));
    asyncz_store_free(st);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        AZ_STORE_SUITES,
        cmocka_unit_test(pg_url_forms),
        cmocka_unit_test(pg_caps),
        cmocka_unit_test(pg_tablename_injection_refused),
        cmocka_unit_test(pg_tablename_length),
        cmocka_unit_test(pg_bad_options),
        cmocka_unit_test(pg_layout),
        cmocka_unit_test(pg_tokens_from_sequence),
        cmocka_unit_test(pg_binary_records),
        cmocka_unit_test(pg_scan_stops_midway),
        cmocka_unit_test(pg_not_open),
        cmocka_unit_test(pg_sql_error_message),
        cmocka_unit_test(pg_concurrent_create),
        cmocka_unit_test(pg_concurrent_claims_disjoint),
        cmocka_unit_test(pg_notify_wakes_other),
        cmocka_unit_test(pg_notify_off),
        cmocka_unit_test(pg_reconnect_after_terminate),
        cmocka_unit_test(pg_reconnect_write),
        cmocka_unit_test(pg_listener_reconnects),
        cmocka_unit_test(pg_journal_layout),
        cmocka_unit_test(pg_journal_long_tablename),
        cmocka_unit_test(pg_journal_no_notify),
        cmocka_unit_test(pg_journal_reconnect),
        cmocka_unit_test(pg_journal_list_pages),
        cmocka_unit_test(pg_journal_plans),
        cmocka_unit_test(pg_journal_batches_cross),
        cmocka_unit_test(pg_wrong_password),
        cmocka_unit_test(pg_unreachable_message),
    };
    az_store_url = pg_store_url;
    az_store_unreachable_url = "postgresql://asyncz:secret-password@127.0.0.1:1/asyncz?connect_timeout=5";
    az_store_bad_option_url = "postgresql://127.0.0.1:1/asyncz?bogus_option=1";
    az_store_factory = az_persist_factory;
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, drop_own_tables);
}

#else

/* Built without libpq (ASYNCZ_STORE_POSTGRESQL=OFF): the test named on the command line is reported as
 * skipped. */
#include "az_test.h"

static void not_built(void **state)
{
    (void)state;
    skip();
}

int main(int argc, char **argv)
{
    struct CMUnitTest tests[] = {{.name = argc > 1 ? argv[1] : "postgresql", .test_func = not_built}};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
