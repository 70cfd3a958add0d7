#!/usr/bin/env bash
# Every task-management command against every server store of issue 4: Redis, PostgreSQL, MariaDB and
# MongoDB (FerretDB), on the servers of the CTest fixture `servers` (their URLs come from the env file
# $ASYNCZ_TEST_SERVERS_ENV). Each run uses its own table, keys or collection. $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

# tasks_only: the tasks of a list --json in $out without their last_run (a store that keeps run history has
# the key, one that keeps none has not: the tasks are what is compared).
tasks_only() {
    python3 -c 'import json,sys; d=json.load(sys.stdin); [t.pop("last_run", None) for t in d]; print(json.dumps(d))' <<<"$out"
}

ENV_FILE=${ASYNCZ_TEST_SERVERS_ENV:?run under CTest with the servers fixture, or set ASYNCZ_TEST_SERVERS_ENV}
[[ -r $ENV_FILE ]] || fail "cannot read $ENV_FILE (did servers.start run?)"
# shellcheck disable=SC1090
source "$ENV_FILE"
RUN=cli$$x$RANDOM

# libmongoc logs to stderr itself (the MongoDB store does not route its log into asyncz's), and FerretDB
# lacks the endSessions command that libmongoc sends when a client closes, so every MongoDB command ends
# with that one warning. It is dropped here; every other line on stderr still fails the checks.
run() {
    rc=0
    "$ASYNCZ" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    out=$(cat "$TMP/out")
    err=$(grep -v "WARNING: *client: Couldn't send \"endSessions\"" "$TMP/err" || true)
}

# with_option URL KEY=VALUE...: the URL with query options appended.
with_option() {
    local url=$1 sep='?'
    shift
    [[ $url == *\?* ]] && sep='&'
    for kv in "$@"; do
        url+="$sep$kv"
        sep='&'
    done
    echo "$url"
}

url_of() {
    case $1 in
    redis) with_option "$ASYNCZ_TEST_REDIS_URL" "tasks_key=$RUN.tasks" "run_times_key=$RUN.run_times" ;;
    postgresql) with_option "$ASYNCZ_TEST_POSTGRESQL_URL" "tablename=$RUN" ;;
    mariadb) with_option "$ASYNCZ_TEST_MARIADB_URL" "tablename=$RUN" ;;
    mongodb) with_option "$ASYNCZ_TEST_MONGODB_URL" "collection=$RUN" ;;
    esac
}

check_store() {
    local kind=$1 url
    url=$(url_of "$kind")
    local S=(--store "$url")

    ok "$kind add" add "${S[@]}" --id a --cron '0 9 * * *' --start-date 2030-01-01 --command 'echo a'
    same "$kind add prints" $'a\t2030-01-01T09:00:00+00:00' "$out"
    ok "$kind add function" add "${S[@]}" --id b --interval 6h --start-date 2030-01-01T03:00Z --function job.run \
        --args '[1]' --executor pool
    ok "$kind add paused" add "${S[@]}" --id c --at 2030-01-01T05:00Z --command 'echo c' --paused
    expect "$kind add taken id" 1 "*already in the store*" add "${S[@]}" --id a --at 2030-01-01T00:00Z --command true

    ok "$kind list" list "${S[@]}" --json
    same "$kind list order" "b a c" "$(json '" ".join(t["id"] for t in d)')"
    ok "$kind list filters" list "${S[@]}" --json --executor pool
    same "$kind list executor" "b" "$(json '" ".join(t["id"] for t in d)')"
    ok "$kind list table" list "${S[@]}" --state paused
    [[ $(wc -l <<<"$out") -eq 2 && $out == *"c "*"echo c"* ]] || fail "$kind list table: $out"
    ok "$kind inspect" inspect "${S[@]}" b --json --count 2
    same "$kind inspect" "job.run [1] ['2030-01-01T03:00:00+00:00', '2030-01-01T09:00:00+00:00']" \
        "$(json '" ".join(str(x) for x in [d["function"], d["args"], d["next_runs"]])')"
    ok "$kind preview --task" preview "${S[@]}" --task a --count 2 --from 2030-01-01
    same "$kind preview" $'2030-01-01T09:00:00+00:00\n2030-01-02T09:00:00+00:00' "$out"
    ok "$kind timeline" timeline "${S[@]}" --from 2030-01-01T00:00Z --count 3 --json
    same "$kind timeline (ties in store order)" "b b a" "$(json '" ".join(r["id"] for r in d)')"

    ok "$kind pause" pause "${S[@]}" a
    ok "$kind resume" resume "${S[@]}" c
    same "$kind resume" "resumed c (next run 2030-01-01T05:00:00+00:00)" "$out"
    ok "$kind list after pause/resume" list "${S[@]}" --json --state paused
    same "$kind paused now" "a" "$(json '" ".join(t["id"] for t in d)')"
    ok "$kind resume a" resume "${S[@]}" a

    ok "$kind inspect before dry run" inspect "${S[@]}" a --json
    local before=$out
    ok "$kind update --dry-run" update "${S[@]}" a --name renamed --dry-run
    same "$kind dry run" $'name: a → renamed\ndry run: task a not changed' "$out"
    ok "$kind inspect after dry run" inspect "${S[@]}" a --json
    same "$kind dry run wrote nothing" "$before" "$out"
    ok "$kind update" update "${S[@]}" a --name renamed --max-instances 2
    ok "$kind inspect after update" inspect "${S[@]}" a --json
    same "$kind updated" "renamed 2" "$(json 'd["name"] + " " + str(d["max_instances"])')"

    "$FIXTURE" heartbeat "$url" "sched-$kind" 300 || fail "$kind fixture heartbeat"
    ok "$kind status" status "${S[@]}" --json
    same "$kind status" "$kind 3 3 0 1" "$(json '" ".join(str(d[k]) for k in ["store", "tasks", "scheduled", "paused", "schedulers_live"])')"
    ok "$kind instances" instances "${S[@]}" --json
    same "$kind instances" "sched-$kind False" "$(json '" ".join(str(x) for i in d for x in [i["id"], i["expired"]])')"
    ok "$kind doctor" doctor "${S[@]}" --json
    same "$kind doctor" "store:ok sealing:ok records:ok zones:ok quarantine:ok schedulers:ok" \
        "$(json '" ".join(c["check"] + ":" + c["status"] for c in d)')"

    for cmd in pause resume remove inspect; do
        expect "$kind $cmd unknown" 3 "asyncz $cmd: no task with id \"nope\" in the store" "$cmd" "${S[@]}" nope
    done
    for id in a b c; do
        ok "$kind remove $id" remove "${S[@]}" "$id"
    done
    ok "$kind empty" list "${S[@]}" --json
    same "$kind empty" "[]" "$out"
}

# ---- a store that is not there (issue 12, item 11) ---------------------------------------------------------------
# Commands other than add create no tables: on a namespace never used they fail (SQL stores, MongoDB) or,
# on Redis, whose store is keys that appear with the first task, list nothing; either way nothing is made.
check_fresh() {
    local kind=$1 url
    url=$(url_of "$kind" | sed "s/$RUN/${RUN}fresh/g")
    for attempt in 1 2; do
        run list --store "$url" --json
        if [[ $kind == redis ]]; then
            [[ $rc -eq 0 && $out == "[]" ]] || fail "$kind list on nothing ($attempt): $rc $out $err"
        else
            [[ $rc -eq 1 && $err == *"has no asyncz"*"add a task first, or check the URL"* ]] ||
                fail "$kind list on nothing ($attempt): $rc $out $err"
        fi
        passed=$((passed + 1))
    done
}

# ---- passwords never shown (item 10) -----------------------------------------------------------------------------
SECRET=Zq7s3cretPw
# with_secret KIND: the server's URL with $SECRET as the password.
with_secret() {
    case $1 in
    redis) url_of redis | sed "s#^redis://#redis://:$SECRET@#" ;;
    postgresql) url_of postgresql | sed "s#^postgresql://\([^@:]*\)@#postgresql://\1:$SECRET@#" ;;
    mariadb) url_of mariadb | sed "s#^mariadb://\([^@:]*\):[^@]*@#mariadb://\1:$SECRET@#" ;;
    mongodb) url_of mongodb | sed "s#^mongodb://#mongodb://asyncz:$SECRET@#" ;;
    esac
}

# no_secret NAME: neither stdout nor stderr of the last run shows $SECRET.
no_secret() {
    [[ "$out$err" != *"$SECRET"* ]] || fail "$1 shows the password: $out $err"
    passed=$((passed + 1))
}

# secret_runs NAME URL STATUS: the commands on URL, given by --store and by ASYNCZ_STORE, exit STATUS (or
# anything when STATUS is '*') without showing the password; and a config with that URL.
secret_runs() {
    local name=$1 url=$2 status=$3 cmd
    for cmd in list status doctor "inspect x" "add --id x --at 2030-01-01T00:00Z --command true"; do
        # shellcheck disable=SC2086 # the command words split on purpose
        run $cmd --store "$url"
        [[ $status == '*' || $rc -eq $status ]] || fail "$name: $cmd --store: exit $rc, not $status: $err"
        no_secret "$name: $cmd --store"
        # shellcheck disable=SC2086
        ASYNCZ_STORE=$url run $cmd
        [[ $status == '*' || $rc -eq $status ]] || fail "$name: $cmd with ASYNCZ_STORE: exit $rc, not $status: $err"
        [[ $status == '*' || "$err$out" == *ASYNCZ_STORE* ]] || fail "$name: $cmd: the message does not name ASYNCZ_STORE: $err$out"
        no_secret "$name: $cmd with ASYNCZ_STORE"
    done
    printf '[store default]\nurl = %s\n\n[task t]\ninterval = 1h\ncommand = true\n' "$url" >"$TMP/secret.ini"
    run start --config "$TMP/secret.ini" --check
    no_secret "$name: start --check"
}

check_secrets() {
    local kind=$1 url bad named
    url=$(with_secret "$kind")
    case $kind in
    redis) named=$(sed "s/tasks_key=$RUN.tasks/tasks_key=a*b/" <<<"$url") ;;
    mongodb) named=$(sed "s/collection=$RUN/collection=a-b/" <<<"$url") ;;
    *) named=$(sed "s/tablename=$RUN/tablename=a-b/" <<<"$url") ;;
    esac
    secret_runs "$kind wrong password" "$url" '*'
    secret_runs "$kind bad name" "$named" 2
    [[ $err == *"not a valid name"* ]] || fail "$kind bad name: $err"
    bad=$(sed -E 's#@127\.0\.0\.1:[0-9]+#@127.0.0.1:1#' <<<"$url")
    [[ $kind == mongodb ]] && bad=$(with_option "$bad" serverSelectionTimeoutMS=300)
    secret_runs "$kind unreachable" "$bad" 1
    run start --config "$TMP/secret.ini"
    [[ $rc -eq 1 ]] || fail "$kind unreachable daemon: exit $rc: $err"
    no_secret "$kind unreachable daemon"
}

# quarantine list/show/restore/drop and export/import on a server store: a key set by mistake on the
# plaintext store is refused (nothing quarantined); records whose index disagrees with their document are
# quarantined by a scheduler's read and restore from their document. Export to a SQLite store and back into
# the server under a new key.
check_quarantine_export() {
    local kind=$1 url sealed local_url
    url=$(url_of "$kind" | sed "s/$RUN/${RUN}q/g")
    sealed=$(url_of "$kind" | sed "s/$RUN/${RUN}s/g")
    local_url="sqlite:///$TMP/from-$kind.db"
    local S=(--store "$url")
    ok "$kind q add" add "${S[@]}" --id qa --cron '0 9 * * *' --start-date 2030-01-01 --command 'echo qa'
    ok "$kind q add 2" add "${S[@]}" --id qb --at 2030-01-02T00:00Z --command 'echo qb'
    ok "$kind export" export "${S[@]}" --output "$TMP/$kind.jsonl"
    same "$kind export" "2 tasks written to $TMP/$kind.jsonl" "$out"
    ok "$kind import into sqlite" import --store "$local_url" "$TMP/$kind.jsonl"
    ok "$kind list server" list "${S[@]}" --json
    local want
    want=$(tasks_only)
    ok "$kind list sqlite" list --store "$local_url" --json
    same "$kind same tasks in sqlite" "$want" "$(tasks_only)"
    ASYNCZ_STORE_ENCRYPTION_KEY=new-key run import --store "$sealed" "$TMP/$kind.jsonl"
    [[ $rc -eq 0 ]] || fail "$kind import under a new key: $err"
    ASYNCZ_STORE_ENCRYPTION_KEY=new-key run list --store "$sealed" --json
    same "$kind same tasks under the new key" "$want" "$(tasks_only)"
    ASYNCZ_STORE_ENCRYPTION_KEY=new-key expect "$kind import again" 2 '*already holds a task "qa"*nothing imported)' import --store "$sealed" "$TMP/$kind.jsonl"

    ASYNCZ_STORE_ENCRYPTION_KEY=set-by-mistake "$FIXTURE" scan "$url" 2>"$TMP/scan.err" &&
        fail "$kind fixture scan with a key on the plaintext store connected"
    [[ $(cat "$TMP/scan.err") == *"ASYNCZ_STORE_ENCRYPTION_KEY is set but the 2 records in "*" are not sealed: unset it"* ]] ||
        fail "$kind key on a plaintext store: $(cat "$TMP/scan.err")"
    ASYNCZ_STORE_ENCRYPTION_KEY=set-by-mistake expect "$kind add with a key on a plaintext store" 1 \
        "*ASYNCZ_STORE_ENCRYPTION_KEY is set but the 2 records in *are not sealed*" \
        add "${S[@]}" --id qc --at 2030-01-03T00:00Z --command 'echo qc'
    ok "$kind nothing quarantined" quarantine list "${S[@]}" --json
    same "$kind nothing quarantined" "[]" "$out"
    local id
    for id in qa qb; do # the index 2029-12-31T00:00Z disagrees with the document
        "$FIXTURE" get "$url" "$id" >"$TMP/$id.raw" || fail "$kind fixture get $id"
        "$FIXTURE" put "$url" "$id" 1893369600000000 <"$TMP/$id.raw" || fail "$kind fixture put $id"
    done
    "$FIXTURE" scan "$url" 2>/dev/null || fail "$kind fixture scan"
    ok "$kind q list" quarantine list "${S[@]}" --json
    same "$kind q list" "qa qb" "$(json '" ".join(sorted(e["id"] for e in d))')"
    ok "$kind q show" quarantine show "${S[@]}" qa --json
    same "$kind q show" "True echo qa" "$(json '" ".join(str(x) for x in [d[0]["restorable"], d[0]["document"]["args"][0]])')"
    ok "$kind q add live qa" add "${S[@]}" --id qa --at 2030-05-05T00:00Z --command 'echo new'
    expect "$kind q restore over live" 2 '*already holds a live task "qa"*' quarantine restore "${S[@]}" qa
    ok "$kind q restore --replace" quarantine restore "${S[@]}" qa --replace
    same "$kind q restored" "restored qa (next run 2030-01-01T09:00:00+00:00)" "$out"
    ok "$kind q drop" quarantine drop "${S[@]}" qb
    same "$kind q dropped" "dropped 1 quarantined record of qb" "$out"
    ok "$kind q empty" quarantine list "${S[@]}" --json
    same "$kind q empty" "[]" "$out"
    ok "$kind q tasks" list "${S[@]}" --json
    same "$kind q tasks" "qa" "$(json '" ".join(t["id"] for t in d)')"
    for store in "$url" "$sealed"; do
        for id in qa qb; do
            ASYNCZ_STORE_ENCRYPTION_KEY=$([[ $store == "$sealed" ]] && echo new-key) run remove --store "$store" "$id"
        done
    done
}

for kind in redis postgresql mariadb mongodb; do
    check_store "$kind"
    check_fresh "$kind"
    check_secrets "$kind"
    check_quarantine_export "$kind"
done

echo "$passed passed"
