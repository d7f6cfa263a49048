# ref: farm rf of tests/system/farms/combinators.farm (two echo guests
# behind `r = ref or roundrobin(a, b)`): baltic set rewires r over and
# over while 4 clients call in a loop; zero failed calls.  rf stays up
# for 75-cutpaste.
# boot: fresh
. /test/lib.sh
need_balticd ref
need_farm ref-rewire rf
post 18312 /rf/IEcho/Echo warm > /dev/null
load_start 4 18312 /rf/IEcho/Echo hello
sleep 2
sets=0
for target in a b 'or(a, b)' a 'par(a, b)' b 'or roundrobin(a, b)'; do
	baltic set rf r "$target" && sets=$((sets + 1)) || result ref-set fail "set r $target"
	sleep 2
done
set -- $(load_stop)
echo "made $1 ok $2 err $3 refused $4 reset $5 lost $6 crash $7 hcrash $8 across $sets sets"
if load_all_answered "$@"; then
	result ref-rewire pass "$2/$1 calls answered across $sets rewires, 0 failed${load_note:+ ($load_note)}"
else
	result ref-rewire fail "made $1 ok $2 err $3 refused $4 reset $5 lost $6 crash $7 hcrash $8${load_note:+ ($load_note)}"
fi
baltic set rf r b
who=$(baltic call rf IEcho.Who 2>&1)
[ "$who" = rf-b ] && result ref-target pass "after set r b: $who" || result ref-target fail "after set r b: $who"
baltic set rf r 'or roundrobin(a, b)'
