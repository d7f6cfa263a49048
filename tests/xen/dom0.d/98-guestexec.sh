# guestexec: 4 clients call farm xfault's Echo (a handler forked and
# exec'd per call in two guests) for GUESTEXEC_S seconds (60); counts the
# guests' emulation faults per call.  A check of the emulator and of
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
faults_list > /tmp/guestexec.before 2> /dev/null
load_start 4 18406 /xfault/IXEcho/Echo exec
sleep "$(sed -n 's/.*baltic\.seconds=\([0-9]*\).*/\1/p' /proc/cmdline | grep . || echo 60)"
set -- $(load_stop)
nf=$(faults_new /tmp/guestexec.before | grep -vc '^dom0:')
nd=$(faults_new /tmp/guestexec.before | grep -c '^dom0:')
faults_new /tmp/guestexec.before | head -n 5
echo "GUESTEXEC: made $1 ok $2 err $3 guest faults $nf dom0 faults $nd"
result guestexec pass "made $1 ok $2 err $3; guest faults $nf, dom0 faults $nd"
baltic destroy xfault > /dev/null
