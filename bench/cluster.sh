#!/bin/bash
# bench/cluster.sh: what a call costs when its partition runs on another
# host (BENCHMARKS.md).  Two hosts, h1 and h2, as two balticd (local
# backend) on 127.0.1.1-2 in a network namespace of their own, joined
# through a three-member etcd (tests/cluster/bed.sh) and linked by TLS.
# The same echo (a persistent handler) through an export on h1:
#   (l) to a partition on h1,
#   (r) to a partition on h2, over the link.
# wrk -t1 -c32, BENCH_SECONDS (8) each, BENCH_ROUNDS (3) alternated; the
# medians and the ratio r/l.  Needs root (a namespace), etcd-server, wrk.
#
#   bench/cluster.sh [BUILD_DIR]
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-${BUILD:-$PWD}}
build=$(cd "$build" && pwd) || exit 1
SECS=${BENCH_SECONDS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-32}
export BENCH_BODY=${BENCH_BODY:-hello-baltic-bench}

die() { echo "bench: $*" >&2; exit 1; }
. "$src/tests/cluster/bed.sh"
bed_enter "$0" "$@"
command -v wrk >/dev/null || die "missing: wrk"
BALTIC=$build/toolstack/baltic
BALTICD=$build/toolstack/balticd
export BALTIC_AGENT=$build/guest-agent/baltic-agent
[ -x "$BALTICD" ] && [ -x "$build/tests/handlers/persist" ] ||
    die "build $build first (make, make check)"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bed_start
T=$(mktemp -d "${TMPDIR:-/tmp}/baltic-bench.XXXXXX")
declare -a HPID=()
cleanup() {
	local n
	for n in 1 2; do
		[ -n "${HPID[n]:-}" ] || continue
		on "$n" destroy bl >/dev/null 2>&1
		on "$n" destroy br >/dev/null 2>&1
		kill "${HPID[n]}" 2>/dev/null
		wait "${HPID[n]}" 2>/dev/null
	done
	bed_stop
	rm -rf -- "$T"
}
trap cleanup EXIT
on() {
	local n=$1
	shift
	BALTIC_SOCKET="$T/h$n/sock" "$BALTIC" "$@"
}

bed_certs "$T" h1 h2 || die "cannot make certificates"
mkdir -p "$T/roles"
cp -r "$here/roles/echo" "$T/roles/"
cp "$build/tests/handlers/persist" "$T/roles/echo/"
for n in 1 2; do
	mkdir -p "$T/h$n"
	BALTIC_STATE_DIR="$T/h$n/state" BALTIC_RUN_DIR="$T/h$n/run" \
	    "$BALTICD" -d -t 5000 -s "$T/h$n/sock" --cluster "$(bed_urls)" \
	    --host "h$n" --peer-listen "127.0.1.$n:7400" \
	    --cluster-cert "$T/h$n.pem" --cluster-key "$T/h$n.key" \
	    --cluster-ca "$T/ca.pem" >>"$T/h$n.log" 2>&1 &
	HPID[n]=$!
done
sleep 2
cat >"$T/b.farm" <<'EOF'
interface IEcho { Echo(s: string) -> string }
role Echo { image "roles/echo"; exports IEcho }
farm bl {
	s = vm Echo on "h1"
	export s.IEcho at "127.0.1.1:18901"
}
farm br {
	s = vm Echo on "h2"
	export s.IEcho at "127.0.1.1:18902"
}
EOF
on 1 create -q -f bl "$T/b.farm" || die "create bl (log: $T/h1.log)"
on 1 create -q -f br "$T/b.farm" || die "create br (log: $T/h1.log)"
for u in 18901/bl 18902/br; do
	for _ in $(seq 50); do
		[ "$(curl -s --max-time 2 -X POST --data-binary "$BENCH_BODY" \
		    "http://127.0.1.1:${u%/*}/${u#*/}/IEcho/Echo")" = \
		    "$BENCH_BODY" ] && continue 2
		sleep 0.1
	done
	die "$u does not echo"
done

# measure NAME URL: one wrk run, "NAME rps p50_us p99_us" to results.
measure() {
	wrk -t1 -c"$CONNS" -d1s -s "$here/post.lua" "$2" >/dev/null 2>&1
	wrk -t1 -c"$CONNS" -d"${SECS}s" -s "$here/post.lua" --latency "$2" |
	    sed -n 's/^BENCH //p' | awk -v n="$1" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print n, v["rps"], v["p50_us"], v["p99_us"], v["errors"] + v["non2xx"] }' \
	    >>"$T/results"
}
for ((r = 1; r <= ROUNDS; r++)); do
	if [ $((r % 2)) = 1 ]; then
		measure l http://127.0.1.1:18901/bl/IEcho/Echo
		measure r http://127.0.1.1:18902/br/IEcho/Echo
	else
		measure r http://127.0.1.1:18902/br/IEcho/Echo
		measure l http://127.0.1.1:18901/bl/IEcho/Echo
	fi
done
med() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$T/results" |
    sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '| call | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|\n'
for n in l r; do
	printf '| %s | %s | %.2f | %.2f | %s |\n' \
	    "$([ $n = l ] && echo "(l) partition on h1" || echo "(r) partition on h2, over the link")" \
	    "$(med $n 2)" "$(echo "$(med $n 3) / 1000" | bc -l)" \
	    "$(echo "$(med $n 4) / 1000" | bc -l)" \
	    "$(awk -v n=$n '$1 == n { s += $5 } END { print s + 0 }' "$T/results")"
done
printf 'r/l: req/s %.2f, p50 %.2f, p99 %.2f\n' \
    "$(echo "$(med r 2) / $(med l 2)" | bc -l)" \
    "$(echo "$(med r 3) / $(med l 3)" | bc -l)" \
    "$(echo "$(med r 4) / $(med l 4)" | bc -l)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
