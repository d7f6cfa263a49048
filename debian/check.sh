#!/bin/bash
# debian/check.sh DIR: what `scripts/run deb` does, as root.  The source
# tree is copied to DIR, built there with dpkg-buildpackage (unsigned,
# binary only), checked by lintian (no error allowed), installed with
# dpkg -i; then the installed baltic answers -h, man finds baltic(1) and
# systemd-analyze verifies the installed balticd.service; the installed
# balticd, run by hand, serves the demo farm.  The packages
# are purged at the end: the host is left as it was.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$1
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$out/baltic-xen-$version

rm -rf "$out"
mkdir -p "$src"
echo "==> copying the source to $src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	    tar -c --null -T - -f -) | tar -x -C "$src"
else
	(cd "$top" && tar -c --exclude='./_build*' -f - .) | tar -x -C "$src"
fi

echo "==> dpkg-buildpackage -us -uc -b"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log"
	exit 1
}
changes=$(ls "$out"/baltic-xen_"$version"_*.changes)
echo "==> lintian $(basename "$changes")"
lintian --fail-on error --tag-display-limit 0 "$changes"

echo "==> dpkg -i"
dpkg -i --path-include='/usr/share/man/*' "$out"/baltic_"$version"_*.deb \
    "$out"/baltic-agent_"$version"_*.deb >/dev/null
trap 'dpkg --purge baltic baltic-agent >/dev/null 2>&1 || true' EXIT
fail=0
step() {
	if "$@" > "$out/step.log" 2>&1; then
		echo "ok - $*"
	else
		echo "not ok - $*"
		cat "$out/step.log"
		fail=1
	fi
}
step /usr/bin/baltic -h
step man -w baltic
step man -w balticd
step man -w baltic.farm
step man -w baltic-mkimage
step /usr/sbin/baltic-mkimage -h
step test -f /usr/share/bash-completion/completions/baltic
step systemd-analyze verify /lib/systemd/system/balticd.service

# The installed balticd, run by hand with the unit's command line (no
# systemd as PID 1 here), serves the demo farm: created with the
# installed baltic, its agents the installed baltic-agent, an order
# answered through its export, torn down.
serve_demo() {
	local t rc=1 i
	t=$(mktemp -d /tmp/baltic-deb.XXXXXX)
	export BALTIC_STATE_DIR=$t/state BALTIC_RUN_DIR=$t/run
	"$src/examples/bank/baltic-bank" -l 127.0.0.1:9090 & bank=$!
	/usr/sbin/balticd -d & dpid=$!
	for i in $(seq 100); do
		[ -S "$t/run/balticd.sock" ] && break
		sleep 0.05
	done
	if /usr/bin/baltic create "$src/examples/eop/demo.farm" &&
	    curl -sf -X POST -d order-1 \
	    http://127.0.0.1:8080/eop/ISubmitOrder/SubmitOrder &&
	    /usr/bin/baltic destroy eop; then
		rc=0
	fi
	kill "$dpid" "$bank" 2>/dev/null
	wait "$dpid" "$bank" 2>/dev/null
	rm -rf "$t"
	return $rc
}
step serve_demo
exit $fail
