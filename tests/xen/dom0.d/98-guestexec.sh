# guestexec: 4 clients call farm xfault's Echo (a handler forked and
# exec'd per call in two guests) for baltic.seconds (on dom0's command
# line, BALTIC_XEN_DOM0ARGS; 60 by default); counts the guests' emulation
# faults per call.  A check of the emulator and of
# QEMU/Xen settings (tests/xen/README.md), not of baltic.
# timeout: 600
# only when named
# boot: fresh
. /test/lib.sh
need_balticd guestexec
xen_farm
create_farm xfault "$BT/farms/xen.farm" -f xfault || { result guestexec fail "baltic create xfault"; exit 0; }
# baltic.pin=1 on dom0's command line: dom0 on CPU 0, the guests on CPU 1
# (no vCPU migrates between the two).
if grep -q 'baltic\.pin=1' /proc/cmdline; then
	xl vcpu-pin 0 all 0
	for d in $(xl list | awk 'NR > 2 { print $2 }'); do xl vcpu-pin "$d" all 1; done
	xl vcpu-list
fi
load_start 4 18406 /xfault/IXEcho/Echo exec
sleep "$(sed -n 's/.*baltic\.seconds=\([0-9]*\).*/\1/p' /proc/cmdline | grep . || echo 60)"
set -- $(load_stop)
faults_new "$BT/load.faults0" > /tmp/guestexec.faults	# load_start's snapshot
nf=$(grep -vc '^dom0:' /tmp/guestexec.faults)
nd=$(grep -c '^dom0:' /tmp/guestexec.faults)
head -n 5 /tmp/guestexec.faults
echo "GUESTEXEC: made $1 ok $2 err $3 hcrash $8 guest faults $nf dom0 faults $nd"
result guestexec pass "made $1 ok $2 err $3 hcrash $8; guest faults $nf, dom0 faults $nd"
baltic destroy xfault > /dev/null
