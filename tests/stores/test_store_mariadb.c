/* The MariaDB store against a real server: the store conformance suite, the persistent-store suite, and
 * what is particular to this backend (URL forms and options, names that would inject SQL, ids compared
 * byte for byte, binary records, SKIP LOCKED claims between connections, claims larger than one statement's
 * id list, paged listings, reconnecting after the connection is killed, a wrong password; the journals'
 * tables, indexes and query plans, and their entries against the server's max_allowed_packet). */
#if __has_include(<mysql.h>)

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "az_servers.h"
#include "persist_suite.h"
#include "store/mariadb_internal.h"
#include "core/store_open.h"
#include "store/url.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define LEASE (60 * SEC)

/* ---- the server and this process's tables -------------------------------------------------------- */

static const char *server_url(void)
{
    return az_servers_url("mariadb");
}

/* The server URL with more query text (starting "tablename=..."). */
static void url_with(char *buf, size_t size, const char *query)
{
    const char *base = server_url();
    snprintf(buf, size, "%s%s%s", base, strchr(base, '?') ? "&" : "?", query);
}

/* Tables az<pid>_<n>: one namespace per n, none shared with another test process. */
static void mariadb_url(char *buf, size_t size, unsigned n)
{
    char query[64];
    snprintf(query, sizeof query, "tablename=az%ld_%u", (long)getpid(), n);
    url_with(buf, size, query);
}

/* A connection of our own to the test server (to kill, lock and inspect). */
static MYSQL *raw_connect(void)
{
    az_url u;
    assert_int_equal(az_url_parse(server_url(), &u), 0);
    MYSQL *c = mysql_init(NULL);
    assert_non_null(c);
    const char *db = u.path[0] == '/' ? u.path + 1 : u.path;
    if (!mysql_real_connect(c, u.host, u.user, u.password, db, (unsigned)u.port, NULL, 0))
        fail_msg("raw connect: %s", mysql_error(c));
    az_url_free(&u);
    return c;
}

static void raw_exec(MYSQL *c, const char *sql)
{
    if (mysql_query(c, sql) != 0)
        fail_msg("%s: %s", sql, mysql_error(c));
    MYSQL_RES *res = mysql_store_result(c);
    mysql_free_result(res);
}

/* The first column of the first row of sql as a number (-1 when there is no row). */
static long long raw_number(MYSQL *c, const char *sql)
{
    if (mysql_query(c, sql) != 0)
        fail_msg("%s: %s", sql, mysql_error(c));
    MYSQL_RES *res = mysql_store_result(c);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    long long v = row && row[0] ? atoll(row[0]) : -1;
    mysql_free_result(res);
    return v;
}

/* Drop the tables and sequences this process made (at exit, whatever the tests did). */
static void drop_own_tables(void)
{
    MYSQL *c = raw_connect();
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = DATABASE() "
             "AND table_name LIKE 'az%ld\\_%%'",
             (long)getpid());
    if (mysql_query(c, sql) == 0) {
        MYSQL_RES *res = mysql_store_result(c);
        MYSQL_ROW row;
        while (res && (row = mysql_fetch_row(res)) != NULL) {
            char drop[256];
            snprintf(drop, sizeof drop, "DROP %s IF EXISTS `%s`",
                     strcmp(row[1], "SEQUENCE") == 0 ? "SEQUENCE" : "TABLE", row[0]);
            (void)mysql_query(c, drop);
        }
        mysql_free_result(res);
    }
    mysql_close(c);
}

static int drop_tables_after(void **state)
{
    (void)state;
    drop_own_tables();
    return 0;
}

/* ---- helpers ----------------------------------------------------------------------------------- */

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static asyncz_store *open_url(const char *url)
{
    asyncz_store *st = NULL;
    int rc = asyncz_store_open(&st, url);
    if (rc)
        fail_msg("open %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    rc = asyncz_store_connect(st);
    if (rc)
        fail_msg("connect %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    return st;
}

static asyncz_store *open_ns(unsigned n)
{
    char url[512];
    mariadb_url(url, sizeof url, n);
    return open_url(url);
}

static az_maria *backend_of(asyncz_store *st)
{
    az_backend *b = az_persist_backend(st);
    assert_non_null(b);
    return (az_maria *)b;
}

static void raw_insert(asyncz_store *st, const char *id, asyncz_time_t when, const void *data, size_t len)
{
    az_backend *b = az_persist_backend(st);
    az_record rec = {.id = id, .next_run_time = when, .data = data, .len = len};
    int rc = b->ops->insert(b, &rec);
    if (rc)
        fail_msg("insert %s: %s: %s", id, asyncz_strerror(rc), asyncz_store_errmsg());
}

static int open_rc(const char *url)
{
    asyncz_store *st = (asyncz_store *)&st;
    int rc = asyncz_store_open(&st, url);
    if (rc)
        assert_null(st);
    asyncz_store_free(rc ? NULL : st);
    return rc;
}

typedef struct joined {
    char text[8192];
    size_t n;
} joined;

static int join_found(const az_found *rec, void *userdata)
{
    joined *j = userdata;
    size_t len = strlen(j->text);
    snprintf(j->text + len, sizeof j->text - len, "%s%s", len ? "," : "", rec->id);
    j->n++;
    return 0;
}

/* ---- URLs and options (no server needed) ---------------------------------------------------------- */

static void mariadb_url_forms(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, "mariadb://u:p@127.0.0.1:1/db"), 0);
    assert_string_equal(asyncz_store_kind(st), "mariadb");
    unsigned caps = ops(st)->caps;
    assert_int_equal(caps & (ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED | ASYNCZ_STORE_CAP_NOTIFY),
                     ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED);
    asyncz_store_free(st);
    assert_int_equal(asyncz_store_open(&st, "mysql://u@localhost/db?tablename=jobs"), 0);
    assert_string_equal(asyncz_store_kind(st), "mariadb");
    asyncz_store_free(st);
    assert_int_equal(open_rc("mariadb:///db?unix_socket=/run/mysqld/mysqld.sock&connect_timeout=3"), 0);
    assert_int_equal(open_rc("mariadb://h/db?read_timeout=3600&write_timeout=1"), 0);
}

static void mariadb_url_needs_database(void **state)
{
    (void)state;
    assert_int_equal(open_rc("mariadb://u:p@127.0.0.1:3306"), ASYNCZ_EINVAL);
    assert_non_null(strstr(asyncz_store_errmsg(), "database"));
    assert_int_equal(open_rc("mariadb://u:p@127.0.0.1:3306/"), ASYNCZ_EINVAL);
    assert_int_equal(open_rc("mariadb://u:p@127.0.0.1:3306/db/more"), ASYNCZ_EINVAL);
}

static void mariadb_url_refuses_injection(void **state)
{
    (void)state;
    assert_int_equal(open_rc("mariadb://h/db?tablename=jobs%60%3B%20DROP%20TABLE%20x%3B%20--"),
                     ASYNCZ_EINVAL);
    assert_non_null(strstr(asyncz_store_errmsg(), "tablename"));
    assert_int_equal(open_rc("mariadb://h/db?tablename=a.b"), ASYNCZ_EINVAL);
    assert_int_equal(open_rc("mariadb://h/db?tablename=1jobs"), ASYNCZ_EINVAL);
    assert_int_equal(open_rc("mariadb://h/db?tablename="), ASYNCZ_EINVAL);
}

static void mariadb_url_table_length(void **state)
{
    (void)state;
    char url[256];
    char name[60];
    memset(name, 'a', 53);
    name[53] = '\0';
    snprintf(url, sizeof url, "mariadb://h/db?tablename=%s", name);
    assert_int_equal(open_rc(url), 0);
    strcat(name, "b");
    snprintf(url, sizeof url, "mariadb://h/db?tablename=%s", name);
    assert_int_equal(open_rc(url), ASYNCZ_EINVAL);
    assert_non_null(strstr(asyncz_store_errmsg(), "53"));
}

static void mariadb_url_bad_timeouts(void **state)
{
    (void)state;
    assert_int_equal(open_rc("mariadb://h/db?connect_timeout=0"), ASYNCZ_EINVAL);
    assert_non_null(strstr(asyncz_store_errmsg(), "connect_timeout"));
    assert_int_equal(open_rc("mariadb://h/db?read_timeout=3601"), ASYNCZ_EINVAL);
    assert_int_equal(open_rc("mariadb://h/db?write_timeout=ten"), ASYNCZ_EINVAL);
    assert_int_equal(open_rc("mariadb://h/db?connect_timeout=-5"), ASYNCZ_EINVAL);
    assert_int_equal(open_rc("mariadb://h/db?connect_timeout=5s"), ASYNCZ_EINVAL);
}

static void mariadb_url_unknown_option(void **state)
{
    (void)state;
    assert_int_equal(open_rc("mariadb://h/db?table=jobs"), ASYNCZ_EINVAL);
    assert_non_null(strstr(asyncz_store_errmsg(), "\"table\""));
    assert_non_null(strstr(asyncz_store_errmsg(), "tablename"));
}

/* Before open (and after close) the backend refuses politely instead of touching a missing connection. */
static void mariadb_not_open(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, "mariadb://u:p@127.0.0.1:1/db"), 0);
    size_t n = 0;
    assert_int_equal(ops(st)->count(st, &n), ASYNCZ_ESTATE);
    assert_non_null(strstr(asyncz_store_errmsg(), "not open"));
    asyncz_store_free(st);
}

/* ---- connecting ------------------------------------------------------------------------------------ */

static void mariadb_wrong_password(void **state)
{
    (void)state;
    az_url u;
    assert_int_equal(az_url_parse(server_url(), &u), 0);
    char url[512];
    snprintf(url, sizeof url, "mariadb://%s:Wr0ng-Pa55word@%s:%d%s?tablename=az%ld_x", u.user, u.host, u.port,
             u.path, (long)getpid());
    az_url_free(&u);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect(st), ASYNCZ_ESTORE);
    const char *msg = asyncz_store_errmsg();
    assert_null(strstr(msg, "Wr0ng-Pa55word"));
    if (!strstr(msg, "Access denied") || !strstr(msg, "connect") || strncmp(msg, "mariadb ", 8) != 0)
        fail_msg("unexpected message: %s", msg);
    asyncz_store_free(st);
}

/* Kill the store's connection from another one: the next call fails with ESTORE (naming what it was
 * doing), the one after connects again and finds the data. */
static void mariadb_reconnect_after_kill(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(1);
    az_test_add(st, "kept", T0);
    unsigned long id = mysql_thread_id(backend_of(st)->conn);
    MYSQL *killer = raw_connect();
    char sql[64];
    snprintf(sql, sizeof sql, "KILL CONNECTION %lu", id);
    raw_exec(killer, sql);
    mysql_close(killer);
    size_t n = 0;
    assert_int_equal(ops(st)->count(st, &n), ASYNCZ_ESTORE);
    assert_non_null(strstr(asyncz_store_errmsg(), "SELECT COUNT"));
    assert_int_equal(ops(st)->count(st, &n), 0);
    assert_int_equal(n, 1);
    assert_int_not_equal(mysql_thread_id(backend_of(st)->conn), id);
    az_test_add(st, "after", T0 + 1);
    asyncz_claim c[4];
    assert_int_equal(ops(st)->claim(st, T0 + 5, "me", LEASE, 4, c, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(asyncz_task_id(c[0].task), "kept");
    assert_true(c[1].token > c[0].token);
    asyncz_task_free(c[0].task);
    asyncz_task_free(c[1].task);
    asyncz_store_free(st);
}

/* The schema: the three tables, the sequence, and the index that serves due, claim and scan. */
static void mariadb_schema(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(2);
    MYSQL *c = raw_connect();
    char sql[512];
    const char *suffixes[] = {"", "_quarantine", "_instances", "_seq"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND "
                 "table_name = 'az%ld_2%s'",
                 (long)getpid(), suffixes[i]);
        assert_int_equal(raw_number(c, sql), 1);
    }
    snprintf(sql, sizeof sql,
             "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index) = 'next_run_time,seq' FROM "
             "information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'az%ld_2' AND "
             "index_name = 'run_order'",
             (long)getpid());
    assert_int_equal(raw_number(c, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND "
             "table_name = 'az%ld_2' AND engine = 'InnoDB'",
             (long)getpid());
    assert_int_equal(raw_number(c, sql), 1);
    mysql_close(c);
    asyncz_store_free(st);
}

/* ---- records ---------------------------------------------------------------------------------------- */

/* Ids differ by case only: two records (a case-insensitive collation would make them one). */
static void mariadb_ids_exact(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(3);
    az_test_add(st, "Job", T0);
    az_test_add(st, "job", T0 + 1);
    az_test_add(st, "JOB", T0 + 2);
    asyncz_task *t = NULL;
    assert_int_equal(ops(st)->lookup(st, "job", &t), 0);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 1);
    asyncz_task_free(t);
    assert_int_equal(ops(st)->remove(st, "JOB"), 0);
    assert_int_equal(ops(st)->remove(st, "JOB"), ASYNCZ_ENOTFOUND);
    size_t n = 0;
    assert_int_equal(ops(st)->count(st, &n), 0);
    assert_int_equal(n, 2);
    asyncz_store_free(st);
}

typedef struct bytes_seen {
    unsigned char *data;
    size_t len;
    asyncz_time_t nrt;
} bytes_seen;

static int keep_bytes(const az_found *rec, void *userdata)
{
    bytes_seen *b = userdata;
    b->data = malloc(rec->len + 1);
    assert_non_null(b->data);
    memcpy(b->data, rec->data, rec->len);
    b->len = rec->len;
    b->nrt = rec->next_run_time;
    return 0;
}

/* Records are bytes: NULs and every byte value survive, up to the largest record (which is longer than
 * the first fetch buffer, so it is fetched again whole). */
static void mariadb_binary_records(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(4);
    az_backend *b = az_persist_backend(st);
    unsigned char small[300];
    for (size_t i = 0; i < sizeof small; i++)
        small[i] = (unsigned char)(i * 7);
    size_t big_len = AZ_RECORD_MAX;
    unsigned char *big = malloc(big_len);
    assert_non_null(big);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (unsigned char)(i % 251);
    raw_insert(st, "small", T0, small, sizeof small);
    raw_insert(st, "big", ASYNCZ_TIME_NONE, big, big_len);
    raw_insert(st, "empty", T0 + 1, "", 0);
    bytes_seen s = {0};
    assert_int_equal(b->ops->get(b, "small", keep_bytes, &s), 0);
    assert_int_equal(s.len, sizeof small);
    assert_memory_equal(s.data, small, sizeof small);
    assert_int_equal(s.nrt, T0);
    free(s.data);
    memset(&s, 0, sizeof s);
    assert_int_equal(b->ops->get(b, "big", keep_bytes, &s), 0);
    assert_int_equal(s.len, big_len);
    assert_memory_equal(s.data, big, big_len);
    assert_int_equal(s.nrt, ASYNCZ_TIME_NONE);
    free(s.data);
    memset(&s, 0, sizeof s);
    assert_int_equal(b->ops->get(b, "empty", keep_bytes, &s), 0);
    assert_int_equal(s.len, 0);
    free(s.data);
    joined j = {0};
    assert_int_equal(b->ops->scan(b, join_found, &j), 0);
    assert_string_equal(j.text, "small,empty,big");
    free(big);
    asyncz_store_free(st);
}

typedef struct order_check {
    int n, errors;
} order_check;

static int check_scan_order(const az_found *rec, void *userdata)
{
    order_check *o = userdata;
    char want[32];
    if (o->n < 1200)
        snprintf(want, sizeof want, "t%04d", o->n);
    else
        snprintf(want, sizeof want, "p%04d", o->n - 1200);
    if (strcmp(want, rec->id) != 0)
        o->errors++;
    o->n++;
    return 0;
}

/* More records than one page of a listing (1000), timed with ties and paused: the order holds across
 * pages. */
static void mariadb_scan_pages(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(6);
    az_backend *b = az_persist_backend(st);
    char id[32];
    for (int i = 0; i < 1100; i++) {
        snprintf(id, sizeof id, "p%04d", i);
        raw_insert(st, id, ASYNCZ_TIME_NONE, "x", 1);
    }
    for (int i = 0; i < 1200; i++) {
        snprintf(id, sizeof id, "t%04d", i);
        raw_insert(st, id, T0 + (i / 400) * SEC, "x", 1);
    }
    order_check o = {0};
    assert_int_equal(b->ops->scan(b, check_scan_order, &o), 0);
    assert_int_equal(o.n, 2300);
    assert_int_equal(o.errors, 0);
    asyncz_store_free(st);
}

/* ---- claims ---------------------------------------------------------------------------------------- */

static void free_claims(asyncz_claim *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        asyncz_task_free(c[i].task);
}

/* A row locked by another transaction is skipped, not waited for; it is claimed once the lock is gone. */
static void mariadb_claim_skips_locked(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(7);
    az_test_add(st, "a", T0);
    az_test_add(st, "b", T0 + 1);
    az_test_add(st, "c", T0 + 2);
    MYSQL *other = raw_connect();
    char sql[256];
    raw_exec(other, "START TRANSACTION");
    snprintf(sql, sizeof sql, "SELECT id FROM `az%ld_7` WHERE id = 'a' FOR UPDATE", (long)getpid());
    raw_exec(other, sql);
    asyncz_claim c[4];
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0 + 10, "me", LEASE, 2, c, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(asyncz_task_id(c[0].task), "b");
    assert_string_equal(asyncz_task_id(c[1].task), "c");
    free_claims(c, n);
    raw_exec(other, "COMMIT");
    mysql_close(other);
    assert_int_equal(ops(st)->claim(st, T0 + 10, "me", LEASE, 4, c, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(asyncz_task_id(c[0].task), "a");
    free_claims(c, n);
    asyncz_store_free(st);
}

/* A claim of more records than one id list holds (256): every one, in order, tokens increasing. */
static void mariadb_claim_large_batch(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(8);
    char id[32];
    for (int i = 0; i < 600; i++) {
        snprintf(id, sizeof id, "k%04d", i);
        raw_insert(st, id, T0 + i, "x", 1);
    }
    az_backend *b = az_persist_backend(st);
    joined *j = calloc(1, sizeof *j);
    assert_non_null(j);
    assert_int_equal(b->ops->claim(b, T0 + 1000, "me", LEASE, 599, join_found, j), 0);
    assert_int_equal(j->n, 599);
    assert_int_equal(strncmp(j->text, "k0000,k0001,k0002", 17), 0);
    free(j);
    j = calloc(1, sizeof *j);
    assert_non_null(j);
    assert_int_equal(b->ops->claim(b, T0 + 1000, "me", LEASE, 2, join_found, j), 0);
    assert_string_equal(j->text, "k0599");
    free(j);
    asyncz_store_free(st);
}

typedef struct token_order {
    int n, errors;
    uint64_t last;
    asyncz_time_t last_nrt;
} token_order;

static int check_tokens(const az_found *rec, void *userdata)
{
    token_order *o = userdata;
    if (rec->token <= o->last || rec->next_run_time < o->last_nrt || rec->lease_until != T0 + 1000 + LEASE)
        o->errors++;
    o->last = rec->token;
    o->last_nrt = rec->next_run_time;
    o->n++;
    return 0;
}

static void mariadb_claim_large_batch_tokens(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(9);
    char id[32];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "k%04d", i);
        raw_insert(st, id, T0 + 299 - i, "x", 1);
    }
    az_backend *b = az_persist_backend(st);
    token_order o = {0};
    assert_int_equal(b->ops->claim(b, T0 + 1000, "me", LEASE, 1000, check_tokens, &o), 0);
    assert_int_equal(o.n, 300);
    assert_int_equal(o.errors, 0);
    asyncz_store_free(st);
}

/* Two connections claim the same due records at once, from two threads: each record exactly once. */
typedef struct claimer {
    asyncz_store *st;
    const char *owner;
    int got[400];
    int n, rc;
} claimer;

static void *claim_loop(void *arg)
{
    claimer *cl = arg;
    asyncz_claim c[7];
    size_t n = 0;
    do {
        cl->rc = ops(cl->st)->claim(cl->st, T0 + 1000, cl->owner, LEASE, 7, c, &n);
        for (size_t i = 0; i < n && !cl->rc; i++) {
            cl->got[cl->n++] = atoi(asyncz_task_id(c[i].task) + 1);
            asyncz_task_free(c[i].task);
        }
    } while (!cl->rc && n > 0);
    return NULL;
}

static void mariadb_claim_two_connections(void **state)
{
    (void)state;
    asyncz_store *a = open_ns(10);
    asyncz_store *b = open_ns(10);
    char id[32];
    for (int i = 0; i < 400; i++) {
        snprintf(id, sizeof id, "k%d", i);
        az_test_add(a, id, T0 + (i % 5));
    }
    claimer ca = {.st = a, .owner = "a"}, cb = {.st = b, .owner = "b"};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, claim_loop, &ca), 0);
    assert_int_equal(pthread_create(&tb, NULL, claim_loop, &cb), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(ca.rc, 0);
    assert_int_equal(cb.rc, 0);
    int seen[400] = {0};
    for (int i = 0; i < ca.n; i++)
        seen[ca.got[i]]++;
    for (int i = 0; i < cb.n; i++)
        seen[cb.got[i]]++;
    for (int i = 0; i < 400; i++)
        if (seen[i] != 1)
            fail_msg("task k%d claimed %d times", i, seen[i]);
    assert_int_equal(ca.n + cb.n, 400);
    asyncz_store_free(a);
    asyncz_store_free(b);
}

static void mariadb_claim_owner_too_long(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(11);
    az_test_add(st, "a", T0);
    char owner[1100];
    memset(owner, 'o', sizeof owner - 1);
    owner[sizeof owner - 1] = '\0';
    asyncz_claim c[1];
    size_t n = 5;
    assert_int_equal(ops(st)->claim(st, T0 + 10, owner, LEASE, 1, c, &n), ASYNCZ_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(ops(st)->claim(st, T0 + 10, "short", LEASE, 1, c, &n), 0);
    assert_int_equal(n, 1);
    free_claims(c, n);
    asyncz_store_free(st);
}

/* ---- quarantine ------------------------------------------------------------------------------------ */

typedef struct q_seen {
    int n;
    char ids[256];
    char reasons[512];
    asyncz_time_t at[4];
    size_t len[4];
    unsigned char first[16];
} q_seen;

static int q_keep(const az_quarantine_rec *q, void *userdata)
{
    q_seen *s = userdata;
    size_t l = strlen(s->ids);
    snprintf(s->ids + l, sizeof s->ids - l, "%s%s", l ? "," : "", q->id);
    l = strlen(s->reasons);
    snprintf(s->reasons + l, sizeof s->reasons - l, "%s%s", l ? "|" : "", q->reason);
    if (s->n < 4) {
        s->at[s->n] = q->at;
        s->len[s->n] = q->len;
    }
    if (s->n == 0)
        memcpy(s->first, q->data, q->len < 16 ? q->len : 16);
    s->n++;
    return 0;
}

/* Only the bytes that were read are moved aside; several entries per id, oldest first. */
static void mariadb_quarantine_exact_bytes(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(12);
    az_backend *b = az_persist_backend(st);
    raw_insert(st, "bad", T0, "a\0b", 3);
    assert_int_equal(b->ops->quarantine(b, "bad", (const unsigned char *)"a\0c", 3, "changed", T0),
                     ASYNCZ_ESTATE);
    assert_int_equal(b->ops->quarantine(b, "gone", (const unsigned char *)"a", 1, "gone", T0), ASYNCZ_ESTATE);
    assert_int_equal(b->ops->quarantine(b, "bad", (const unsigned char *)"a\0b", 3, "first", T0 + 2), 0);
    assert_int_equal(b->ops->get(b, "bad", keep_bytes, &(bytes_seen){0}), ASYNCZ_ENOTFOUND);
    raw_insert(st, "bad", T0, "zz", 2);
    assert_int_equal(b->ops->quarantine(b, "bad", (const unsigned char *)"zz", 2, "second", T0 + 1), 0);
    q_seen s = {0};
    assert_int_equal(b->ops->quarantined(b, q_keep, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.ids, "bad,bad");
    assert_string_equal(s.reasons, "first|second");
    assert_int_equal(s.at[0], T0 + 2);
    assert_int_equal(s.len[0], 3);
    assert_memory_equal(s.first, "a\0b", 3);
    size_t n = 9;
    assert_int_equal(b->ops->count(b, &n), 0);
    assert_int_equal(n, 0);
    asyncz_store_free(st);
}

/* ---- journals ------------------------------------------------------------------------------------------ */

/* A journal entry numbered i (ids of larger i are newer), task task, status st. */
static az_jentry jentry(char id[AZ_JOURNAL_ID_LEN + 1], unsigned i, const char *task, int st,
                        const unsigned char *data, size_t len)
{
    snprintf(id, AZ_JOURNAL_ID_LEN + 1, "0190%04x-%04x-7000-8000-%012x", i >> 16, i & 0xffff, i);
    return (az_jentry){.id = id,
                       .task_id = task,
                       .at = T0 + (asyncz_time_t)i * SEC,
                       .end_at = T0 + (asyncz_time_t)i * SEC,
                       .status = st,
                       .who = "w",
                       .data = data,
                       .len = len};
}

static int jcount(const az_jentry *e, void *userdata)
{
    (void)e;
    ++*(size_t *)userdata;
    return 0;
}

static int jcount_two(const az_jentry *e, void *userdata)
{
    (void)e;
    return ++*(size_t *)userdata == 2 ? 5 : 0; /* stop after two */
}

/* Each journal is a table T_runs / T_audit with the indexes the queries use. */
static void mariadb_journal_schema(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(13);
    MYSQL *c = raw_connect();
    char sql[512];
    static const char *const tables[] = {"runs", "audit"};
    static const char *const indexes[][2] = {
        {"PRIMARY", "id"}, {"by_task", "task_id,id"}, {"by_status", "status,id"}, {"by_end", "end_at"}};
    for (size_t t = 0; t < 2; t++) {
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND "
                 "table_name = 'az%ld_13_%s' AND engine = 'InnoDB'",
                 (long)getpid(), tables[t]);
        assert_int_equal(raw_number(c, sql), 1);
        for (size_t i = 0; i < 4; i++) {
            snprintf(sql, sizeof sql,
                     "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index) = '%s' FROM "
                     "information_schema.statistics WHERE table_schema = DATABASE() AND table_name = "
                     "'az%ld_13_%s' AND index_name = '%s'",
                     indexes[i][1], (long)getpid(), tables[t], indexes[i][0]);
            assert_int_equal(raw_number(c, sql), 1);
        }
    }
    mysql_close(c);
    asyncz_store_free(st);
}

/* The plans of the statements that must stay cheap at a million entries read the index meant for them, in
 * its order (no filesort): a task's newest, one status's newest, pruning by end_at, trimming a task. */
static void mariadb_journal_plans(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(14);
    az_backend *b = az_persist_backend(st);
    enum { N = 400 };
    az_jentry *e = calloc(N, sizeof *e);
    char(*ids)[AZ_JOURNAL_ID_LEN + 1] = calloc(N, sizeof *ids);
    char(*tasks)[16] = calloc(N, sizeof *tasks);
    assert_true(e && ids && tasks);
    for (unsigned i = 0; i < N; i++) {
        snprintf(tasks[i], sizeof tasks[i], "task-%u", i % 40);
        e[i] = jentry(ids[i], i + 1, tasks[i], i % 10 == 0 ? 2 : 1, (const unsigned char *)"{}", 2);
    }
    assert_int_equal(b->ops->journal_put(b, AZ_JOURNAL_RUNS, e, N), 0);
    free(e);
    free(ids);
    free(tasks);
    MYSQL *c = raw_connect();
    char sql[512];
    snprintf(sql, sizeof sql, "ANALYZE TABLE `az%ld_14_runs`", (long)getpid());
    raw_exec(c, sql);
    static const char *const cases[][2] = {
        {"SELECT id FROM `az%ld_14_runs` WHERE task_id = 'task-3' ORDER BY id DESC LIMIT 50", "by_task"},
        {"SELECT id FROM `az%ld_14_runs` WHERE status = 2 AND at >= 0 ORDER BY id DESC LIMIT 5", "by_status"},
        {"DELETE FROM `az%ld_14_runs` WHERE end_at < 1900000000000000 ORDER BY end_at, id LIMIT 3", "by_end"},
        {"DELETE FROM `az%ld_14_runs` WHERE task_id = 'task-3' AND id <= (SELECT id FROM `az%ld_14_runs` "
         "WHERE "
         "task_id = 'task-3' ORDER BY id DESC LIMIT 1 OFFSET 2) ORDER BY task_id, id LIMIT 3",
         "by_task"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char query[400];
        snprintf(query, sizeof query, cases[i][0], (long)getpid(), (long)getpid());
        snprintf(sql, sizeof sql, "EXPLAIN %s", query);
        if (mysql_query(c, sql) != 0)
            fail_msg("%s: %s", sql, mysql_error(c));
        MYSQL_RES *res = mysql_store_result(c);
        MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL; /* the first row: the outer statement */
        assert_non_null(row);
        const char *key = row[5] ? row[5] : "", *extra = row[9] ? row[9] : "";
        if (strcmp(key, cases[i][1]) != 0 || strstr(extra, "filesort"))
            fail_msg("%s: key %s, %s (expected %s, no filesort)", query, key, extra, cases[i][1]);
        mysql_free_result(res);
    }
    mysql_close(c);

    /* The statements as the backend sends them: a listing stopped early leaves the connection usable. */
    az_jquery q = {.task_id = "task-3", .since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 50};
    size_t n = 0;
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_RUNS, &q, jcount_two, &n), 5);
    n = 0;
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_RUNS, &q, jcount, &n), 0);
    assert_int_equal(n, N / 40);
    size_t removed = 0;
    assert_int_equal(b->ops->journal_trim_task(b, AZ_JOURNAL_RUNS, "task-3", 4, 100, &removed), 0);
    assert_int_equal(removed, N / 40 - 4);
    /* Entries 1..10 end before T0 + 11 s; the trim took entry 4 (task-3's oldest). */
    assert_int_equal(b->ops->journal_prune_age(b, AZ_JOURNAL_RUNS, T0 + 11 * SEC, 100, &removed), 0);
    assert_int_equal(removed, 9);
    asyncz_store_free(st);
}

/* The largest entry (AZ_JOURNAL_MAX) goes through a server with the default max_allowed_packet (16 MiB);
 * one larger than the server lets through is refused before it is sent, naming the setting, and the
 * connection stays usable. */
static void mariadb_journal_packet_limit(void **state)
{
    (void)state;
    asyncz_store *st = open_ns(15);
    az_maria *m = backend_of(st);
    az_backend *b = &m->base;
    unsigned char *big = malloc(AZ_JOURNAL_MAX);
    assert_non_null(big);
    for (size_t k = 0; k < AZ_JOURNAL_MAX; k++)
        big[k] = (unsigned char)(k * 13 + 1);
    char id[AZ_JOURNAL_ID_LEN + 1];
    az_jentry e = jentry(id, 1, "big", 0, big, AZ_JOURNAL_MAX);
    int rc = b->ops->journal_put(b, AZ_JOURNAL_AUDIT, &e, 1);
    if (rc)
        fail_msg("put %u bytes: %s: %s", (unsigned)AZ_JOURNAL_MAX, asyncz_strerror(rc),
                 asyncz_store_errmsg());
    size_t n = 0;
    az_jquery q = {.since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 10};
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_AUDIT, &q, jcount, &n), 0);
    assert_int_equal(n, 1);

    /* As if the server took at most 1 MiB. */
    unsigned long long real = m->max_packet;
    m->max_packet = 1024 * 1024;
    e = jentry(id, 2, "big", 0, big, 2 * 1024 * 1024);
    assert_int_equal(b->ops->journal_put(b, AZ_JOURNAL_AUDIT, &e, 1), ASYNCZ_ETOOBIG);
    assert_non_null(strstr(asyncz_store_errmsg(), "max_allowed_packet"));
    /* Entries that fit are split over statements that each fit. */
    enum { N = 8 };
    az_jentry many[N];
    char ids[N][AZ_JOURNAL_ID_LEN + 1];
    for (unsigned i = 0; i < N; i++)
        many[i] = jentry(ids[i], 10 + i, "many", 0, big, 400 * 1024);
    rc = b->ops->journal_put(b, AZ_JOURNAL_AUDIT, many, N);
    if (rc)
        fail_msg("put %d entries of 400 KiB: %s: %s", N, asyncz_strerror(rc), asyncz_store_errmsg());
    m->max_packet = real;
    n = 0;
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_AUDIT, &q, jcount, &n), 0);
    assert_int_equal(n, 1 + N);
    free(big);
    asyncz_store_free(st);
}

/* ---- main -------------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        AZ_STORE_SUITES,
        cmocka_unit_test(mariadb_url_forms),
        cmocka_unit_test(mariadb_url_needs_database),
        cmocka_unit_test(mariadb_url_refuses_injection),
        cmocka_unit_test(mariadb_url_table_length),
        cmocka_unit_test(mariadb_url_bad_timeouts),
        cmocka_unit_test(mariadb_url_unknown_option),
        cmocka_unit_test(mariadb_not_open),
        cmocka_unit_test(mariadb_wrong_password),
        cmocka_unit_test(mariadb_reconnect_after_kill),
        cmocka_unit_test(mariadb_schema),
        cmocka_unit_test(mariadb_ids_exact),
        cmocka_unit_test(mariadb_binary_records),
        cmocka_unit_test(mariadb_scan_pages),
        cmocka_unit_test(mariadb_claim_skips_locked),
        cmocka_unit_test(mariadb_claim_large_batch),
        cmocka_unit_test(mariadb_claim_large_batch_tokens),
        cmocka_unit_test(mariadb_claim_two_connections),
        cmocka_unit_test(mariadb_claim_owner_too_long),
        cmocka_unit_test(mariadb_quarantine_exact_bytes),
        cmocka_unit_test(mariadb_journal_schema),
        cmocka_unit_test(mariadb_journal_plans),
        cmocka_unit_test(mariadb_journal_packet_limit),
    };
    az_store_url = mariadb_url;
    az_store_unreachable_url = "mariadb://asyncz:secret-password@127.0.0.1:1/asyncz?connect_timeout=5";
    az_store_bad_option_url = "mariadb://asyncz:secret@127.0.0.1:1/asyncz?bogus_option=1";
    az_store_factory = az_persist_factory;
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, drop_tables_after);
}

#else

/* Built without MariaDB Connector/C (ASYNCZ_STORE_MARIADB=OFF): the test named on the command line is
 * reported as skipped. */
#include "az_test.h"

static void not_built(void **state)
{
    (void)state;
    skip();
}

int main(int argc, char **argv)
{
    struct CMUnitTest tests[] = {{.name = argc > 1 ? argv[1] : "mariadb", .test_func = not_built}};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
