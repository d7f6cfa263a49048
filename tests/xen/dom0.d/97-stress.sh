# stress: 6 guests booting at once while dom0 forks 1,200 processes;
# counts the emulation faults (tests/xen/README.md).  A check of the
# emulator, not of baltic.
# timeout: 900
# only when named
# boot: fresh
. /test/lib.sh
N=${N:-6}
dmesg -c > /dev/null
i=0
while [ $i -lt $N ]; do
	i=$((i + 1)); guest_cfg st$i smoke
	xl create /tmp/st$i.cfg > /tmp/st$i.out 2>&1 &
done
t0=$(uptime_s)
j=0
while [ $j -lt 400 ]; do
	j=$((j + 1))
	echo x | grep -q x; xl list > /dev/null 2>&1 || echo "xl list failed $?"
	xenstore-ls /local/domain > /dev/null 2>&1 || echo "xenstore-ls failed"
done
wait
echo "fork loop done in $(since "$t0") s"
ok=0; i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	if wait_console st$i "BALTIC-ROLE: SMOKE-OK" 40 > /dev/null; then ok=$((ok + 1)); else echo "st$i not up:"; xl list st$i; tail -n 5 /var/log/xen/console/guest-st$i.log; fi
	grep -Eai 'segfault|general protection|BUG|panic' /var/log/xen/console/guest-st$i.log | head -3
done
i=0
while [ $i -lt $N ]; do i=$((i + 1)); xl destroy st$i; done
dm=$(dmesg | grep -Eci 'segfault|general protection|traps:')
dmesg | grep -Ei 'segfault|general protection|traps:' | head
echo "STRESS: $ok/$N guests up, $dm dom0 faults, $(since "$t0") s"
[ "$dm" = 0 ] && [ $ok = $N ] && result stress pass "$ok/$N" || result stress fail "$ok/$N guests, $dm faults"
