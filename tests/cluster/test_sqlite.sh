#!/usr/bin/env bash
# Cluster test on the sqlite store (tests/cluster/lib.sh): three schedulers sharing it, one scenario per run.
# No restart scenario: the sqlite store's "server" is the file system, which cannot be restarted under the
# nodes; steady and kill cover it.
SCENARIOS="steady kill"
BACKEND=sqlite
. "$(dirname "$0")/lib.sh"
run_scenario
