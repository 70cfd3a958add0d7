#!/usr/bin/env bash
# The example configs in examples/ pass `asyncz start --check` (which touches no store, so the production
# paths and the PostgreSQL host need not exist). $1 is the asyncz binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
examples=$(cd "$(dirname "$0")/../../examples" && pwd)

for name in production shared-store; do
    run start --config "$examples/$name.ini" --check
    [[ $rc -eq 0 && -z $err && $out == "$examples/$name.ini: ok ("* ]] ||
        fail "$name.ini: exit $rc, out: $out, err: $err"
    passed=$((passed + 1))
done

# The demo's config, as examples/run-demo.sh writes it: the script runs a stand-in for the tool that makes
# the console's users file with the real one and does not start the daemon.
cat >"$TMP/fake-asyncz" <<SH
#!/usr/bin/env bash
[ "\$1" = auth ] && exec "$ASYNCZ" "\$@"
exit 0
SH
chmod +x "$TMP/fake-asyncz"
ASYNCZ_DEMO_DIR=$TMP/demo bash "$examples/run-demo.sh" "$TMP/fake-asyncz" >/dev/null
[[ -s $TMP/demo/users && $(stat -c %a "$TMP/demo/users") == 600 ]] || fail "demo: no private users file"
run start --config "$TMP/demo/demo.ini" --check
[[ $rc -eq 0 && $out == "$TMP/demo/demo.ini: ok (5 task(s), 1 store(s), 1 executor(s))" ]] ||
    fail "demo.ini: exit $rc, out: $out, err: $err"
passed=$((passed + 1))

# The plugin example, with the plugin this build made.
if [[ -n ${ASYNCZ_TEST_PLUGIN:-} ]]; then
    sed "s|^plugins = .*|plugins = $ASYNCZ_TEST_PLUGIN|" "$examples/plugin/greet.ini" >"$TMP/greet.ini"
    run start --config "$TMP/greet.ini" --check
    [[ $rc -eq 0 && $out == "$TMP/greet.ini: ok (2 task(s), 1 store(s), 1 executor(s))" ]] ||
        fail "greet.ini: exit $rc, out: $out, err: $err"
    passed=$((passed + 1))
fi

echo "$passed passed"
