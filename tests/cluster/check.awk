# The verdict of a cluster run: reads every node's output file (lines written by asyncz-cluster-node) and
# checks that each expected occurrence ran exactly once.
#
#   awk -f check.awk -v n=TASKS -v t0=T0_US -v seconds=SECONDS -v killed=NAME -v restarted=0|1 FILES...
#
# Lines: "R task run_time node at" (a run), "L task run_time reporter lost" (TASK_LOST),
# "S lost reporter" (SCHEDULER_LOST), "M task run_time node" (refused by max_instances: counted, and named
# when the occurrence is missing). Expected: tasks c0000..c<n-1> at t0 + k s for k in 0..seconds-1.
# Rules: never two R lines for one occurrence, never an R line for an occurrence that was not expected;
# an occurrence without an R line is allowed only when a node was killed (killed not empty) and an L line
# reports it as in flight on that node; after a server restart (restarted=1) none is allowed: a node whose
# release failed with the connection repeats it once the server is back and runs the occurrence then. With
# killed set, exactly one S line names it and no other node is reported lost; without, no L or S lines at
# all, except after a server restart, when live nodes that could not heartbeat for a while may be reported
# lost (and then their runs are not missing).
# Prints the counts on one line, and on failure up to 5 offenders of each kind; exits 1 on failure.
# Times are µs since the epoch: below 2^53, so awk's doubles hold them exactly.

function key_of(task, when) {
    return task " " when
}

function offender(kind, text) {
    if (shown[kind]++ < 5)
        printf "  %s: %s\n", kind, text
}

$1 == "R" && NF == 5 {
    k = key_of($2, $3)
    runs[k]++
    node_runs[$4]++
    if (runs[k] == 2)
        dup_keys[k] = 1
    late = $5 - $3
    if (late > max_late)
        max_late = late
    next
}

$1 == "L" && NF == 5 {
    lost[key_of($2, $3)] = $5
    lost_lines++
    next
}

$1 == "M" && NF == 4 {
    refused[key_of($2, $3)] = $4
    refused_lines++
    next
}

$1 == "S" && NF == 3 {
    sched_lost[$2]++
    sched_lost_lines++
    next
}

{
    bad_lines++
    offender("malformed line", FILENAME ": " $0)
}

END {
    expected = 0
    for (i = 0; i < n; i++) {
        task = sprintf("c%04d", i)
        for (s = 0; s < seconds; s++) {
            k = key_of(task, sprintf("%.0f", t0 + s * 1000000))
            want[k] = 1
            expected++
            if (k in runs) {
                executed++
                if (runs[k] > 1)
                    duplicates += runs[k] - 1
            } else if (killed != "" && (k in lost) && lost[k] == killed) {
                missing_reported++
            } else {
                missing++
                if (k in refused)
                    offender("missing", k " (refused by max_instances on " refused[k] \
                        ": its previous run there had not finished)")
                else
                    offender("missing", k)
            }
        }
    }
    for (k in runs)
        if (!(k in want)) {
            unexpected += runs[k]
            offender("unexpected run", k)
        }
    for (k in dup_keys)
        offender("duplicate", k " ran " runs[k] " times")
    for (k in lost) {
        reported++
        if (lost[k] != killed && !restarted) {
            bad_lost++
            offender("task lost", k " reported in flight on " lost[k] ", which was not killed")
        }
    }
    for (name in sched_lost)
        if (name != killed || sched_lost[name] != 1)
            bad_sched_lost++
    if (killed != "" && sched_lost[killed] != 1)
        offender("scheduler lost", killed " reported " (sched_lost[killed] + 0) " times, expected once")
    for (name in sched_lost)
        if (name != killed && !restarted)
            offender("scheduler lost", name " reported lost " sched_lost[name] " time(s) though it was alive")

    printf "expected %d, executed %d, duplicates %d, missing %d, missing but reported lost %d, " \
        "reported lost %d (%d lines), schedulers lost %d, refused by max_instances %d, max lateness %.0f ms; " \
        "runs per node:", expected, executed, duplicates + 0, missing + 0, missing_reported + 0, reported + 0, \
        lost_lines + 0, sched_lost_lines + 0, refused_lines + 0, max_late / 1000
    for (name in node_runs)
        printf " %s %d", name, node_runs[name]
    printf "\n"

    failed = 0
    if (duplicates || unexpected || missing || bad_lines || bad_lost)
        failed = 1
    if (killed != "" && sched_lost[killed] != 1)
        failed = 1
    if (killed == "" && !restarted && (lost_lines || sched_lost_lines))
        failed = 1
    if (killed != "" && !restarted && bad_sched_lost)
        failed = 1
    if (failed)
        print "FAIL: the runs recorded do not match the schedule exactly once (offenders above)"
    exit failed
}
