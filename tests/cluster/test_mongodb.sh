#!/usr/bin/env bash
# Cluster test on the mongodb store (tests/cluster/lib.sh): three schedulers sharing it, one scenario per run.
SCENARIOS="steady kill restart"
BACKEND=mongodb
. "$(dirname "$0")/lib.sh"
run_scenario
