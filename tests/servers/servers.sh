#!/usr/bin/env bash
# Real database servers for the store tests: redis-server, PostgreSQL, MariaDB and FerretDB (the MongoDB wire
# protocol, keeping its data in that PostgreSQL), each started in one temporary directory on a free loopback
# port.
#
#   servers.sh start STATE_DIR           start all four; write STATE_DIR/env (the URLs) and STATE_DIR/state
#   servers.sh stop STATE_DIR            stop whatever STATE_DIR records and remove the temporary directory
#   servers.sh restart STATE_DIR NAME    stop one server (redis|postgresql|mariadb|mongodb) and start it
#                                        again on the same port with the same data
#   servers.sh env STATE_DIR             print the env file as `export` lines, for eval
#   servers.sh run STATE_DIR CMD...      start, run CMD with the env file's variables, stop; CMD's status
#   servers.sh build-ferretdb            build FerretDB into the cache directory unless it is already there
#
# A server that does not answer within ASYNCZ_SERVERS_WAIT seconds (60) fails the command, after printing
# the end of its log; nothing is skipped. See tests/servers/README.md.
set -euo pipefail

FERRETDB_VERSION=${ASYNCZ_FERRETDB_VERSION:-v1.24.0}
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/asyncz
FERRETDB_BIN=${ASYNCZ_FERRETDB:-$CACHE_DIR/bin/ferretdb}
WAIT_SECONDS=${ASYNCZ_SERVERS_WAIT:-60}
# PostgreSQL refuses to run as root, so as root it runs as this system user (created when missing).
PG_RUN_USER=asyncz-test
SERVERS=(redis postgresql mariadb mongodb)
# What `restart` and `stop` need later: written to STATE_DIR/state after every change.
STATE_VARS=(TMP_DIR PG_BIN PG_USER MARIADB_USER FERRETDB_BIN REDIS_PORT REDIS_PID POSTGRESQL_PORT
    MARIADB_PORT MARIADB_PASSWORD MARIADB_PID MONGODB_PORT MONGODB_PID)
SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# The password and the data are nobody else's business.
umask 077

die() {
    echo "servers.sh: $*" >&2
    exit 1
}

usage() {
    sed -n '4,10p' "$SCRIPT" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

log() {
    echo "servers.sh: $*" >&2
}

# ---------------------------------------------------------------------------------------------------------
# State

write_state() {
    local v
    for v in "${STATE_VARS[@]}"; do
        printf '%s=%q\n' "$v" "${!v-}"
    done >"$STATE/state.new"
    mv "$STATE/state.new" "$STATE/state"
}

# The env file is plain KEY=VALUE lines (every value is made of URL-safe characters), so that both a shell
# and tests/unit/az_servers.c can read it.
write_env() {
    {
        echo "ASYNCZ_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
        echo "ASYNCZ_TEST_POSTGRESQL_URL=postgresql://asyncz@127.0.0.1:$POSTGRESQL_PORT/asyncz"
        echo "ASYNCZ_TEST_MARIADB_URL=mariadb://asyncz:$MARIADB_PASSWORD@127.0.0.1:$MARIADB_PORT/asyncz"
        echo "ASYNCZ_TEST_MONGODB_URL=mongodb://127.0.0.1:$MONGODB_PORT/"
        echo "ASYNCZ_TEST_REDIS_PID=$REDIS_PID"
        echo "ASYNCZ_TEST_POSTGRESQL_PID=$(pg_pid)"
        echo "ASYNCZ_TEST_MARIADB_PID=$MARIADB_PID"
        echo "ASYNCZ_TEST_MONGODB_PID=$MONGODB_PID"
        echo "ASYNCZ_TEST_SERVERS_DIR=$TMP_DIR"
        echo "ASYNCZ_TEST_SERVERS_STATE=$STATE"
        echo "ASYNCZ_TEST_SERVERS_SCRIPT=$SCRIPT"
    } >"$STATE/env.new"
    mv "$STATE/env.new" "$STATE/env"
}

load_state() {
    [ -f "$STATE/state" ] || return 1
    # shellcheck disable=SC1091
    . "$STATE/state"
}

# ---------------------------------------------------------------------------------------------------------
# Processes and ports

# A zombie still answers kill -0, so a process counts as alive only while it is not one.
alive() {
    local pid=$1 stat
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# wait_gone PID SECONDS: whether the process ended within the time.
wait_gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while alive "$pid"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# kill_pid PID: SIGTERM, then SIGKILL if the process is still there after 30 s.
kill_pid() {
    local pid=$1
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 30 && return 0
    log "pid $pid ignored SIGTERM for 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10
}

# A port is taken when any local TCP socket uses it (whatever its state) or when something accepts on it.
port_taken() {
    local hex
    hex=$(printf ':%04X' "$1")
    if awk -v p="$hex" 'substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
        return 0
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_port VAR: a free port below Linux's default ephemeral range, so outgoing connections do not take it.
PICKED=" "
pick_port() {
    local p tries
    for tries in $(seq 500); do
        p=$((20000 + RANDOM % 12000))
        case "$PICKED" in *" $p "*) continue ;; esac
        port_taken "$p" && continue
        PICKED="$PICKED$p "
        printf -v "$1" '%s' "$p"
        return 0
    done
    die "no free loopback port found after $tries tries"
}

# wait_ready NAME PID LOG COMMAND...: wait until COMMAND succeeds; fail early if the server process ends.
wait_ready() {
    local name=$1 pid=$2 logfile=$3 deadline=$((SECONDS + WAIT_SECONDS))
    shift 3
    until "$@" >/dev/null 2>&1; do
        if [ -n "$pid" ] && ! alive "$pid"; then
            fail_with_log "$name exited before accepting connections" "$logfile"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail_with_log "$name did not accept connections within $WAIT_SECONDS s" "$logfile"
        fi
        sleep 0.2
    done
}

fail_with_log() {
    log "$1; the end of $2:"
    tail -n 40 "$2" >&2 2>/dev/null || true
    exit 1
}

# Run a command as the PostgreSQL user (root cannot run initdb, pg_ctl or postgres).
as_pg() {
    if [ -n "$PG_USER" ]; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

ensure_pg_user() {
    PG_USER=
    [ "$(id -u)" = 0 ] || return 0
    PG_USER=$PG_RUN_USER
    id -u "$PG_USER" >/dev/null 2>&1 && return 0
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER" ||
        die "cannot create the system user $PG_USER that PostgreSQL runs as"
}

find_pg_bin() {
    local d
    d=${ASYNCZ_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
    [ -x "$d/initdb" ] || die "PostgreSQL's initdb not found (install postgresql, or set ASYNCZ_PG_BIN)"
    PG_BIN=$d
}

# ---------------------------------------------------------------------------------------------------------
# FerretDB build
#
# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@VERSION` builds a binary that panics at start:
# FerretDB embeds build/version/version.txt, which its release archive does not contain (the file is made
# from `git describe`). So the module is downloaded through the Go module proxy as `go install` would,
# copied, given that file, and built with `go build`.

# The output is read whole first: with pipefail, grep -q leaving early would fail the pipe by SIGPIPE.
ferretdb_built() {
    local out
    [ -x "$FERRETDB_BIN" ] && out=$("$FERRETDB_BIN" --version 2>/dev/null) &&
        grep -qx "version: $FERRETDB_VERSION" <<<"$out"
}

build_ferretdb() {
    ferretdb_built && return 0
    command -v go >/dev/null || die "go not found: FerretDB $FERRETDB_VERSION is built with Go (>= 1.22)"
    log "building FerretDB $FERRETDB_VERSION into $FERRETDB_BIN (once; takes a minute or more)"
    local src tmp
    src=$(cd / && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -d "$src" ] || die "go mod download github.com/FerretDB/FerretDB@$FERRETDB_VERSION failed"
    mkdir -p "$CACHE_DIR" "$(dirname "$FERRETDB_BIN")"
    tmp=$(mktemp -d "$CACHE_DIR/ferretdb-build.XXXXXXXX")
    cp -R "$src/." "$tmp/"
    chmod -R u+w "$tmp"
    printf '%s\n' "$FERRETDB_VERSION" >"$tmp/build/version/version.txt"
    if ! (cd "$tmp" && go build -trimpath -o "$FERRETDB_BIN.new" ./cmd/ferretdb); then
        rm -rf "$tmp"
        die "building FerretDB failed"
    fi
    chmod 755 "$FERRETDB_BIN.new"
    mv "$FERRETDB_BIN.new" "$FERRETDB_BIN"
    rm -rf "$tmp"
    ferretdb_built || die "the FerretDB just built does not report version $FERRETDB_VERSION"
}

# ---------------------------------------------------------------------------------------------------------
# redis-server: an append-only file, so that a restart keeps the data (SIGTERM and SHUTDOWN flush it).

redis_ping() {
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

launch_redis() {
    local dir=$TMP_DIR/redis
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly yes \
        --logfile "$dir/redis.log" --daemonize no </dev/null >/dev/null 2>&1 &
    REDIS_PID=$!
    write_state
    log "redis-server: pid $REDIS_PID, 127.0.0.1:$REDIS_PORT"
    wait_ready redis-server "$REDIS_PID" "$dir/redis.log" redis_ping
}

init_redis() {
    mkdir -p "$TMP_DIR/redis"
    pick_port REDIS_PORT
}

stop_redis() {
    [ -n "${REDIS_PID-}" ] || return 0
    kill_pid "$REDIS_PID"
}

# ---------------------------------------------------------------------------------------------------------
# PostgreSQL: initdb with trust authentication (the defaults allow 127.0.0.1 and the socket), the port and
# the socket directory written into postgresql.conf so that a restart needs nothing else.

pg_pid() {
    head -n 1 "$TMP_DIR/postgresql/data/postmaster.pid" 2>/dev/null || true
}

pg_ready() {
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$POSTGRESQL_PORT" -d postgres -U postgres
}

launch_postgresql() {
    local dir=$TMP_DIR/postgresql
    (cd "$dir" && as_pg "$PG_BIN/pg_ctl" start -D "$dir/data" -l "$dir/postgresql.log" -w \
        -t "$WAIT_SECONDS" >>"$dir/pg_ctl.log" 2>&1) ||
        fail_with_log "PostgreSQL did not start" "$dir/postgresql.log"
    log "PostgreSQL: pid $(pg_pid), 127.0.0.1:$POSTGRESQL_PORT"
    wait_ready PostgreSQL "$(pg_pid)" "$dir/postgresql.log" pg_ready
}

init_postgresql() {
    local dir=$TMP_DIR/postgresql
    find_pg_bin
    ensure_pg_user
    mkdir -p "$dir"
    [ -z "$PG_USER" ] || chown "$PG_USER:" "$dir"
    pick_port POSTGRESQL_PORT
    write_state
    (cd "$dir" && as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
        --no-sync >"$dir/initdb.log" 2>&1) || fail_with_log "initdb failed" "$dir/initdb.log"
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $POSTGRESQL_PORT
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
EOF
}

setup_postgresql() {
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$POSTGRESQL_PORT" -U postgres -d postgres \
        -c "CREATE ROLE asyncz LOGIN CREATEDB" -c "CREATE DATABASE asyncz OWNER asyncz" \
        -c "CREATE DATABASE ferretdb OWNER asyncz" \
        >>"$TMP_DIR/postgresql/setup.log" 2>&1 ||
        fail_with_log "creating the asyncz role and database failed" "$TMP_DIR/postgresql/setup.log"
}

stop_postgresql() {
    local dir=$TMP_DIR/postgresql pid
    pid=$(pg_pid)
    [ -n "$pid" ] || return 0
    (cd "$dir" && as_pg "$PG_BIN/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 >>"$dir/pg_ctl.log" 2>&1) ||
        log "pg_ctl stop failed; killing the postmaster"
    kill_pid "$pid"
}

# ---------------------------------------------------------------------------------------------------------
# MariaDB: root logs in through the socket in the temporary directory without a password; the tests use
# the asyncz account over TCP with a random password.

mariadb_socket() {
    echo "$TMP_DIR/mariadb/mariadb.sock"
}

mariadb_admin_ping() {
    mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MARIADB_PORT" --connect-timeout=2 ping
}

launch_mariadb() {
    local dir=$TMP_DIR/mariadb
    mariadbd --no-defaults ${MARIADB_USER:+--user="$MARIADB_USER"} --datadir="$dir/data" \
        --port="$MARIADB_PORT" --bind-address=127.0.0.1 --socket="$(mariadb_socket)" \
        --pid-file="$dir/mariadb.pid" --log-error="$dir/mariadb.log" --skip-name-resolve \
        --innodb-buffer-pool-size=64M --max-connections=200 --tmpdir="$dir/tmp" </dev/null >>"$dir/mariadb.out" 2>&1 &
    MARIADB_PID=$!
    write_state
    log "MariaDB: pid $MARIADB_PID, 127.0.0.1:$MARIADB_PORT"
    wait_ready MariaDB "$MARIADB_PID" "$dir/mariadb.log" mariadb_admin_ping
}

init_mariadb() {
    local dir=$TMP_DIR/mariadb
    MARIADB_USER=
    [ "$(id -u)" != 0 ] || MARIADB_USER=root
    mkdir -p "$dir"
    [ "${#dir}" -lt 90 ] || die "the temporary directory's path is too long for a Unix socket: $dir"
    pick_port MARIADB_PORT
    MARIADB_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    write_state
    # Its own temporary directory: the bootstrap's temporary table names can collide in a shared /tmp.
    mkdir -p "$dir/tmp"
    mariadb-install-db --no-defaults ${MARIADB_USER:+--user="$MARIADB_USER"} --datadir="$dir/data" \
        --auth-root-authentication-method=normal --skip-test-db --tmpdir="$dir/tmp" >"$dir/install.log" 2>&1 ||
        fail_with_log "mariadb-install-db failed" "$dir/install.log"
}

setup_mariadb() {
    local q="CREATE DATABASE asyncz CHARACTER SET utf8mb4;
CREATE USER 'asyncz'@'127.0.0.1' IDENTIFIED BY '$MARIADB_PASSWORD';
GRANT ALL PRIVILEGES ON asyncz.* TO 'asyncz'@'127.0.0.1';"
    mariadb --no-defaults --socket="$(mariadb_socket)" -u root -e "$q" >>"$TMP_DIR/mariadb/setup.log" 2>&1 ||
        fail_with_log "creating the asyncz database and user failed" "$TMP_DIR/mariadb/setup.log"
}

stop_mariadb() {
    [ -n "${MARIADB_PID-}" ] && alive "$MARIADB_PID" || return 0
    mariadb-admin --no-defaults --socket="$(mariadb_socket)" -u root shutdown >/dev/null 2>&1 ||
        log "mariadb-admin shutdown failed; signalling mariadbd"
    wait_gone "$MARIADB_PID" 60 || true
    kill_pid "$MARIADB_PID"
}

# ---------------------------------------------------------------------------------------------------------
# FerretDB: no telemetry, no debug HTTP listener (its default port would clash between runs), its state in
# the temporary directory.

# A real round trip: OP_MSG {ping: 1, $db: "admin"} must come back with {ok: 1.0}.
# It runs in a subshell, so that a refused connection cannot end the script.
mongo_ping() (
    port=$1
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf '\x33\0\0\0\x01\0\0\0\0\0\0\0\xdd\x07\0\0\0\0\0\0\0\x1e\0\0\0\x10ping\0\x01\0\0\0\x02$db\0\x06\0\0\0admin\0\0' >&3
    reply=$(timeout 5 dd bs=4096 count=1 <&3 2>/dev/null | od -An -v -tx1 | tr -d ' \n') || true
    [[ "$reply" == *016f6b00000000000000f03f* ]]
)

# FerretDB keeps its data in the test PostgreSQL server (database ferretdb), not on its SQLite backend:
# FerretDB 1.24's SQLite backend indexes _id as `_ferretdb_sjson->"_id"` but looks documents up by
# `_ferretdb_sjson->'$._id'`, which SQLite cannot match to that index, so every update or delete by _id
# scans the whole collection (30 ms at 10,000 documents, against 4 ms on the PostgreSQL backend).
launch_mongodb() {
    local dir=$TMP_DIR/mongodb
    FERRETDB_TELEMETRY=disable DO_NOT_TRACK=1 "$FERRETDB_BIN" --listen-addr="127.0.0.1:$MONGODB_PORT" \
        --handler=postgresql --postgresql-url="postgres://asyncz@127.0.0.1:$POSTGRESQL_PORT/ferretdb" \
        --state-dir="$dir" --telemetry=disable --debug-addr=- --log-level=info \
        </dev/null >>"$dir/ferretdb.log" 2>&1 &
    MONGODB_PID=$!
    write_state
    log "FerretDB: pid $MONGODB_PID, 127.0.0.1:$MONGODB_PORT"
    wait_ready FerretDB "$MONGODB_PID" "$dir/ferretdb.log" mongo_ping "$MONGODB_PORT"
}

init_mongodb() {
    ferretdb_built || build_ferretdb
    mkdir -p "$TMP_DIR/mongodb"
    pick_port MONGODB_PORT
}

stop_mongodb() {
    [ -n "${MONGODB_PID-}" ] || return 0
    kill_pid "$MONGODB_PID"
}

# ---------------------------------------------------------------------------------------------------------
# Commands

stop_all() {
    local name
    load_state || return 0
    for name in mongodb mariadb postgresql redis; do
        "stop_$name" || log "stopping $name failed"
    done
    case "$TMP_DIR" in
    */asyncz-servers.*) rm -rf "$TMP_DIR" ;;
    esac
    rm -f "$STATE/state" "$STATE/env"
}

start_all() {
    stop_all
    TMP_DIR=$(mktemp -d -t asyncz-servers.XXXXXXXX)
    # The PostgreSQL user must be able to reach its own subdirectory.
    chmod 711 "$TMP_DIR"
    log "starting the servers in $TMP_DIR"
    FERRETDB_BIN=$FERRETDB_BIN
    write_state
    # Interrupted or failed, start leaves nothing running (signals go through the EXIT trap too).
    trap 'log "start failed; stopping what was started"; stop_all' EXIT
    trap 'exit 1' INT TERM HUP
    local name t0=$EPOCHREALTIME
    # FerretDB comes last: it needs PostgreSQL's database.
    for name in "${SERVERS[@]}"; do
        "init_$name"
        [ "$name" != mongodb ] || setup_postgresql
        "launch_$name"
    done
    setup_mariadb
    write_state
    write_env
    trap - EXIT INT TERM HUP
    log "4 servers up in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s; URLs in $STATE/env"
}

restart_one() {
    local name=$1
    case " ${SERVERS[*]} " in *" $name "*) ;; *) die "unknown server '$name' (${SERVERS[*]})" ;; esac
    load_state || die "no servers recorded in $STATE (run: $0 start $STATE)"
    "stop_$name"
    "launch_$name"
    write_state
    write_env
}

run_with_servers() {
    [ $# -gt 0 ] || usage
    start_all
    trap 'stop_all' EXIT
    trap 'exit 1' INT TERM HUP
    local rc=0
    (
        set -a
        # shellcheck disable=SC1091
        . "$STATE/env"
        set +a
        exec "$@"
    ) || rc=$?
    exit "$rc"
}

print_env() {
    [ -f "$STATE/env" ] || die "no servers recorded in $STATE (run: $0 start $STATE)"
    sed 's/^/export /' "$STATE/env"
}

# state_dir DIR: create it and make it absolute, since the env file is read from other directories.
state_dir() {
    [ -n "${1-}" ] || usage
    mkdir -p "$1"
    STATE=$(cd "$1" && pwd)
}

main() {
    local cmd=${1-}
    case "$cmd" in
    start) state_dir "${2-}" && start_all ;;
    stop) state_dir "${2-}" && stop_all ;;
    restart)
        [ $# -eq 3 ] || usage
        state_dir "$2" && restart_one "$3"
        ;;
    env) state_dir "${2-}" && print_env ;;
    run)
        [ $# -ge 3 ] || usage
        state_dir "$2" && shift 2 && run_with_servers "$@"
        ;;
    build-ferretdb) build_ferretdb ;;
    *) usage ;;
    esac
}

main "$@"
