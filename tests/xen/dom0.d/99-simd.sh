# simd: two simd-check processes in dom0 compare the C library's memchr
# and memcpy with plain loops, and keep a value in a YMM register across
# yields, while 4 clients call farm xfault's Echo (a handler forked per
# call in two guests) for baltic.seconds (60 by default).  A check of the
# emulator and of QEMU/Xen settings (tests/xen/README.md), not of baltic.
# timeout: 600
# only when named
# boot: fresh
. /test/lib.sh
need_balticd simd
xen_farm
create_farm xfault "$BT/farms/xen.farm" -f xfault || { result simd fail "baltic create xfault"; exit 0; }
secs=$(sed -n 's/.*baltic\.seconds=\([0-9]*\).*/\1/p' /proc/cmdline | grep . || echo 60)
grep -o -w -E 'avx2?|xsave[a-z]*' /proc/cpuinfo | sort | uniq -c | tr '\n' ' '; echo
load_start 4 18406 /xfault/IXEcho/Echo exec
simd-check "$secs" 1 > /tmp/simd.1 2>&1 & p1=$!
simd-check "$secs" 2 > /tmp/simd.2 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
set -- $(load_stop)
cat /tmp/simd.1 /tmp/simd.2
faults_new "$BT/load.faults0" > /tmp/simd.faults
nf=$(grep -c . /tmp/simd.faults)
if [ $r1 = 0 ] && [ $r2 = 0 ]; then
	result simd pass "$(cat /tmp/simd.1 /tmp/simd.2 | tr '\n' ' ') load made $1 ok $2; faults $nf"
else
	result simd fail "$(cat /tmp/simd.1 /tmp/simd.2 | tr '\n' ' ') load made $1 ok $2; faults $nf"
fi
baltic destroy xfault > /dev/null
