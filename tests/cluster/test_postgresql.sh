#!/usr/bin/env bash
# Cluster test on the postgresql store (tests/cluster/lib.sh): three schedulers sharing it, one scenario per run.
SCENARIOS="steady kill restart"
BACKEND=postgresql
. "$(dirname "$0")/lib.sh"
run_scenario
