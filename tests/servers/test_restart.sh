#!/usr/bin/env bash
# `servers.sh restart STATE_DIR NAME`, which the cluster tests use: each server comes back as a new process
# on the same URL with the data it had. It runs alone (RUN_SERIAL), since it takes each server away.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_servers_env
SERVERS_SH=${ASYNCZ_TEST_SERVERS_SCRIPT:?}
STATE=${ASYNCZ_TEST_SERVERS_STATE:?}

# restart NAME: restart one server; checks that its URL stayed and its process changed, then reloads the env.
restart() {
    local key=ASYNCZ_TEST_${1^^}
    local url_key=${key}_URL pid_key=${key}_PID
    local url=${!url_key} pid=${!pid_key}
    bash "$SERVERS_SH" restart "$STATE" "$1" 2>/dev/null || fail "servers.sh restart $1 failed"
    load_servers_env
    expect "$1 URL after the restart" "$url" "${!url_key}"
    [ "${!pid_key}" != "$pid" ] || fail "$1 kept pid $pid across the restart"
    kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ] &&
        fail "$1's old process $pid is still running"
    pass
}

redis-cli -u "$ASYNCZ_TEST_REDIS_URL" set asyncz:servers_restart kept >/dev/null
restart redis
expect "redis data after the restart" kept "$(redis-cli -u "$ASYNCZ_TEST_REDIS_URL" get asyncz:servers_restart)"
redis-cli -u "$ASYNCZ_TEST_REDIS_URL" del asyncz:servers_restart >/dev/null

psql_sql "CREATE TABLE servers_restart (x int); INSERT INTO servers_restart VALUES (7)"
restart postgresql
expect "postgresql data after the restart" 7 "$(psql_sql "SELECT x FROM servers_restart")"
psql_sql "DROP TABLE servers_restart"

mariadb_sql "CREATE TABLE servers_restart (x int) ENGINE=InnoDB; INSERT INTO servers_restart VALUES (7)"
restart mariadb
expect "mariadb data after the restart" 7 "$(mariadb_sql "SELECT x FROM servers_restart")"
mariadb_sql "DROP TABLE servers_restart"

expect "mongodb write" ok "$("$MONGO_PING" "$ASYNCZ_TEST_MONGODB_URL" write)"
restart mongodb
expect "mongodb data after the restart" ok "$("$MONGO_PING" "$ASYNCZ_TEST_MONGODB_URL" read)"

# Refused requests change nothing.
if bash "$SERVERS_SH" restart "$STATE" sqlite 2>/dev/null; then
    fail "restart accepted an unknown server"
fi
pass
expect "redis still answers" PONG "$(redis-cli -u "$ASYNCZ_TEST_REDIS_URL" ping)"

echo "$passed passed"
