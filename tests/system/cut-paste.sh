#!/bin/bash
# cut and paste on the local backend: the instance is taken out of
# routing, its calls drain, its process is stopped; calls keep being
# answered by the other branch; paste continues it and it serves again.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
sed -i 's/127.0.0.1:18312/127.0.0.1:18332/' "$T/farms/combinators.farm"
check "create" "$BALTIC" create -q -f rf "$T/farms/combinators.farm"
state_of() {
	"$BALTIC" list --json rf | jq -r --arg i "$1" \
	    '.[0].partitions[] | select(.name == $i) | .state'
}

load_start 4 18332 /rf/IEcho/Echo hello
sleep 0.5
check "cut rf-a under load" "$BALTIC" cut rf rf-a "$T/rf-a.cut"
expect_eq "rf-a is cut" cut "$(state_of rf-a)"
check "the cut file records it" grep -q "instance rf-a" "$T/rf-a.cut"
pid=$("$BALTIC" list --json rf | jq -r '.[0].partitions[] | select(.name == "rf-a") | .pid')
expect_eq "rf-a's agent is stopped" T "$(ps -o stat= -p "$pid" | cut -c1)"
check "cut again is idempotent" "$BALTIC" cut rf rf-a "$T/rf-a.cut"
a_before=$(served rf rf-a)
sleep 1
expect_eq "no call went to rf-a while cut" "$a_before" "$(served rf rf-a)"
check "paste rf-a" "$BALTIC" paste rf rf-a "$T/rf-a.cut"
expect_eq "rf-a is ready again" ready "$(state_of rf-a)"
sleep 1
read -r total answered failed refused reset lost <<< "$(load_stop)"
check "rf-a serves again after paste" test "$(served rf rf-a)" -gt "$a_before"
check "calls were made through the cut ($total)" test "$total" -gt 20
expect_eq "every call answered across cut and paste" "$total" "$answered"
check "paste again is idempotent" "$BALTIC" paste rf rf-a "$T/rf-a.cut"
out=$("$BALTIC" cut rf nosuch "$T/x" 2>&1); rc=$?
expect_eq "cut of an unknown instance: exit 3" 3 $rc
finish
