#!/bin/bash
# The fault script: 8 clients call the EOP farm while an `or` branch, a
# `par` branch and then balticd itself (twice, 2 s apart, then twice
# within a second) are killed with SIGKILL.
# Prints calls made, answered, failed, lost, and the recovery time after
# the daemon restart, and asserts the bounds: nothing lost; around every
# kill, no error, no connection reset and no connection refused (the
# descriptor keeper holds the export's socket and the connections of the
# calls in flight while balticd is down; the agents keep running those
# calls and the next balticd answers them); partitions re-attached within
# 1 s.
. "$(dirname "$0")/../system/lib.sh"

cp "$here/faults.farm" "$T/" 2>/dev/null
sed "s|image \"../../|image \"$top_srcdir/|" "$here/faults.farm" > "$T/faults.farm"
start_daemon -v || { not_ok "balticd starts"; finish; exit; }
check "create the EOP fault farm" "$BALTIC" create -q "$T/faults.farm"
pid_of() {
	"$BALTIC" list --json faults | jq -r --arg i "$1" \
	    '.[0].partitions[] | select(.name == $i) | .pid'
}
ms() { date +%s%3N; }

load_start 8 18401 /faults/ISubmitOrder/SubmitOrder order
sleep 2
t1=$(ms); kill -9 "$(pid_of faults-p1)"
sleep 2
t2=$(ms); kill -9 "$(pid_of faults-pay1)"
sleep 2
# balticd itself, twice (the machine is shared and noisy: the bound is
# on the better of two restarts, and the worse is bounded too).
t3=$(ms)
reattach_all=
kills=
for round in 1 2; do
	kills="$kills $(ms)"
	kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
	sleep 0.5
	start_daemon -v || not_ok "balticd restarts"
	t4=$(ms)	# balticd is back: its control socket answers
	# Re-attached: every partition's channel up again, no guest
	# restarted; balticd itself measures it from its own start.
	line=
	for _ in $(seq 400); do
		line=$(grep "farm faults: .* re-attached" "$T/balticd.log" |
		    sed -n "${round}p")
		[ -n "$line" ] && break
		sleep 0.02
	done
	r=$(echo "$line" | sed -n 's/.* re-attached \([0-9]*\) ms .*/\1/p')
	r=${r:-999999}
	reattach_all="$reattach_all $r"
	sleep 2
done
# Twice within a second under load: the second kill lands while the
# restarted balticd re-attaches its partitions and answers the calls it
# adopted, some of which it adopted again (or, on a host too loaded for
# that, while it starts).
t5=$(ms)
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
rm -f "$BALTIC_RUN_DIR/balticd.sock"
$VG "$BALTICD" -d -t "${BALTIC_TIMEOUT_MS:-5000}" -v >>"$T/balticd.log" 2>&1 &
DPID=$!
while [ ! -S "$BALTIC_RUN_DIR/balticd.sock" ] && [ "$(ms)" -lt $((t5 + 600)) ]; do
	sleep 0.02
done
sleep 0.2
# The second kill's time is taken when it is sent: reaping the process
# is the test's own work, slow on a loaded host.
kill -9 "$DPID"; t6=$(ms); wait "$DPID" 2>/dev/null; DPID=
start_daemon -v || not_ok "balticd restarts after the second quick kill"
sleep 2
reattach=$(printf '%s\n' $reattach_all | sort -n | head -1)
reattach_worst=$(printf '%s\n' $reattach_all | sort -n | tail -1)
read -r made ok err refused reset lost <<< "$(load_stop)"

# count FROM [TO [CLASS]]: calls that ended in [FROM - 100 ms, TO) (no
# TO: till the end), of that class or any.
count() {
	load_log | awk -v a=$(($1 - 100)) -v b="${2:-}" -v c="${3:-}" \
	    '$2 >= a && (b == "" || $2 < b) && (c == "" || $3 == c)' | wc -l
}
e1=$(count "$t1" "$t2" err); c1=$(count "$t1" "$t2")
e2=$(count "$t2" "$t3" err); c2=$(count "$t2" "$t3")
# Around the balticd kills: every class of failure, counted apart.
e3=$(count "$t3" "" err); r3=$(count "$t3" "" reset)
f3=$(count "$t3" "" refused); l3=$(count "$t3" "" lost); c3=$(count "$t3")
e5=$(count "$t5" "" err); r5=$(count "$t5" "" reset)
f5=$(count "$t5" "" refused); l5=$(count "$t5" "" lost); c5=$(count "$t5")
adopted=$(sed -n 's/.* \([0-9]*\) calls in flight adopted .*/\1/p' \
    "$T/balticd.log" | awk '{ n += $1 } END { print n + 0 }')
# Calls that two restarted balticds adopted in turn (killed with the
# call in flight again): by the key of their connection.
again=$(grep -o '([^)]*) adopted from an earlier balticd: \(waits\|.*started again\)' \
    "$T/balticd.log" | sed 's/ adopted.*//' | sort | uniq -d | wc -l)
conns=$(sed -n 's/.* \([0-9]*\) client connections with no call yet adopted .*/\1/p' \
    "$T/balticd.log" | awk '{ n += $1 } END { print n + 0 }')
# Calls resumed: the first call issued after the restart from which on
# every call succeeds (this includes that call's own latency).
resumed=$(load_log | awk -v a="$t4" '$1 >= a { if ($3 == "ok") { if (!r) r = $2 } else r = 0 }
    END { print r ? r - a : 999999 }')

echo "# calls made $made, answered $ok, failed $err, cut off by the daemon kill $reset, refused while balticd was down $refused, lost $lost"
echo "# or branch killed: $e1 errors in $c1 calls; par branch killed: $e2 errors in $c2 calls"
echo "# balticd killed twice: $c3 calls from then on: $e3 errors, $r3 reset, $f3 refused, $l3 lost; $adopted calls in flight and $conns connections with no call yet adopted by the new balticd; partitions re-attached in$reattach_all ms from balticd's start, calls answered again after $resumed ms"
echo "# balticd killed twice $((t6 - t5)) ms apart: $c5 calls from then on: $e5 errors, $r5 reset, $f5 refused, $l5 lost; $again calls adopted by two balticds in turn"
if [ "$((made - ok))" -gt 0 ]; then
	echo "# kills at $t1 (or) $t2 (par)$kills $t5 $t6 (balticd); calls not ok:"
	load_log | awk '$3 != "ok" { print "#   " $0 }'
fi
expect_eq "no call lost" 0 "$lost"
expect_eq "no error around the or branch kill" 0 "$e1"
expect_eq "no error around the par branch kill" 0 "$e2"
expect_eq "no error around the balticd kills ($c3 calls)" 0 "$e3"
expect_eq "no connection reset by the balticd kills" 0 "$r3"
expect_eq "no connection refused while balticd was down" 0 "$f3"
check "balticd killed twice within a second ($((t6 - t5)) ms)" \
    test "$((t6 - t5))" -lt 1000
expect_eq "no error, reset, refusal or loss around two kills within a second ($c5 calls)" \
    0 "$((e5 + r5 + f5 + l5))"
check "calls in flight at the kills were adopted and answered ($adopted)" \
    test "$adopted" -ge 1
# 1 s; 3 s in an ASan build, where every process starts slower.
bound=$([ -n "$BALTIC_ASAN" ] && echo 3000 || echo 1000)
check "every partition re-attached within $bound ms of balticd's start (best of 2: $reattach ms)" test "$reattach" -le "$bound"
check "... and within $((3 * bound)) ms of either restart ($reattach_worst ms)" test "$reattach_worst" -le $((3 * bound))
check "calls answered again after the restart, all of them ($resumed ms)" test "$resumed" -lt 999999
check "the killed branches were restarted" test "$("$BALTIC" list --json faults | jq '[.[0].partitions[] | select(.state == "ready")] | length')" -eq 5
finish
