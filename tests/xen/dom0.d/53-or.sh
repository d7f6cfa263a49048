# or: eop_or (from 50-eop) spreads SubmitOrder over its two
# OrderProcessing guests: served counts of baltic list --json.
. /test/lib.sh
need_balticd or-spread
need_farm or-spread eop_or
set -- $(parts eop_or OrderProcessing)
[ $# -eq 2 ] || { result or-spread fail "expected 2 OrderProcessing partitions, got $#"; exit 0; }
a0=$(served eop_or "$1") b0=$(served eop_or "$2")
n=10 ok=0 i=0
t0=$(uptime_s)
while [ $i -lt $n ]; do
	i=$((i + 1))
	post "$port" /eop_or/ISubmitOrder/SubmitOrder "spread-$i" | tail -n 1 | grep -q '^200$' &&
		ok=$((ok + 1))
done
a=$(($(served eop_or "$1") - a0)) b=$(($(served eop_or "$2") - b0))
echo "$n calls in $(since "$t0") s: $ok answered; $1 served $a, $2 served $b"
if [ $ok -eq $n ] && [ $a -gt 0 ] && [ $b -gt 0 ] && [ $((a + b)) -eq $n ]; then
	result or-spread pass "$1 $a, $2 $b of $n"
else
	result or-spread fail "$ok/$n answered; $1 $a, $2 $b"
fi
