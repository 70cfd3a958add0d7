#!/usr/bin/env bash
# `asyncz list` never makes a store look empty when it is not: --limit 0 says how many tasks it did not
# show, filters that keep nothing say how many tasks the store holds; --json stays an empty array.
# $1 is the asyncz binary.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=cmd_lib.sh
source "$(dirname "$0")/cmd_lib.sh"

S=(--store "$(store_url sqlite tasks)")
ok "add a" add "${S[@]}" --id a --at 2030-01-01T00:00Z --command 'echo a'
ok "add b" add "${S[@]}" --id b --at 2030-01-02T00:00Z --command 'echo b' --paused
ok "add c" add "${S[@]}" --id c --at 2030-01-03T00:00Z --command 'echo c'

ok "--limit 0" list "${S[@]}" --limit 0
same "--limit 0 says what it hid" "0 of 3 tasks shown (--limit 0)" "$out"
ok "--limit 0 with a filter" list "${S[@]}" --limit 0 --state scheduled
same "--limit 0 of the matching tasks" "0 of 2 matching tasks shown (--limit 0)" "$out"
ok "a filter that keeps nothing" list "${S[@]}" --query nothing-matches
same "no match is not an empty store" "no tasks match (3 in the store)" "$out"
ok "--limit 0 --json" list "${S[@]}" --limit 0 --json
same "--json: an empty array" "[]" "$out"
ok "--limit 1" list "${S[@]}" --limit 1 --sort-by id
same "--limit 1: one row" 2 "$(wc -l <<<"$out")"

ok "remove a" remove "${S[@]}" a
ok "remove b" remove "${S[@]}" b
ok "remove c" remove "${S[@]}" c
ok "an empty store" list "${S[@]}" --limit 0
same "an empty store is empty" "no tasks" "$out"

echo "$passed passed, 0 failed"
