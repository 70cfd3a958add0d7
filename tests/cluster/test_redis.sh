#!/usr/bin/env bash
# Cluster test on the redis store (tests/cluster/lib.sh): three schedulers sharing it, one scenario per run.
SCENARIOS="steady kill restart"
BACKEND=redis
. "$(dirname "$0")/lib.sh"
run_scenario
