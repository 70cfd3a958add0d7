# The run history of a cluster run: every run the nodes made is in the shared store's history once, by the
# node that ran it, and nothing is left "running" (a killed node's runs are marked lost by the others).
#
#   awk -f hcheck.awk -v t0=T0_US -v seconds=SECONDS -v killed=NAME HISTORY_FILE NODE_FILES...
#
# HISTORY_FILE holds "H task scheduled outcome scheduler run_id" lines (asyncz-cluster-node history), or
# "H-NONE" (the store keeps no history: nothing to check). Only records scheduled in this run's window
# [t0, t0 + seconds s) count: a server store keeps the history of earlier scenarios too. NODE_FILES hold the
# nodes' "R task run_time node at" lines (check.awk's input).
# Rules: no record is "running"; never two "succeeded" records of one occurrence; every R line of a node
# that was not killed has a "succeeded" record of that node; every "succeeded" record has its R line (the
# same node); a killed node's runs may be "succeeded", "lost" or absent (its last records may never have
# been written); outcomes other than succeeded and lost appear nowhere.
# Prints the counts on one line, and on failure up to 5 offenders of each kind; exits 1 on failure.

function offender(kind, text) {
    if (shown[kind]++ < 5)
        printf "  history: %s: %s\n", kind, text
}

$0 == "H-NONE" {
    none = 1
    next
}

$1 == "H" && NF == 6 {
    if ($3 < t0 || $3 >= t0 + seconds * 1000000)
        next
    k = $2 " " $3
    records++
    outcome[$4]++
    if ($4 == "running") {
        offender("still running", $0)
        bad++
    } else if ($4 == "succeeded") {
        if (++succeeded[k] == 2) {
            offender("recorded twice", k)
            bad++
        }
        by[k] = $5
    } else if ($4 != "lost") {
        offender("unexpected outcome", $0)
        bad++
    }
    next
}

$1 == "R" && NF == 5 {
    k = $2 " " $3
    ran[k] = $4
    rlines++
    next
}

{
    next
}

END {
    if (none) {
        print "history: the store keeps no run history (not checked)"
        exit 0
    }
    for (k in ran) {
        if (ran[k] == killed)
            continue
        if (!(k in succeeded)) {
            offender("run without a succeeded record", k " by " ran[k])
            bad++
        } else if (by[k] != ran[k]) {
            offender("recorded by another node", k ": ran on " ran[k] ", recorded by " by[k])
            bad++
        }
    }
    for (k in succeeded)
        if (!(k in ran)) {
            offender("succeeded record without a run", k " by " by[k])
            bad++
        }
    printf "history: %d records in the window (%d succeeded, %d lost, %d running) for %d runs%s\n", records,
        outcome["succeeded"], outcome["lost"], outcome["running"], rlines, bad ? ": FAIL" : ": ok"
    exit bad ? 1 : 0
}
