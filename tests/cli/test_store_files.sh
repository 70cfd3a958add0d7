#!/usr/bin/env bash
# The commands and local store files: a command other than add writes nothing into an SQLite file that is
# not an asyncz store (another application's database keeps its bytes, the message says so); a new SQLite
# store is 0600; a database file that others can write or that another user owns is refused with the path
# and the fix; doctor warns about a store file or directory that others can read. The part that gives a
# file to another user needs root: without root it is skipped (and said so) and the rest still runs.
# $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

# ---- another application's database (issue 12, item 11) ------------------------------------------------------
OTHER=$TMP/other-app.db
python3 - "$OTHER" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
db.execute("INSERT INTO invoices (total) VALUES (12.5)")
db.commit()
db.close()
PY
cp "$OTHER" "$TMP/other-app.orig"
S=(--store "sqlite:///$OTHER")
for cmd in list status doctor "inspect x" timeline instances "pause x" "remove x" "update x --name y"; do
    # shellcheck disable=SC2086 # the command words split on purpose
    run $cmd "${S[@]}"
    [[ $rc -eq 1 ]] || fail "$cmd on another application's database: expected exit 1, got $rc ($out $err)"
    [[ "$err$out" == *"sqlite $OTHER (asyncz_store) has no asyncz tables (no table asyncz_store): add a task first, or check the URL"* ]] ||
        fail "$cmd on another application's database: $err$out"
    cmp -s "$OTHER" "$TMP/other-app.orig" || fail "$cmd changed another application's database"
    [[ ! -e $OTHER-wal && ! -e $OTHER-shm && ! -e $OTHER-journal ]] || fail "$cmd left files beside the database: $(ls "$TMP")"
    passed=$((passed + 1))
done
tables=$(python3 -c 'import sqlite3,sys; print(" ".join(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT name FROM sqlite_master WHERE type=\"table\" ORDER BY name")))' "$OTHER")
same "another application's tables only" "invoices" "$tables"

# ---- who may write the database (item 9) ---------------------------------------------------------------------
umask 022
DB=$TMP/store/tasks.db
S=(--store "sqlite:///$DB")
ok "add makes the store" add "${S[@]}" --id job --at 2030-01-01T00:00Z --command 'echo job'
same "new database file is private" "600" "$(stat -c %a "$DB")"
same "new store directory is private" "700" "$(stat -c %a "$TMP/store")"

chmod 666 "$DB"
expect "world-writable database" 1 "asyncz list: cannot connect to the store sqlite:///$DB: *the database file $DB has mode 0666, writable by everyone: *\(fix: chmod go-w $DB)" list "${S[@]}"
chmod 664 "$DB"
expect "group-writable database" 1 "*the database file $DB has mode 0664, writable by its group*" status "${S[@]}"
expect "add refuses it too" 1 "*the database file $DB has mode 0664*" add "${S[@]}" --id other --at 2030-01-01T00:00Z --command true
run doctor "${S[@]}"
[[ $rc -eq 1 && $out == *"error  store  cannot connect to sqlite:///$DB: "*"mode 0664"* ]] || fail "doctor on a group-writable database: $rc $out"
passed=$((passed + 1))

chmod 644 "$DB"
run doctor "${S[@]}"
[[ $rc -eq 0 && $out == *"warning  permissions  the store file $DB has mode 0644: others can read the tasks (commands, arguments, environment) (fix: chmod 600 $DB)"* ]] ||
    fail "doctor on a world-readable database: $rc $out"
passed=$((passed + 1))
chmod 600 "$DB"
ok "doctor on a private database" doctor "${S[@]}"
[[ $out != *permissions* ]] || fail "doctor warns about a private database: $out"

chmod 777 "$TMP/store"
expect "world-writable directory" 1 "*the directory $TMP/store of the database has mode 0777, writable by everyone: *\(fix: chmod go-w $TMP/store*" list "${S[@]}"
chmod 700 "$TMP/store"

FS=$TMP/fstore
ok "file store" add --store "file://$FS" --id job --at 2030-01-01T00:00Z --command 'echo job'
chmod 750 "$FS"
run doctor --store "file://$FS"
[[ $rc -eq 0 && $out == *"warning  permissions  the store directory $FS has mode 0750: others can list the tasks' ids (fix: chmod go-rwx $FS)"* ]] ||
    fail "doctor on a group-readable file store: $rc $out"
passed=$((passed + 1))

if [[ $(id -u) -ne 0 ]]; then
    echo "skipped: a database owned by another user (needs root to give it away)"
    echo "$passed passed"
    exit 0
fi
chown nobody "$DB"
expect "database owned by another user" 1 "*the database file $DB is owned by uid $(id -u nobody), not by this user (uid 0): refusing a store that someone else controls (fix: chown 0 $DB*" list "${S[@]}"
run doctor "${S[@]}"
[[ $rc -eq 1 && $out == *"owned by uid $(id -u nobody)"* ]] || fail "doctor on another user's database: $rc $out"
passed=$((passed + 1))
chown root "$DB"
chown nobody "$TMP/store"
expect "directory owned by another user" 1 "*the directory $TMP/store of the database is owned by uid $(id -u nobody)*" list "${S[@]}"
chown root "$TMP/store"
ok "list once fixed" list "${S[@]}"

echo "$passed passed"
