#!/bin/sh
# restart: farm xrestart's guest (tests/xen/farms/xen.farm) counts 1 2
# through ICount.Next, then powers itself off (IDown.Down).  Its role
# says on_crash restart (the default): balticd renames the dead domain
# NAME--dead.DOMID, has libxl destroy it outside the loop, and starts
# the partition again under its name at once.  Checks: a new domain
# answers (Next starts again at 1), no domain is left under the dead
# name, and the log says which way the dead one went.  Joins
# 54-fault's boot.
. /test/lib.sh
need_balticd restart
xen_farm
xen_state > "$BT/restart.before"
create_farm xrestart "$BT/farms/xen.farm" -f xrestart ||
	{ result restart fail "baltic create xrestart"; exit 0; }
p=$(parts xrestart XEcho)
d1=$(field xrestart "$p" domid)
n=$(post 18407 /xrestart/ICount/Next "" | head -n 1)
n=$(post 18407 /xrestart/ICount/Next "" | head -n 1)
echo "$p: domain $d1, Next said $n"
t0=$(ms)
post 18408 /xrestart/IDown/Down "" > "$BT/down.out" 2>&1 &
d2= st=
while [ $(($(ms) - t0)) -lt 180000 ]; do
	st=$(field xrestart "$p" state)
	d2=$(field xrestart "$p" domid)
	[ "$st" = ready ] && [ -n "$d2" ] && [ "$d2" != "$d1" ] &&
		[ "$d2" != -1 ] && break
	sleep 1
done
t_ready=$(($(ms) - t0))
wait
echo "Down answered: $(tr '\n' ' ' < "$BT/down.out")"
baltic list -l xrestart
if [ "$st" = ready ] && [ "$d2" != "$d1" ]; then
	result restart-new-domain pass "$p: domain $d1 powered off, $d2 ready after $t_ready ms"
else
	result restart-new-domain fail "$p: state $st, domain $d2 (was $d1) after $t_ready ms"
fi
n=$(post 18407 /xrestart/ICount/Next "" | head -n 1)
[ "$n" = 1 ] && result restart-answers pass "Next says 1 on the new domain" ||
	result restart-answers fail "Next says '$n' on the new domain (1 expected)"
# The dead domain goes under its own name, and then is gone.
i=0
while xl list | grep -q -- '--dead\.' && [ $i -lt 60 ]; do
	sleep 1; i=$((i + 1))
done
left=$(xl list | grep -- '--dead\.' || true)
[ -z "$left" ] && result restart-dead-gone pass "no dead domain left after $i s" ||
	result restart-dead-gone fail "left: $left"
how=$(grep -- "dead domain $d1" "$BT/balticd.log" | tail -n 1)
echo "balticd: $how"
case $how in
*"destroyed as $p--dead.$d1"*)
	result restart-async pass "renamed, destroyed outside the loop" ;;
*)	result restart-async fail "balticd's log: '$how'" ;;
esac
baltic destroy xrestart > /dev/null || result restart-destroy fail "baltic destroy xrestart"
leak_check restart "$BT/restart.before"
