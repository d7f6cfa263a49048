# figures, the baseline of 95-figures' create: 8 sequential `xl create`
# of the configs `baltic compile -o DIR -f eight` writes (8 XEcho guests,
# tests/xen/farms/xen.farm), to all 8 agents offering their vchan
# (~/data/baltic/agent in xenstore; nobody connects), then 8 `xl destroy`.
# Printed as "BALTIC-XEN: FIGURE create-xl ..." lines.  One process
# (vchan-test offers) watches xenstore for the offers: under TCG every
# process forked risks an emulation fault.  An `xl create` that dies of
# one (killed by a signal, or ld.so or malloc finding its state corrupt)
# is destroyed and run again, and said so.
# timeout: 600
# only when named
# boot: fresh
. /test/lib.sh
need_balticd figures-xl
fig() { echo "BALTIC-XEN: FIGURE $*"; }
xen_farm
command -v vchan-test > /dev/null || { result fig-create-xl skip "no vchan-test"; exit 0; }
xen_state > "$BT/figxl.before"
rm -rf /tmp/eight && mkdir -p /tmp/eight
baltic compile -o /tmp/eight -f eight "$BT/farms/xen.farm" > /dev/null 2>&1 ||
	{ result fig-create-xl fail "baltic compile -o"; exit 0; }
n=$(ls /tmp/eight/*.cfg | wc -l)
t0=$(uptime_s)
vchan-test offers "$n" 240 > /tmp/offers.out 2>&1 &
watcher=$!
xl_create_all /tmp/eight || { result fig-create-xl fail "$(tail -n 1 /tmp/xl.out)"; kill $watcher; }
again=$xl_again
t_ret=$(since "$t0")
wait $watcher; ok=$?
cat /tmp/offers.out
t_all=$(since "$t0")
if [ $ok = 0 ]; then
	fig create-xl "$t_all" "s: $n sequential xl create of baltic compile -o configs to all $n agents offering a vchan; the xl creates returned after $t_ret s; $again xl create(s) killed by a signal and run again"
fi
t0=$(uptime_s)
for d in $(xl list | awk 'NR > 2 { print $1 }'); do xl destroy "$d"; done
fig destroy-xl "$(since "$t0")" "s: $n sequential xl destroy"
# xl's own teardown may leave a dying domain or its xenstore home (seen:
# "xs_rm failed for /local/domain/1: Input/output error"): destroy what
# is left once more before the leak check, and say so.
i=0
while [ "$(xl list | awk 'NR > 1' | wc -l)" -gt 1 ] && [ $i -lt 60 ]; do
	[ $i = 10 ] && xl list | awk 'NR > 2 { print $2 }' | while read -r d; do
		echo "domain $d still there after xl destroy: destroying it again"
		xl destroy "$d"
	done
	usleep 500000; i=$((i + 1))
done
for h in $(xenstore-list /local/domain); do
	[ "$h" = 0 ] || xl list | awk -v d="$h" 'NR > 1 && $2 == d { f = 1 } END { exit !f }' || {
		echo "xenstore home of gone domain $h left by xl: removed"
		xenstore-rm "/local/domain/$h"
	}
done
[ $ok = 0 ] && result fig-create-xl pass "$t_all s ($again re-run)" ||
	result fig-create-xl fail "$(cat /tmp/offers.out)"
leak_check figures-xl "$BT/figxl.before"
