#!/usr/bin/env bash
# A task whose zone does not load on this host (TZDIR wrong, zone data missing or truncated) is the host's
# problem, not the record's: list warns and leaves it, doctor and status name it with the zone and what to
# do, a scheduler's read never quarantines it, and a daemon skips it, logs why once, and runs it once the
# zone loads. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"
# shellcheck source=daemon_lib.sh
source "$(dirname "$0")/daemon_lib.sh"

mkdir "$TMP/empty" "$TMP/cut" "$TMP/cut/Europe"
head -c 40 /usr/share/zoneinfo/Europe/Berlin >"$TMP/cut/Europe/Berlin"

for kind in sqlite file; do
    URL=$(store_url "$kind" tz)
    S=(--store "$URL")
    ok "$kind add berlin" add "${S[@]}" --id berlin --cron '0 3 * * *' --timezone Europe/Berlin --command 'echo b'
    ok "$kind add utc" add "${S[@]}" --id utc --cron '0 3 * * *' --timezone UTC --command 'echo u'

    for dir in empty cut; do
        case $dir in
        empty) why="not found in the zone data at $TMP/empty" ;;
        cut) why="its file in $TMP/cut is malformed or truncated" ;;
        esac
        export TZDIR=$TMP/$dir
        run list "${S[@]}" --json
        [[ $rc -eq 0 ]] || fail "$kind list ($dir): exit $rc ($err)"
        same "$kind list warns ($dir)" "asyncz list: warning: task \"berlin\" cannot be read (left in place): trigger.timezone: time zone \"Europe/Berlin\" does not load here: $why" "$err"
        same "$kind list shows the rest ($dir)" "utc" "$(json '" ".join(t["id"] for t in d)')"

        run doctor "${S[@]}"
        [[ $rc -eq 1 ]] || fail "$kind doctor ($dir): expected exit 1, got $rc"
        same "$kind doctor zone line ($dir)" "error zones 1 task uses zone Europe/Berlin, which does not load here: $why; install tzdata, or set TZDIR to where the zone data is (a scheduler skips it and retries; nothing is quarantined): berlin" \
            "$(grep -E '^error +zones ' <<<"$out" | tr -s ' ')"
        same "$kind doctor records ok ($dir)" "ok records 1 task read" "$(grep -E '^ok +records ' <<<"$out" | tr -s ' ')"
        run doctor "${S[@]}" --json
        same "$kind doctor json ($dir)" "zones error ['berlin']" \
            "$(json '" ".join(str(x) for c in d if c["check"] == "zones" for x in [c["check"], c["status"], c["ids"]])')"

        run status "${S[@]}" --json
        [[ $rc -eq 0 ]] || fail "$kind status ($dir): exit $rc ($err)"
        same "$kind status json ($dir)" "berlin Europe/Berlin" \
            "$(json '" ".join(x for u in d["unschedulable"] for x in [u["id"], u["zone"]])')"
        run status "${S[@]}"
        same "$kind status line ($dir)" "cannot schedule 1 (zone Europe/Berlin does not load here: berlin); see asyncz doctor" \
            "$(grep 'cannot schedule' <<<"$out" | tr -s ' ')"

        # A scheduler's read skips it and leaves it: nothing is quarantined.
        "$FIXTURE" scan "$URL" 2>/dev/null || fail "$kind fixture scan ($dir)"
        unset TZDIR
        ok "$kind nothing quarantined ($dir)" list "${S[@]}" --json
        same "$kind both tasks still there ($dir)" "berlin utc" "$(json '" ".join(sorted(t["id"] for t in d))')"
        run doctor "${S[@]}" --json
        same "$kind doctor after ($dir)" "0 zones:ok quarantine:ok" \
            "$rc $(json '" ".join(c["check"] + ":" + c["status"] for c in d if c["check"] in ("zones", "quarantine"))')"
        run status "${S[@]}" --json
        same "$kind status after ($dir)" "[] 0" "$(json 'str(d["unschedulable"]) + " " + str(d["quarantined"])')"
    done
done

# A daemon whose zone data lacks the task's zone: the task is skipped, logged once with the reason, never
# quarantined; once the zone loads (here: the file appears where TZDIR points) the task runs.
STORE=$(store_url sqlite daemon)
ok "add berlin for the daemon" add --store "$STORE" --id berlin --interval 1s --timezone Europe/Berlin \
    --command 'echo berlin ran'
cat >"$TMP/d.ini" <<INI
[scheduler]
timezone = UTC

[store default]
url = $STORE
INI
mkdir "$TMP/zones"
start_daemon "$TMP/d.ini" TZDIR="$TMP/zones"
wait_log 'task "berlin" cannot be scheduled on this host: trigger.timezone: time zone "Europe/Berlin" does not load here: not found in the zone data at '"$TMP"'/zones; install tzdata, or set TZDIR to where the zone data is. The task stays in the store \(not quarantined\) and is retried'
sleep 2 # rounds go on meanwhile: the reason is not logged again at each one
[[ $(grep -c 'does not load here' "$DAEMON_LOG") -eq 1 ]] || fail "logged more than once: $(cat "$DAEMON_LOG")"
! grep -q '" quarantined: ' "$DAEMON_LOG" || fail "the daemon quarantined: $(cat "$DAEMON_LOG")"
passed=$((passed + 1))
mkdir "$TMP/zones/Europe"
cp /usr/share/zoneinfo/Europe/Berlin "$TMP/zones/Europe/Berlin"
# Any write ends the daemon's claim on the record (instead of waiting for its lease): ask for a run.
ok "run berlin" run --store "$STORE" berlin
wait_log 'INFO asyncz\.shell: \[berlin\] berlin ran$'
stop_daemon TERM
[[ $daemon_rc -eq 0 ]] || fail "exit status $daemon_rc after SIGTERM"
passed=$((passed + 1))

echo "$passed passed"
