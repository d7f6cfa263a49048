# par: farm xpar (tests/xen/farms; eop_par is 50-eop's):
# Slow goes to both branches, the fast one answers, the slow one's
# handler is cancelled and never finishes (IMark.Finished, exported from
# the slow guest alone, counts the finished Slow calls in that guest).
# xpar is destroyed at the end (memory for the next tests).
# boot: fresh
. /test/lib.sh
need_balticd par
xen_farm
create_farm xpar "$BT/farms/xen.farm" -f xpar || { result par-cancel fail "baltic create xpar"; exit 0; }
post 18411 /xpar/IXEcho/Echo warm > /dev/null
t0=$(ms)
out=$(post 18411 /xpar/IXEcho/Slow 20000)
dt=$(($(ms) - t0))
echo "Slow 20000 via par: $(echo "$out" | tr '\n' ' ') in $dt ms"
case $out in
"done by xpar-fast
200") [ $dt -lt 15000 ] && result par-first pass "fast branch answered in $dt ms (the slow one takes 20000)" ||
	result par-first fail "answered only after $dt ms" ;;
*) result par-first fail "$(echo "$out" | tr '\n' ' ')" ;;
esac
sleep 22
fin=$(post 18412 /xpar/IMark/Finished "")
echo "slow guest: finished Slow calls: $(echo "$fin" | tr '\n' ' ')"
slow=$(served xpar xpar-slow)
if [ "$(echo "$fin" | head -n 1)" = 0 ] && [ "$(echo "$fin" | tail -n 1)" = 200 ]; then
	result par-cancel pass "slow branch's handler never finished (served $slow)"
else
	guest_log xpar xpar-slow
	result par-cancel fail "slow guest finished: $(echo "$fin" | tr '\n' ' ')"
fi
baltic destroy xpar || result par-destroy fail
