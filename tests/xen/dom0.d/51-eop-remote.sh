# eop-remote: examples/eop/remote-payment.farm, payment a remote service
# (baltic-bank in dom0 on 127.0.0.1:9090, as in the example); destroyed
# after.
# boot: fresh
. /test/lib.sh
need_balticd eop-remote
if command -v baltic-bank > /dev/null && ! { [ -s "$BT/bank.pid" ] && kill -0 "$(cat "$BT/bank.pid")" 2> /dev/null; }; then
	baltic-bank -l 127.0.0.1:9090 > "$BT/bank.log" 2>&1 &
	echo $! > "$BT/bank.pid"
fi
eop_check remote-payment 18502
