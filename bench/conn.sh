#!/bin/bash
# bench/conn.sh: what an export costs per connection, for two builds in
# the same invocation (BENCHMARKS.md, "Connections kept from accept on").
#
#   bench/conn.sh BASE_BUILD NEW_BUILD
#
# For each build, farm bdirect (`vm A` exported, persistent echo
# handlers) is served by that build's balticd, and wrk measures it twice:
# keep-alive connections (one connection, many calls) and
# `Connection: close` (one connection per call: every call pays an
# accept, and in NEW_BUILD a keeper PUT of the connection and its DEL).
# The builds alternate round by round (BENCH_ROUNDS, 3), each
# measurement BENCH_SECONDS (5) long; the figures are medians, with
# balticd's CPU time per call.  Prints the load average first.
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: bench/conn.sh BASE_BUILD NEW_BUILD" >&2; exit 2; }
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-32}
PORT=${BENCH_PORT_BASE:-18100}
export BENCH_BODY=${BENCH_BODY:-hello-baltic-bench}
HZ=$(getconf CLK_TCK)
command -v wrk >/dev/null || { echo "bench: wrk missing" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/baltic-conn.XXXXXX")
DPID=
cleanup() {
	[ -n "$DPID" ] && { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
	pkill -f "baltic-keeper -K $T/" 2>/dev/null
	pkill -f "baltic-agent -c $T/" 2>/dev/null	# a farm not destroyed
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp -r "$here/roles" "$T/"
mkdir -p "$T/farms"
sed "s/127\.0\.0\.1:18101/127.0.0.1:$((PORT + 1))/" "$here/farms/bench.farm" \
    >"$T/farms/conn.farm"
URL=http://127.0.0.1:$((PORT + 1))/bdirect/IEcho/Echo

# serve BUILD NAME: balticd of BUILD serving bdirect; DPID is its pid.
serve() {
	mkdir -p "$T/$2"
	export BALTIC_STATE_DIR=$T/$2/state BALTIC_RUN_DIR=$T/$2/run
	export BALTIC_AGENT=$1/guest-agent/baltic-agent
	for r in "$T"/roles/*/; do cp "$1/tests/handlers/persist" "$r"; done
	"$1/toolstack/balticd" -d -t 5000 >>"$T/$2.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		[ -S "$BALTIC_RUN_DIR/balticd.sock" ] && break
		sleep 0.05
	done
	"$1/toolstack/baltic" create -q -f bdirect "$T/farms/conn.farm" ||
	    { echo "bench: $2: create failed ($T/$2.log)" >&2; exit 1; }
	for _ in $(seq 50); do
		[ "$(curl -s --max-time 2 -X POST --data-binary "$BENCH_BODY" \
		    "$URL")" = "$BENCH_BODY" ] && return 0
		sleep 0.1
	done
	echo "bench: $2 does not echo" >&2
	exit 1
}

unserve() {
	"$1/toolstack/baltic" destroy bdirect >/dev/null 2>&1
	kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=
}

# measure NAME MODE [wrk args]: one wrk run; "NAME MODE rps cpu_us/call".
measure() {
	local name=$1 mode=$2 c0 c1 out
	shift 2
	wrk -t1 -c"$CONNS" -d1s -s "$here/post.lua" "$@" "$URL" >/dev/null 2>&1
	c0=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat")
	out=$(wrk -t1 -c"$CONNS" -d"${SECS}s" -s "$here/post.lua" "$@" "$URL" |
	    sed -n 's/^BENCH //p')
	c1=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat")
	echo "$out" | awk -v n="$name" -v m="$mode" -v c=$((c1 - c0)) -v hz="$HZ" '{
	    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	    printf "%s %s %.0f %.1f %d\n", n, m, v["rps"],
	    (v["requests"] > 0 ? c * 1e6 / hz / v["requests"] : 0),
	    v["errors"] + v["non2xx"] }' >>"$T/results"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
	for b in base new; do
		[ $b = base ] && dir=$1 || dir=$2
		serve "$dir" $b
		measure $b keepalive
		measure $b close -H "Connection: close"
		unserve "$dir"
	done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '\n| build | connections | req/s | balticd CPU µs/call | errors |\n'
printf '|---|---|---:|---:|---:|\n'
for b in base new; do
	for m in keepalive close; do
		rps=$(awk -v b=$b -v m=$m '$1 == b && $2 == m { print $3 }' "$T/results" | med)
		cpu=$(awk -v b=$b -v m=$m '$1 == b && $2 == m { print $4 }' "$T/results" | med)
		err=$(awk -v b=$b -v m=$m '$1 == b && $2 == m { e += $5 } END { print e + 0 }' "$T/results")
		printf '| %s | %s | %s | %s | %s |\n' $b $m "$rps" "$cpu" "$err"
		eval "rps_${b}_$m=$rps cpu_${b}_$m=$cpu"
	done
done
awk -v a="$rps_new_keepalive" -v b="$rps_base_keepalive" -v c="$rps_new_close" \
    -v d="$rps_base_close" -v e="$cpu_new_close" -v f="$cpu_new_keepalive" \
    -v g="$cpu_base_close" -v h="$cpu_base_keepalive" 'BEGIN {
	printf "\nnew/base req/s: keep-alive %.2f, a connection per call %.2f\n", a / b, c / d
	printf "balticd CPU per connection (close - keep-alive, per call): base %.1f us, new %.1f us\n", g - h, e - f
}'
