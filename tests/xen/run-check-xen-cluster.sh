#!/bin/bash
# run-check-xen-cluster.sh: what `make check-xen-cluster` runs (only when
# named: two QEMUs for about 15 minutes).  Two Xen 4.17 hosts, xa and xb,
# each a PV dom0 in its own QEMU (TCG) booted from the images check-xen
# builds, joined by a QEMU socket network (xa listens, xb connects;
# 10.9.0.1 and 10.9.0.2: their TLS link, with a throwaway cluster CA);
# one etcd on this machine (private data directory and ports), which both
# reach at 10.0.2.2 through QEMU's user network.  Each runs
# dom0.d/80-cluster.sh: a PV guest moved from one host to the other while
# its farm is called.  Prints one PASS/FAIL line per result (the host's
# name before it) and "N passed, N failed"; exits non-zero on a failure.
#
# Environment: BALTIC_XEN_OUT (default /var/cache/baltic/check-xen-cluster),
# BALTIC_XEN_TIMEOUT (QEMU's, per host, 2400 s), top_builddir, and what
# run-check-xen.sh takes for the images.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/cluster/bed.sh"
if [ -z "${top_builddir:-}" ] && [ -e config.status ]; then top_builddir=$PWD; fi
export top_builddir=${top_builddir:-$top}
OUT=${BALTIC_XEN_OUT:-/var/cache/baltic/check-xen-cluster}
export BALTIC_XEN_OUT=$OUT
mkdir -p "$OUT"
t0=$(date +%s)
step() { echo "check-xen-cluster: $* ($(($(date +%s) - t0)) s)"; }
command -v etcd > /dev/null ||
	{ echo "check-xen-cluster: no etcd (apt-get install etcd-server)"; exit 1; }

# A free port on 127.0.0.1, at or after $1.
free_port() {
	_p=$1
	while ss -ltnH 2> /dev/null | awk '{ print $4 }' | grep -q ":$_p\$"; do
		_p=$((_p + 1))
	done
	echo "$_p"
}
ep=$(free_port $((23000 + $$ % 2000)))
epp=$(free_port $((ep + 1)))
sp=$(free_port $((epp + 1)))

# The cluster's CA and the hosts' certificates, into both dom0s.
rm -rf "$OUT/certs"
mkdir -p "$OUT/certs"
bed_certs "$OUT/certs" xa xb || { echo "check-xen-cluster: openssl failed"; exit 1; }
rm -f "$OUT/certs"/*.csr "$OUT/certs"/*.srl "$OUT/certs/ca.key"
BALTIC_XEN_EXTRA="${BALTIC_XEN_EXTRA:-} $OUT/certs=/test/cluster" \
	sh "$here/run-check-xen.sh" --build-only
step "images built"

EPID= APID= BPID=
cleanup() {
	for p in $APID $BPID $EPID; do
		kill "$p" 2> /dev/null || :
		wait "$p" 2> /dev/null || :	# set -e holds in the trap too
	done
	rm -rf "$OUT/etcd"
}
trap 'rc=$?; cleanup; exit $rc' EXIT
rm -rf "$OUT/etcd"
env $(env | sed -n 's/^\(ETCD[A-Z_]*\)=.*/-u \1/p') \
	etcd --name xc --data-dir "$OUT/etcd" \
	--listen-client-urls "http://127.0.0.1:$ep" \
	--advertise-client-urls "http://127.0.0.1:$ep" \
	--listen-peer-urls "http://127.0.0.1:$epp" \
	--initial-advertise-peer-urls "http://127.0.0.1:$epp" \
	--initial-cluster "xc=http://127.0.0.1:$epp" --initial-cluster-state new \
	--logger=zap > "$OUT/etcd.log" 2>&1 &
EPID=$!
up=
for _ in $(seq 100); do
	curl -s --max-time 2 "http://127.0.0.1:$ep/health" | grep -q '"true"' && { up=1; break; }
	sleep 0.1
done
[ -n "$up" ] || { echo "check-xen-cluster: etcd did not start"; tail -n 5 "$OUT/etcd.log"; exit 1; }
step "etcd on 127.0.0.1:$ep (10.0.2.2:$ep from the dom0s)"

# boot_host NAME listen|connect IP: one host's QEMU, in the background.
boot_host() {
	"$here/boot" -t "${BALTIC_XEN_TIMEOUT:-2400}" -l "$OUT/serial.$1.log" \
		-s "$2:$sp:$3" -a baltic.tests=80-cluster -a "baltic.host=$1" \
		-a "baltic.etcd=http://10.0.2.2:$ep" "$OUT/host" > "$OUT/boot.$1.out" 2>&1
}
boot_host xa listen 10.9.0.1 &
APID=$!
sleep 3			# xa's QEMU listens before xb's connects
boot_host xb connect 10.9.0.2 &
BPID=$!
wait $APID || :
APID=
step "xa: qemu finished"
wait $BPID || :
BPID=
step "xb: qemu finished"

pass=0 fail=0
for h in xa xb; do
	tr -d '\r' < "$OUT/serial.$h.log" > "$OUT/serial.$h.txt"
	while read -r _ _ name verdict detail; do
		case $verdict in
		pass) pass=$((pass + 1)); echo "PASS: $h $name${detail:+ ($detail)}" ;;
		skip) echo "SKIP: $h $name${detail:+ ($detail)}" ;;
		*) fail=$((fail + 1)); echo "FAIL: $h $name${detail:+ ($detail)}" ;;
		esac
	done < <(grep -a '^BALTIC-XEN: RESULT ' "$OUT/serial.$h.txt")
	grep -aq '^BALTIC-XEN: DONE' "$OUT/serial.$h.txt" || {
		fail=$((fail + 1)); echo "FAIL: $h boot (no DONE marker: see $OUT/serial.$h.log)"
	}
	grep -a '^BALTIC-XEN: \(FAULT\|ABORT\)' "$OUT/serial.$h.txt" | sed "s/^BALTIC-XEN: /  $h /" || :
done
grep -ah '^BALTIC-XEN: FIGURE ' "$OUT"/serial.x?.txt | sed 's/^BALTIC-XEN: //' || :
step "serial logs $OUT/serial.xa.log, $OUT/serial.xb.log"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ] && exit 0
exit 1
