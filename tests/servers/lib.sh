# Shared by tests/servers/test_*.sh (sourced, not run): the pass counter, failing with a plain closing line,
# the servers' URLs from the fixture's env file, and a MariaDB client for a mariadb:// URL.
# $1 of the sourcing script is the asyncz-mongo-ping program.

MONGO_PING=${1:?usage: $(basename "$0") ASYNCZ_MONGO_PING}
passed=0

fail() {
    echo "FAIL: $*" >&2
    echo "$passed passed, 1 failed"
    exit 1
}

pass() {
    passed=$((passed + 1))
}

# expect WHAT EXPECTED ACTUAL
expect() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
    pass
}

load_servers_env() {
    [ -n "${ASYNCZ_TEST_SERVERS_ENV-}" ] ||
        fail "ASYNCZ_TEST_SERVERS_ENV is not set: run this through ctest, whose servers fixture starts the servers"
    [ -r "$ASYNCZ_TEST_SERVERS_ENV" ] || fail "cannot read $ASYNCZ_TEST_SERVERS_ENV: are the servers running?"
    set -a
    # shellcheck disable=SC1090
    . "$ASYNCZ_TEST_SERVERS_ENV"
    set +a
    local key
    for key in REDIS POSTGRESQL MARIADB MONGODB; do
        key=ASYNCZ_TEST_${key}_URL
        [ -n "${!key-}" ] || fail "$ASYNCZ_TEST_SERVERS_ENV has no $key"
    done
}

# mariadb_sql SQL: run SQL as the URL's user over TCP; prints the rows tab-separated, without headers.
mariadb_sql() {
    local re='^mariadb://([^:@/]+):([^@/]+)@([^:/]+):([0-9]+)/([^/?]+)$'
    [[ "$ASYNCZ_TEST_MARIADB_URL" =~ $re ]] || fail "unexpected MariaDB URL: $ASYNCZ_TEST_MARIADB_URL"
    MYSQL_PWD=${BASH_REMATCH[2]} mariadb --no-defaults --protocol=tcp -h "${BASH_REMATCH[3]}" \
        -P "${BASH_REMATCH[4]}" -u "${BASH_REMATCH[1]}" -N -B -e "$1" "${BASH_REMATCH[5]}"
}

# psql_sql SQL: run SQL through the PostgreSQL URL; prints the rows unaligned, without headers.
psql_sql() {
    psql -X -q -v ON_ERROR_STOP=1 -t -A -c "$1" "$ASYNCZ_TEST_POSTGRESQL_URL"
}
