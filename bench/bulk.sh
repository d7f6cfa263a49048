#!/bin/bash
# bench/bulk.sh: a large argument echoed through an export, on the local
# backend, by two builds in turns (BENCHMARKS.md, "Bulk data").
#
#   bench/bulk.sh BUILD_A BUILD_B
#
# Each build runs its own balticd (private state and run directories)
# with farm bk: one `vm` whose IEcho is served by a persistent handler
# (the build's tests/handlers/persist).  Every round echoes a
# BENCH_BULK_KIB (512) KiB argument BENCH_CALLS (20) times with curl on
# each build, in the order A B, then B A, and so on; prints each build's
# median over all calls and the median of the rounds' B/A ratios.
# BENCH_KEEPALIVE=1: each round's calls go on one kept-alive connection.
# Knobs: BENCH_ROUNDS (6), BENCH_PORT_BASE (18960).  Not part of make
# check.
set -u

[ $# -eq 2 ] || { echo "usage: bench/bulk.sh BUILD_A BUILD_B" >&2; exit 2; }
KIB=${BENCH_BULK_KIB:-512}
CALLS=${BENCH_CALLS:-20}
ROUNDS=${BENCH_ROUNDS:-6}
BASE=${BENCH_PORT_BASE:-18960}
W=$(mktemp -d "${TMPDIR:-/tmp}/baltic-bulk.XXXXXX")
declare -A PID
cleanup() {
	local s
	for s in A B; do
		[ -n "${PID[$s]:-}" ] || continue
		BALTIC_SOCKET=$W/$s/sock "$W/$s.baltic" destroy bk >/dev/null 2>&1
		kill "${PID[$s]}" 2>/dev/null
		wait "${PID[$s]}" 2>/dev/null
	done
	rm -rf -- "$W"
}
trap cleanup EXIT

head -c $((KIB * 1024)) /dev/urandom | base64 -w 0 | head -c $((KIB * 1024)) >"$W/arg"
# side S BUILD PORT: S's balticd and farm, ready.
side() {
	local s=$1 build=$2 port=$3 d=$W/$1
	mkdir -p "$d/roles/echo/services"
	cp "$build/tests/handlers/persist" "$d/roles/echo/" || return 1
	cp "$build/toolstack/baltic" "$W/$s.baltic"
	printf '#!/bin/sh\nexec "$(dirname "$0")/../persist"\n' \
	    >"$d/roles/echo/services/IEcho"
	chmod +x "$d/roles/echo/services/IEcho"
	cat >"$d/bk.farm" <<EOF
interface IEcho { Echo(s: string) -> string }
role Echo { image "roles/echo"; exports IEcho }
farm bk { e = vm Echo; export e.IEcho at "127.0.0.1:$port" }
EOF
	BALTIC_STATE_DIR=$d/state BALTIC_RUN_DIR=$d/run \
	    "$build/toolstack/balticd" -d -s "$d/sock" \
	    -a "$build/guest-agent/baltic-agent" >"$d/log" 2>&1 &
	PID[$s]=$!
	for _ in $(seq 50); do [ -S "$d/sock" ] && break; sleep 0.1; done
	BALTIC_SOCKET=$d/sock "$W/$s.baltic" create -q "$d/bk.farm" ||
	    { tail -n 5 "$d/log"; return 1; }
}
side A "$1" "$BASE" || exit 1
side B "$2" $((BASE + 1)) || exit 1
# calls S PORT: CALLS echoes, each time in ms to $W/S.ms (and checked).
# BENCH_KEEPALIVE=1: all of them from one curl, on one connection.
calls() {
	local i t args=()
	if [ "${BENCH_KEEPALIVE:-0}" = 1 ]; then
		for ((i = 0; i < CALLS; i++)); do
			((i == 0)) || args+=(--next)
			args+=(-s -o "$W/out.$i" -w '%{time_total}\n' --max-time 30
			    -X POST --data-binary @"$W/arg"
			    "http://127.0.0.1:$2/bk/IEcho/Echo")
		done
		curl "${args[@]}" >"$W/times"
		for ((i = 0; i < CALLS; i++)); do
			cmp -s "$W/arg" "$W/out.$i" ||
			    { echo "bulk: $1's echo differs" >&2; exit 1; }
		done
		awk '{ printf "%.3f\n", $1 * 1000 }' "$W/times" | tee -a "$W/$1.ms"
		return
	fi
	for ((i = 0; i < CALLS; i++)); do
		t=$(curl -s -o "$W/out" -w '%{time_total}' --max-time 30 \
		    -X POST --data-binary @"$W/arg" "http://127.0.0.1:$2/bk/IEcho/Echo")
		cmp -s "$W/arg" "$W/out" || { echo "bulk: $1's echo differs" >&2; exit 1; }
		echo "$t" | awk '{ printf "%.3f\n", $1 * 1000 }' | tee -a "$W/$1.ms"
	done
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
calls A "$BASE" >/dev/null		# warm both
calls B $((BASE + 1)) >/dev/null
: >"$W/A.ms"; : >"$W/B.ms"; : >"$W/ratios"
for ((r = 0; r < ROUNDS; r++)); do
	if ((r % 2 == 0)); then
		a=$(calls A "$BASE" | median); b=$(calls B $((BASE + 1)) | median)
	else
		b=$(calls B $((BASE + 1)) | median); a=$(calls A "$BASE" | median)
	fi
	echo "round $((r + 1)): A $a ms, B $b ms"
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f\n", b / a }' >>"$W/ratios"
done
echo "bulk $KIB KiB echo, median of $((ROUNDS * CALLS)) calls: A $(median <"$W/A.ms") ms, B $(median <"$W/B.ms") ms; B/A (median of $ROUNDS rounds) $(median <"$W/ratios")"
