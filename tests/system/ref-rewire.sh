#!/bin/bash
# A ref rewired while 8 clients call in a loop: zero failed calls, and
# the new target answers.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create the ref farm" "$BALTIC" create -q -f rf "$T/farms/combinators.farm"

client() {
	fails=0 calls=0
	while [ ! -f "$T/stop" ]; do
		out=$(curl -s -w ' %{http_code}' -X POST --data-binary "c$1" \
		    http://127.0.0.1:18312/rf/IEcho/Echo)
		calls=$((calls + 1))
		[ "$out" = "c$1 200" ] || { fails=$((fails + 1)); echo "$out" >> "$T/fail.log"; }
	done
	echo "$calls $fails" > "$T/client.$1"
}
pids=
for i in 1 2 3 4 5 6 7 8; do client $i & pids="$pids $!"; done
sleep 0.5
for target in a b 'or(a, b)' a 'par(a, b)' b 'or roundrobin(a, b)'; do
	"$BALTIC" set rf r "$target" || not_ok "set r $target"
	sleep 0.3
done
touch "$T/stop"
wait $pids
total=0 failed=0
for i in 1 2 3 4 5 6 7 8; do
	read -r c f < "$T/client.$i"
	total=$((total + c)); failed=$((failed + f))
done
check "8 clients made calls during the rewiring ($total)" test "$total" -gt 40
expect_eq "no call failed while the ref was rewired" 0 "$failed"

"$BALTIC" set rf r b
expect_eq "after set r b, b answers" "rf-b" "$("$BALTIC" call rf IEcho.Who)"
expect_match "list shows the new target" "ref r -> b" "$("$BALTIC" list -l rf)"
out=$("$BALTIC" set rf r nosuch 2>&1); rc=$?
expect_eq "set to an unknown name fails with exit 1" 1 $rc
expect_match "... and says where" "nosuch" "$out"
out=$("$BALTIC" set rf nosuchref a 2>&1); rc=$?
expect_eq "set of an unknown ref: exit 3" 3 $rc
out=$("$BALTIC" set nofarm r a 2>&1); rc=$?
expect_eq "set in an unknown farm: exit 3" 3 $rc
out=$("$BALTIC" set rf r 'or(r, a)' 2>&1); rc=$?
expect_eq "set to an expression through the ref itself: exit 1" 1 $rc
expect_match "... because it would loop" "through itself" "$out"
expect_eq "the ref kept its target after the refused sets" "rf-b" "$("$BALTIC" call rf IEcho.Who)"
finish
