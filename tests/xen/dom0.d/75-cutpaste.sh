# cut/paste: rf (from 65-ref) under 4 clients; baltic cut suspends rf-a
# to a file (its domain goes away), rf-b answers meanwhile, baltic paste
# restores it and it serves again; every call answered.
. /test/lib.sh
need_balticd cutpaste
need_farm cutpaste rf
baltic set rf r 'or roundrobin(a, b)'
cut=/tmp/rf-a.cut
rm -f "$cut"
load_start 4 18312 /rf/IEcho/Echo hello
sleep 2
t0=$(uptime_s)
if baltic cut rf rf-a "$cut"; then
	result cut pass "$(since "$t0") s, $(du -k "$cut" | cut -f1) KiB file, state $(field rf rf-a state)"
else
	result cut fail "baltic cut rf rf-a"; tail -n 20 "$BT/balticd.log" | sed 's/^/  balticd: /'
fi
xl list
xl list rf-a > /dev/null 2>&1 && result cut-domain fail "rf-a still a domain after cut" ||
	result cut-domain pass "rf-a's domain is gone"
a0=$(served rf rf-a) b0=$(served rf rf-b)
sleep 4
a1=$(served rf rf-a) b1=$(served rf rf-b)
echo "while cut: rf-a served $a0 -> $a1, rf-b $b0 -> $b1"
[ "$a1" = "$a0" ] && [ "$b1" -gt "$b0" ] && result cut-other-answers pass "rf-b served $((b1 - b0)) while rf-a was cut" ||
	result cut-other-answers fail "rf-a $a0 -> $a1, rf-b $b0 -> $b1"
t0=$(uptime_s)
if baltic paste rf rf-a "$cut"; then
	wait_ready rf 120 && result paste pass "$(since "$t0") s to ready, domain $(field rf rf-a domid)" ||
		result paste fail "not ready after paste"
else
	result paste fail "baltic paste rf rf-a"; tail -n 20 "$BT/balticd.log" | sed 's/^/  balticd: /'
fi
sleep 4
set -- $(load_stop)
a2=$(served rf rf-a)
echo "made $1 ok $2 err $3 refused $4 reset $5 lost $6 crash $7 hcrash $8; rf-a served $a1 -> $a2 after paste"
[ "$a2" -gt "$a1" ] && result paste-serves pass "rf-a served $((a2 - a1)) after paste" ||
	{ guest_log rf rf-a; result paste-serves fail "rf-a served nothing after paste"; }
load_all_answered "$@" && result cutpaste-calls pass "$2/$1 answered across cut and paste${load_note:+ ($load_note)}" ||
	result cutpaste-calls fail "made $1 ok $2 err $3 refused $4 reset $5 lost $6 crash $7 hcrash $8${load_note:+ ($load_note)}"
rm -f "$cut"
