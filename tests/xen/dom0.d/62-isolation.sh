# isolation: from inside a guest (farm xprobe, tests/xen/farms: the probe
# role carries xenstore-utils' client), guest a tries to read guest b's
# nodes and to write b's and dom0's; it may read its own.  Then a tries
# to rewire itself from inside its own subtree.
# boot: fresh
. /test/lib.sh
need_balticd isolation
xen_farm
create_farm xprobe "$BT/farms/xen.farm" -f xprobe || { result isolation fail "baltic create xprobe"; exit 0; }
b=$(field xprobe xprobe-b domid)
a=$(field xprobe xprobe-a domid)
echo "xprobe-a is domain $a, xprobe-b is domain $b"
self=$(post 18421 /xprobe/IProbe/Domid "")
echo "a says its domid is: $(echo "$self" | tr '\n' ' ')"
out=$(post 18421 /xprobe/IProbe/Probe "$b")
echo "a probing b ($b) and dom0: $out"
r=$(echo "$out" | head -n 1)
bad=
case $r in *"own-read=ok("*) ;; *) bad="$bad own-read" ;; esac
for k in other-read other-ls other-write dom0-write dom0-read; do
	case $r in *"$k=denied"*) ;; *) bad="$bad $k" ;; esac
done
v=$(xenstore-read "/local/domain/$b/data/baltic/agent" 2>&1)
[ "$v" = 999 ] && bad="$bad b-agent-overwritten"
xenstore-read /local/domain/0/baltic/x > /dev/null 2>&1 && bad="$bad dom0-x-exists"
if [ -z "$bad" ] && [ "$(echo "$out" | tail -n 1)" = 200 ]; then
	result isolation pass "$r"
else
	guest_log xprobe xprobe-a
	result isolation fail "unexpected:$bad ($r)"
fi

# A guest writing into its own subtree cannot change its wiring: dom0's
# farm and instance nodes there are read-only to it; it may remove the
# directory (it owns it) and forge them, but dom0 never reads them back:
# its record of the domain, baltic list and a's channel stay as they were.
out=$(post 18421 /xprobe/IProbe/Rewire xprobe-b)
echo "a rewiring itself as xprobe-b: $out"
r=$(echo "$out" | head -n 1)
bad=
for k in instance-write farm-write; do
	case $r in *"$k=denied"*) ;; *) bad="$bad $k" ;; esac
done
[ "$(xenstore-read "/local/domain/0/baltic/farms/xprobe/domains/xprobe-a" 2>&1)" = "$a" ] ||
	bad="$bad dom0-record"
[ "$(field xprobe xprobe-a domid)" = "$a" ] || bad="$bad a-domid"
[ "$(field xprobe xprobe-b domid)" = "$b" ] || bad="$bad b-domid"
[ "$(field xprobe xprobe-a state)" = ready ] || bad="$bad a-state"
self=$(post 18421 /xprobe/IProbe/Domid "")
[ "$(echo "$self" | head -n 1)" = "$a" ] && [ "$(echo "$self" | tail -n 1)" = 200 ] ||
	bad="$bad a-answers($(echo "$self" | tr '\n' ' '))"
if [ -z "$bad" ] && [ "$(echo "$out" | tail -n 1)" = 200 ]; then
	result isolation-own-subtree pass "$r; dom0's wiring unchanged, a still answers"
else
	guest_log xprobe xprobe-a
	result isolation-own-subtree fail "unexpected:$bad ($r)"
fi
baltic destroy xprobe || result isolation-destroy fail
