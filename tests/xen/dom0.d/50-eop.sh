# eop: the seed's configurations (examples/eop) on real PV guests with
# balticd -b xen: each answers SubmitOrder through its HTTP export (curl
# in dom0) and through baltic call.  isolated and remote-payment (with
# baltic-bank in dom0 on 127.0.0.1:9090) and ref are destroyed after
# their check (128 MiB a guest); so is par; or stays up for the tests
# after this one (they make it again if a reboot came in between).  eop_or's export is also bound on 0.0.0.0:<second forwarded
# port> and called from the HOST (run-check-xen.sh prints host-export).
. /test/lib.sh
need_balticd eop

if command -v baltic-bank > /dev/null; then
	baltic-bank -l 127.0.0.1:9090 > "$BT/bank.log" 2>&1 &
	echo $! > "$BT/bank.pid"
fi
hport=$(sed -n 's/.*baltic\.ports=[0-9]*:\([0-9]*\).*/\1/p' /proc/cmdline)

port=18501
for cfg in isolated remote-payment or par ref; do
	addr=$port
	[ "$cfg" = or ] && [ -n "$hport" ] && { addr=0.0.0.0:$hport; port=$hport; }
	eop_farm "$cfg" "$addr" "$port"; ok=$?
	name=$eop_name
	if [ $ok != 0 ]; then
		result "eop-$cfg" fail "baltic create $name"
		for i in $(parts "$name" 2> /dev/null); do guest_log "$name" "$i"; done
		baltic destroy "$name" > /dev/null 2>&1
		port=$((port + 1)); continue
	fi
	t0=$(uptime_s)
	out=$(post $port "/$name/ISubmitOrder/SubmitOrder" "order-$cfg")
	echo "  export: $out" | tr '\n' ' '; echo
	case $out in
	"order order-$cfg: authorized:order-$cfg, processed:order-$cfg by $name-"*"
200")
		result "eop-$cfg-export" pass "answered in $(since "$t0") s" ;;
	*)
		result "eop-$cfg-export" fail "$(echo "$out" | tr '\n' ' ' | head -c 120)"
		for i in $(parts "$name"); do guest_log "$name" "$i"; done
		tail -n 20 "$BT/balticd.log" | sed 's/^/  balticd: /' ;;
	esac
	out=$(baltic call "$name" ISubmitOrder.SubmitOrder "cli-$cfg" 2>&1)
	case $out in
	"order cli-$cfg: authorized:cli-$cfg"*) result "eop-$cfg-call" pass ;;
	*) result "eop-$cfg-call" fail "$(echo "$out" | head -c 120)" ;;
	esac
	case $cfg in
	isolated|remote-payment|ref|par)
		t0=$(uptime_s)
		baltic destroy "$name" && result "eop-$cfg-destroy" pass "$(since "$t0") s" ||
			result "eop-$cfg-destroy" fail ;;
	esac
	port=$((port + 1))
done
grep -q '^authorized\|POST\|Authorize' "$BT/bank.log" 2> /dev/null || true

# The host calls eop_or through QEMU's port forward: say so, then wait
# (60 s at most) until the farm has served it.
if [ -n "$hport" ] && list_json eop_or > /dev/null 2>&1; then
	c0=$(list_json eop_or | jq '.[0].calls')
	echo "BALTIC-XEN: EXPORT-UP $hport /eop_or/ISubmitOrder/SubmitOrder"
	t0=$(uptime_s)
	while [ "$(list_json eop_or | jq '.[0].calls')" = "$c0" ] &&
	      [ "$(awk "BEGIN{print ($(uptime_s) - $t0 < 60)}")" = 1 ]; do
		sleep 1
	done
	sleep 2
	echo "eop_or calls: $c0 -> $(list_json eop_or | jq '.[0].calls')"
fi
baltic list
