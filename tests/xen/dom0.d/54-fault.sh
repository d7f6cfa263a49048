# fault: under 4 clients calling farm xfault (tests/xen/farms/xen.farm:
# `or roundrobin` of two XEcho guests, Echo declared idempotent, so a
# call in flight on a branch that dies may be re-sent to the other, as
# in tests/faults/faults.farm), `xl destroy` one branch, then kill -9
# balticd and start it again; calls resume.  Prints calls made/answered/
# failed/lost.  (Not the EOP farm, whose calls fork several processes in
# three guests each: under TCG each process risks an emulation fault,
# and what is tested here is balticd's, not the handlers'.)
# boot: fresh
. /test/lib.sh
need_balticd fault
xen_farm
create_farm xfault "$BT/farms/xen.farm" -f xfault || { result fault fail "baltic create xfault"; exit 0; }
port=18406
set -- $(parts xfault XEcho)
victim=$1 other=$2
load_start 4 "$port" /xfault/IXEcho/Echo fault
sleep 3
vd=$(field xfault "$victim" domid)
t_kill=$(ms)
xl destroy "$vd" && echo "xl destroy $vd ($victim) at $t_kill ms"
sleep 10
echo "after xl destroy: $(baltic list -l xfault 2>&1 | tr '\n' ';')"
t_d=$(ms)
touch "$BT/balticd.killed"
kill -9 "$(cat "$BT/balticd.pid")"
echo "balticd killed -9 at $t_d ms"
sleep 2
t_r=$(ms)
balticd_start || { result fault-restart fail "balticd did not restart"; }
echo "balticd restarted at $t_r ms (socket after $(($(ms) - t_r)) ms)"
wait_ready xfault 120
sleep 8
set -- $(load_stop)
echo "CALLS made $1 answered $2 failed $(($3 + $4 + $5)) (err $3 refused $4 reset $5) lost $6 crash $7 hcrash $8"
# The first answered call after the restart, and the gap.
first=$(cat "$BT"/load.[0-9]* | awk -v t="$t_r" '$3 == "ok" && $1 >= t { print $2 }' | sort -n | head -n 1)
# Calls that overlapped the branch's death and ended before the kill:
# made, ok, and those lost to emulation faults (load_all_answered).
w=$(cat "$BT"/load.[0-9]* | awk -v t="$t_kill" -v u="$t_d" '$2 >= t && $2 < u { n++
	if ($3 == "ok") k++; if ($3 == "crash") c++; if ($3 == "hcrash") h++ }
	END { printf "%d %d %d %d", n, k, c, h }')
set -- $w "$@"
echo "calls ended between xl destroy and the kill: $1, answered $2, lost to emulation faults $(($3 + $4))"
load_all_answered "$1" "$2" 0 0 0 0 "$3" "$4" && result fault-branch-death pass "$2/$1 answered after $victim's domain was destroyed${load_note:+ ($load_note)}" ||
	result fault-branch-death fail "$2/$1 answered after $victim's domain was destroyed${load_note:+ ($load_note)}"
shift 4
baltic list -l xfault
[ -n "$first" ] && result fault-resume pass "first answer $((first - t_r)) ms after restart; made $1 answered $2 failed $(($3 + $4 + $5)) lost $6" ||
	result fault-resume fail "no answer after restart; made $1 answered $2 lost $6"
[ "$6" = 0 ] && result fault-no-lost pass "0 of $1 lost" || result fault-no-lost fail "$6 of $1 lost (no answer)"
n=$(field xfault "$victim" state)
echo "$victim: state $n, domain $(field xfault "$victim" domid) (was $vd)"
baltic destroy xfault > /dev/null || result fault-destroy fail "baltic destroy xfault"
