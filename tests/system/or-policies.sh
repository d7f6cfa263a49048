#!/bin/bash
# `or` spreads calls by its policy: round-robin exactly, random over
# both, least-outstanding away from a busy branch, failover to the next
# live branch when the first dies.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create the policy farms" "$BALTIC" create -q -f rr "$T/farms/policies.farm"
for f in rnd lo fo; do
	"$BALTIC" create -q -f $f "$T/farms/policies.farm" || not_ok "create $f"
done

# round robin: 20 calls, 10 each, alternating
seq_out=
for i in $(seq 20); do
	seq_out="$seq_out $("$BALTIC" call rr IEcho.Who)"
done
expect_eq "roundrobin: a served 10" 10 "$(served rr rr-a)"
expect_eq "roundrobin: b served 10" 10 "$(served rr rr-b)"
expect_match "roundrobin: alternates" "^ (rr-a rr-b )+$|^ (rr-b rr-a )+$" "$seq_out "

# random: 40 calls, both branches used
for i in $(seq 40); do "$BALTIC" call rnd IEcho.Who >/dev/null; done
n1=$(served rnd rnd-s-1); n2=$(served rnd rnd-s-2)
expect_eq "random: 40 calls served" 40 $((n1 + n2))
check "random: both branches used ($n1/$n2)" test "$n1" -gt 0 -a "$n2" -gt 0

# least outstanding: while one branch holds a slow call, calls go to
# the other one
# (20 s: longer than the six calls below take even in an ASan build;
# the call is abandoned, not waited for.)
"$BALTIC" call -t 30000 lo IEcho.Sleep 20000 > "$T/slow.out" 2>&1 &
slowpid=$!
sleep 0.3
busy=$("$BALTIC" list --json lo | jq -r '.[0].partitions[] | select(.outstanding > 0) | .name')
others=
for i in $(seq 6); do others="$others $("$BALTIC" call lo IEcho.Who)"; done
check "leastout: one branch busy ($busy)" test -n "$busy"
expect_match "leastout: every call avoided the busy branch" "^( lo-s-[12])+$" "$others"
case "$others" in *"$busy"*) not_ok "leastout: a call went to busy $busy";; *) ok "leastout: busy branch skipped";; esac
kill $slowpid 2>/dev/null; wait $slowpid 2>/dev/null

# failover: all to the first; kill it; all to the second, no error
for i in $(seq 5); do "$BALTIC" call fo IEcho.Who >/dev/null; done
expect_eq "failover: first branch took all 5" 5 "$(served fo fo-a)"
pid=$("$BALTIC" list --json fo | jq -r '.[0].partitions[] | select(.name == "fo-a") | .pid')
kill -9 "$pid"
sleep 0.3
errs=0
for i in $(seq 5); do
	out=$("$BALTIC" call fo IEcho.Who) || errs=$((errs + 1))
	[ "$out" = fo-b ] || errs=$((errs + 1))
done
expect_eq "failover: 5 calls answered by fo-b after fo-a died" 0 $errs
finish
