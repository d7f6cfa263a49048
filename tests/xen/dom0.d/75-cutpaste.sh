# cut/paste: rf (from 65-ref) under 4 clients; baltic cut suspends rf-a
# to a file (its domain goes away), rf-b answers meanwhile, baltic paste
# restores it and it serves again; every call answered.
# balticd's loop is not held by the cut (libxl saves and destroys the
# domain asynchronously): with r set to b, calls to rf-b go on ending
# while rf-a is being cut (cut-loop: no gap between two of them over
# half the cut; a held loop answers none until the save is done).  The
# p99 of the calls in flight during the cut against that of the calls
# of the 8 s before are FIGURE lines (cut-p99, nocut-p99,
# cut-p99-ratio, goal <= 2; dom0's one vCPU is shared by the clients and
# libxl's save helper, so the ratio also shows that contention).  Then r
# is or roundrobin(a, b) again for the paste.
. /test/lib.sh
need_balticd cutpaste
need_farm cutpaste rf
# The same load on rf-b before and during the cut: only the cut differs.
baltic set rf r b
cut=/tmp/rf-a.cut
rm -f "$cut"
fig() { echo "BALTIC-XEN: FIGURE $*"; }
# p99 FROM TO ended|over: "P99_MS N" of the load's calls (all but those
# whose curl died in dom0) that ended in (FROM, TO] ms, or were in flight
# at any time of it (over).  A call here takes seconds (a fork of sh and
# cat in the guest, curl in dom0, under TCG), so few start and end
# within the window.
p99() {
	cat "$BT"/load.[0-9]* 2> /dev/null | awk -v a="$1" -v b="$2" -v m="$3" '
	    $3 != "crash" && ((m == "ended" && $2 > a && $2 <= b) ||
	    (m == "over" && $1 < b && $2 > a)) { print $2 - $1 }' | sort -n |
	    awk '{ v[NR] = $1 } END { if (NR == 0) { print "0 0"; exit }
	    i = int(NR * 0.99); if (i < NR * 0.99) i++; print v[i], NR }'
}
load_start 4 18312 /rf/IEcho/Echo hello
sleep 2
w0=$(ms)
sleep 8
w1=$(ms)
t0=$(uptime_s)
if baltic cut rf rf-a "$cut"; then
	c1=$(ms)
	result cut pass "$(since "$t0") s, $(du -k "$cut" | cut -f1) KiB file, state $(field rf rf-a state)"
else
	c1=$(ms)
	result cut fail "baltic cut rf rf-a"; tail -n 20 "$BT/balticd.log" | sed 's/^/  balticd: /'
fi
xl list
xl list rf-a > /dev/null 2>&1 && result cut-domain fail "rf-a still a domain after cut" ||
	result cut-domain pass "rf-a's domain is gone"
a0=$(served rf rf-a) b0=$(served rf rf-b)
sleep 4
# The calls in flight during the cut have ended by now (60 s at most:
# curl's limit; under 2 s each here).
set -- $(p99 "$w0" "$w1" ended); np=$1 nn=$2
set -- $(p99 "$w1" "$c1" over); cp=$1 cn=$2
ratio=$(awk -v c="$cp" -v n="$np" 'BEGIN { if (n > 0) printf "%.2f", c / n; else print "inf" }')
echo "p99 of calls to rf-b: $np ms of those that ended in the 8 s before the cut ($nn calls), $cp ms while rf-a was cut ($cn calls, $((c1 - w1)) ms): $ratio x"
fig nocut-p99 "$np" "ms: p99 of calls to rf-b (4 curl clients in dom0 on rf's export, r = b) that ended in the 8 s before the cut of rf-a, $nn calls"
fig cut-p99 "$cp" "ms: p99 of the same calls in flight while baltic cut rf-a ran ($((c1 - w1)) ms), $cn calls"
fig cut-p99-ratio "$ratio" "x: cut-p99 / nocut-p99 (goal <= 2: the cut does not hold balticd's loop)"
baltic set rf r 'or roundrobin(a, b)'
# The longest time during the cut with no call ending, and how many ended.
set -- $(cat "$BT"/load.[0-9]* 2> /dev/null | awk -v a="$w1" -v b="$c1" '
    $2 > a && $2 <= b { print $2 }' | sort -n | awk -v a="$w1" -v b="$c1" '
    BEGIN { last = a; g = 0 } { if ($1 - last > g) g = $1 - last; last = $1; n++ }
    END { if (b - last > g) g = b - last; print g, n + 0 }')
gap=$1 ended=$2
fig cut-gap "$gap" "ms: the longest time with no call to rf-b ending while baltic cut rf-a ran ($((c1 - w1)) ms; $ended ended)"
[ "$ended" -gt 0 ] && [ $((gap * 2)) -lt $((c1 - w1)) ] &&
	result cut-loop pass "$ended calls ended during the $((c1 - w1)) ms cut, never $gap ms without one; p99 $cp ms during the cut, $np ms without: ${ratio}x" ||
	result cut-loop fail "$ended calls ended during the $((c1 - w1)) ms cut, $gap ms without one; p99 $cp ms during the cut ($cn calls), $np ms without ($nn calls): ${ratio}x"
a1=$(served rf rf-a) b1=$(served rf rf-b)
echo "while cut: rf-a served $a0 -> $a1, rf-b $b0 -> $b1"
[ "$a1" = "$a0" ] && [ "$b1" -gt "$b0" ] && result cut-other-answers pass "rf-b served $((b1 - b0)) while rf-a was cut" ||
	result cut-other-answers fail "rf-a $a0 -> $a1, rf-b $b0 -> $b1"
t0=$(uptime_s)
if baltic paste rf rf-a "$cut"; then
	wait_ready rf 120 && result paste pass "$(since "$t0") s to ready, domain $(field rf rf-a domid)" ||
		result paste fail "not ready after paste"
else
	result paste fail "baltic paste rf rf-a"; tail -n 20 "$BT/balticd.log" | sed 's/^/  balticd: /'
fi
sleep 4
set -- $(load_stop)
a2=$(served rf rf-a)
echo "made $1 ok $2 err $3 refused $4 reset $5 lost $6 crash $7 hcrash $8; rf-a served $a1 -> $a2 after paste"
[ "$a2" -gt "$a1" ] && result paste-serves pass "rf-a served $((a2 - a1)) after paste" ||
	{ guest_log rf rf-a; result paste-serves fail "rf-a served nothing after paste"; }
load_all_answered "$@" && result cutpaste-calls pass "$2/$1 answered across cut and paste${load_note:+ ($load_note)}" ||
	result cutpaste-calls fail "made $1 ok $2 err $3 refused $4 reset $5 lost $6 crash $7 hcrash $8${load_note:+ ($load_note)}"
rm -f "$cut"
