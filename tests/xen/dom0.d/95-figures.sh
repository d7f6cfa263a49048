# figures (BENCHMARKS.md, Xen section; issue item 8), printed as
# "BALTIC-XEN: FIGURE <name> <value> <detail>" lines:
#  - wall time of `baltic create` of farm `eight` (8 XEcho guests,
#    tests/xen/farms/xen.farm) to all partitions ready (96-figures-xl
#    has the 8 sequential `xl create` of the same configs);
#  - a 512 KiB argument echoed through dom0 (HTTP export -> balticd ->
#    vchan -> agent -> handler and back) vs a raw 512 KiB libxenvchan
#    round trip (tests/xen/vchan-test.c) with a guest.
# Under TCG absolute times mean little; the ratios do.
# timeout: 600
# only when named
# boot: fresh
. /test/lib.sh
need_balticd figures
fig() { echo "BALTIC-XEN: FIGURE $*"; }
xen_farm
xen_state > "$BT/fig.before"

# --- bulk: 512 KiB through dom0 vs raw vchan ------------------------------
size=524288
head -c $size /dev/urandom | base64 -w 0 | head -c $size > /tmp/bulk.arg
create_farm bulk "$BT/farms/xen.farm" -f bulk || result fig-bulk fail "baltic create bulk"
best=
for i in 1 2 3 4 5; do
	t0=$(ms)
	curl -s --max-time 120 -o /tmp/bulk.out -X POST --data-binary @/tmp/bulk.arg \
		http://127.0.0.1:18441/bulk/IXEcho/Echo
	dt=$(($(ms) - t0))
	cmp -s /tmp/bulk.arg /tmp/bulk.out || { result fig-bulk fail "echo differs ($(wc -c < /tmp/bulk.out) bytes back)"; break; }
	echo "baltic echo 512 KiB: $dt ms"
	[ -z "$best" ] || [ $dt -lt $best ] && best=$dt
done
[ -n "$best" ] && fig bulk-baltic "$best" "ms: best of 5, 512 KiB argument echoed via the HTTP export (curl in dom0 -> balticd -> vchan -> agent -> cat handler -> back)"
baltic destroy bulk
if command -v vchan-test > /dev/null && [ -e /test/roles/vchan.cpio ]; then
	guest_cfg vchan vchan
	xl create /tmp/vchan.cfg > /dev/null
	d=$(xl domid vchan)
	wait_console vchan 'vchan-test: server listening' 90
	out=$(vchan-test client "$d" "/local/domain/$d/data/vchan" $size 2>&1)
	echo "$out"
	s=$(echo "$out" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p')
	[ -n "$s" ] && fig bulk-vchan "$(awk "BEGIN { printf \"%d\", $s * 1000 }")" "ms: raw libxenvchan, 512 KiB each way between dom0 and a guest (vchan-test client, after connect)"
	xl destroy vchan
fi
[ -n "$best" ] && result fig-bulk pass "$best ms" || result fig-bulk fail

# --- create: baltic vs xl ------------------------------------------------
t0=$(uptime_s)
baltic create -f eight "$BT/farms/xen.farm" > /tmp/create.out 2>&1 || {
	cat /tmp/create.out; tail -n 20 "$BT/balticd.log"
	result fig-create fail "baltic create eight"
}
t_ret=$(since "$t0")
if wait_ready eight 300; then
	t_ready=$(since "$t0")
	fig create-baltic "$t_ready" "s: baltic create -f eight (8 PV guests, 128 MiB) to all 8 ready; the command returned after $t_ret s"
	out=$(post 18431 /eight/IXEcho/Echo hi)
	[ "$(echo "$out" | head -n 1)" = hi ] && result fig-create pass "$t_ready s" ||
		result fig-create fail "eight does not answer: $out"
else
	result fig-create fail "eight not ready"
fi
t0=$(uptime_s)
baltic destroy eight
fig destroy-baltic "$(since "$t0")" "s: baltic destroy eight"

leak_check figures "$BT/fig.before"
