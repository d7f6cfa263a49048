# Smoke: create a busybox-only PV guest, see its init on the console,
# destroy it, and check nothing is left behind.
. /test/lib.sh
xen_state > /tmp/state.before
guest_cfg smoke smoke
t0=$(uptime_s)
if ! xl create /tmp/smoke.cfg; then
	result smoke-create fail "xl create"
	exit 1
fi
result smoke-create pass "$(since "$t0") s"
if wait_console smoke 'BALTIC-ROLE: SMOKE-OK' 90; then
	result smoke-console pass "init printed after $(since "$t0") s"
else
	result smoke-console fail
fi
t1=$(uptime_s)
xl destroy smoke && result smoke-destroy pass "$(since "$t1") s" ||
	result smoke-destroy fail
n=$(xl list | awk 'NR > 1' | wc -l)
if [ "$n" -eq 1 ] && xl list | grep -q '^Domain-0 '; then
	result smoke-xl-list pass
else
	xl list
	result smoke-xl-list fail "$n domains"
fi
if [ "$(xenstore-list /local/domain)" = 0 ]; then
	result smoke-xenstore pass
else
	xenstore-ls /local/domain | grep -v '^0 \|^ ' | head
	result smoke-xenstore fail "$(xenstore-list /local/domain | tr '\n' ' ')"
fi
leak_check smoke /tmp/state.before
