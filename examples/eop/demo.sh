#!/bin/bash
# demo.sh BUILD_DIR: the EOP farm on the local backend, end to end.
# A stand-in bank serves payments from outside the farm; the farm is
# created, called over HTTP, listed, rewired with `baltic set`, called
# again, and destroyed, and nothing is left behind.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../_build}" && pwd)
baltic="$build/toolstack/baltic"
T=$(mktemp -d /tmp/baltic-demo.XXXXXX)
export BALTIC_STATE_DIR="$T/state" BALTIC_RUN_DIR="$T/run"
export BALTIC_AGENT="$build/guest-agent/baltic-agent"
export PATH="$build/toolstack:$PATH"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
cleanup() {
	baltic destroy eop >/dev/null 2>&1
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null
	[ -n "${bpid:-}" ] && kill "$bpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

say "baltic-bank -l 127.0.0.1:9090 &    # the remote payment service"
"$build/examples/bank/baltic-bank" -l 127.0.0.1:9090 & bpid=$!
say "balticd -d &    # state in $T"
"$build/toolstack/balticd" -d & dpid=$!
for _ in $(seq 100); do [ -S "$T/run/balticd.sock" ] && break; sleep 0.05; done

run baltic check "$here/demo.farm" && echo "demo.farm checks clean"
run baltic create "$here/demo.farm" || exit 1
run baltic list -l
for i in 1 2 3 4; do
	say "curl -X POST -d order-$i http://127.0.0.1:8080/eop/ISubmitOrder/SubmitOrder"
	curl -s -X POST -d "order-$i" http://127.0.0.1:8080/eop/ISubmitOrder/SubmitOrder
done
run baltic set eop processing p2
for i in 5 6; do
	say "curl -X POST -d order-$i http://127.0.0.1:8080/eop/ISubmitOrder/SubmitOrder"
	curl -s -X POST -d "order-$i" http://127.0.0.1:8080/eop/ISubmitOrder/SubmitOrder
done
run baltic call eop ISubmitOrder.SubmitOrder order-7
run baltic list -l
run baltic destroy eop
say "ls -R $T/run $T/state    # after destroy: nothing of the farm left"
ls -R "$T/run" "$T/state"
left=$(find "$T/run" "$T/state" -mindepth 1 ! -name balticd.sock \
    ! -name balticd.lock ! -path "$T/state/farms")
if [ -n "$left" ] || pgrep -f "baltic-agent -c $T/run" >/dev/null; then
	echo "demo: left behind: $left" >&2
	exit 1
fi
echo
echo "demo: OK -- orders answered through the farm, ref rewired, clean teardown"
