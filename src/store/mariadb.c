/* The MariaDB record backend (mariadb:// and mysql:// URLs, MariaDB Connector/C): options, the
 * connection and its schema, prepared statements, binding and fetching. The record operations are in
 * mariadb_ops.c; docs/stores.md describes the layout. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "store/mariadb_internal.h"
#include "util/sql.h"

#define DEFAULT_TABLE "asyncz_store"
#define DEFAULT_PORT 3306u
/* The longest suffix added to the table name ("_quarantine"): names stay within MariaDB's 64 bytes. */
#define TABLE_MAX (64 - sizeof "_quarantine" + 1)
/* SKIP LOCKED came in MariaDB 10.6. */
#define SERVER_MIN 100600ul

static az_maria *M(az_backend *b)
{
    return (az_maria *)b;
}

/* ---- statements ------------------------------------------------------------------------------------ */

/* Every statement names the table as `{T}`; the name is validated (az_url_name) before it is spliced in,
 * and every value is a bound parameter. Record reads all return the same columns (RECORD_COLS). */
#define RECORD_COLS "id, next_run_time, seq, state, token, lease_until"
#define DUE_WHERE "next_run_time <= ? AND (lease_until IS NULL OR lease_until <= ?)"

static const char *const stmt_sql[AZ_MQ_COUNT_IDS] = {
    [AZ_MQ_INSERT] = "INSERT INTO `{T}` (id, next_run_time, seq, state) VALUES (?, ?, NEXTVAL(`{T}_seq`), ?)",
    [AZ_MQ_REPLACE] =
        "UPDATE `{T}` SET next_run_time = ?, seq = NEXTVAL(`{T}_seq`), state = ?, owner = NULL, "
        "lease_until = NULL, token = 0 WHERE id = ?",
    [AZ_MQ_REMOVE] = "DELETE FROM `{T}` WHERE id = ?",
    [AZ_MQ_REMOVE_ALL] = "DELETE FROM `{T}`",
    [AZ_MQ_GET] = "SELECT " RECORD_COLS " FROM `{T}` WHERE id = ?",
    /* After a refused release: does the record exist, and does it hold this release's token unclaimed. */
    [AZ_MQ_EXISTS] = "SELECT COUNT(*), COUNT(CASE WHEN owner IS NULL AND token = ? THEN 1 END) FROM `{T}` "
                     "WHERE id = ?",
    [AZ_MQ_SCAN_TIMED] = "SELECT " RECORD_COLS " FROM `{T}` WHERE next_run_time IS NOT NULL AND "
                         "(next_run_time > ? OR (next_run_time = ? AND seq > ?)) ORDER BY next_run_time, seq "
                         "LIMIT ?",
    [AZ_MQ_SCAN_PAUSED] = "SELECT " RECORD_COLS " FROM `{T}` WHERE next_run_time IS NULL AND seq > ? "
                          "ORDER BY seq LIMIT ?",
    [AZ_MQ_DUE] = "SELECT " RECORD_COLS " FROM `{T}` WHERE " DUE_WHERE " ORDER BY next_run_time, seq LIMIT ?",
    [AZ_MQ_EARLIEST] = "SELECT (SELECT MIN(next_run_time) FROM `{T}` WHERE lease_until IS NULL), "
                       "(SELECT MIN(lease_until) FROM `{T}`)",
    [AZ_MQ_COUNT] = "SELECT COUNT(*) FROM `{T}`",
    /* Unclaimed records come in order straight from claim_order (lease_until NULL, then next_run_time,
     * seq), without reading the claimed ones; lapsed claims, rare, come from the second part. */
    [AZ_MQ_PICK] =
        "(SELECT id, next_run_time, seq FROM `{T}` WHERE lease_until IS NULL AND next_run_time <= ? "
        "ORDER BY next_run_time, seq LIMIT ? FOR UPDATE SKIP LOCKED) UNION ALL "
        "(SELECT id, next_run_time, seq FROM `{T}` WHERE lease_until <= ? AND next_run_time <= ? "
        "ORDER BY next_run_time, seq LIMIT ? FOR UPDATE SKIP LOCKED) ORDER BY next_run_time, seq LIMIT ?",
    [AZ_MQ_RELEASE_REPLACE] =
        "UPDATE `{T}` SET next_run_time = ?, seq = NEXTVAL(`{T}_seq`), state = ?, "
        "owner = NULL, lease_until = NULL WHERE id = ? AND token = ? AND owner IS NOT NULL",
    [AZ_MQ_RELEASE_REMOVE] = "DELETE FROM `{T}` WHERE id = ? AND token = ? AND owner IS NOT NULL",
    [AZ_MQ_QUARANTINE_TAKE] = "DELETE FROM `{T}` WHERE id = ? AND state = ?",
    [AZ_MQ_QUARANTINE_ADD] = "INSERT INTO `{T}_quarantine` (id, reason, at, state) VALUES (?, ?, ?, ?)",
    [AZ_MQ_QUARANTINED] = "SELECT id, reason, at, state FROM `{T}_quarantine` ORDER BY qid",
    [AZ_MQ_QUARANTINE_DROP] = "DELETE FROM `{T}_quarantine` WHERE id = ? AND (? IS NULL OR at = ?)",
    [AZ_MQ_PUT_INSTANCE] = "INSERT INTO `{T}_instances` (id, doc) VALUES (?, ?) "
                           "ON DUPLICATE KEY UPDATE doc = VALUES(doc)",
    [AZ_MQ_INSTANCES] = "SELECT id, doc FROM `{T}_instances` ORDER BY id",
    [AZ_MQ_REMOVE_INSTANCE] = "DELETE FROM `{T}_instances` WHERE id = ?",
};

/* What each statement does, for messages (as the operations name their calls). */
static const char *const stmt_what[AZ_MQ_COUNT_IDS] = {
    [AZ_MQ_INSERT] = "INSERT task",
    [AZ_MQ_REPLACE] = "UPDATE task",
    [AZ_MQ_REMOVE] = "DELETE task",
    [AZ_MQ_REMOVE_ALL] = "DELETE all tasks",
    [AZ_MQ_GET] = "SELECT task",
    [AZ_MQ_EXISTS] = "release: SELECT",
    [AZ_MQ_SCAN_TIMED] = "SELECT tasks",
    [AZ_MQ_SCAN_PAUSED] = "SELECT paused tasks",
    [AZ_MQ_DUE] = "SELECT due tasks",
    [AZ_MQ_EARLIEST] = "SELECT earliest",
    [AZ_MQ_COUNT] = "SELECT COUNT",
    [AZ_MQ_PICK] = "claim: SELECT FOR UPDATE",
    [AZ_MQ_RELEASE_REPLACE] = "release: UPDATE",
    [AZ_MQ_RELEASE_REMOVE] = "release: DELETE",
    [AZ_MQ_QUARANTINE_TAKE] = "quarantine: DELETE",
    [AZ_MQ_QUARANTINE_ADD] = "quarantine: INSERT",
    [AZ_MQ_QUARANTINED] = "SELECT quarantine",
    [AZ_MQ_QUARANTINE_DROP] = "DELETE quarantine entry",
    [AZ_MQ_PUT_INSTANCE] = "heartbeat: INSERT",
    [AZ_MQ_INSTANCES] = "SELECT instances",
    [AZ_MQ_REMOVE_INSTANCE] = "DELETE instance",
};

/* The schema, created when missing. ids are VARBINARY so they compare byte for byte (a _bin collation
 * would still pad with spaces). run_order serves the due and scan queries in order; claim_order serves the
 * claim's pick (unclaimed records in order, without stepping over claimed ones) and both halves of
 * earliest. */
static const char *const schema_sql[] = {
    "CREATE TABLE IF NOT EXISTS `{T}` (id VARBINARY(255) NOT NULL, next_run_time BIGINT NULL, "
    "seq BIGINT NOT NULL, state LONGBLOB NOT NULL, owner VARBINARY(1024) NULL, lease_until BIGINT NULL, "
    "token BIGINT UNSIGNED NOT NULL DEFAULT 0, PRIMARY KEY (id), KEY run_order (next_run_time, seq), "
    "KEY claim_order (lease_until, next_run_time, seq)) ENGINE=InnoDB",
    "CREATE SEQUENCE IF NOT EXISTS `{T}_seq` ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS `{T}_quarantine` (qid BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, "
    "id VARBINARY(255) NOT NULL, reason BLOB NOT NULL, at BIGINT NOT NULL, state LONGBLOB NOT NULL, "
    "PRIMARY KEY (qid)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS `{T}_instances` (id VARBINARY(512) NOT NULL, doc LONGBLOB NOT NULL, "
    "PRIMARY KEY (id)) ENGINE=InnoDB",
};

int az_maria_prepare(az_maria *m, const char *tpl, const char *table, const char *what, MYSQL_STMT **out)
{
    char *sql = az_sql_with_table(tpl, table);
    if (!sql)
        return az_store_fail(ASYNCZ_ENOMEM, "%s: %s: out of memory", m->where, what);
    MYSQL_STMT *s = mysql_stmt_init(m->conn);
    int rc = 0;
    if (!s)
        rc = az_maria_fail(m, what);
    else if (mysql_stmt_prepare(s, sql, strlen(sql)) != 0) {
        rc = az_maria_stmt_fail(m, s, what);
        mysql_stmt_close(s);
    } else {
        *out = s;
    }
    free(sql);
    return rc;
}

static int prepare(az_maria *m, const char *tpl, const char *what, MYSQL_STMT **out)
{
    return az_maria_prepare(m, tpl, m->table, what, out);
}

int az_maria_stmt(az_maria *m, az_maria_stmt_id id, MYSQL_STMT **out)
{
    if (!m->stmt[id]) {
        int rc = prepare(m, stmt_sql[id], stmt_what[id], &m->stmt[id]);
        if (rc)
            return rc;
    }
    *out = m->stmt[id];
    return 0;
}

/* "UPDATE ... WHERE id IN (?, ...)" with n placeholders, from head and tail around the list. */
static void in_list_sql(char *out, size_t size, const char *head, size_t n, const char *tail)
{
    size_t j = (size_t)snprintf(out, size, "%s", head);
    for (size_t i = 0; i < n && j + 3 < size; i++)
        j += (size_t)snprintf(out + j, size - j, i ? ",?" : "?");
    snprintf(out + j, size - j, "%s", tail);
}

int az_maria_claim_stmts(az_maria *m, size_t bucket, MYSQL_STMT **update, MYSQL_STMT **read)
{
    size_t n = (size_t)1 << bucket;
    char tpl[2048];
    int rc = 0;
    if (!m->claim_update[bucket]) {
        in_list_sql(tpl, sizeof tpl,
                    "UPDATE `{T}` SET owner = ?, lease_until = ?, token = NEXTVAL(`{T}_seq`) WHERE id IN (",
                    n, ") ORDER BY next_run_time, seq");
        rc = prepare(m, tpl, "claim: UPDATE", &m->claim_update[bucket]);
    }
    if (!rc && !m->claim_read[bucket]) {
        in_list_sql(tpl, sizeof tpl, "SELECT " RECORD_COLS " FROM `{T}` WHERE id IN (", n,
                    ") ORDER BY next_run_time, seq");
        rc = prepare(m, tpl, "claim: SELECT", &m->claim_read[bucket]);
    }
    *update = m->claim_update[bucket];
    *read = m->claim_read[bucket];
    return rc;
}

static void close_stmts(MYSQL_STMT **stmts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (stmts[i])
            mysql_stmt_close(stmts[i]);
        stmts[i] = NULL;
    }
}

/* ---- errors ---------------------------------------------------------------------------------------- */

/* Client-side errors (2000-2999: connection lost, server gone, timeouts) and a killed connection leave the
 * connection unusable: it is closed before the next call, which connects again. */
static bool connection_lost(unsigned err)
{
    return (err >= CR_MIN_ERROR && err <= CR_MAX_ERROR) || err == ER_CONNECTION_KILLED ||
           err == ER_SERVER_SHUTDOWN;
}

static int fail_with(az_maria *m, const char *what, unsigned err, const char *msg)
{
    if (connection_lost(err))
        m->broken = true;
    return az_store_fail(ASYNCZ_ESTORE, "%s: %s: %s (error %u)", m->where, what, msg, err);
}

int az_maria_fail(az_maria *m, const char *what)
{
    if (!m->conn)
        return az_store_fail(ASYNCZ_ESTORE, "%s: %s: not connected", m->where, what);
    return fail_with(m, what, mysql_errno(m->conn), mysql_error(m->conn));
}

int az_maria_stmt_fail(az_maria *m, MYSQL_STMT *s, const char *what)
{
    unsigned err = mysql_stmt_errno(s);
    if (!err)
        return az_maria_fail(m, what);
    return fail_with(m, what, err, mysql_stmt_error(s));
}

/* ---- connection ------------------------------------------------------------------------------------ */

static void disconnect(az_maria *m)
{
    close_stmts(m->stmt, AZ_MQ_COUNT_IDS);
    close_stmts(m->claim_update, AZ_MARIA_IN_BUCKETS);
    close_stmts(m->claim_read, AZ_MARIA_IN_BUCKETS);
    az_maria_journal_forget(m);
    if (m->conn)
        mysql_close(m->conn);
    m->conn = NULL;
    m->broken = false;
}

static void set_options(az_maria *m, MYSQL *c)
{
    unsigned zero = 0;
    mysql_options(c, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(c, MYSQL_OPT_CONNECT_TIMEOUT, &m->connect_timeout);
    mysql_options(c, MYSQL_OPT_READ_TIMEOUT, &m->read_timeout);
    mysql_options(c, MYSQL_OPT_WRITE_TIMEOUT, &m->write_timeout);
    mysql_options(c, MYSQL_OPT_LOCAL_INFILE, &zero);
    /* READ COMMITTED: the claim's locking read takes no gap locks, so it never holds up other schedulers'
     * inserts; every operation is a single statement or its own short transaction. */
    mysql_options(c, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
}

/* The client library opens its socket without close-on-exec; set it at once. */
static void set_cloexec(MYSQL *c)
{
    int fd = (int)mysql_get_socket(c);
    if (fd < 0)
        return;
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0)
        (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

static int connect_once(az_maria *m)
{
    MYSQL *c = mysql_init(NULL);
    if (!c)
        return az_store_fail(ASYNCZ_ENOMEM, "%s: connect: out of memory", m->where);
    set_options(m, c);
    /* CLIENT_FOUND_ROWS: an UPDATE reports the rows it matched, which is how replace and release tell
     * "not there" from "done". */
    if (!mysql_real_connect(c, m->host, m->user, m->password, m->database, m->port, m->unix_socket,
                            CLIENT_FOUND_ROWS)) {
        int rc = az_store_fail(ASYNCZ_ESTORE, "%s: connect: %s (error %u)", m->where, mysql_error(c),
                               mysql_errno(c));
        mysql_close(c);
        return rc;
    }
    set_cloexec(c);
    m->conn = c;
    m->broken = false;
    return 0;
}

int az_maria_ready(az_maria *m)
{
    if (m->conn && !m->broken)
        return 0;
    if (!m->opened)
        return az_store_fail(ASYNCZ_ESTATE, "%s: the store is not open", m->where);
    disconnect(m);
    return connect_once(m);
}

int az_maria_query(az_maria *m, const char *sql, const char *what)
{
    if (mysql_real_query(m->conn, sql, strlen(sql)) != 0)
        return az_maria_fail(m, what);
    return 0;
}

int az_maria_commit(az_maria *m, const char *what)
{
    if (mysql_commit(m->conn) != 0)
        return az_maria_fail(m, what);
    return 0;
}

int az_maria_rollback(az_maria *m, int rc)
{
    /* The rollback's own failure would overwrite the message that explains rc; a lost connection rolls
     * back on the server anyway. */
    if (!m->broken)
        (void)mysql_rollback(m->conn);
    return rc;
}

static int check_server(az_maria *m)
{
    const char *info = mysql_get_server_info(m->conn);
    unsigned long version = mysql_get_server_version(m->conn);
    if (!info || !strstr(info, "MariaDB") || version < SERVER_MIN)
        return az_store_fail(ASYNCZ_ESTORE,
                             "%s: the server is \"%s\": this store needs MariaDB 10.6 or later (sequences, "
                             "SKIP LOCKED)",
                             m->where, info ? info : "?");
    return 0;
}

static int create_schema(az_maria *m)
{
    for (size_t i = 0; i < sizeof schema_sql / sizeof schema_sql[0]; i++) {
        char *sql = az_sql_with_table(schema_sql[i], m->table);
        int rc = sql ? az_maria_query(m, sql, "create tables")
                     : az_store_fail(ASYNCZ_ENOMEM, "%s: create tables: out of memory", m->where);
        free(sql);
        if (rc)
            return rc;
    }
    return 0;
}

/* A server whose max_allowed_packet is below the largest record refuses large tasks (and drops the
 * connection when it does): say so once, at open, rather than leave it to a puzzling failure later. The
 * journals read the value to size their batches and to refuse an entry the server would not take. */
static void check_packet(az_maria *m)
{
    m->max_packet = 0;
    if (mysql_real_query(m->conn, "SELECT @@max_allowed_packet", 27) != 0)
        return;
    MYSQL_RES *res = mysql_store_result(m->conn);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    unsigned long long max = row && row[0] ? strtoull(row[0], NULL, 10) : 0;
    mysql_free_result(res);
    m->max_packet = max;
    if (max && max < AZ_RECORD_MAX + 65536ull)
        asyncz_log(ASYNCZ_LOG_WARNING, "asyncz.store.mariadb",
                   "%s: the server's max_allowed_packet is %llu bytes: tasks up to %u bytes need more",
                   m->where, max, (unsigned)AZ_RECORD_MAX);
    else if (max && max < AZ_JOURNAL_MAX + 65536ull)
        asyncz_log(ASYNCZ_LOG_WARNING, "asyncz.store.mariadb",
                   "%s: the server's max_allowed_packet is %llu bytes: history entries up to %u bytes need "
                   "more (larger ones are refused)",
                   m->where, max, (unsigned)AZ_JOURNAL_MAX);
}

/* A tool that needs an existing store (asyncz_store_connect_existing) creates nothing: the table must be
 * in the URL's database. The name is a checked identifier, so it can stand in the query's text. */
static int check_table(az_maria *m)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '%s'",
             m->table);
    if (mysql_real_query(m->conn, sql, strlen(sql)) != 0)
        return az_maria_fail(m, "look for the table");
    MYSQL_RES *res = mysql_store_result(m->conn);
    if (!res)
        return az_maria_fail(m, "look for the table");
    bool found = mysql_num_rows(res) > 0;
    mysql_free_result(res);
    if (!found)
        return az_store_fail(ASYNCZ_ENOTFOUND,
                             "%s has no asyncz tables (no table %s): add a task first, or check the URL",
                             m->where, m->table);
    return 0;
}

int az_maria_open(az_backend *b, const asyncz_store_host *host)
{
    /* MariaDB has no notifications (schedulers poll): host says only whether the store must exist. */
    az_maria *m = M(b);
    disconnect(m);
    m->opened = false;
    int rc = connect_once(m);
    if (!rc)
        rc = check_server(m);
    if (!rc && host && host->existing)
        rc = check_table(m);
    if (!rc)
        rc = create_schema(m);
    if (!rc)
        rc = az_maria_journal_schema(m);
    if (rc) {
        disconnect(m);
        return rc;
    }
    check_packet(m);
    m->opened = true;
    return 0;
}

void az_maria_close(az_backend *b)
{
    az_maria *m = M(b);
    disconnect(m);
    m->opened = false;
}

void az_maria_destroy(az_backend *b)
{
    az_maria *m = M(b);
    disconnect(m);
    free(m->host);
    free(m->user);
    if (m->password) {
        /* Do not leave the password in freed memory. */
        volatile char *p = m->password;
        while (*p)
            *p++ = '\0';
    }
    free(m->password);
    free(m->database);
    free(m->unix_socket);
    free(m);
}

/* ---- parameters ------------------------------------------------------------------------------------ */

void az_maria_bind_text(MYSQL_BIND *b, const char *s, unsigned long *len)
{
    *len = (unsigned long)strlen(s);
    *b = (MYSQL_BIND){
        .buffer_type = MYSQL_TYPE_STRING, .buffer = (void *)s, .buffer_length = *len, .length = len};
}

void az_maria_bind_blob(MYSQL_BIND *b, const unsigned char *data, unsigned long *len)
{
    static const unsigned char empty[1];
    *b = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_BLOB,
                      .buffer = (void *)(data ? data : empty),
                      .buffer_length = *len,
                      .length = len};
}

void az_maria_bind_i64(MYSQL_BIND *b, long long *v)
{
    *b = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = v};
}

void az_maria_bind_u64(MYSQL_BIND *b, unsigned long long *v)
{
    *b = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = v, .is_unsigned = 1};
}

void az_maria_bind_time(MYSQL_BIND *b, long long *v, my_bool *is_null)
{
    *is_null = *v == ASYNCZ_TIME_NONE;
    *b = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = v, .is_null = is_null};
}

int az_maria_exec(az_maria *m, MYSQL_STMT *s, MYSQL_BIND *params, const char *what)
{
    if (params && mysql_stmt_bind_param(s, params) != 0)
        return az_maria_stmt_fail(m, s, what);
    if (mysql_stmt_execute(s) != 0)
        return az_maria_stmt_fail(m, s, what);
    return 0;
}

int az_maria_write(az_maria *m, MYSQL_STMT *s, MYSQL_BIND *params, const char *what, unsigned long long *rows)
{
    int rc = az_maria_exec(m, s, params, what);
    if (!rc)
        *rows = (unsigned long long)mysql_stmt_affected_rows(s);
    return rc;
}

/* ---- results --------------------------------------------------------------------------------------- */

static int grow_col(az_maria_col *c, MYSQL_BIND *b, unsigned long cap)
{
    unsigned char *buf = realloc(c->buf, (size_t)cap + 1);
    if (!buf)
        return ASYNCZ_ENOMEM;
    c->buf = buf;
    c->cap = cap;
    b->buffer = buf;
    b->buffer_length = cap;
    return 0;
}

int az_maria_result_init(az_maria *m, az_maria_result *r, MYSQL_STMT *s, const char *kinds, const char *what)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->n = strlen(kinds);
    for (size_t i = 0; i < r->n; i++) {
        az_maria_col *c = &r->col[i];
        MYSQL_BIND *b = &r->bind[i];
        *b = (MYSQL_BIND){.length = &c->len, .is_null = &c->is_null, .error = &c->error};
        c->text = kinds[i] == 't';
        b->buffer_type = c->text ? MYSQL_TYPE_BLOB : MYSQL_TYPE_LONGLONG;
        b->buffer = &c->i64;
        if (c->text && grow_col(c, b, 256) != 0)
            return ASYNCZ_ENOMEM;
    }
    if (mysql_stmt_bind_result(s, r->bind) != 0)
        return az_maria_stmt_fail(m, s, what);
    return 0;
}

/* A value longer than its buffer: grow the buffer and fetch that column again. */
static int refetch_truncated(az_maria *m, az_maria_result *r, const char *what)
{
    bool rebind = false;
    for (size_t i = 0; i < r->n; i++) {
        az_maria_col *c = &r->col[i];
        if (!c->text || c->len <= c->cap)
            continue;
        if (grow_col(c, &r->bind[i], c->len) != 0)
            return ASYNCZ_ENOMEM;
        if (mysql_stmt_fetch_column(r->s, &r->bind[i], (unsigned)i, 0) != 0)
            return az_maria_stmt_fail(m, r->s, what);
        rebind = true;
    }
    if (rebind && mysql_stmt_bind_result(r->s, r->bind) != 0)
        return az_maria_stmt_fail(m, r->s, what);
    return 0;
}

int az_maria_result_next(az_maria *m, az_maria_result *r, const char *what)
{
    int st = mysql_stmt_fetch(r->s);
    if (st == MYSQL_NO_DATA)
        return 1;
    if (st == 1)
        return az_maria_stmt_fail(m, r->s, what);
    if (st == MYSQL_DATA_TRUNCATED) {
        int rc = refetch_truncated(m, r, what);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < r->n; i++)
        if (r->col[i].text)
            r->col[i].buf[r->col[i].len < r->col[i].cap ? r->col[i].len : r->col[i].cap] = '\0';
    return 0;
}

void az_maria_result_done(az_maria_result *r)
{
    if (r->s)
        mysql_stmt_free_result(r->s);
    for (size_t i = 0; i < r->n; i++)
        free(r->col[i].buf);
    memset(r, 0, sizeof *r);
}

asyncz_time_t az_maria_col_time(const az_maria_col *c)
{
    return c->is_null ? ASYNCZ_TIME_NONE : (asyncz_time_t)c->i64;
}

/* ---- construction ---------------------------------------------------------------------------------- */

static int copy_opt(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    *out = strdup(s);
    return *out ? 0 : ASYNCZ_ENOMEM;
}

/* A number of seconds between 1 and 3600. */
static int seconds_opt(az_url *url, const char *key, const char *def, unsigned *out)
{
    const char *v = az_url_get(url, key, def);
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || end == v || *end || *v == '-' || n < 1 || n > 3600)
        return az_store_fail(ASYNCZ_EINVAL, "store URL \"%s\": %s must be a number of seconds from 1 to 3600",
                             url->text, key);
    *out = (unsigned)n;
    return 0;
}

static int table_opt(az_maria *m, az_url *url)
{
    const char *table = az_url_get(url, "tablename", DEFAULT_TABLE);
    int rc = az_url_name("tablename", table, false);
    if (rc)
        return rc;
    if (strlen(table) > TABLE_MAX)
        return az_store_fail(
            ASYNCZ_EINVAL,
            "store URL \"%s\": tablename may have at most %zu bytes (its quarantine table adds "
            "\"_quarantine\")",
            url->text, (size_t)TABLE_MAX);
    snprintf(m->table, sizeof m->table, "%s", table);
    return 0;
}

/* The database from the URL's path ("/name"): one segment, required. */
static int database_opt(az_maria *m, const az_url *url)
{
    const char *db = url->path && url->path[0] == '/' ? url->path + 1 : "";
    if (!*db || strchr(db, '/'))
        return az_store_fail(ASYNCZ_EINVAL,
                             "store URL \"%s\": name the database as the path: "
                             "mariadb://user:password@host:port/database",
                             url->text);
    return copy_opt(db, &m->database);
}

static int read_options(az_maria *m, az_url *url)
{
    int rc = table_opt(m, url);
    if (!rc)
        rc = database_opt(m, url);
    if (!rc)
        rc = seconds_opt(url, "connect_timeout", "10", &m->connect_timeout);
    if (!rc)
        rc = seconds_opt(url, "read_timeout", "60", &m->read_timeout);
    if (!rc)
        rc = seconds_opt(url, "write_timeout", "60", &m->write_timeout);
    if (!rc)
        rc = copy_opt(az_url_get(url, "unix_socket", NULL), &m->unix_socket);
    if (!rc)
        rc =
            az_url_check_options(url, "tablename, connect_timeout, read_timeout, write_timeout, unix_socket");
    return rc;
}

static int read_url(az_maria *m, az_url *url)
{
    int rc = read_options(m, url);
    if (!rc)
        rc = copy_opt(url->host ? url->host : "localhost", &m->host);
    if (!rc)
        rc = copy_opt(url->user, &m->user);
    if (!rc)
        rc = copy_opt(url->password, &m->password);
    if (rc)
        return rc;
    m->port = url->port > 0 ? (unsigned)url->port : DEFAULT_PORT;
    if (m->unix_socket)
        snprintf(m->where, sizeof m->where, "mariadb %s/%s table %s", m->unix_socket, m->database, m->table);
    else
        snprintf(m->where, sizeof m->where, "mariadb %s:%u/%s table %s", m->host, m->port, m->database,
                 m->table);
    return 0;
}

int az_backend_mariadb_new(az_url *url, az_backend **out)
{
    az_maria *m = calloc(1, sizeof *m);
    if (!m)
        return ASYNCZ_ENOMEM;
    m->base.ops = &az_maria_ops;
    int rc = read_url(m, url);
    if (rc) {
        az_maria_destroy(&m->base);
        return rc;
    }
    *out = &m->base;
    return 0;
}
