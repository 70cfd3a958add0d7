#!/usr/bin/env bash
# Show when a few example schedules fire next, in Europe/Berlin, with `asyncz preview`.
set -euo pipefail
asyncz=${1:-asyncz}
zone=${ZONE:-Europe/Berlin}

# Echo the command as it would be typed: arguments with spaces or globs in single quotes.
show() {
    local shown="" a
    for a in "$@"; do
        case "$a" in *[\ \*\?]*) shown+=" '$a'" ;; *) shown+=" $a" ;; esac
    done
    printf '\n$ asyncz preview%s --timezone %s --count 3\n' "$shown" "$zone"
    "$asyncz" preview "$@" --timezone "$zone" --count 3
}

show --cron '*/15 9-17 * * mon-fri'                 # every quarter hour in office hours
show --cron '30 2 * * *'                            # nightly at 02:30 (see the DST policy)
show --day 'last fri' --hour 9 --minute 30          # field API: last Friday of the month
show --interval 1h30m                               # every 90 minutes of elapsed time
show --calendar-interval 1mo --time-of-day 09:00    # monthly at 09:00 wall-clock time
