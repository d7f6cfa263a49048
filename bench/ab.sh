#!/bin/bash
# bench/ab.sh: two builds of balticd side by side, measured in turns
# (see BENCHMARKS.md, "The cost of the metrics").
#
#   bench/ab.sh BUILD_A BUILD_B
#
# Each build runs its own balticd (private state and run directories)
# with farms bdirect (a) and bor (b) of bench/farms/bench.farm.  Every
# round runs wrk for BENCH_SECONDS on each build and configuration in
# the order A B B A, then B A A B, and so on: on a machine whose load
# drifts, the two builds see the same drift.  Prints, per configuration,
# the median req/s of each build and the median of the rounds' B/A
# ratios.  BENCH_B_ENV (e.g. "BALTIC_METRICS=127.0.0.1:18890") is set
# for B's balticd only; BENCH_SCRAPE=URL is fetched every second while
# B runs.  Knobs: BENCH_SECONDS (5), BENCH_ROUNDS (8), BENCH_CONNS (32),
# BENCH_PORT_BASE (18800: +1,+2 for A, +11,+12 for B).  Not part of make
# check.
set -u

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: bench/ab.sh BUILD_A BUILD_B" >&2; exit 2; }
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-8}
CONNS=${BENCH_CONNS:-32}
BASE=${BENCH_PORT_BASE:-18800}
export BENCH_BODY=${BENCH_BODY:-hello-baltic-bench}
for t in wrk curl; do
	command -v $t >/dev/null || { echo "bench/ab.sh: missing $t" >&2; exit 1; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/baltic-ab.XXXXXX")
PIDS=
stop_all() {
	local side
	for side in A B; do
		[ -S "$W/$side/run/balticd.sock" ] || continue
		for f in bdirect bor; do
			BALTIC_RUN_DIR=$W/$side/run "$W/$side.baltic" destroy "$f" \
			    >/dev/null 2>&1
		done
	done
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# side NAME BUILD OFFSET [VAR=VALUE]: a balticd of BUILD with the two
# farms on BASE+OFFSET+1 and +2.
side() {
	local name=$1 build dir=$W/$1 pa=$((BASE + $3 + 1)) pb=$((BASE + $3 + 2))
	build=$(cd "$2" && pwd) || exit 1
	mkdir -p "$dir"
	ln -s "$build/toolstack/baltic" "$W/$name.baltic"
	cp -r "$here/farms" "$here/roles" "$dir/"
	for r in "$dir"/roles/*/; do cp "$build/tests/handlers/persist" "$r"; done
	sed -i -e "s/127\.0\.0\.1:18101/127.0.0.1:$pa/" \
	    -e "s/127\.0\.0\.1:18102/127.0.0.1:$pb/" "$dir/farms/bench.farm"
	env BALTIC_STATE_DIR="$dir/state" BALTIC_RUN_DIR="$dir/run" \
	    BALTIC_AGENT="$build/guest-agent/baltic-agent" \
	    ${4:-} \
	    "$build/toolstack/balticd" -d -t 5000 >"$dir/balticd.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do
		[ -S "$dir/run/balticd.sock" ] && break
		sleep 0.05
	done
	for f in bdirect bor; do
		BALTIC_RUN_DIR=$dir/run "$W/$name.baltic" create -q -f $f \
		    "$dir/farms/bench.farm" || { echo "bench/ab.sh: $name: cannot" \
		    "create $f (log: $dir/balticd.log)" >&2; exit 1; }
	done
}
side A "$1" 0
side B "$2" 10 "${BENCH_B_ENV:-}"

# run SIDE CONF: one wrk run; "SIDE CONF ROUND rps" to $W/results.
run() {
	local off=0 port url scr=
	[ "$1" = B ] && off=10
	port=$((BASE + off + $([ "$2" = a ] && echo 1 || echo 2)))
	url=http://127.0.0.1:$port/$([ "$2" = a ] && echo bdirect ||
	    echo bor)/IEcho/Echo
	if [ "$1" = B ] && [ -n "${BENCH_SCRAPE:-}" ]; then
		( while sleep 1; do curl -s -o /dev/null "$BENCH_SCRAPE"; done ) &
		scr=$!
	fi
	wrk -t1 -c"$CONNS" -d1s -s "$here/post.lua" "$url" >/dev/null 2>&1
	wrk -t1 -c"$CONNS" -d"${SECS}s" -s "$here/post.lua" "$url" 2>&1 |
	    sed -n "s/^BENCH .* rps=\([0-9.]*\) .*/$1 $2 $r \1/p" >>"$W/results"
	[ -n "$scr" ] && { kill "$scr"; wait "$scr" 2>/dev/null; }
}

echo "bench/ab.sh: $ROUNDS rounds, ${SECS}s per run, wrk -t1 -c$CONNS;" \
    "loadavg before: $(cat /proc/loadavg)" >&2
for r in $(seq "$ROUNDS"); do
	for conf in a b; do
		if [ $((r % 2)) = 1 ]; then order="A B B A"; else order="B A A B"; fi
		for s in $order; do run "$s" "$conf"; done
	done
done
echo "bench/ab.sh: loadavg after: $(cat /proc/loadavg)" >&2

# Per configuration: medians of A, of B, and of each round's B/A (the
# mean of a round's two runs of each side).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| configuration | A req/s | B req/s | B/A (median of $ROUNDS rounds) |"
echo "|---|---:|---:|---:|"
for conf in a b; do
	ma=$(awk -v c=$conf '$1 == "A" && $2 == c { print $4 }' "$W/results" | median)
	mb=$(awk -v c=$conf '$1 == "B" && $2 == c { print $4 }' "$W/results" | median)
	ratio=$(awk -v c=$conf '$2 == c { s[$3, $1] += $4 } END {
	    for (k in s) { split(k, p, SUBSEP); if (p[2] == "A")
		printf "%.4f\n", s[p[1], "B"] / s[k] } }' "$W/results" | median)
	printf '| (%s) %s | %.0f | %.0f | %.3f |\n' $conf \
	    "$([ $conf = a ] && echo 'vm A exported' || echo 'or roundrobin(vm A, vm A)')" \
	    "$ma" "$mb" "$ratio"
done
