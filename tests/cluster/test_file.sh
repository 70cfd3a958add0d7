#!/usr/bin/env bash
# Cluster test on the file store (tests/cluster/lib.sh): three schedulers sharing it, one scenario per run.
# No restart scenario: the file store's "server" is the file system, which cannot be restarted under the
# nodes; steady and kill cover it.
SCENARIOS="steady kill"
BACKEND=file
. "$(dirname "$0")/lib.sh"
run_scenario
