# Shared by tests/cluster/test_*.sh (sourced, not run): three asyncz-cluster-node schedulers on one shared
# store, 200 tasks firing every second for 20 s, and the verdict of check.awk on what they recorded.
#
#   bash test_BACKEND.sh ASYNCZ_CLUSTER_NODE SERVERS_SH SCENARIO
#
# Scenarios: steady (three nodes throughout), kill (node n1 gets SIGKILL about 8 s into the schedule: the
# others take over its leases and report what it had in flight), restart (the backend's server is
# restarted about 8 s in: the nodes reconnect and nothing is lost). The sourcing script sets BACKEND first.

set -euo pipefail

NODE=${1:?usage: $(basename "$0") ASYNCZ_CLUSTER_NODE SERVERS_SH SCENARIO}
SERVERS_SH=${2:?usage: $(basename "$0") ASYNCZ_CLUSTER_NODE SERVERS_SH SCENARIO}
SCENARIO=${3:?usage: $(basename "$0") ASYNCZ_CLUSTER_NODE SERVERS_SH SCENARIO}
CHECK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/check.awk
HCHECK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/hcheck.awk

TASKS=${ASYNCZ_CLUSTER_TASKS:-200}
# 21 occurrences per task: the schedule spans 20 s.
OCCURRENCES=${ASYNCZ_CLUSTER_SECONDS:-21}
NODES=(n1 n2 n3)
# Seconds from now to the first occurrence: time to seed the store and start the nodes.
LEAD=4
# Seconds into the schedule at which the kill or the restart happens.
EVENT_AT=8
# Milliseconds into that second from which the busy node is looked for (kill scenario) or the server is
# restarted (restart scenario: servers.sh takes some 10-50 ms before it stops the server, so 0 stops it
# while the nodes claim and release the second's tasks). ASYNCZ_CLUSTER_EVENT_MS overrides both.
KILL_AFTER_MS=${ASYNCZ_CLUSTER_EVENT_MS:-0}
RESTART_AFTER_MS=${ASYNCZ_CLUSTER_EVENT_MS:-0}
# Seconds after the last occurrence by which everything must have run (or been reported lost); a node
# killed with leases held needs one lease (3 s) plus three heartbeats (3 s) before the others act.
DEADLINE_AFTER=40
# Seconds the final state must stay put before the nodes are stopped, so that late duplicates show.
SETTLE=2

# The nodes' lease and heartbeat (asyncz-cluster-node's defaults: 3 s and 1 s). FerretDB 1.x answers a
# request in ~1-5 ms and scans its collection for every one, so with three nodes at 200 tasks/s its queue
# runs seconds behind on a 2-core machine, heartbeats included: 1 s periods there declared live nodes lost
# (a heartbeat late by 3 s), and on a loaded machine even 3 s periods once took a live node for lost (a
# stall over 9 s just after the kill, when the killed node's leases lapse and the others claim its tasks).
# Its nodes heartbeat every 5 s (lost after 15 s) and hold 10 s leases, which a deployment on a slow store
# would choose too; what is checked stays the same.
# FerretDB also reads its whole collection for every upsert, and each run's record is written twice (as
# running, then completed): with the run history on, three nodes at 200 runs/s fell minutes behind. Its nodes
# keep no history (ASYNCZ_CLUSTER_HISTORY=off); the history of these scenarios is checked on the other five
# backends, and the MongoDB journal's own tests run on FerretDB in test_store_mongodb.
if [ "$BACKEND" = mongodb ]; then
    export ASYNCZ_CLUSTER_HEARTBEAT_MS=${ASYNCZ_CLUSTER_HEARTBEAT_MS:-5000}
    export ASYNCZ_CLUSTER_LEASE_MS=${ASYNCZ_CLUSTER_LEASE_MS:-10000}
    export ASYNCZ_CLUSTER_HISTORY=${ASYNCZ_CLUSTER_HISTORY:-off}
fi

TMP=$(mktemp -d)
PIDS=()
KILLED=""
RESTARTED=0

# Every node this script started is killed on exit, whatever the exit.
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    # ASYNCZ_CLUSTER_KEEP=DIR keeps the nodes' files there, for a closer look.
    if [ -n "${ASYNCZ_CLUSTER_KEEP-}" ]; then
        rm -rf "$ASYNCZ_CLUSTER_KEEP" && cp -r "$TMP" "$ASYNCZ_CLUSTER_KEEP"
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

now_us() {
    local t
    t=$(date +%s%N)
    echo $((t / 1000))
}

show_stderr() {
    local name
    for name in "${NODES[@]}"; do
        if [ -s "$TMP/$name.err" ]; then
            echo "--- stderr of $name ($(wc -l <"$TMP/$name.err") lines; the first and last 20) ---" >&2
            sed -n '1,20p' "$TMP/$name.err" >&2
            if [ "$(wc -l <"$TMP/$name.err")" -gt 40 ]; then
                echo "..." >&2
                tail -n 20 "$TMP/$name.err" >&2
            elif [ "$(wc -l <"$TMP/$name.err")" -gt 20 ]; then
                sed -n '21,$p' "$TMP/$name.err" >&2
            fi
        fi
    done
}

fail() {
    echo "FAIL ($BACKEND $SCENARIO): $*" >&2
    show_stderr
    exit 1
}

# The store URL of BACKEND. Server stores use names of their own, away from the other tests' tables.
store_url() {
    case "$BACKEND" in
    # As in SQLAlchemy, an absolute SQLite path takes four slashes.
    sqlite) echo "sqlite:///$TMP/store.db" ;;
    file)
        mkdir -m 0700 "$TMP/store"
        echo "file://$TMP/store"
        ;;
    redis) echo "$ASYNCZ_TEST_REDIS_URL?tasks_key=asyncz.cluster.tasks&run_times_key=asyncz.cluster.run_times" ;;
    postgresql) echo "$ASYNCZ_TEST_POSTGRESQL_URL?tablename=asyncz_cluster" ;;
    mariadb) echo "$ASYNCZ_TEST_MARIADB_URL?tablename=asyncz_cluster" ;;
    mongodb) echo "${ASYNCZ_TEST_MONGODB_URL}?collection=cluster" ;;
    *) fail "unknown backend $BACKEND" ;;
    esac
}

load_env() {
    case "$BACKEND" in
    sqlite | file) return 0 ;;
    esac
    [ -n "${ASYNCZ_TEST_SERVERS_ENV-}" ] ||
        fail "ASYNCZ_TEST_SERVERS_ENV is not set: run this through ctest, whose servers fixture starts the servers"
    [ -r "$ASYNCZ_TEST_SERVERS_ENV" ] || fail "cannot read $ASYNCZ_TEST_SERVERS_ENV: are the servers running?"
    set -a
    # shellcheck disable=SC1090
    . "$ASYNCZ_TEST_SERVERS_ENV"
    set +a
}

check() {
    awk -f "$CHECK" -v n="$TASKS" -v t0="$T0" -v seconds="$OCCURRENCES" -v killed="$KILLED" \
        -v restarted="$RESTARTED" "$TMP"/*.out
}

start_nodes() {
    local name
    for name in "${NODES[@]}"; do
        : >"$TMP/$name.out"
        "$NODE" run "$URL" "$name" "$TMP/$name.out" "$NODE_END" 2>"$TMP/$name.err" &
        PIDS+=($!)
    done
}

# sleep_until US: sleep until the wall-clock time US (µs since the epoch).
sleep_until() {
    local left=$(($1 - $(now_us)))
    if [ "$left" -gt 0 ]; then
        sleep "$((left / 1000000)).$(printf '%06d' $((left % 1000000)))"
    fi
}

# Kill with SIGKILL the first node seen running the occurrences of T0 + EVENT_AT s (polling its file from
# KILL_AFTER_MS into that second): it then has runs in flight (a run takes 20 ms, 32 at a time), which the
# others must report as lost and never run again. If no node runs them within 2 s, n1 is killed.
kill_busy_node() {
    local when=$((T0 + EVENT_AT * 1000000)) i victim=-1 files=()
    sleep_until $((when + KILL_AFTER_MS * 1000))
    for i in "${!NODES[@]}"; do
        files+=("$TMP/${NODES[$i]}.out")
    done
    while [ "$victim" -lt 0 ] && [ "$(now_us)" -lt $((when + 2000000)) ]; do
        for i in "${!NODES[@]}"; do
            if grep -q "^R [^ ]* $when " "${files[$i]}"; then
                victim=$i
                break
            fi
        done
        [ "$victim" -ge 0 ] || sleep 0.01
    done
    [ "$victim" -ge 0 ] || victim=0
    kill -KILL "${PIDS[$victim]}"
    KILLED=${NODES[$victim]}
    echo "killed $KILLED (pid ${PIDS[$victim]}) with SIGKILL at T0+${EVENT_AT}s+$((($(now_us) - when) / 1000))ms," \
        "after $(grep -c "^R [^ ]* $when " "$TMP/$KILLED.out" || true) of the runs of T0+${EVENT_AT}s"
}

# The disruption of the scenario, EVENT_AT seconds into the schedule.
disrupt() {
    case "$SCENARIO" in
    steady) ;;
    kill) kill_busy_node ;;
    restart)
        sleep_until $((T0 + EVENT_AT * 1000000 + RESTART_AFTER_MS * 1000))
        local started=$SECONDS
        bash "$SERVERS_SH" restart "$ASYNCZ_TEST_SERVERS_STATE" "$BACKEND" 2>"$TMP/restart.err" ||
            { cat "$TMP/restart.err" >&2; fail "servers.sh restart $BACKEND failed"; }
        RESTARTED=1
        echo "restarted the $BACKEND server at T0+${EVENT_AT}s+${RESTART_AFTER_MS}ms (took $((SECONDS - started)) s)"
        ;;
    *) fail "unknown scenario $SCENARIO" ;;
    esac
}

# The run history the nodes left in the store, against what they ran (hcheck.awk).
check_history() {
    if [ "${ASYNCZ_CLUSTER_HISTORY-}" = off ]; then
        echo "history: the nodes kept none (ASYNCZ_CLUSTER_HISTORY=off): not checked"
        return 0
    fi
    "$NODE" history "$URL" >"$TMP/history" 2>"$TMP/history.err" ||
        { cat "$TMP/history.err" >&2; fail "reading the run history failed"; }
    awk -f "$HCHECK" -v t0="$T0" -v seconds="$OCCURRENCES" -v killed="$KILLED" "$TMP/history" "$TMP"/*.out
}

# Wait until the check passes and still passes SETTLE seconds later, or the deadline passes.
wait_for_verdict() {
    sleep_until $((T0 + OCCURRENCES * 1000000))
    local deadline=$((T0 + (OCCURRENCES + DEADLINE_AFTER) * 1000000))
    while [ "$(now_us)" -lt "$deadline" ]; do
        if check >/dev/null; then
            sleep "$SETTLE"
            return 0
        fi
        sleep 0.5
    done
}

# Stop the nodes still running with SIGTERM; each must shut down cleanly (status 0).
stop_nodes() {
    local i status
    for i in "${!PIDS[@]}"; do
        [ "${NODES[$i]}" = "$KILLED" ] && continue
        kill -TERM "${PIDS[$i]}" 2>/dev/null || true
    done
    for i in "${!PIDS[@]}"; do
        status=0
        wait "${PIDS[$i]}" || status=$?
        if [ "${NODES[$i]}" != "$KILLED" ] && [ "$status" -ne 0 ]; then
            fail "node ${NODES[$i]} exited with status $status (it should shut down cleanly on SIGTERM)"
        fi
    done
    PIDS=()
}

run_scenario() {
    load_env
    local started=$SECONDS
    URL=$(store_url)
    T0=$(($(now_us) + LEAD * 1000000))
    T0=$((T0 - T0 % 1000000))
    # A safety net: nodes stop by themselves a little after the deadline even if nobody stops them.
    NODE_END=$((T0 + (OCCURRENCES + DEADLINE_AFTER + 10) * 1000000))
    echo "$BACKEND/$SCENARIO: $TASKS tasks x $OCCURRENCES occurrences from T0=$T0 on ${#NODES[@]} nodes"
    "$NODE" seed "$URL" "$TASKS" "$T0" "$OCCURRENCES" 2>"$TMP/seed.err" ||
        { cat "$TMP/seed.err" >&2; fail "seeding the store failed"; }
    echo "seeded in $((SECONDS - started)) s"
    start_nodes
    disrupt
    wait_for_verdict
    stop_nodes
    local verdict=0
    check || verdict=$?
    echo "$BACKEND/$SCENARIO took $((SECONDS - started)) s"
    [ "$verdict" -eq 0 ] || fail "check failed"
    check_history || fail "the run history does not match the runs"
    for name in "${NODES[@]}"; do
        [ -s "$TMP/$name.err" ] && echo "$name wrote $(wc -l <"$TMP/$name.err") line(s) to stderr"
    done
    echo "PASS"
}
