#!/bin/bash
# Lifecycle corners: destroy while create still waits for its partitions;
# a balticd restart while a partition is cut (it stays cut, paste works);
# create timeout; dry run; a second balticd started by mistake.
. "$(dirname "$0")/lib.sh"

# Agents that take 2 s to start, so create is still waiting.
agent_bin
cat > "$T/bin/slow-agent" <<EOS
#!/bin/sh
sleep 2
exec "$T/bin/baltic-agent" "\$@"
EOS
chmod +x "$T/bin/slow-agent"
export BALTIC_AGENT="$T/bin/slow-agent"
start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
sed -i 's/127.0.0.1:18312/127.0.0.1:18342/' "$T/farms/combinators.farm"

"$BALTIC" create -q -f rf "$T/farms/combinators.farm" > "$T/create.out" 2>&1 &
cpid=$!
sleep 0.5
check "destroy while create waits" "$BALTIC" destroy rf
wait $cpid; rc=$?
expect_eq "the waiting create fails (exit 1)" 1 $rc
expect_match "... saying why" "destroyed before it was ready" "$(cat "$T/create.out")"
check "balticd survived" kill -0 "$DPID"
sleep 2.5
expect_eq "nothing left of the farm" "" "$(leftovers)"

out=$("$BALTIC" -N create -f rf "$T/farms/combinators.farm" 2>&1); rc=$?
expect_eq "dry-run create: exit 0" 0 $rc
expect_eq "dry-run create made no farm" "[]" "$("$BALTIC" list --json | jq -c .)"

check "create (slow agents)" "$BALTIC" create -q -f rf "$T/farms/combinators.farm"
check "cut rf-a" "$BALTIC" cut rf rf-a "$T/rf-a.cut"
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
start_daemon || not_ok "balticd restarts"
state=$("$BALTIC" list --json rf | jq -r '.[0].partitions[] | select(.name == "rf-a") | .state')
expect_eq "rf-a is still cut after the restart" cut "$state"
expect_eq "calls go to rf-b meanwhile" "rf-b" "$("$BALTIC" call rf IEcho.Who)"
check "paste rf-a after the restart" "$BALTIC" paste rf rf-a "$T/rf-a.cut"
for _ in $(seq 50); do
	state=$("$BALTIC" list --json rf | jq -r '.[0].partitions[] | select(.name == "rf-a") | .state')
	[ "$state" = ready ] && break
	sleep 0.1
done
expect_eq "rf-a ready again" ready "$state"
"$BALTIC" set rf r a >/dev/null
expect_eq "rf-a answers" "rf-a" "$("$BALTIC" call rf IEcho.Who)"
check "destroy" "$BALTIC" destroy rf

# One balticd per host: a second one started by mistake says whose the
# run directory is and exits 1, and takes nothing from the first.
"$BALTICD" -d -t 5000 >"$T/second.out" 2>&1
expect_eq "a second balticd exits 1" 1 $?
expect_match "... saying which balticd runs" \
    "^balticd already running \(pid $DPID\)$" "$(cat "$T/second.out")"
check "the first one still answers on its socket" "$BALTIC" list
check "... and is still running" kill -0 "$DPID"
BALTIC_SOCKET="$BALTIC_RUN_DIR/balticd.sock" BALTIC_RUN_DIR="$T/other-run" \
    "$BALTICD" -d -t 5000 >"$T/third.out" 2>&1
expect_eq "one with another run directory but the same socket exits too" \
    1 $?
expect_match "... leaving the socket to the first" "a running process listens" \
    "$(cat "$T/third.out")"
check "the first one still answers" "$BALTIC" list
finish
