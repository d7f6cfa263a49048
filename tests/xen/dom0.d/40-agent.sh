# agent: a guest whose init execs baltic-agent -x -d /role -s
# /run/baltic-agent.sock starts it and the agent stays up (init does not
# die).  Skips when the agent was not built.
. /test/lib.sh
if ! cpio -t < /test/roles/agent.cpio 2> /dev/null | grep -q '^usr/bin/baltic-agent$'; then
	result agent skip "baltic-agent not built"
	exit 0
fi
xen_state > /tmp/state.before
guest_cfg agent agent
xl create /tmp/agent.cfg || { result agent fail "xl create"; exit 1; }
if wait_console agent 'BALTIC-ROLE: UP' 90; then
	sleep 3
	log=/var/log/xen/console/guest-agent.log
	if grep -q 'Attempted to kill init\|Kernel panic' "$log" || ! xl domid agent > /dev/null 2>&1; then
		tail -n 15 "$log" | sed 's/^/  | /'
		result agent fail "agent exited"
	elif grep -q 'BALTIC-ROLE: NO-AGENT' "$log"; then
		result agent fail "image has no agent"
	else
		result agent pass "running 3 s after UP"
	fi
else
	result agent fail "no UP marker"
fi
echo "--- guest console:"
grep -v '^\[' /var/log/xen/console/guest-agent.log | tail -n 10 | sed 's/^/  | /'
xl destroy agent 2> /dev/null
leak_check agent /tmp/state.before
