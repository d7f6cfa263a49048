#!/bin/bash
# Local partitions are isolated from each other and from balticd: a
# hostile handler (roles/spy) fails to reach the other partition's
# sockets, the control and keeper sockets, the other role's files,
# balticd's state and the network, and sees no process but its own,
# while it still calls the other partition through its import.  Each
# agent runs as a user of its own; a process a handler leaves behind
# dies with its partition.  BALTIC_LOCAL_ISOLATE=0 turns it off.
if [ "$(id -u)" -ne 0 ]; then
	echo "# SKIP: partitions are isolated only when balticd is root"
	exit 77
fi
. "$(dirname "$0")/lib.sh"

start_daemon -v || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create the farm" "$BALTIC" create -q -f iso "$T/farms/isolation.farm"
expect_match "balticd says partitions are isolated" \
    'local partitions are isolated' "$(cat "$T/balticd.log")"

R="$BALTIC_RUN_DIR"
V="$R/iso/iso-victim"
S="$R/iso/iso-spy"
targets="unix:victim-channel:$V/chan unix:victim-agent:$V/agent
unix:control:$R/balticd.sock unix:keeper:$R/keep.sock
read:victim-role:$T/roles/echo/services/IEcho.Echo
read:farm-file:$T/farms/isolation.farm list:state:$BALTIC_STATE_DIR
list:run:$R/iso/iso-victim tcp:network:127.0.0.1:18381
write:role-write:$T/roles/spy/services/planted
unix:own-agent:$S/agent read:own-role:$T/roles/spy/services/ISpy.Probe"
out=$(post 18382 /iso/ISpy/Probe "$(echo $targets)")
echo "$out" | sed 's/^/# spy: /'
# answer NAME: what the spy's attempt at NAME came to.
answer() { echo "$out" | sed -n "s/^$1: //p"; }
for t in victim-channel victim-agent control keeper victim-role \
    farm-file state run network role-write; do
	r=$(answer "$t")
	if [ -n "$r" ] && [ "$r" != ok ]; then
		ok "the spy cannot reach $t ($r)"
	else
		not_ok "the spy reached $t: '$r'"
	fi
done
expect_eq "... but connects to its own agent" ok "$(answer own-agent)"
expect_eq "... and reads its own role" ok "$(answer own-role)"
check "... and planted nothing in its role" \
    test ! -e "$T/roles/spy/services/planted"
expect_eq "... and sees no process of another user" 0 \
    "$(answer 'foreign processes')"

# Who runs as whom: no agent as root, each as its own.
uid_of() {
	awk '/^Uid:/ { print $2 }' "/proc/$(pgrep -f "baltic-agent -c $1/chan")/status"
}
vuid=$(uid_of "$V")
suid=$(uid_of "$S")
echo "# agents run as $vuid (victim) and $suid (spy)"
check "the agents do not run as root" test "${vuid:-0}" -ne 0 -a "${suid:-0}" -ne 0
check "... nor as each other" test "$vuid" != "$suid"
expect_eq "the spy's handler ran as its agent" "$suid" "$(answer uid)"
expect_eq "the channel belongs to the partition's user" "$suid" \
    "$(stat -c %u "$S/chan")"

# What the farm is for still works: both exports, and the import.
expect_eq "the victim answers its export" "hello"$'\n'"200" \
    "$(post 18381 /iso/IEcho/Echo hello)"
out=$(BALTIC_AGENT_SOCKET="$S/agent" "$top_builddir/guest-agent/baltic-call" \
    IEcho Echo via-the-import 2>&1)
expect_match "the spy's import reaches the victim" 'via-the-import' "$out"

# A process left behind, out of the agent's process group, dies with
# the partition (a zombie no one reaps yet is dead).
alive() {
	s=$(ps -o stat= -p "$1")
	[ -n "$s" ] && [ "${s#Z}" = "$s" ]
}
pid=$(post 18382 /iso/ISpy/Linger "" | head -n 1)
check "a handler left process $pid behind" alive "$pid"
check "destroy the farm" "$BALTIC" destroy iso
sleep 0.2
if alive "$pid"; then
	not_ok "the process left behind died with its partition"
	kill "$pid"
else
	ok "the process left behind died with its partition"
fi
expect_eq "nothing left after the destroy" "" "$(leftovers)"

# Turned off: the agents run as balticd, and balticd says so.
stop_daemon
BALTIC_LOCAL_ISOLATE=0 start_daemon -v ||
    { not_ok "balticd starts with BALTIC_LOCAL_ISOLATE=0"; finish; exit; }
check "create the farm, not isolated" \
    "$BALTIC" create -q -f iso "$T/farms/isolation.farm"
expect_match "balticd says partitions are not isolated" \
    'local partitions are not isolated: BALTIC_LOCAL_ISOLATE=0' \
    "$(cat "$T/balticd.log")"
expect_eq "the agent runs as root" 0 "$(uid_of "$S")"
expect_match "the spy's handler reaches the control socket" \
    '^control: ok' "$(post 18382 /iso/ISpy/Probe "unix:control:$R/balticd.sock")"
check "destroy the farm" "$BALTIC" destroy iso
expect_eq "nothing left after the destroy" "" "$(leftovers)"
finish
