# figures (BENCHMARKS.md, Xen section; issue item 8), printed as
# "BALTIC-XEN: FIGURE <name> <value> <detail>" lines:
#  - wall time of `baltic create` of farm `eight` (8 XEcho guests,
#    tests/xen/farms/xen.farm) to all partitions ready (96-figures-xl
#    has the 8 sequential `xl create` of the same configs).
# The bulk figures are 94-bulk's.
# Under TCG absolute times mean little; the ratios do.
# timeout: 600
# only when named
# boot: fresh
. /test/lib.sh
need_balticd figures
fig() { echo "BALTIC-XEN: FIGURE $*"; }
xen_farm
xen_state > "$BT/fig.before"

# --- create: baltic vs xl ------------------------------------------------
t0=$(uptime_s)
baltic create -f eight "$BT/farms/xen.farm" > /tmp/create.out 2>&1 || {
	cat /tmp/create.out; tail -n 20 "$BT/balticd.log"
	for _i in 1 2 3 4 5 6 7 8; do guest_log eight "eight-s-$_i"; done
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
