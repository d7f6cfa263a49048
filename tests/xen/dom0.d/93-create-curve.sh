# create-curve: `baltic create` against sequential `xl create` for 1,
# 2, 4 and 8 guests, in one boot (BENCHMARKS.md, Xen create).  For each
# N, in turn: a farm of N XEcho guests (128 MiB PV, `or roundrobin`
# over them) made with `baltic create` to all its partitions ready, then
# destroyed; the configs `baltic compile -o` writes for that farm made
# with N sequential `xl create`, to all N agents offering their vchan
# (as 96-figures-xl measures, an earlier point than ready), then
# destroyed.  Both sides are timed to the issue's point, all N agents
# offering, by the same watcher (vchan-test offers, started with each
# create); baltic's is also timed to ready, the point its create
# returns at (the channels' HELLO and CONFIG on top).
# "BALTIC-XEN: FIGURE create-curve-N ..." lines: baltic to offering /
# xl to offering (goal <= 1); create-curve-ready-N: baltic to ready /
# xl to offering; create-curve-baltic-N and create-curve-baltic-offer-N:
# baltic's times alone.  An `xl create` that dies of an emulation fault
# is run again and said so (xl_create_all).
# timeout: 1200
# only when named
# boot: fresh
. /test/lib.sh
need_balticd create-curve
fig() { echo "BALTIC-XEN: FIGURE $*"; }
xen_farm
command -v vchan-test > /dev/null || { result create-curve skip "no vchan-test"; exit 0; }
xen_state > "$BT/curve.before"
cp "$BT/farms/xen.farm" /tmp/curve.farm
for n in 1 2 4 8; do
	b="vm XEcho"
	for _i in $(seq 2 $n); do b="$b, vm XEcho"; done
	[ $n = 1 ] && s="vm XEcho" || s="or roundrobin($b)"
	printf 'farm c%s {\n\ts = %s\n\texport s.IXEcho at "127.0.0.1:%s"\n}\n' \
	    $n "$s" $((18440 + n)) >> /tmp/curve.farm
done
# gone: no guest left (xl list holds Domain-0 only), up to 60 s.
gone() {
	_i=0
	while [ "$(xl list | awk 'NR > 1' | wc -l)" -gt 1 ] && [ $_i -lt 120 ]; do
		usleep 500000; _i=$((_i + 1))
	done
	[ "$(xl list | awk 'NR > 1' | wc -l)" = 1 ]
}
# offered FILE: the seconds vchan-test offers took, from its output.
offered() { sed -n 's/.* offering after \([0-9.]*\) s$/\1/p' "$1"; }
failed=
for n in 1 2 4 8; do
	# baltic create, to all partitions ready, and to all agents offering
	t0=$(uptime_s)
	vchan-test offers $n 300 > /tmp/boffers.out 2>&1 &
	watcher=$!
	if ! baltic create -q -f c$n /tmp/curve.farm > /tmp/curve.out 2>&1 ||
	    ! wait_ready c$n 300; then
		cat /tmp/curve.out; tail -n 20 "$BT/balticd.log"
		failed="$failed baltic-$n"
		kill $watcher 2> /dev/null
		baltic destroy c$n > /dev/null 2>&1; gone
		continue
	fi
	tb=$(since "$t0")
	wait $watcher && tbo=$(offered /tmp/boffers.out) || { cat /tmp/boffers.out; tbo=; }
	fig create-curve-baltic-$n "$tb" "s: baltic create of $n guests to all ready"
	[ -n "$tbo" ] && fig create-curve-baltic-offer-$n "$tbo" "s: baltic create of $n guests to all agents offering"
	baltic destroy c$n > /dev/null 2>&1
	gone || { failed="$failed destroy-$n"; break; }
	# n sequential xl create, to all n agents offering
	rm -rf /tmp/curve && mkdir /tmp/curve
	baltic compile -o /tmp/curve -f c$n /tmp/curve.farm > /dev/null 2>&1 ||
		{ failed="$failed compile-$n"; continue; }
	t0=$(uptime_s)
	vchan-test offers $n 240 > /tmp/offers.out 2>&1 &
	watcher=$!
	xl_create_all /tmp/curve || { failed="$failed xl-$n"; kill $watcher 2> /dev/null; }
	wait $watcher && tx=$(offered /tmp/offers.out) || { cat /tmp/offers.out; tx=; failed="$failed offers-$n"; xl list; }
	for d in $(xl list | awk 'NR > 2 { print $1 }'); do xl destroy "$d"; done
	gone || { failed="$failed xl-destroy-$n"; break; }
	[ -n "$tx" ] && [ -n "$tbo" ] && fig create-curve-$n "$(awk "BEGIN { printf \"%.2f\", $tbo / $tx }")" \
	    "x: to all $n agents offering, baltic create $tbo s, $n sequential xl create $tx s ($xl_again re-run; goal <= 1)"
	[ -n "$tx" ] && fig create-curve-ready-$n "$(awk "BEGIN { printf \"%.2f\", $tb / $tx }")" \
	    "x: baltic create of $n guests to ready $tb s, $n sequential xl create to offering $tx s"
done
# xl's teardown may leave a guest's xenstore home (96-figures-xl).
for h in $(xenstore-list /local/domain); do
	[ "$h" = 0 ] || xenstore-rm "/local/domain/$h"
done
[ -z "$failed" ] && result create-curve pass || result create-curve fail "$failed"
leak_check create-curve "$BT/curve.before"
