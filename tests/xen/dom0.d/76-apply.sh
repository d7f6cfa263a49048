# apply: farm xap (tests/system/farms/apply/xen-v1.farm: guests a and b
# behind an or) under 4 clients; baltic apply of xen-v2.farm adds guest c
# and removes b; a keeps its domain (same domid), b's domain is gone, c
# answers, and every call is answered.
. /test/lib.sh
need_balticd apply
xfarm "$OPT/system/farms/apply/xen-v1.farm" 18376 > "$BT/farms/xen-v1.farm"
xfarm "$OPT/system/farms/apply/xen-v2.farm" 18376 > "$BT/farms/xen-v2.farm"
create_farm xap "$BT/farms/xen-v1.farm" || { result apply fail "baltic create xap"; exit 0; }
post 18376 /xap/IEcho/Echo warm > /dev/null
a0=$(field xap xap-a domid) b0=$(field xap xap-b domid)
load_start 4 18376 /xap/IEcho/Echo hello
sleep 2
t0=$(uptime_s)
if baltic apply "$BT/farms/xen-v2.farm" > "$BT/apply.out" 2>&1; then
	result apply pass "$(since "$t0") s; $(grep 'took calls' "$BT/apply.out")"
else
	result apply fail "baltic apply: $(tail -n 1 "$BT/apply.out")"
	tail -n 20 "$BT/balticd.log" | sed 's/^/  balticd: /'
fi
sed 's/^/  apply: /' "$BT/apply.out"
sleep 4
set -- $(load_stop)
echo "made $1 ok $2 err $3 refused $4 reset $5 lost $6 crash $7 hcrash $8"
load_all_answered "$@" && result apply-calls pass "$2/$1 answered across the apply${load_note:+ ($load_note)}" ||
	result apply-calls fail "made $1 ok $2 err $3 refused $4 reset $5 lost $6 crash $7 hcrash $8${load_note:+ ($load_note)}"
a1=$(field xap xap-a domid)
[ -n "$a0" ] && [ "$a1" = "$a0" ] && result apply-kept pass "xap-a kept domain $a0" ||
	result apply-kept fail "xap-a was domain $a0, now $a1"
for _ in $(seq 30); do xl list xap-b > /dev/null 2>&1 || break; sleep 1; done
xl list xap-b > /dev/null 2>&1 && result apply-removed fail "xap-b (domain $b0) still runs" ||
	result apply-removed pass "xap-b's domain $b0 is gone"
who=$(for _ in 1 2 3 4; do baltic call xap IEcho.Who 2> /dev/null; done | sort -u | tr '\n' ' ')
[ "$who" = "xap-a xap-c " ] && result apply-added pass "the pool answers from $who(xap-c domain $(field xap xap-c domid))" ||
	result apply-added fail "the pool answers from '$who'"
baltic destroy xap > /dev/null
