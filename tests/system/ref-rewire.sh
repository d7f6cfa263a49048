#!/bin/bash
# A ref rewired while 8 clients call in a loop: zero failed calls, and
# the new target answers.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create the ref farm" "$BALTIC" create -q -f rf "$T/farms/combinators.farm"

load_start 8 18312 /rf/IEcho/Echo hello
sleep 0.5
for target in a b 'or(a, b)' a 'par(a, b)' b 'or roundrobin(a, b)'; do
	echo "# $(date +%s%3N) set r $target"
	"$BALTIC" set rf r "$target" || not_ok "set r $target"
	sleep 0.3
done
read -r total answered failed refused reset lost <<< "$(load_stop)"
check "8 clients made calls during the rewiring ($total)" test "$total" -gt 16
expect_eq "every call answered while the ref was rewired" "$total" "$answered"
expect_eq "no call lost" 0 "$lost"

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
