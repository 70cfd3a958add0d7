/* The SQLite store: the conformance and persistent-store suites on a real database file, plus what is
 * particular to it: URL forms and options, the layout and its query plans, several connections (and
 * processes) claiming from one file, locks held by others, corrupt files, missing directories, file
 * descriptors, binary records and the persistent counter.
 *
 * Each test process works in its own temporary directory (removed at exit); namespace n of the suites is
 * table t<n> in the file stores.db there. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "persist_suite.h"
#include "store/backend.h"
#include "store/sqlite_internal.h"
#include "core/store_open.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define LEASE (60 * SEC)

static char test_dir[256];

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static void sqlite_url(char *buf, size_t size, unsigned n)
{
    snprintf(buf, size, "sqlite:///%s/stores.db?tablename=t%u", test_dir, n);
}

/* A path in this process's directory. */
static const char *in_dir(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", test_dir, name);
    return buf;
}

static asyncz_store *open_url(const char *url)
{
    asyncz_store *st = NULL;
    int rc = asyncz_store_open(&st, url);
    if (rc)
        fail_msg("asyncz_store_open(%s): %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    rc = asyncz_store_connect(st);
    if (rc)
        fail_msg("connect %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    return st;
}

/* An open store on file `name` of the test directory, table `table`. */
static asyncz_store *open_file(const char *name, const char *table)
{
    char url[PATH_MAX + 64];
    snprintf(url, sizeof url, "sqlite:///%s/%s?tablename=%s", test_dir, name, table);
    return open_url(url);
}

/* This file's short names for the shared helpers (az_test.h). */
static asyncz_task *make_task(const char *id, asyncz_time_t when)
{
    return az_test_task(id, when);
}

static void add(asyncz_store *st, const char *id, asyncz_time_t when)
{
    az_test_add(st, id, when);
}

static void expect_open_fails(const char *url, int code, const char *needle)
{
    asyncz_store *st = (asyncz_store *)&st;
    int rc = asyncz_store_open(&st, url);
    if (rc != code)
        fail_msg("%s: expected %s, got %s (%s)", url, asyncz_err_name(code), asyncz_err_name(rc),
                 asyncz_store_errmsg());
    assert_null(st);
    if (needle && !strstr(asyncz_store_errmsg(), needle))
        fail_msg("%s: the message \"%s\" does not mention \"%s\"", url, asyncz_store_errmsg(), needle);
}

/* A raw connection to a file of the test directory, to look at what the store wrote. */
static sqlite3 *raw_db(const char *name)
{
    char path[PATH_MAX];
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(in_dir(path, sizeof path, name), &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    return db;
}

/* The first column of the first row of sql as text into buf ("" when no row). */
/* A new database at path, through SQLite alone (another application's file). */
static sqlite3 *raw_db_create(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    return db;
}

/* A file's bytes (malloc'd). */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static const char *raw_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    buf[0] = '\0';
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return buf;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
    char buf[64];
    return strtoll(raw_text(db, sql, buf, sizeof buf), NULL, 10);
}

/* ---- URLs and options -------------------------------------------------------------------------- */

static void sqlite_url_absolute(void **state)
{
    (void)state;
    char url[PATH_MAX + 64], path[PATH_MAX];
    snprintf(url, sizeof url, "sqlite:///%s/abs.db", test_dir);
    asyncz_store *st = open_url(url);
    assert_string_equal(asyncz_store_kind(st), "sqlite");
    assert_int_equal(ops(st)->caps & (ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED),
                     ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED);
    add(st, "x", T0);
    asyncz_store_free(st);
    assert_int_equal(access(in_dir(path, sizeof path, "abs.db"), F_OK), 0);
    /* The default table. */
    sqlite3 *db = raw_db("abs.db");
    assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM asyncz_store"), 1);
    sqlite3_close(db);
}

static void sqlite_url_relative(void **state)
{
    (void)state;
    char old[PATH_MAX], path[PATH_MAX];
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(test_dir), 0);
    asyncz_store *st = open_url("sqlite:///rel/tasks.db");
    add(st, "x", T0);
    asyncz_store_free(st);
    assert_int_equal(chdir(old), 0);
    assert_int_equal(access(in_dir(path, sizeof path, "rel/tasks.db"), F_OK), 0);
}

static void sqlite_url_sqlalchemy_alias(void **state)
{
    (void)state;
    char url[PATH_MAX + 64];
    snprintf(url, sizeof url, "sqlalchemy+sqlite:///%s/alias.db?tablename=jobs", test_dir);
    asyncz_store *st = open_url(url);
    assert_string_equal(asyncz_store_kind(st), "sqlite");
    add(st, "x", T0);
    asyncz_store_free(st);
    sqlite3 *db = raw_db("alias.db");
    assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM jobs"), 1);
    sqlite3_close(db);
}

static void sqlite_url_errors(void **state)
{
    (void)state;
    expect_open_fails("sqlite://", ASYNCZ_EINVAL, "no database file");
    expect_open_fails("sqlite:///", ASYNCZ_EINVAL, "no database file");
    expect_open_fails("sqlite:////tmp/dir/", ASYNCZ_EINVAL, "no database file");
    expect_open_fails("sqlite://localhost/x.db", ASYNCZ_EINVAL, "not a server");
    expect_open_fails("sqlite://user@/x.db", ASYNCZ_EINVAL, "not a server");
    expect_open_fails("sqlite://:5432/x.db", ASYNCZ_EINVAL, "not a server");
    expect_open_fails("sqlite:///:memory:", ASYNCZ_EINVAL, "memory://");
    expect_open_fails("sqlite:////tmp/x.db?timeout=5", ASYNCZ_EINVAL, "timeout");
    expect_open_fails("sqlite:////tmp/x.db?tablename=a&tablename=b", ASYNCZ_EINVAL, "twice");
}

/* Names are checked before they reach any SQL text; values never become SQL text at all. */
static void sqlite_tablename_refused(void **state)
{
    (void)state;
    expect_open_fails("sqlite:////tmp/x.db?tablename=x%22%3BDROP%20TABLE%20t%3B--", ASYNCZ_EINVAL,
                      "tablename");
    expect_open_fails("sqlite:////tmp/x.db?tablename=a.b", ASYNCZ_EINVAL, "tablename");
    expect_open_fails("sqlite:////tmp/x.db?tablename=a-b", ASYNCZ_EINVAL, "tablename");
    expect_open_fails("sqlite:////tmp/x.db?tablename=1abc", ASYNCZ_EINVAL, "tablename");
    expect_open_fails("sqlite:////tmp/x.db?tablename=", ASYNCZ_EINVAL, "tablename");
    expect_open_fails("sqlite:////tmp/x.db?tablename=sqlite_master", ASYNCZ_EINVAL, "reserved");
    expect_open_fails("sqlite:////tmp/x.db?tablename=SQLITE_x", ASYNCZ_EINVAL, "reserved");
    char url[256];
    snprintf(url, sizeof url, "sqlite:////tmp/x.db?tablename=%064d", 7);
    expect_open_fails(url, ASYNCZ_EINVAL, "tablename");
}

/* Ids and records with quotes, semicolons and SQL go through as values (task ids cannot hold such text, so
 * the record backend is driven directly). */
static int count_found(const az_found *rec, void *userdata)
{
    (void)rec;
    ++*(size_t *)userdata;
    return 0;
}

static void sqlite_values_bound(void **state)
{
    (void)state;
    asyncz_store *st = open_file("bound.db", "t");
    az_backend *b = az_persist_backend(st);
    const char *nasty = "x'); DROP TABLE t; --\"";
    static const unsigned char data[] = "'; DELETE FROM t; --";
    az_record rec = {.id = nasty, .next_run_time = T0, .data = data, .len = sizeof data};
    assert_int_equal(b->ops->insert(b, &rec), 0);
    rec.id = "other";
    assert_int_equal(b->ops->insert(b, &rec), 0);
    size_t n = 0;
    assert_int_equal(b->ops->get(b, nasty, count_found, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(b->ops->count(b, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(b->ops->remove(b, nasty), 0);
    assert_int_equal(b->ops->count(b, &n), 0);
    assert_int_equal(n, 1);
    asyncz_store_free(st);
}

/* ---- layout ------------------------------------------------------------------------------------ */

static void sqlite_layout(void **state)
{
    (void)state;
    asyncz_store *st = open_file("layout.db", "jobs");
    add(st, "a", T0 + 5);
    add(st, "p", ASYNCZ_TIME_NONE);
    sqlite3 *db = raw_db("layout.db");
    char buf[256];
    assert_string_equal(raw_text(db, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    assert_string_equal(
        raw_text(db,
                 "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                 "WHERE name LIKE 'jobs%' ORDER BY name)",
                 buf, sizeof buf),
        "jobs,jobs_audit,jobs_audit_end,jobs_audit_status,jobs_audit_task,jobs_instances,jobs_lease,"
        "jobs_meta,jobs_order,jobs_quarantine,jobs_runs,jobs_runs_end,jobs_runs_status,jobs_runs_task");
    assert_string_equal(
        raw_text(db,
                 "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('jobs') "
                 "ORDER BY cid)",
                 buf, sizeof buf),
        "id,next_run_time,seq,state,owner,lease_until,token");
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('jobs_%s') ORDER "
                 "BY cid)",
                 az_journal_name((az_journal)j));
        assert_string_equal(raw_text(db, sql, buf, sizeof buf), "id,task_id,at,end_at,status,who,data");
        /* The indexes: at in the task and status indexes lets a time bound skip entries without their rows.
         */
        static const char *const want[][2] = {
            {"task", "task_id,id,at"}, {"status", "status,id,at"}, {"end", "end_at"}};
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            snprintf(sql, sizeof sql,
                     "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info('jobs_%s_%s') "
                     "ORDER BY seqno)",
                     az_journal_name((az_journal)j), want[i][0]);
            assert_string_equal(raw_text(db, sql, buf, sizeof buf), want[i][1]);
        }
    }
    assert_int_equal(raw_int(db, "SELECT next_run_time FROM jobs WHERE id = 'a'"), T0 + 5);
    assert_int_equal(raw_int(db, "SELECT next_run_time IS NULL FROM jobs WHERE id = 'p'"), 1);
    assert_int_equal(raw_int(db, "SELECT typeof(state) = 'blob' FROM jobs WHERE id = 'a'"), 1);
    assert_int_equal(raw_int(db, "SELECT value FROM jobs_meta WHERE name = 'counter'"), 2);
    assert_int_equal(raw_int(db, "SELECT seq FROM jobs WHERE id = 'p'"), 2);
    sqlite3_close(db);
    asyncz_store_free(st);
}

/* The plan of statement text sql on db, its lines joined by " | ". */
static const char *plan_of_sql(sqlite3 *db, const char *sql, char *buf, size_t size)
{
    char explain[8192];
    snprintf(explain, sizeof explain, "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, explain, -1, &s, NULL) != SQLITE_OK)
        fail_msg("%s: %s", explain, sqlite3_errmsg(db));
    buf[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", len ? " | " : "", (const char *)sqlite3_column_text(s, 3));
    }
    sqlite3_finalize(s);
    return buf;
}

/* The plan of one of the store's own statements (its text from the backend), joined. */
static const char *plan_of(az_sqlite *b, sqlite3 *db, az_sqlite_q q, char *buf, size_t size)
{
    sqlite3_stmt *mine = NULL;
    assert_int_equal(az_sqlite_stmt(b, q, &mine), 0);
    return plan_of_sql(db, sqlite3_sql(mine), buf, size);
}

/* The order, due, claim and earliest queries walk the index and never sort. */
static void sqlite_query_plans(void **state)
{
    (void)state;
    asyncz_store *st = open_file("plans.db", "t");
    for (int i = 0; i < 200; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%03d", i);
        add(st, id, i % 10 ? T0 + i : ASYNCZ_TIME_NONE);
    }
    az_sqlite *b = (az_sqlite *)az_persist_backend(st);
    assert_non_null(b);
    sqlite3 *db = raw_db("plans.db");
    char plan[1024];
    const az_sqlite_q qs[] = {AZ_SQ_SCAN, AZ_SQ_DUE, AZ_SQ_EARLIEST};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        plan_of(b, db, qs[i], plan, sizeof plan);
        if (strstr(plan, "TEMP B-TREE") || !strstr(plan, "USING INDEX t_order"))
            fail_msg("statement %d: plan \"%s\"", (int)qs[i], plan);
    }
    plan_of(b, db, AZ_SQ_EARLIEST, plan, sizeof plan);
    assert_non_null(strstr(plan, "USING INDEX t_lease"));
    sqlite3_close(db);
    asyncz_store_free(st);
}

/* The journals' statements each walk the index meant for them and never sort: a task's page J_task, a
 * status listing (with a time bound, as "the failed runs of the last day") J_status, one range per status
 * merged when there are several, and pruning J_end; with and without the statistics of ANALYZE, which may
 * change SQLite's choices. */
static int count_entries(const az_jentry *e, void *userdata)
{
    (void)e;
    ++*(size_t *)userdata;
    return 0;
}

/* The plan of the listing q of journal j, after running it (the backend keeps the last listing). */
static const char *journal_list_plan(az_sqlite *b, sqlite3 *db, az_journal j, const az_jquery *q, char *buf,
                                     size_t size)
{
    size_t n = 0;
    assert_int_equal(b->base.ops->journal_list(&b->base, j, q, count_entries, &n), 0);
    assert_non_null(b->jstmts[j][AZ_SJ_LIST]);
    if (n == 0)
        fail_msg("no entries from %s", sqlite3_sql(b->jstmts[j][AZ_SJ_LIST]));
    return plan_of_sql(db, sqlite3_sql(b->jstmts[j][AZ_SJ_LIST]), buf, size);
}

static int count_of(const char *text, const char *part)
{
    int n = 0;
    for (const char *p = strstr(text, part); p; p = strstr(p + 1, part))
        n++;
    return n;
}

static void expect_plan(const char *what, const char *plan, const char *part, int times)
{
    if (strstr(plan, "TEMP B-TREE") || count_of(plan, part) != times)
        fail_msg("%s: expected \"%s\" %d time(s) and no sort; plan \"%s\"", what, part, times, plan);
}

static void fill_journal(az_backend *b, az_journal j, unsigned n)
{
    enum { BATCH = 500 };
    static az_jentry e[BATCH];
    static char ids[BATCH][AZ_JOURNAL_ID_LEN + 1], tasks[BATCH][16];
    for (unsigned first = 0; first < n; first += BATCH) {
        unsigned k = 0;
        for (; k < BATCH && first + k < n; k++) {
            unsigned i = first + k;
            snprintf(ids[k], sizeof ids[k], "0190%04x-%04x-7000-8000-%012x", i >> 16, i & 0xffff, i);
            snprintf(tasks[k], sizeof tasks[k], "task-%02u", i * 7 % 50);
            e[k] = (az_jentry){.id = ids[k],
                               .task_id = tasks[k],
                               .at = T0 + (asyncz_time_t)i * SEC,
                               .end_at = T0 + (asyncz_time_t)i * SEC + 5,
                               .status = i % 7 == 3 ? 2 : i % 3,
                               .who = "s1",
                               .data = (const unsigned char *)"{}",
                               .len = 2};
        }
        assert_int_equal(b->ops->journal_put(b, j, e, k), 0);
    }
}

static void check_journal_plans(az_sqlite *b, sqlite3 *db, az_journal j)
{
    char plan[4096], want[128];
    const char *name = az_journal_name(j);
    az_jquery q = {.task_id = "task-07", .since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 50};
    snprintf(want, sizeof want, "USING INDEX t_%s_task (task_id=?)", name);
    expect_plan("newest of a task", journal_list_plan(b, db, j, &q, plan, sizeof plan), want, 1);
    q.before = "01900000-0bb8-7000-8000-000000000bb8";
    q.statuses = 1u << 2; /* with one status, the task's index all the same */
    snprintf(want, sizeof want, "USING INDEX t_%s_task (task_id=? AND id<?)", name);
    expect_plan("a task's next page", journal_list_plan(b, db, j, &q, plan, sizeof plan), want, 1);

    q = (az_jquery){.statuses = 1u << 2, .since = T0 + 500 * SEC, .until = ASYNCZ_TIME_NONE, .limit = 100};
    snprintf(want, sizeof want, "USING INDEX t_%s_status (status=?)", name);
    expect_plan("one status since", journal_list_plan(b, db, j, &q, plan, sizeof plan), want, 1);
    q.statuses = (1u << 0) | (1u << 1) | (1u << 2);
    q.before = "01900000-0bb8-7000-8000-000000000bb8";
    snprintf(want, sizeof want, "USING INDEX t_%s_status (status=? AND id<?)", name);
    journal_list_plan(b, db, j, &q, plan, sizeof plan);
    expect_plan("three statuses, a page", plan, want, 3);
    assert_non_null(strstr(plan, "MERGE (UNION ALL)"));

    q = (az_jquery){.since = ASYNCZ_TIME_NONE,
                    .until = ASYNCZ_TIME_NONE,
                    .limit = 100,
                    .before = "01900000-0bb8-7000-8000-000000000bb8"};
    snprintf(want, sizeof want, "USING INDEX sqlite_autoindex_t_%s_1 (id<?)", name);
    expect_plan("everything, a page", journal_list_plan(b, db, j, &q, plan, sizeof plan), want, 1);

    /* Pruning and trimming (run once so that their statements are prepared). */
    size_t removed = 0;
    assert_int_equal(b->base.ops->journal_prune_age(&b->base, j, T0, 10, &removed), 0);
    assert_int_equal(b->base.ops->journal_trim_task(&b->base, j, "nobody", 5, 10, &removed), 0);
    snprintf(want, sizeof want, "USING COVERING INDEX t_%s_end (end_at<?)", name);
    expect_plan("prune by age",
                plan_of_sql(db, sqlite3_sql(b->jstmts[j][AZ_SJ_PRUNE_AGE]), plan, sizeof plan), want, 1);
    snprintf(want, sizeof want, "USING COVERING INDEX t_%s_task (task_id=?", name);
    expect_plan("trim a task", plan_of_sql(db, sqlite3_sql(b->jstmts[j][AZ_SJ_TRIM_TASK]), plan, sizeof plan),
                want, 2);
}

static void sqlite_journal_query_plans(void **state)
{
    (void)state;
    asyncz_store *st = open_file("jplans.db", "t");
    az_sqlite *b = (az_sqlite *)az_persist_backend(st);
    assert_non_null(b);
    fill_journal(&b->base, AZ_JOURNAL_RUNS, 5000);
    fill_journal(&b->base, AZ_JOURNAL_AUDIT, 1000);
    sqlite3 *db = raw_db("jplans.db");
    for (int analyzed = 0; analyzed < 2; analyzed++) {
        check_journal_plans(b, db, AZ_JOURNAL_RUNS);
        check_journal_plans(b, db, AZ_JOURNAL_AUDIT);
        assert_int_equal(sqlite3_exec(db, "ANALYZE", NULL, NULL, NULL), SQLITE_OK);
    }
    sqlite3_close(db);
    asyncz_store_free(st);
}

/* ---- several connections and processes --------------------------------------------------------- */

typedef struct claimer {
    asyncz_store *st;
    const char *owner;
    char ids[400][16];
    size_t n;
    int rc;
} claimer;

static void *claim_loop(void *arg)
{
    claimer *c = arg;
    for (;;) {
        asyncz_claim got[7];
        size_t n = 0;
        c->rc = ops(c->st)->claim(c->st, T0 + 1000, c->owner, LEASE, 7, got, &n);
        if (c->rc || n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            snprintf(c->ids[c->n++], sizeof c->ids[0], "%s", asyncz_task_id(got[i].task));
            asyncz_task_free(got[i].task);
        }
    }
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Two store objects on one file, in two threads: each task claimed by exactly one of them. */
static void sqlite_two_connections_claim_exclusive(void **state)
{
    (void)state;
    claimer a = {.st = open_file("shared.db", "t"), .owner = "alpha"};
    claimer b = {.st = open_file("shared.db", "t"), .owner = "beta"};
    for (int i = 0; i < 300; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%03d", i);
        add(i % 2 ? a.st : b.st, id, T0 + i);
    }
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, claim_loop, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, claim_loop, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    assert_int_equal(a.n + b.n, 300);
    char all[300][16];
    memcpy(all, a.ids, a.n * sizeof all[0]);
    memcpy(all + a.n, b.ids, b.n * sizeof all[0]);
    qsort(all, 300, sizeof all[0], cmp_id);
    for (int i = 0; i < 300; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%03d", i);
        assert_string_equal(all[i], id);
    }
    asyncz_store_free(a.st);
    asyncz_store_free(b.st);
}

/* The child's part of the two-process test: claim until nothing is left, write the tokens to fd. */
static int child_claims(int fd)
{
    asyncz_store *st = NULL;
    char url[PATH_MAX + 64];
    snprintf(url, sizeof url, "sqlite:///%s/procs.db", test_dir);
    if (asyncz_store_open(&st, url) || asyncz_store_connect(st))
        return 2;
    int status = 0;
    for (;;) {
        asyncz_claim got[5];
        size_t n = 0;
        if (ops(st)->claim(st, T0 + 1000, "child", LEASE, 5, got, &n) != 0) {
            status = 3;
            break;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            if (write(fd, &got[i].token, sizeof got[i].token) != sizeof got[i].token)
                status = 4;
            asyncz_task_free(got[i].task);
        }
    }
    asyncz_store_free(st);
    return status;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Two processes claim from one file: every task once, every token distinct. */
static void sqlite_two_processes_claim_exclusive(void **state)
{
    (void)state;
    asyncz_store *st = open_file("procs.db", "asyncz_store");
    for (int i = 0; i < 200; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%03d", i);
        add(st, id, T0 + i);
    }
    asyncz_store_free(st);
    int fds[2][2];
    pid_t pids[2];
    for (int c = 0; c < 2; c++) {
        assert_int_equal(pipe2(fds[c], O_CLOEXEC), 0);
        pids[c] = fork();
        assert_true(pids[c] >= 0);
        if (pids[c] == 0) {
            close(fds[c][0]);
            _exit(child_claims(fds[c][1]));
        }
        close(fds[c][1]);
    }
    uint64_t tokens[400];
    size_t n = 0;
    for (int c = 0; c < 2; c++) {
        ssize_t got;
        while (n < 400 && (got = read(fds[c][0], &tokens[n], sizeof tokens[0])) == sizeof tokens[0])
            n++;
        close(fds[c][0]);
        int status = 0;
        assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(n, 200);
    qsort(tokens, n, sizeof tokens[0], cmp_u64);
    for (size_t i = 1; i < n; i++)
        assert_true(tokens[i] > tokens[i - 1]);
    sqlite3 *db = raw_db("procs.db");
    assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM asyncz_store WHERE owner = 'child'"), 200);
    sqlite3_close(db);
}

/* ---- locks held by another connection ---------------------------------------------------------- */

typedef struct holder {
    sqlite3 *db;
    useconds_t hold;
} holder;

static void *release_later(void *arg)
{
    holder *h = arg;
    usleep(h->hold);
    assert_int_equal(sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    return NULL;
}

/* A writer waits for another connection's short transaction instead of failing. */
static void sqlite_waits_for_lock(void **state)
{
    (void)state;
    asyncz_store *st = open_file("lock.db", "t");
    holder h = {.db = raw_db("lock.db"), .hold = 300 * 1000};
    assert_int_equal(sqlite3_exec(h.db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_later, &h), 0);
    add(st, "after-the-lock", T0);
    pthread_join(th, NULL);
    sqlite3_close(h.db);
    size_t n = 0;
    assert_int_equal(ops(st)->count(st, &n), 0);
    assert_int_equal(n, 1);
    asyncz_store_free(st);
}

/* A lock held past the busy timeout: the write fails with ASYNCZ_ESTORE and a message, changes nothing, and
 * the store works again once the lock is gone. */
static void sqlite_lock_timeout(void **state)
{
    (void)state;
    asyncz_store *st = open_file("locked.db", "t");
    sqlite3 *db = raw_db("locked.db");
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    asyncz_task *t = make_task("blocked", T0);
    assert_int_equal(ops(st)->add(st, t), ASYNCZ_ESTORE);
    const char *msg = asyncz_store_errmsg();
    if (!strstr(msg, "locked") || !strstr(msg, "locked.db") || !strstr(msg, "insert"))
        fail_msg("unexpected message: %s", msg);
    asyncz_claim got[1];
    size_t n = 9;
    assert_int_equal(ops(st)->claim(st, T0, "me", LEASE, 1, got, &n), ASYNCZ_ESTORE);
    assert_int_equal(n, 0);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ops(st)->add(st, t), 0);
    asyncz_task_free(t);
    assert_int_equal(ops(st)->count(st, &n), 0);
    assert_int_equal(n, 1);
    asyncz_store_free(st);
}

/* ---- files and directories --------------------------------------------------------------------- */

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputs(text, f);
    fclose(f);
}

/* A file that is not a database: a clear ASYNCZ_ESTORE naming the file; once it is replaced, the same store
 * object connects on its next attempt. */
static void sqlite_corrupt_file(void **state)
{
    (void)state;
    char path[PATH_MAX], url[PATH_MAX + 64];
    in_dir(path, sizeof path, "corrupt.db");
    write_file(path, "this is certainly not an SQLite database file\n", 200);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect(st), ASYNCZ_ESTORE);
    const char *msg = asyncz_store_errmsg();
    if (!strstr(msg, "not a database") || !strstr(msg, "corrupt.db") || !strstr(msg, "open"))
        fail_msg("unexpected message: %s", msg);
    /* The backend retries on its next call. */
    az_backend *b = az_persist_backend(st);
    size_t n = 7;
    assert_int_equal(b->ops->count(b, &n), ASYNCZ_ESTORE);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(b->ops->count(b, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(asyncz_store_connect(st), 0);
    asyncz_store_free(st);
}

/* Missing directories on the way to the file are made, private to the user. */
static void sqlite_creates_directories(void **state)
{
    (void)state;
    asyncz_store *st = open_file("a/b/c/tasks.db", "t");
    add(st, "x", T0);
    asyncz_store_free(st);
    char path[PATH_MAX];
    struct stat sb;
    assert_int_equal(stat(in_dir(path, sizeof path, "a/b/c"), &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(stat(in_dir(path, sizeof path, "a/b/c/tasks.db"), &sb), 0);
}

/* A tool's connection to a store that must exist: a missing file is ASYNCZ_ENOTFOUND and nothing is made;
 * an existing one connects. */
static void sqlite_connect_existing(void **state)
{
    (void)state;
    char path[PATH_MAX], url[PATH_MAX + 64];
    in_dir(path, sizeof path, "typo/tasks.db");
    snprintf(url, sizeof url, "sqlite:///%s", path);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect_existing(st, NULL, NULL), ASYNCZ_ENOTFOUND);
    if (!strstr(asyncz_store_errmsg(), "typo/tasks.db") || !strstr(asyncz_store_errmsg(), "does not exist"))
        fail_msg("unexpected message: %s", asyncz_store_errmsg());
    struct stat sb;
    assert_int_equal(stat(in_dir(path, sizeof path, "typo"), &sb), -1);
    assert_int_equal(asyncz_store_connect(st), 0); /* a scheduler's connection creates it */
    add(st, "x", T0);
    asyncz_store_free(st);
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect_existing(st, NULL, NULL), 0);
    size_t n = 0;
    assert_int_equal(ops(st)->count(st, &n), 0);
    assert_int_equal(n, 1);
    asyncz_store_free(st);
}

static void sqlite_directory_cannot_be_made(void **state)
{
    (void)state;
    char path[PATH_MAX], url[PATH_MAX + 64];
    in_dir(path, sizeof path, "plainfile");
    write_file(path, "x", 1);
    snprintf(url, sizeof url, "sqlite:///%s/sub/tasks.db", path);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect(st), ASYNCZ_EIO);
    const char *msg = asyncz_store_errmsg();
    if (!strstr(msg, "cannot create the directory") || !strstr(msg, "plainfile/sub"))
        fail_msg("unexpected message: %s", msg);
    asyncz_store_free(st);
}

/* ---- files others control (issue 12, item 9) and databases that are not stores (item 11) ----------------
 */

/* Connecting to url fails with code, and the message holds every one of the NULL-terminated needles. */
static void expect_connect_fails(const char *url, int code, const char *const *needles)
{
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    int rc = asyncz_store_connect(st);
    const char *msg = asyncz_store_errmsg();
    if (rc != code)
        fail_msg("%s: expected %s, got %s (%s)", url, asyncz_err_name(code), asyncz_err_name(rc), msg);
    for (const char *const *n = needles; *n; n++)
        if (!strstr(msg, *n))
            fail_msg("%s: the message \"%s\" does not mention \"%s\"", url, msg, *n);
    asyncz_store_free(st);
}

/* A fresh directory of the test directory, 0700, holding a store database db.db with one task. */
static void make_store_in(const char *dir, char *url, size_t size, char *db, size_t dbsize)
{
    char path[PATH_MAX - 16];
    in_dir(path, sizeof path, dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(db, dbsize, "%s/db.db", path);
    snprintf(url, size, "sqlite:///%s", db);
    asyncz_store *st = open_url(url);
    add(st, "job", T0);
    asyncz_store_free(st);
}

/* New database files are 0600 whatever the umask, and so are the -wal and -shm files SQLite makes. */
static void sqlite_new_files_private(void **state)
{
    (void)state;
    mode_t old = umask(022);
    char path[PATH_MAX], side[PATH_MAX + 8];
    asyncz_store *st = open_file("private.db", "t");
    add(st, "job", T0);
    struct stat sb;
    assert_int_equal(stat(in_dir(path, sizeof path, "private.db"), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(side, sizeof side, "%s-wal", path);
    assert_int_equal(stat(side, &sb), 0); /* the store is open: the log is there */
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(side, sizeof side, "%s-shm", path);
    assert_int_equal(stat(side, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    asyncz_store_free(st);
    umask(old);
}

/* A database file, or its write-ahead log, that others can write is refused with the path, the mode and
 * the chmod that fixes it; once fixed, the store opens. */
static void sqlite_refuses_writable_files(void **state)
{
    (void)state;
    char url[PATH_MAX + 64], db[PATH_MAX], side[PATH_MAX + 8];
    make_store_in("writable", url, sizeof url, db, sizeof db);
    assert_int_equal(chmod(db, 0666), 0);
    char fix[PATH_MAX + 32];
    snprintf(fix, sizeof fix, "chmod go-w %s", db);
    expect_connect_fails(url, ASYNCZ_ESTORE,
                         (const char *[]){db, "mode 0666", "writable by everyone", fix, NULL});
    assert_int_equal(chmod(db, 0620), 0);
    expect_connect_fails(url, ASYNCZ_ESTORE,
                         (const char *[]){db, "mode 0620", "writable by its group", NULL});
    assert_int_equal(chmod(db, 0644), 0); /* readable is not writable: accepted (doctor warns) */
    asyncz_store_free(open_url(url));
    snprintf(side, sizeof side, "%s-wal", db);
    write_file(side, "", 0);
    assert_int_equal(chmod(side, 0666), 0);
    snprintf(fix, sizeof fix, "chmod go-w %s", side);
    expect_connect_fails(url, ASYNCZ_ESTORE, (const char *[]){"write-ahead log", side, fix, NULL});
    assert_int_equal(unlink(side), 0);
    asyncz_store_free(open_url(url));
}

/* A directory that others can write (they could replace the database) is refused, and nothing is made
 * in it. */
static void sqlite_refuses_writable_directory(void **state)
{
    (void)state;
    char dir[PATH_MAX], url[PATH_MAX + 64], db[PATH_MAX + 16];
    in_dir(dir, sizeof dir, "shared");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 01777), 0);
    snprintf(db, sizeof db, "%s/tasks.db", dir);
    snprintf(url, sizeof url, "sqlite:///%s", db);
    char fix[PATH_MAX + 32];
    snprintf(fix, sizeof fix, "chmod go-w %s", dir);
    expect_connect_fails(url, ASYNCZ_ESTORE,
                         (const char *[]){dir, "mode 1777", "writable by everyone", fix, NULL});
    struct stat sb;
    assert_int_equal(stat(db, &sb), -1);
    assert_int_equal(chmod(dir, 0755), 0);
    asyncz_store_free(open_url(url));
}

/* A database reached through a symlink is checked where it leads: SQLite keeps its -wal and -shm beside the
 * target, so a target in a directory others can write is refused though the link sits in a private one; a
 * dangling link is refused too (SQLite would make the target where nobody checked). */
static void sqlite_checks_where_a_symlink_leads(void **state)
{
    (void)state;
    char shared[PATH_MAX], priv[PATH_MAX], target[PATH_MAX + 16], link[PATH_MAX + 16];
    char url[PATH_MAX + 64], target_url[PATH_MAX + 64];
    in_dir(shared, sizeof shared, "link-target");
    in_dir(priv, sizeof priv, "link-private");
    assert_int_equal(mkdir(shared, 0700), 0);
    assert_int_equal(mkdir(priv, 0700), 0);
    snprintf(target, sizeof target, "%s/tasks.db", shared);
    snprintf(link, sizeof link, "%s/tasks.db", priv);
    snprintf(url, sizeof url, "sqlite:///%s", link);
    snprintf(target_url, sizeof target_url, "sqlite:///%s", target);
    assert_int_equal(symlink(target, link), 0);
    expect_connect_fails(url, ASYNCZ_ESTORE, (const char *[]){link, "symlink", "cannot be resolved", NULL});
    asyncz_store_free(open_url(target_url)); /* the target exists now */
    assert_int_equal(chmod(shared, 01777), 0);
    char fix[PATH_MAX + 32];
    snprintf(fix, sizeof fix, "chmod go-w %s", shared);
    expect_connect_fails(url, ASYNCZ_ESTORE, (const char *[]){shared, "writable by everyone", fix, NULL});
    assert_int_equal(chmod(shared, 0700), 0);
    asyncz_store_free(open_url(url));
}

/* A file owned by another user is refused even when its mode is tight. Needs root (to give it away). */
static void sqlite_refuses_other_owner(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: giving a file to another user needs root\n");
        skip();
    }
    char url[PATH_MAX + 64], db[PATH_MAX];
    make_store_in("owned", url, sizeof url, db, sizeof db);
    assert_int_equal(chown(db, 65534, 65534), 0);
    expect_connect_fails(
        url, ASYNCZ_ESTORE,
        (const char *[]){db, "owned by uid 65534", "someone else controls", "chown 0", NULL});
    assert_int_equal(chown(db, 0, 0), 0);
    asyncz_store_free(open_url(url));
    /* The directory, given to another user, is refused as well. */
    char *slash = strrchr(db, '/');
    *slash = '\0';
    assert_int_equal(chown(db, 65534, 65534), 0);
    expect_connect_fails(url, ASYNCZ_ESTORE, (const char *[]){db, "owned by uid 65534", "directory", NULL});
    assert_int_equal(chown(db, 0, 0), 0);
}

/* A tool's connection to an existing file that holds no store (another application's database) fails
 * with ASYNCZ_ENOTFOUND and writes nothing: the file keeps its bytes, no -wal or -shm is left. */
static void sqlite_existing_without_tables(void **state)
{
    (void)state;
    char path[PATH_MAX], url[PATH_MAX + 64], side[PATH_MAX + 8];
    in_dir(path, sizeof path, "other-app.db");
    sqlite3 *db = raw_db_create(path);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    size_t before_len = 0;
    unsigned char *before = slurp(path, &before_len);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect_existing(st, NULL, NULL), ASYNCZ_ENOTFOUND);
    const char *msg = asyncz_store_errmsg();
    if (!strstr(msg, path) || !strstr(msg, "has no asyncz tables") || !strstr(msg, "add a task first"))
        fail_msg("unexpected message: %s", msg);
    asyncz_store_free(st);
    size_t after_len = 0;
    unsigned char *after = slurp(path, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    free(before);
    free(after);
    struct stat sb;
    snprintf(side, sizeof side, "%s-wal", path);
    assert_int_equal(stat(side, &sb), -1);
    snprintf(side, sizeof side, "%s-shm", path);
    assert_int_equal(stat(side, &sb), -1);
}

/* Whether every descriptor of this process open on a file whose name contains part has FD_CLOEXEC. */
static int count_fds(const char *part, bool *all_cloexec)
{
    int n = 0;
    *all_cloexec = true;
    for (int fd = 0; fd < 1024; fd++) {
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len < 0)
            continue;
        target[len] = '\0';
        if (!strstr(target, part))
            continue;
        n++;
        if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
            *all_cloexec = false;
    }
    return n;
}

static void sqlite_fds_cloexec(void **state)
{
    (void)state;
    asyncz_store *st = open_file("cloexec.db", "t");
    add(st, "x", T0);
    bool all = false;
    assert_true(count_fds("cloexec.db", &all) >= 2); /* the database and its write-ahead log at least */
    assert_true(all);
    asyncz_store_free(st);
    assert_int_equal(count_fds("cloexec.db", &all), 0);
}

/* ---- records, counter, quarantine -------------------------------------------------------------- */

typedef struct rawrec {
    unsigned char data[64];
    size_t len;
    bool null_data;
    int calls;
} rawrec;

static int take(const az_found *rec, void *userdata)
{
    rawrec *r = userdata;
    r->null_data = rec->data == NULL;
    r->len = rec->len;
    memcpy(r->data, rec->data, rec->len < sizeof r->data ? rec->len : sizeof r->data);
    r->calls++;
    return 0;
}

static void sqlite_binary_records(void **state)
{
    (void)state;
    asyncz_store *st = open_file("binary.db", "t");
    az_backend *b = az_persist_backend(st);
    static const unsigned char bytes[] = {0, 1, 0, 0xff, 'a', 0, 0x80};
    az_record rec = {.id = "bin", .next_run_time = T0, .data = bytes, .len = sizeof bytes};
    assert_int_equal(b->ops->insert(b, &rec), 0);
    az_record empty = {.id = "empty", .next_run_time = T0 + 1, .data = NULL, .len = 0};
    assert_int_equal(b->ops->insert(b, &empty), 0);
    rawrec r = {0};
    assert_int_equal(b->ops->get(b, "bin", take, &r), 0);
    assert_int_equal(r.len, sizeof bytes);
    assert_memory_equal(r.data, bytes, sizeof bytes);
    memset(&r, 0, sizeof r);
    assert_int_equal(b->ops->get(b, "empty", take, &r), 0);
    assert_int_equal(r.len, 0);
    assert_false(r.null_data);
    assert_int_equal(b->ops->get(b, "none", take, &r), ASYNCZ_ENOTFOUND);
    assert_int_equal(b->ops->insert(b, &rec), ASYNCZ_EEXISTS);
    asyncz_store_free(st);
}

static uint64_t claim_one(asyncz_store *st, asyncz_time_t now)
{
    asyncz_claim got[1];
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, now, "me", LEASE, 1, got, &n), 0);
    assert_int_equal(n, 1);
    asyncz_task_free(got[0].task);
    return got[0].token;
}

/* Tokens keep increasing across a removal and re-adding, and across closing and reopening. */
static void sqlite_counter_persists(void **state)
{
    (void)state;
    asyncz_store *st = open_file("counter.db", "t");
    add(st, "job", T0);
    uint64_t first = claim_one(st, T0);
    assert_int_equal(ops(st)->release(st, "job", first, NULL), 0);
    add(st, "job", T0);
    uint64_t second = claim_one(st, T0);
    assert_true(second > first);
    asyncz_store_free(st);
    st = open_file("counter.db", "t");
    assert_int_equal(ops(st)->remove(st, "job"), 0);
    add(st, "job", T0);
    uint64_t third = claim_one(st, T0);
    assert_true(third > second);
    assert_int_equal(ops(st)->release(st, "job", second, NULL), ASYNCZ_ESTATE);
    assert_int_equal(ops(st)->release(st, "job", UINT64_MAX, NULL), ASYNCZ_ESTATE);
    asyncz_store_free(st);
}

static int count_q(const az_quarantine_rec *q, void *userdata)
{
    (void)q;
    ++*(int *)userdata;
    return 0;
}

/* Quarantine moves a record only while it holds exactly the bytes the caller saw. */
static void sqlite_quarantine_only_unchanged(void **state)
{
    (void)state;
    asyncz_store *st = open_file("quarantine.db", "t");
    az_backend *b = az_persist_backend(st);
    static const unsigned char v1[] = {'v', '1', 0, 'x'}, v1b[] = {'v', '1', 0, 'y'};
    az_record rec = {.id = "r", .next_run_time = T0, .data = v1, .len = sizeof v1};
    assert_int_equal(b->ops->insert(b, &rec), 0);
    assert_int_equal(b->ops->quarantine(b, "r", v1b, sizeof v1b, "bad", T0), ASYNCZ_ESTATE);
    assert_int_equal(b->ops->quarantine(b, "r", v1, 3, "bad", T0), ASYNCZ_ESTATE);
    assert_int_equal(b->ops->quarantine(b, "missing", v1, sizeof v1, "bad", T0), ASYNCZ_ESTATE);
    int nq = 0;
    assert_int_equal(b->ops->quarantined(b, count_q, &nq), 0);
    assert_int_equal(nq, 0);
    assert_int_equal(b->ops->quarantine(b, "r", v1, sizeof v1, "bad", T0), 0);
    assert_int_equal(b->ops->quarantined(b, count_q, &nq), 0);
    assert_int_equal(nq, 1);
    rawrec r = {0};
    assert_int_equal(b->ops->get(b, "r", take, &r), ASYNCZ_ENOTFOUND);
    asyncz_store_free(st);
}

/* A claim with no practical limit takes what is due without sizing anything by max; bad leases are refused.
 */
static void sqlite_claim_limits(void **state)
{
    (void)state;
    asyncz_store *st = open_file("limits.db", "t");
    az_backend *b = az_persist_backend(st);
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%02d", i);
        add(st, id, T0 + i);
    }
    size_t n = 0;
    assert_int_equal(b->ops->claim(b, T0 + 100, "me", LEASE, SIZE_MAX, count_found, &n), 0);
    assert_int_equal(n, 40);
    n = 0;
    assert_int_equal(b->ops->claim(b, INT64_MAX - 5, "me", LEASE, 1, count_found, &n), ASYNCZ_EINVAL);
    assert_int_equal(b->ops->claim(b, T0, "me", -1, 1, count_found, &n), ASYNCZ_EINVAL);
    assert_int_equal(n, 0);
    asyncz_store_free(st);
}

/* A callback that stops a claim early: the claims stand, the call returns what the callback returned. */
static int stop_after_one(const az_found *rec, void *userdata)
{
    (void)rec;
    return ++*(size_t *)userdata == 1 ? 42 : 0;
}

static void sqlite_claim_stops_early(void **state)
{
    (void)state;
    asyncz_store *st = open_file("stops.db", "t");
    az_backend *b = az_persist_backend(st);
    add(st, "a", T0);
    add(st, "b", T0);
    size_t n = 0;
    assert_int_equal(b->ops->claim(b, T0, "me", LEASE, 5, stop_after_one, &n), 42);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(b->ops->due(b, T0, 5, count_found, &n), 0);
    assert_int_equal(n, 0);
    asyncz_store_free(st);
}

/* ---- batches ---------------------------------------------------------------------------------- */

/* Writes in a batch join one transaction: others see them at the end; a failed write (a duplicate, a
 * quarantine of changed bytes) undoes only itself; the counter goes on from where the batch left it. */
static void sqlite_batch_commit(void **state)
{
    (void)state;
    asyncz_store *st = open_file("batch.db", "t");
    az_backend *b = az_persist_backend(st);
    assert_int_equal(az_sqlite_batch_begin(b), 0);
    for (int i = 0; i < 100; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%03d", i);
        add(st, id, T0 + i);
    }
    asyncz_task *dup = make_task("t050", T0);
    assert_int_equal(ops(st)->add(st, dup), ASYNCZ_EEXISTS);
    asyncz_task_free(dup);
    static const unsigned char other[] = "not what is stored";
    assert_int_equal(b->ops->quarantine(b, "t001", other, sizeof other, "x", T0), ASYNCZ_ESTATE);
    uint64_t token = claim_one(st, T0); /* a claim is several statements: a savepoint of the batch */
    sqlite3 *db = raw_db("batch.db");
    assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM t"), 0);
    assert_int_equal(az_sqlite_batch_end(b, true), 0);
    assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM t"), 100);
    assert_int_equal(raw_int(db, "SELECT value FROM t_meta WHERE name = 'counter'"), 102);
    assert_int_equal(raw_int(db, "SELECT MAX(seq) FROM t"), 100);
    assert_int_equal(token, 102);
    assert_int_equal(raw_int(db, "SELECT token FROM t WHERE id = 't000'"), 102);
    sqlite3_close(db);
    add(st, "after", T0 + 500);
    assert_int_equal(ops(st)->release(st, "t000", token, NULL), 0);
    size_t n = 0;
    assert_int_equal(ops(st)->count(st, &n), 0);
    assert_int_equal(n, 100);
    asyncz_store_free(st);
}

static void sqlite_batch_rollback(void **state)
{
    (void)state;
    asyncz_store *st = open_file("batchrb.db", "t");
    az_backend *b = az_persist_backend(st);
    add(st, "kept", T0);
    assert_int_equal(az_sqlite_batch_begin(b), 0);
    add(st, "dropped", T0);
    assert_int_equal(ops(st)->remove(st, "kept"), 0);
    assert_int_equal(az_sqlite_batch_end(b, false), 0);
    sqlite3 *db = raw_db("batchrb.db");
    char buf[64];
    assert_string_equal(raw_text(db, "SELECT group_concat(id) FROM t", buf, sizeof buf), "kept");
    assert_int_equal(raw_int(db, "SELECT value FROM t_meta WHERE name = 'counter'"), 1);
    sqlite3_close(db);
    asyncz_store_free(st);
}

static void sqlite_batch_misuse(void **state)
{
    (void)state;
    asyncz_store *st = open_file("batchbad.db", "t");
    az_backend *b = az_persist_backend(st);
    assert_int_equal(az_sqlite_batch_end(b, true), ASYNCZ_ESTATE);
    assert_non_null(strstr(asyncz_store_errmsg(), "no batch"));
    assert_int_equal(az_sqlite_batch_begin(b), 0);
    assert_int_equal(az_sqlite_batch_begin(b), ASYNCZ_ESTATE);
    add(st, "x", T0);
    /* Closing in the middle of a batch drops it. */
    ops(st)->close(st);
    assert_int_equal(az_sqlite_batch_end(b, true), ASYNCZ_ESTATE);
    size_t n = 9;
    assert_int_equal(b->ops->count(b, &n), 0);
    assert_int_equal(n, 0);
    asyncz_store_free(st);
}

/* A batch waits for another connection's write lock like any write, and fails cleanly past the timeout. */
static void sqlite_batch_locked(void **state)
{
    (void)state;
    asyncz_store *st = open_file("batchlock.db", "t");
    az_backend *b = az_persist_backend(st);
    sqlite3 *db = raw_db("batchlock.db");
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(az_sqlite_batch_begin(b), ASYNCZ_ESTORE);
    assert_non_null(strstr(asyncz_store_errmsg(), "batch"));
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(az_sqlite_batch_begin(b), 0);
    add(st, "x", T0);
    assert_int_equal(az_sqlite_batch_end(b, true), 0);
    asyncz_store_free(st);
}

/* ---- the program ------------------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char unreachable_url[PATH_MAX + 64];
static char bad_option_url[PATH_MAX + 64];

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        AZ_STORE_SUITES,
        cmocka_unit_test(sqlite_url_absolute),
        cmocka_unit_test(sqlite_url_relative),
        cmocka_unit_test(sqlite_url_sqlalchemy_alias),
        cmocka_unit_test(sqlite_url_errors),
        cmocka_unit_test(sqlite_tablename_refused),
        cmocka_unit_test(sqlite_values_bound),
        cmocka_unit_test(sqlite_layout),
        cmocka_unit_test(sqlite_query_plans),
        cmocka_unit_test(sqlite_journal_query_plans),
        cmocka_unit_test(sqlite_two_connections_claim_exclusive),
        cmocka_unit_test(sqlite_two_processes_claim_exclusive),
        cmocka_unit_test(sqlite_waits_for_lock),
        cmocka_unit_test(sqlite_lock_timeout),
        cmocka_unit_test(sqlite_corrupt_file),
        cmocka_unit_test(sqlite_creates_directories),
        cmocka_unit_test(sqlite_connect_existing),
        cmocka_unit_test(sqlite_directory_cannot_be_made),
        cmocka_unit_test(sqlite_new_files_private),
        cmocka_unit_test(sqlite_refuses_writable_files),
        cmocka_unit_test(sqlite_refuses_writable_directory),
        cmocka_unit_test(sqlite_checks_where_a_symlink_leads),
        cmocka_unit_test(sqlite_refuses_other_owner),
        cmocka_unit_test(sqlite_existing_without_tables),
        cmocka_unit_test(sqlite_fds_cloexec),
        cmocka_unit_test(sqlite_binary_records),
        cmocka_unit_test(sqlite_counter_persists),
        cmocka_unit_test(sqlite_quarantine_only_unchanged),
        cmocka_unit_test(sqlite_claim_limits),
        cmocka_unit_test(sqlite_claim_stops_early),
        cmocka_unit_test(sqlite_batch_commit),
        cmocka_unit_test(sqlite_batch_rollback),
        cmocka_unit_test(sqlite_batch_misuse),
        cmocka_unit_test(sqlite_batch_locked),
    };
    const char *tmp = getenv("TMPDIR");
    snprintf(test_dir, sizeof test_dir, "%s/asyncz-sqlite-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        return 1;
    }
    az_store_url = sqlite_url;
    az_store_factory = az_persist_factory;
    /* A directory cannot be made under a character device. */
    snprintf(unreachable_url, sizeof unreachable_url, "sqlite:////dev/null/asyncz/tasks.db");
    az_store_unreachable_url = unreachable_url;
    snprintf(bad_option_url, sizeof bad_option_url, "sqlite:///%s/bad.db?bogus_option=1", test_dir);
    az_store_bad_option_url = bad_option_url;
    AZ_TEST_FILTER(tests, argc, argv);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
