#!/bin/bash
# peer.sh: two balticd, hosts "a" (127.0.1.1) and "b" (127.0.1.2), one
# TLS link between them (a dials: its name sorts lower), static peer
# lists.  Each creates the same farms and starts only the partitions
# pinned to it (`vm Echo on "HOST"`); calls
# cross the link both ways, an `or` over both hosts splits its calls, a
# par is won by the fast remote branch.  A peer with a certificate of
# another CA, or one naming another host, gets no link and its
# partitions' calls fail at once; b killed fails the calls in flight
# there at once, b restarted is linked again; b frozen is given up after
# three silent pings.
#
# In a network namespace of its own (bed_enter), every process stopped
# by the PID it was started with, everything in one temporary directory.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/bed.sh"
bed_enter "$0" "$@"
. "$here/../system/lib.sh"
trap - EXIT

BED_N=5
bed_net || { echo "not ok - loopback addresses"; exit 1; }
LINK=7400
declare -A DPIDS=()

# cert NAME CN CA: NAME.pem and NAME.key, signed by CA (ca or other).
cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=$2" 2>/dev/null &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.pem" \
	    -CAkey "$T/$3.key" -CAcreateserial -days 2 -out "$T/$1.pem" \
	    -extfile <(printf 'subjectAltName=DNS:%s\n' "$2") 2>/dev/null
}
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$T/$1.key" -out "$T/$1.pem" -subj "/CN=$1" \
	    -days 2 2>/dev/null
}

# on HOST CMD...: a baltic command against HOST's balticd.
on() {
	local h=$1
	shift
	BALTIC_RUN_DIR="$T/$h/run" BALTIC_STATE_DIR="$T/$h/state" \
	    BALTIC_SOCKET="$T/$h/run/balticd.sock" "$@"
}

# start HOST ADDR PEERS...: its balticd, in the background.
start() {
	local h=$1 addr=$2 i
	shift 2
	mkdir -p "$T/$h/run" "$T/$h/state"
	rm -f "$T/$h/run/balticd.sock"
	# Not through on(): $! must be balticd's own PID.
	BALTIC_RUN_DIR="$T/$h/run" BALTIC_STATE_DIR="$T/$h/state" \
	    BALTIC_SOCKET="$T/$h/run/balticd.sock" "$BALTICD" -d -t "${BALTIC_TIMEOUT_MS:-5000}" -v --host "$h" \
	    --peer-listen "$addr:$LINK" --cluster-cert "$T/$h.pem" \
	    --cluster-key "$T/$h.key" --cluster-ca "$T/ca.pem" "$@" \
	    >>"$T/$h.log" 2>&1 &
	DPIDS[$h]=$!
	for i in $(seq 100); do
		[ -S "$T/$h/run/balticd.sock" ] && return 0
		sleep 0.05
	done
	return 1
}

stop() {
	[ -n "${DPIDS[$1]:-}" ] || return 0
	kill "${DPIDS[$1]}" 2>/dev/null && wait "${DPIDS[$1]}" 2>/dev/null
	DPIDS[$1]=
}

# up HOST PEER: wait for HOST's log to say its link to PEER is up.
link_up() {
	local i
	for i in $(seq 300); do
		[ "$(grep -c "host $2: link up" "$T/$1.log")" -gt "${3:-0}" ] &&
		    return 0
		sleep 0.05
	done
	return 1
}

# call ADDR PORT PATH BODY: the body, then the HTTP status.
call() {
	curl -s --max-time "${5:-10}" -w '\n%{http_code}' -X POST \
	    --data-binary "$4" "http://$1:$2$3"
}

served_on() {
	on "$1" "$BALTIC" list --json "$2" | jq -r --arg i "$3" \
	    '.[0].partitions[] | select(.name == $i) | .served'
}

cleanup() {
	local h f
	for h in a b; do
		[ -n "${DPIDS[$h]:-}" ] || continue
		for f in $(on "$h" "$BALTIC" list --json 2>/dev/null |
		    jq -r '.[].name' 2>/dev/null); do
			on "$h" "$BALTIC" destroy "$f" >/dev/null 2>&1
		done
		stop "$h"
	done
	[ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
	[ -n "${SPID2:-}" ] && kill "$SPID2" 2>/dev/null
	if [ "$FAIL" -gt 0 ]; then
		for h in a b; do
			echo "--- balticd $h (last 25 lines)"
			tail -n 25 "$T/$h.log" 2>/dev/null
		done
	fi
	[ -n "${BALTIC_TEST_KEEP:-}" ] && echo "# kept $T" || rm -rf "$T"
}
trap cleanup EXIT

ca ca && ca other && cert a a ca && cert b b ca && cert c c other &&
    cert d e ca || { not_ok "certificates"; exit 1; }

# The farms, each host's export on its own address.
cp -r "$here/../system/roles" "$T/"
mkdir -p "$T/farms"
farm() {
	sed "s/@H@/$1/g" >"$T/farms/$1.farm" <<'EOF'
interface IEcho {
	idempotent Who() -> string
	Echo(s: string) -> string
	Slow(ms: int) -> string
	Sleep(ms: int) -> string
}
role Echo { image "../roles/echo"; memory 32; on_crash preserve; exports IEcho }
farm tob { tb = vm Echo on "b"; export tb.IEcho at "@H@:18401" }
farm toa { ta = vm Echo on "a"; export ta.IEcho at "@H@:18402" }
farm rr {
	ra = vm Echo on "a"; rb = vm Echo on "b"
	s = or roundrobin(ra, rb)
	export s.IEcho at "@H@:18403"
}
farm pp {
	slow = vm Echo on "a"; fast = vm Echo on "b"
	both = par(slow, fast)
	export both.IEcho at "@H@:18404"
}
farm toc { tc = vm Echo on "c"; export tc.IEcho at "@H@:18405" }
farm tod { td = vm Echo on "d"; export td.IEcho at "@H@:18406" }
EOF
}
farm 127.0.1.1
farm 127.0.1.2
A=127.0.1.1
B=127.0.1.2

# c's certificate is another CA's (an s_server stands in for it); d's
# names host e.
SPID=
openssl s_server -quiet -accept 127.0.1.3:$LINK -cert "$T/c.pem" \
    -key "$T/c.key" -CAfile "$T/other.pem" -Verify 1 >/dev/null 2>&1 &
SPID=$!
openssl s_server -quiet -accept 127.0.1.4:$LINK -cert "$T/d.pem" \
    -key "$T/d.key" -CAfile "$T/ca.pem" -Verify 1 >/dev/null 2>&1 &
SPID2=$!

start a $A --peer b=$B:$LINK --peer c=127.0.1.3:$LINK \
    --peer d=127.0.1.4:$LINK || { not_ok "balticd a starts"; exit 1; }
start b $B --peer a=$A:$LINK || { not_ok "balticd b starts"; exit 1; }
check "a's link to b comes up" link_up a b
check "b's link from a comes up" link_up b a

for f in tob toa rr pp toc tod; do
	on a "$BALTIC" create -q -f $f "$T/farms/$A.farm" ||
	    not_ok "create $f on a"
	on b "$BALTIC" create -q -f $f "$T/farms/$B.farm" ||
	    not_ok "create $f on b"
done

# Across the link, both ways.
out=$(call $A 18401 /tob/IEcho/Who '')
expect_eq "a's export reaches tb on b" "$(printf 'tob-tb\n200')" "$out"
out=$(call $B 18402 /toa/IEcho/Echo hi)
expect_eq "b's export reaches ta on a" "$(printf 'hi\n200')" "$out"
expect_eq "tb counted on b" 1 "$(served_on b tob tob-tb)"

# An or over both hosts: half each.
for i in $(seq 20); do call $A 18403 /rr/IEcho/Who '' >/dev/null; done
expect_eq "roundrobin: ra (on a) served 10" 10 "$(served_on a rr rr-ra)"
expect_eq "roundrobin: rb (on b) served 10" 10 "$(served_on b rr rr-rb)"

# apply does not know the other hosts' partitions yet: it refuses.
out=$(on a "$BALTIC" apply -f rr "$T/farms/$A.farm" 2>&1)
expect_match "apply refuses a farm spread over hosts" \
    'partitions on other hosts' "$out"

# A par: the slow branch here, the fast one on b, which wins.
begin=$(date +%s%3N)
out=$(call $A 18404 /pp/IEcho/Slow 3000)
ms=$(( $(date +%s%3N) - begin ))
expect_eq "par: the fast remote branch wins" \
    "$(printf 'done by pp-fast\n200')" "$out"
check "par: answered before the slow branch ($ms ms)" test "$ms" -lt 2500

# c: another CA's certificate; d: a certificate naming e.
begin=$(date +%s%3N)
out=$(call $A 18405 /toc/IEcho/Who '' 5)
ms=$(( $(date +%s%3N) - begin ))
expect_match "another CA: no link, unavailable" '503$' "$out"
check "another CA: refused at once ($ms ms)" test "$ms" -lt 1000
check "another CA: a says why" grep -q "host c: TLS with .* refused" \
    "$T/a.log"
check "no link to c" test "$(grep -c 'host c: link up' "$T/a.log")" = 0
out=$(call $A 18406 /tod/IEcho/Who '' 5)
expect_match "wrong name: unavailable" '503$' "$out"
check "wrong name: a says why" grep -q \
    "host d: TLS with .* refused: hostname mismatch" "$T/a.log"
check "wrong name: no link to d" \
    test "$(grep -c 'host d: link up' "$T/a.log")" = 0
# The acceptor's side: a dialer whose certificate names a host that
# does not dial a.
echo | timeout 5 openssl s_client -quiet -connect $A:$LINK \
    -cert "$T/d.pem" -key "$T/d.key" -CAfile "$T/ca.pem" >/dev/null 2>&1
check "a refuses a dialer it does not know" grep -q \
    "peer link from .* refused: its certificate names no host" \
    "$T/a.log"

# b killed: the call in flight there fails at once; the or answers
# from a.
call $A 18401 /tob/IEcho/Sleep 8000 15 >"$T/inflight" &
cpid=$!
sleep 0.5
begin=$(date +%s%3N)
kill -9 "${DPIDS[b]}"
{ wait "${DPIDS[b]}"; } 2>/dev/null
DPIDS[b]=
wait $cpid
ms=$(( $(date +%s%3N) - begin ))
expect_match "b killed: the call in flight fails" '503$' "$(cat "$T/inflight")"
expect_match "b killed: it says so" 'host b: link lost' "$(cat "$T/inflight")"
check "b killed: at once ($ms ms)" test "$ms" -lt 1500
errs=0
for i in $(seq 6); do
	out=$(call $A 18403 /rr/IEcho/Who '')
	[ "$out" = "$(printf 'rr-ra\n200')" ] || errs=$((errs + 1))
done
expect_eq "b killed: the or answers from a" 0 $errs

# b back: the link comes back, calls flow.
start b $B --peer a=$A:$LINK || not_ok "balticd b restarts"
check "a's link to b comes back" link_up a b 1
out=$(call $A 18401 /tob/IEcho/Who '')
expect_eq "b back: a's export reaches tb again" "$(printf 'tob-tb\n200')" "$out"

# b frozen: the link goes silent, a gives it up after three pings and
# fails the call in flight there, long before its deadline.
call $A 18401 /tob/IEcho/Sleep 12000 20 >"$T/inflight" &
cpid=$!
sleep 0.5
begin=$(date +%s%3N)
kill -STOP "${DPIDS[b]}"
wait $cpid
ms=$(( $(date +%s%3N) - begin ))
kill -CONT "${DPIDS[b]}"
expect_match "b frozen: the call in flight fails" 'silent for 3 pings' \
    "$(cat "$T/inflight")"
check "b frozen: within the pings ($ms ms)" test "$ms" -lt 6000
check "b thawed: the link comes back" link_up a b 2
out=$(call $A 18401 /tob/IEcho/Who '')
expect_eq "b thawed: calls flow" "$(printf 'tob-tb\n200')" "$out"

# A farm destroyed on a with its call in flight on b: the call stops
# there (CANCEL), and a goes on.
call $A 18401 /tob/IEcho/Sleep 3000 10 >"$T/inflight" &
cpid=$!
sleep 0.5
if on a "$BALTIC" destroy tob >/dev/null 2>&1; then
	ok "destroy tob on a, a call to b in flight"
else
	not_ok "destroy tob on a, a call to b in flight"
fi
wait $cpid
sleep 3
check "a still runs" kill -0 "${DPIDS[a]}"
out=$(call $A 18403 /rr/IEcho/Who '')
expect_match "a still answers" '^rr-r[ab]' "$out"
check "no stray answer on the link" test \
    "$(grep -c 'never sent' "$T/a.log" "$T/b.log" | grep -vc ':0$')" = 0

# Stopped here, not in cleanup: what a sanitizer says at exit counts.
for h in a b; do
	for f in $(on "$h" "$BALTIC" list --json | jq -r '.[].name'); do
		on "$h" "$BALTIC" destroy "$f" >/dev/null 2>&1
	done
	stop "$h"
done
check "no sanitizer report" test "$(cat "$T/a.log" "$T/b.log" |
    grep -c Sanitizer)" = 0

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
