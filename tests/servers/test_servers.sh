#!/usr/bin/env bash
# Smoke test of the `servers` fixture: every URL in its env file reaches a server that logs the test user in
# and keeps what it is given, through the clients Debian ships (and libmongoc for MongoDB).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_servers_env

# Every URL points at the loopback interface.
for url in "$ASYNCZ_TEST_REDIS_URL" "$ASYNCZ_TEST_POSTGRESQL_URL" "$ASYNCZ_TEST_MARIADB_URL" \
    "$ASYNCZ_TEST_MONGODB_URL"; do
    [[ "$url" =~ [@/]127\.0\.0\.1:[0-9]+/ ]] || fail "not a loopback URL: $url"
    pass
done

expect "redis ping" PONG "$(redis-cli -u "$ASYNCZ_TEST_REDIS_URL" ping)"
expect "redis set" OK "$(redis-cli -u "$ASYNCZ_TEST_REDIS_URL" set asyncz:servers_smoke 'hé')"
expect "redis get" 'hé' "$(redis-cli -u "$ASYNCZ_TEST_REDIS_URL" --raw get asyncz:servers_smoke)"
expect "redis del" 1 "$(redis-cli -u "$ASYNCZ_TEST_REDIS_URL" del asyncz:servers_smoke)"

expect "postgresql login" "asyncz@asyncz" "$(psql_sql "SELECT current_user || '@' || current_database()")"
expect "postgresql table" 42 "$(psql_sql "CREATE TABLE servers_smoke (x int); INSERT INTO servers_smoke
    VALUES (42); SELECT x FROM servers_smoke; DROP TABLE servers_smoke")"

expect "mariadb login" "asyncz@127.0.0.1 asyncz" "$(mariadb_sql "SELECT current_user(), database()" | tr '\t' ' ')"
expect "mariadb table" 42 "$(mariadb_sql "CREATE TABLE servers_smoke (x int) ENGINE=InnoDB;
    INSERT INTO servers_smoke VALUES (42); SELECT x FROM servers_smoke; DROP TABLE servers_smoke")"
# The test user's rights end at its own database.
if mariadb_sql "CREATE DATABASE servers_smoke_other" 2>/dev/null; then
    fail "the asyncz MariaDB user may create other databases"
fi
pass

expect "mongodb round trip" ok "$("$MONGO_PING" "$ASYNCZ_TEST_MONGODB_URL")"

echo "$passed passed"
