#!/usr/bin/env bash
# The test of tests/layering.sh (CTest: layering_selftest): it passes a tree that keeps the rules, and fails,
# naming file:line and the rule, on a tree that breaks one: a lower layer including a higher one, siblings,
# a private header, another backend's internals, the tool reaching past the public headers, a public header
# including an internal one, a directory that is no layer, a known exception that no longer occurs. Also on
# a copy of the real sources with one bad include added.
set -u
here=$(cd "$(dirname "$0")" && pwd)
script=$here/layering.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# A small tree that keeps every rule.
make_tree() {
  local t=$1
  rm -rf "$t"
  mkdir -p "$t"/src/{util,time,trigger,core,exec,codec,store,cli} "$t"/include/asyncz/sys
  printf '#include "util/hash.h"\n#include "asyncz/error.h"\n#include <stdlib.h>\n' >"$t/src/util/map.c"
  printf '#include "asyncz/time.h"\n#include <stdint.h>\n' >"$t/include/asyncz/trigger.h"
  printf '#include "asyncz/error.h"\n#include "time/zone_internal.h"\n#include "time/civil.h"\n' >"$t/src/time/zone.c"
  printf '#include "time/civil.h"\n#include "trigger/cron.h"\n#include <time.h>\n' >"$t/src/trigger/cron.c"
  printf '#include "core/registry.h"\n#include "trigger/trigger_codec.h"\n#include "util/map.h"\n' >"$t/src/core/scheduler.c"
  printf '#include "core/scheduler_internal.h"\n#include "exec/zygote.h"\n' >"$t/src/exec/zygote.c"
  printf '#include "core/task_internal.h"\n#include "codec/codec_internal.h"\n' >"$t/src/codec/task_json.c"
  printf '#include "store/backend.h"\n#include "codec/seal.h"\n#include "util/hash.h"\n' >"$t/src/store/memory.c"
  printf '#include "store/sqlite_internal.h"\n#include "store/backend.h"\n' >"$t/src/store/sqlite_ops.c"
  printf '#include "store/redis.h"\n' >"$t/src/store/redis_lua.c"
  printf '#include "asyncz.h"\n#include "asyncz/sys/store.h"\n#include "cli.h"\n#include <jansson.h>\n' >"$t/src/cli/main.c"
  printf '/* the tool */\n' >"$t/src/cli/cli.h"
}

# expect NAME STATUS PATTERN...: layering.sh on $work/t (with the arguments in $args) exits STATUS and its
# output matches every PATTERN.
args=()
expect() {
  local name=$1 want=$2
  shift 2
  local out rc
  out=$(bash "$script" --root "$work/t" ${args[@]+"${args[@]}"} 2>&1)
  rc=$?
  local ok=1
  [ "$rc" = "$want" ] || ok=0
  local p
  for p in "$@"; do
    grep -qF -- "$p" <<<"$out" || ok=0
  done
  if [ "$ok" = 1 ]; then
    echo "ok: $name"
  else
    echo "FAIL: $name: exit status $rc (wanted $want); output:"
    sed 's/^/    /' <<<"$out"
    echo "  wanted it to contain: $*"
    failed=1
  fi
}

# case NAME FILE LINE-TO-APPEND STATUS PATTERN...: a fresh tree with one line appended to FILE.
case_with() {
  local name=$1 file=$2 text=$3
  shift 3
  make_tree "$work/t"
  mkdir -p "$(dirname "$work/t/$file")"
  printf '%s\n' "$text" >>"$work/t/$file"
  expect "$name" "$@"
}

make_tree "$work/t"
expect "a tree that keeps the rules passes" 0 "layering: ok (0 known exception(s))"

case_with "a lower layer includes a higher one" src/trigger/cron.c '#include "core/task_internal.h"' 1 \
  'src/trigger/cron.c:4: #include "core/task_internal.h": trigger/ may not include the higher layer core/'
case_with "time includes the store" src/time/zone.c '#  include "store/record.h"' 1 \
  'src/time/zone.c:4: #include "store/record.h": time/ may not include the higher layer store/'
case_with "an angle-bracket include of a layer counts too" src/core/scheduler.c '#include <exec/zygote.h>' 1 \
  'src/core/scheduler.c:4: #include "exec/zygote.h": core/ may not include the higher layer exec/'
case_with "sibling layers (exec, codec)" src/exec/zygote.c '#include "codec/seal.h"' 1 \
  'src/exec/zygote.c:3: #include "codec/seal.h": exec/ and codec/ are sibling layers'
case_with "a private header of a lower layer" src/store/memory.c '#include "time/tzif.h"' 1 \
  'src/store/memory.c:4: #include "time/tzif.h": time/tzif.h is private to time/'
case_with "another backend's internals" src/store/redis_lua.c '#include "store/sqlite_internal.h"' 1 \
  "src/store/redis_lua.c:2: #include \"store/sqlite_internal.h\": store/sqlite_internal.h is the sqlite backend's internals"
case_with "the persist layer and a backend's internals" src/store/persist.c '#include "store/mongodb_internal.h"' 1 \
  "src/store/persist.c:1: #include \"store/mongodb_internal.h\": store/mongodb_internal.h is the mongodb backend's internals"
case_with "the library includes the tool" src/store/memory.c '#include "cli/cli.h"' 1 \
  'src/store/memory.c:4: #include "cli/cli.h": the library never includes the tool'
case_with "an include that names no layer" src/core/scheduler.c '#include "nowhere/x.h"' 1 \
  'src/core/scheduler.c:4: #include "nowhere/x.h": neither a public header'
case_with "the tool includes an internal header" src/cli/main.c '#include "core/scheduler_internal.h"' 1 \
  'src/cli/main.c:5: #include "core/scheduler_internal.h": the tool (src/cli) includes only public headers'
case_with "the tool includes a file it does not have" src/cli/main.c '#include "scheduler_internal.h"' 1 \
  'src/cli/main.c:5: #include "scheduler_internal.h": the tool (src/cli) includes only public headers'
case_with "a public header includes an internal one" include/asyncz/trigger.h '#include "trigger/cron.h"' 1 \
  'include/asyncz/trigger.h:3: #include "trigger/cron.h": a public header (include/) includes only public headers'
case_with "a directory that is no layer" src/web/http.c '#include "asyncz.h"' 1 \
  'src/web/: a directory that is no layer of the rules'

case_with "util includes a higher layer" src/util/map.c '#include "time/civil.h"' 1 \
  'src/util/map.c:4: #include "time/civil.h": util/ may not include the higher layer time/'

make_tree "$work/t"
printf '#include "core/registry.h"\n' >>"$work/t/src/store/memory.c"
args=(--exception "src/store/memory.c core/registry.h")
expect "a known exception is reported, not failed" 0 "layering: ok (1 known exception(s))" \
  'known: src/store/memory.c:4: #include "core/registry.h"'
make_tree "$work/t"
expect "an exception that no longer occurs fails" 1 \
  'the exception "src/store/memory.c core/registry.h" no longer occurs: delete it'
args=()

make_tree "$work/t"
mkdir -p "$work/t/src/util"
printf '#include "asyncz/time.h"\n' >"$work/t/src/util/x.c"
printf '#include "util/x.h"\n' >>"$work/t/src/time/zone.c"
expect "util/ sits below every layer" 0 "layering: ok"

make_tree "$work/t"
out=$(bash "$script" --bogus 2>&1)
rc=$?
if [ "$rc" = 2 ] && grep -q "unknown argument '--bogus'" <<<"$out"; then echo "ok: a bad argument exits 2"; else
  echo "FAIL: a bad argument: exit status $rc, output: $out"
  failed=1
fi

# The real sources, copied, with one bad include added: the rules hold for the real tree too.
repo=$(cd "$here/.." && pwd)
rm -rf "$work/t"
mkdir -p "$work/t"
cp -r "$repo/src" "$repo/include" "$work/t/"
expect "a copy of the real sources passes" 0 "layering: ok"
printf '#include "core/scheduler_internal.h"\n' >>"$work/t/src/trigger/cron.c"
line=$(wc -l <"$work/t/src/trigger/cron.c")
expect "a copy of the real sources with a bad include fails" 1 \
  "src/trigger/cron.c:$line: #include \"core/scheduler_internal.h\": trigger/ may not include the higher layer core/"

exit $failed
