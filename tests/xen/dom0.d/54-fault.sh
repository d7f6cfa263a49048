# fault: under 4 clients calling eop_or (from 50-eop), `xl destroy` one
# OrderProcessing branch, then kill -9 balticd and start it again; calls
# resume.  Prints calls made/answered/failed/lost.
. /test/lib.sh
need_balticd fault
need_farm fault eop_or
set -- $(parts eop_or OrderProcessing)
victim=$1 other=$2
load_start 4 "$port" /eop_or/ISubmitOrder/SubmitOrder fault
sleep 3
vd=$(field eop_or "$victim" domid)
t_kill=$(ms)
xl destroy "$vd" && echo "xl destroy $vd ($victim) at $t_kill ms"
sleep 10
echo "after xl destroy: $(baltic list -l eop_or 2>&1 | tr '\n' ';')"
t_d=$(ms)
touch "$BT/balticd.killed"
kill -9 "$(cat "$BT/balticd.pid")"
echo "balticd killed -9 at $t_d ms"
sleep 2
t_r=$(ms)
balticd_start || { result fault-restart fail "balticd did not restart"; }
echo "balticd restarted at $t_r ms (socket after $(($(ms) - t_r)) ms)"
wait_ready eop_or 120
sleep 8
set -- $(load_stop)
echo "CALLS made $1 answered $2 failed $(($3 + $4 + $5)) (err $3 refused $4 reset $5) lost $6"
# The first answered call after the restart, and the gap.
first=$(cat "$BT"/load.[0-9]* | awk -v t="$t_r" '$3 == "ok" && $1 >= t { print $2 }' | sort -n | head -n 1)
# Calls that overlapped the branch's death and ended before the kill.
set -- $1 $2 $3 $4 $5 $6 $(cat "$BT"/load.[0-9]* | awk -v t="$t_kill" -v u="$t_d" '$2 >= t && $2 < u { n++; if ($3 == "ok") k++ } END { printf "%d %d", n, k }')
echo "calls ended between xl destroy and the kill: $7, answered $8"
[ "$7" -gt 0 ] && [ "$7" = "$8" ] && result fault-branch-death pass "$8/$7 answered after $victim's domain was destroyed" ||
	result fault-branch-death fail "$8/$7 answered after $victim's domain was destroyed"
baltic list -l eop_or
[ -n "$first" ] && result fault-resume pass "first answer $((first - t_r)) ms after restart; made $1 answered $2 failed $(($3 + $4 + $5)) lost $6" ||
	result fault-resume fail "no answer after restart; made $1 answered $2 lost $6"
[ "$6" = 0 ] && result fault-no-lost pass "0 of $1 lost" || result fault-no-lost fail "$6 of $1 lost (no answer)"
n=$(field eop_or "$victim" state)
echo "$victim: state $n, domain $(field eop_or "$victim" domid) (was $vd)"
