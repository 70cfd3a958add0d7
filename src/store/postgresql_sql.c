/* The PostgreSQL store's statements (see postgresql.c for the layout they work on). "{T}" (AZ_SQL_TABLE) in a
 * text stands for the table name, which postgresql.c substitutes once it is validated. */
#ifdef ASYNCZ_WITH_POSTGRESQL

#include "store/postgresql_internal.h"

/* The columns of a record read back are always (id, next_run_time, state) first. */
#define RECORD_COLS "id, next_run_time, state"
#define DUE_WHERE "next_run_time <= $1 AND (lease_until IS NULL OR lease_until <= $1)"

const az_pg_stmt_spec az_pg_stmts[AZ_PG_N_STMTS] = {
    [AZ_PG_INSERT] = {"az_insert",
                      "INSERT",
                      "WITH i AS (INSERT INTO \"{T}\" (id, next_run_time, seq, state) "
                      "VALUES ($1, $2, nextval('\"{T}_seq\"'), $3) ON CONFLICT (id) DO NOTHING RETURNING 1) "
                      "SELECT pg_notify($4, '') FROM i",
                      4,
                      {AZ_PG_OID_TEXT, AZ_PG_OID_INT8, AZ_PG_OID_BYTEA, AZ_PG_OID_TEXT}},
    [AZ_PG_REPLACE] =
        {"az_replace",
         "UPDATE",
         "WITH u AS (UPDATE \"{T}\" SET next_run_time = $2, seq = nextval('\"{T}_seq\"'), state = $3, "
         "owner = NULL, lease_until = NULL, token = 0 WHERE id = $1 RETURNING 1) "
         "SELECT pg_notify($4, '') FROM u",
         4,
         {AZ_PG_OID_TEXT, AZ_PG_OID_INT8, AZ_PG_OID_BYTEA, AZ_PG_OID_TEXT}},
    [AZ_PG_REMOVE] = {"az_remove", "DELETE", "DELETE FROM \"{T}\" WHERE id = $1", 1, {AZ_PG_OID_TEXT}},
    [AZ_PG_REMOVE_ALL] = {"az_remove_all", "DELETE all", "DELETE FROM \"{T}\"", 0, {0}},
    [AZ_PG_GET] =
        {"az_get", "SELECT", "SELECT " RECORD_COLS " FROM \"{T}\" WHERE id = $1", 1, {AZ_PG_OID_TEXT}},
    [AZ_PG_DUE] = {"az_due",
                   "SELECT due",
                   "SELECT " RECORD_COLS " FROM \"{T}\" WHERE " DUE_WHERE
                   " ORDER BY next_run_time, seq LIMIT $2",
                   2,
                   {AZ_PG_OID_INT8, AZ_PG_OID_INT8}},
    [AZ_PG_EARLIEST] = {"az_earliest",
                        "SELECT earliest",
                        "SELECT LEAST((SELECT min(next_run_time) FROM \"{T}\" WHERE lease_until IS NULL), "
                        "(SELECT min(lease_until) FROM \"{T}\" WHERE lease_until IS NOT NULL))",
                        0,
                        {0}},
    [AZ_PG_COUNT] = {"az_count", "SELECT count", "SELECT count(*) FROM \"{T}\"", 0, {0}},
    /* The claim: lock the due rows nobody else is locking (SKIP LOCKED: concurrent claimers take disjoint
     * rows instead of waiting for each other), number them in order (output expressions are computed after
     * ORDER BY, so the tokens rise in the order the records are handed out), and mark them, finding each
     * by the ctid it was locked at (a row locked by this statement cannot move before it ends); all in one
     * statement. */
    [AZ_PG_CLAIM] =
        {"az_claim",
         "claim",
         "WITH picked AS MATERIALIZED (SELECT ctid AS tid, next_run_time, seq FROM \"{T}\" WHERE " DUE_WHERE
         " ORDER BY next_run_time, seq LIMIT $4 FOR UPDATE SKIP LOCKED), "
         "numbered AS MATERIALIZED (SELECT tid, nextval('\"{T}_seq\"') AS tok FROM picked "
         "ORDER BY next_run_time, seq) "
         "UPDATE \"{T}\" AS t SET owner = $2, lease_until = $3, token = numbered.tok FROM numbered "
         "WHERE t.ctid = numbered.tid RETURNING t.id, t.next_run_time, t.state, t.seq, t.token",
         4,
         {AZ_PG_OID_INT8, AZ_PG_OID_TEXT, AZ_PG_OID_INT8, AZ_PG_OID_INT8}},
    /* Releases report how many rows they changed, whether the record exists and whether this release
     * already took effect (unclaimed, holding this token), to tell a stale claim (ESTATE) from a missing
     * record (ENOTFOUND) and from a repeated release (0) in the same round trip. The outer SELECT sees the
     * table as it was before the statement. */
    [AZ_PG_RELEASE_NEXT] =
        {"az_release_next",
         "release",
         "WITH u AS (UPDATE \"{T}\" SET state = $3, next_run_time = $4, seq = nextval('\"{T}_seq\"'), "
         "owner = NULL, lease_until = NULL WHERE id = $1 AND token = $2 AND lease_until IS NOT NULL "
         "RETURNING 1) SELECT (SELECT count(*) FROM u), EXISTS (SELECT 1 FROM \"{T}\" WHERE id = $1), "
         "EXISTS (SELECT 1 FROM \"{T}\" WHERE id = $1 AND token = $2 AND lease_until IS NULL)",
         4,
         {AZ_PG_OID_TEXT, AZ_PG_OID_INT8, AZ_PG_OID_BYTEA, AZ_PG_OID_INT8}},
    [AZ_PG_RELEASE_REMOVE] =
        {"az_release_remove",
         "release",
         "WITH d AS (DELETE FROM \"{T}\" WHERE id = $1 AND token = $2 AND lease_until IS NOT NULL "
         "RETURNING 1) SELECT (SELECT count(*) FROM d), "
         "EXISTS (SELECT 1 FROM \"{T}\" WHERE id = $1), "
         "EXISTS (SELECT 1 FROM \"{T}\" WHERE id = $1 AND token = $2 AND lease_until IS NULL)",
         2,
         {AZ_PG_OID_TEXT, AZ_PG_OID_INT8}},
    [AZ_PG_QUARANTINE] =
        {"az_quarantine",
         "quarantine",
         "WITH d AS (DELETE FROM \"{T}\" WHERE id = $1 AND state = $2 RETURNING id, state) "
         "INSERT INTO \"{T}_quarantine\" (id, reason, at, state) SELECT id, $3, $4, state FROM d",
         4,
         {AZ_PG_OID_TEXT, AZ_PG_OID_BYTEA, AZ_PG_OID_TEXT, AZ_PG_OID_INT8}},
    [AZ_PG_QUARANTINED] = {"az_quarantined",
                           "SELECT quarantine",
                           "SELECT id, reason, at, state FROM \"{T}_quarantine\" ORDER BY n",
                           0,
                           {0}},
    [AZ_PG_QUARANTINE_DROP] =
        {"az_quarantine_drop",
         "DELETE quarantine entry",
         "DELETE FROM \"{T}_quarantine\" WHERE id = $1 AND ($2::int8 IS NULL OR at = $2)",
         2,
         {AZ_PG_OID_TEXT, AZ_PG_OID_INT8}},
    [AZ_PG_PUT_INSTANCE] = {"az_put_instance",
                            "heartbeat",
                            "INSERT INTO \"{T}_instances\" (id, state) VALUES ($1, $2) "
                            "ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state",
                            2,
                            {AZ_PG_OID_TEXT, AZ_PG_OID_BYTEA}},
    [AZ_PG_INSTANCES] =
        {"az_instances", "SELECT instances", "SELECT id, state FROM \"{T}_instances\" ORDER BY id", 0, {0}},
    [AZ_PG_REMOVE_INSTANCE] = {"az_remove_instance",
                               "DELETE instance",
                               "DELETE FROM \"{T}_instances\" WHERE id = $1",
                               1,
                               {AZ_PG_OID_TEXT}},
};

/* Created at open, in one transaction under an advisory lock so that schedulers starting together do not
 * race on CREATE ... IF NOT EXISTS (which is not safe against itself). */
const char az_pg_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS \"{T}\" (id TEXT PRIMARY KEY, next_run_time BIGINT NULL, seq BIGINT NOT "
    "NULL, "
    "state BYTEA NOT NULL, owner TEXT NULL, lease_until BIGINT NULL, token BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS \"{T}_order\" ON \"{T}\" (next_run_time, seq);"
    "CREATE INDEX IF NOT EXISTS \"{T}_lease\" ON \"{T}\" (lease_until) WHERE lease_until IS NOT NULL;"
    "CREATE SEQUENCE IF NOT EXISTS \"{T}_seq\";"
    "CREATE TABLE IF NOT EXISTS \"{T}_quarantine\" (n BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "id TEXT NOT NULL, reason TEXT NOT NULL, at BIGINT NOT NULL, state BYTEA NOT NULL);"
    "CREATE TABLE IF NOT EXISTS \"{T}_instances\" (id TEXT PRIMARY KEY, state BYTEA NOT NULL)";

/* The ordered scan reads through a cursor in one transaction: one snapshot, pages of AZ_PG_SCAN_PAGE rows,
 * and an early stop costs nothing more. */
const char az_pg_scan_sql[] = "BEGIN READ ONLY; DECLARE az_scan BINARY NO SCROLL CURSOR FOR "
                              "SELECT " RECORD_COLS " FROM \"{T}\" ORDER BY next_run_time, seq";

#endif
