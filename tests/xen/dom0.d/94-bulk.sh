# bulk figures (BENCHMARKS.md, Xen section), printed as "BALTIC-XEN:
# FIGURE <name> <value> <detail>" lines: a 512 KiB argument echoed
# through dom0 (HTTP export -> balticd -> vchan -> agent -> handler and
# back), its handler a process per call (`exec cat`, farm bulk) or one
# persistent handler (tests/handlers/persist, farm bulkp), against a raw
# 512 KiB libxenvchan round trip (tests/xen/vchan-test.c) with a guest.
# Under TCG absolute times mean little; the ratios do.
# timeout: 600
# only when named
# boot: fresh
. /test/lib.sh
need_balticd bulk
fig() { echo "BALTIC-XEN: FIGURE $*"; }
xen_farm
xen_state > "$BT/bulk.before"
size=524288
head -c $size /dev/urandom | base64 -w 0 | head -c $size > /tmp/bulk.arg

# bulk_best FARM PORT: the best of 5 echoes of /tmp/bulk.arg through
# FARM's export, in ms; nothing if one differs.
bulk_best() {
	_best=
	for _i in 1 2 3 4 5; do
		_t0=$(ms)
		curl -s --max-time 120 -o /tmp/bulk.out -X POST --data-binary @/tmp/bulk.arg \
			"http://127.0.0.1:$2/$1/IXEcho/Echo"
		_dt=$(($(ms) - _t0))
		if ! cmp -s /tmp/bulk.arg /tmp/bulk.out; then
			echo "$1: the echo differs ($(wc -c < /tmp/bulk.out) bytes back)" >&2
			return
		fi
		echo "$1: echo of 512 KiB in $_dt ms" >&2
		[ -z "$_best" ] || [ $_dt -lt $_best ] && _best=$_dt
	done
	echo "$_best"
}

cat_ms= persist_ms= vchan_ms=
if create_farm bulk "$BT/farms/xen.farm" -f bulk; then
	cat_ms=$(bulk_best bulk 18441)
	baltic destroy bulk
fi
[ -n "$cat_ms" ] && fig bulk-baltic "$cat_ms" "ms: best of 5, 512 KiB argument echoed via the HTTP export (curl in dom0 -> balticd -> vchan -> agent -> cat handler -> back)"
if create_farm bulkp "$BT/farms/xen.farm" -f bulkp; then
	persist_ms=$(bulk_best bulkp 18442)
	baltic destroy bulkp
fi
[ -n "$persist_ms" ] && fig bulk-baltic-persist "$persist_ms" "ms: the same through a persistent handler in the guest (tests/handlers/persist)"
if command -v vchan-test > /dev/null && [ -e /test/roles/vchan.cpio ]; then
	guest_cfg vchan vchan
	xl create /tmp/vchan.cfg > /dev/null
	d=$(xl domid vchan)
	wait_console vchan 'vchan-test: server listening' 90
	out=$(vchan-test client "$d" "/local/domain/$d/data/vchan" $size 2>&1)
	echo "$out"
	s=$(echo "$out" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p')
	[ -n "$s" ] && vchan_ms=$(awk "BEGIN { printf \"%d\", $s * 1000 }")
	[ -n "$vchan_ms" ] && fig bulk-vchan "$vchan_ms" "ms: raw libxenvchan, 512 KiB each way between dom0 and a guest (vchan-test client, after connect)"
	xl destroy vchan
fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b }'; }
if [ -n "$vchan_ms" ] && [ "$vchan_ms" -gt 0 ]; then
	[ -n "$cat_ms" ] && fig bulk-ratio-cat "$(ratio "$cat_ms" "$vchan_ms")" "x: bulk-baltic / bulk-vchan"
	[ -n "$persist_ms" ] && fig bulk-ratio-persist "$(ratio "$persist_ms" "$vchan_ms")" "x: bulk-baltic-persist / bulk-vchan (goal <= 3)"
fi
[ -n "$cat_ms" ] && [ -n "$persist_ms" ] && result bulk pass "cat $cat_ms ms, persistent $persist_ms ms, raw vchan ${vchan_ms:-?} ms" ||
	result bulk fail "cat '${cat_ms}' ms, persistent '${persist_ms}' ms"
leak_check bulk "$BT/bulk.before"
