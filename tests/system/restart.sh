#!/bin/bash
# balticd killed (-9) and started again, one call at a time: the export's
# socket is kept by the descriptor keeper (a client that connects while
# balticd is down is answered once it is back), a call in flight is
# answered by the new balticd, an import in flight is sent again when it
# is idempotent and refused, with the reason, when it is not.  A clean
# stop leaves the keeper holding the sockets; destroying the last farm
# ends it.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create kf" "$BALTIC" create -q "$T/farms/restart.farm"
keeper() { pgrep -f "baltic-keeper -K $BALTIC_RUN_DIR/" > /dev/null; }
check "a keeper runs for the farm" keeper
expect_eq "a call" "hi
200" "$(post 18371 /kf/IEcho/Echo hi)"

# bg_post PORT PATH BODY: post in the background into $T/bg.out.
bg_post() {
	post "$@" > "$T/bg.out" 2>&1 &
	BG=$!
}
kill_daemon() {
	kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
}

# 1. Connect while balticd is down.
kill_daemon
check "the keeper outlives balticd" keeper
bg_post 18371 /kf/IEcho/Echo "while down"
sleep 0.7
check "a client that connects while balticd is down waits (not refused)" \
    kill -0 "$BG"
start_daemon || not_ok "balticd restarts"
wait "$BG"
expect_eq "... and is answered once balticd is back" "while down
200" "$(cat "$T/bg.out")"

# across_kill PORT PATH BODY: a call that is in flight when balticd is
# killed and started again (not in a subshell: it sets DPID); what its
# client got is in $T/bg.out.
across_kill() {
	bg_post "$@"
	sleep 0.5
	kill_daemon
	sleep 0.3
	start_daemon || not_ok "balticd restarts"
	wait "$BG"
}

# 2. A call in flight: the partition's answer reaches its client.
across_kill 18371 /kf/IEcho/Sleep 1500
expect_eq "a call in flight when balticd was killed is answered" "slept kf-e
200" "$(cat "$T/bg.out")"

# 3. An idempotent import in flight is sent again.
across_kill 18372 /kf/IRelay/Go 1500
expect_eq "an idempotent import in flight is sent again" "relayed: slept kf-w
200" "$(cat "$T/bg.out")"

# 4. One that is not idempotent is not, and the client is told why.
across_kill 18372 /kf/IRelay/GoOnce 1500
out=$(cat "$T/bg.out")
expect_match "a non-idempotent import in flight is not sent again" \
    "not idempotent" "$out"
expect_match "... the client gets an error (HTTP 502)" "502$" "$out"
expect_eq "balticd counts it" 1 \
    "$("$BALTIC" list --json kf | jq '.[0].errors')"

# 5. A large request on a connection that carried one already (keep-alive),
# in flight when balticd is killed: kept like any, answered by the next.
head -c 300000 /dev/urandom | base64 -w0 | head -c 400000 >"$T/big"
curl -s --max-time 60 -o "$T/big.out" -X POST --data-binary "@$T/big" \
    http://127.0.0.1:18371/kf/IEcho/Echo --next -s --max-time 60 \
    -w '\n%{http_code}' -X POST --data-binary "@$T/big" \
    http://127.0.0.1:18371/kf/IEcho/Hold >"$T/bg.out" 2>&1 &
BG=$!
# Killed once the first is answered and the second is with the partition
# (a large request is kept from the moment its call starts).
for _ in $(seq 300); do
	[ "$(stat -c %s "$T/big.out" 2>/dev/null)" = 400000 ] &&
	    [ "$("$BALTIC" list --json kf | jq '.[0].partitions[] |
	    select(.name == "kf-e") | .outstanding')" = 1 ] && break
	sleep 0.1
done
kill_daemon
sleep 0.3
start_daemon || not_ok "balticd restarts"
wait "$BG"
check "a 400 KB argument echoed on a kept-alive connection" \
    cmp -s "$T/big" "$T/big.out"
expect_eq "the next 400 KB call on it, in flight across a kill, is answered" \
    "held 400000 bytes
200" "$(cat "$T/bg.out")"

# 6. A clean stop leaves the sockets to the keeper too.
stop_daemon
check "the keeper stays after a clean stop, the farm running" keeper
bg_post 18371 /kf/IEcho/Echo "after a stop"
sleep 0.3
start_daemon || not_ok "balticd starts again"
wait "$BG"
expect_eq "a client of the stopped balticd is answered by the next" \
    "after a stop
200" "$(cat "$T/bg.out")"

# ... and a call in flight across a clean stop is answered by the next.
bg_post 18371 /kf/IEcho/Sleep 1500
sleep 0.5
stop_daemon
start_daemon || not_ok "balticd starts again"
wait "$BG"
expect_eq "a call in flight across a clean stop is answered" "slept kf-e
200" "$(cat "$T/bg.out")"

check "destroy kf" "$BALTIC" destroy kf
expect_eq "the keeper is gone with the last farm" "" "$(leftovers)"
finish
