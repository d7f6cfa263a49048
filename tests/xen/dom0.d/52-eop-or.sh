# eop-or: examples/eop/or.farm (processing behind `or`) answers
# SubmitOrder, and stays up for the tests after this one (they make it
# again if a reboot came in between).  Its export is bound on
# 0.0.0.0:<second forwarded port> and called from the HOST too
# (run-check-xen.sh prints host-export).
# boot: fresh
. /test/lib.sh
need_balticd eop-or
hport=$(sed -n 's/.*baltic\.ports=[0-9]*:\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$hport" ]; then
	eop_check or "$hport" "0.0.0.0:$hport" || exit 0
	# The host calls eop_or through QEMU's port forward: say so, then
	# wait (60 s at most) until the farm has served it.
	c0=$(list_json eop_or | jq '.[0].calls')
	echo "BALTIC-XEN: EXPORT-UP $hport /eop_or/ISubmitOrder/SubmitOrder"
	t0=$(uptime_s)
	while [ "$(list_json eop_or | jq '.[0].calls')" = "$c0" ] &&
	      [ "$(awk "BEGIN{print ($(uptime_s) - $t0 < 60)}")" = 1 ]; do
		sleep 1
	done
	sleep 2
	echo "eop_or calls: $c0 -> $(list_json eop_or | jq '.[0].calls')"
else
	eop_check or 18503
fi
