#!/bin/bash
# on_crash restart 2 within 60: a partition restarted in place twice,
# then, at its third crash, replaced by a fresh partition (rp-c.2) after
# a backoff of 1 s; the replacement's own crash loop waits 2 s.  What
# happened is in baltic list -l and the log.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create rp" "$BALTIC" create -q "$T/farms/replace.farm"

state() {
	"$BALTIC" list --json rp | jq -r '.[0].partitions[0] | "\(.name) \(.state)"'
}
# wait_ready: until the farm's one partition is ready (10 s); prints ms.
wait_ready() {
	t0=$(date +%s%3N)
	for _ in $(seq 200); do
		case $(state) in *" ready") break ;; esac
		sleep 0.05
	done
	echo $(($(date +%s%3N) - t0))
}
crash() { "$BALTIC" call rp ICrash.Crash >/dev/null 2>&1; }

expect_eq "rp-c answers" "rp-c" "$("$BALTIC" call rp ICrash.Who)"
crash; wait_ready >/dev/null
expect_eq "first crash: restarted in place" "rp-c ready" "$(state)"
crash; wait_ready >/dev/null
expect_eq "second crash: restarted in place" "rp-c ready" "$(state)"
expect_match "list -l counts the restarts" "restarted 2 times" "$("$BALTIC" list -l rp)"
t0=$(date +%s%3N)
crash
ms=$(wait_ready)
expect_eq "third crash within 60 s: replaced by a fresh partition" "rp-c.2 ready" "$(state)"
echo "# replaced and ready after $ms ms"
check "... after a backoff of 1 s ($ms ms)" test "$ms" -ge 900
expect_match "list -l says what it replaced and why" \
    "replaces rp-c, which died 3 times within 60 s" "$("$BALTIC" list -l rp)"
expect_match "so does the log" "rp-c: died 3 times within 60 s: replaced by rp-c.2" \
    "$(cat "$T/balticd.log")"
expect_eq "the replacement answers" "rp-c.2" "$("$BALTIC" call rp ICrash.Who)"
expect_eq "the replaced agent is gone" 1 "$(pgrep -f "baltic-agent -c $BALTIC_RUN_DIR" | wc -l)"
crash; wait_ready >/dev/null
crash; wait_ready >/dev/null
crash
ms=$(wait_ready)
expect_eq "the replacement crash-loops too: replaced again" "rp-c ready" "$(state)"
check "... after a backoff of 2 s ($ms ms)" test "$ms" -ge 1900
expect_eq "it answers" "rp-c" "$("$BALTIC" call rp ICrash.Who)"
finish
