#!/bin/bash
# bench/run.sh: the local-backend benchmark (see BENCHMARKS.md).
#
#   bench/run.sh [BUILD_DIR]          (or: make bench, in the build dir)
#
# With wrk on loopback, req/s and p50/p99 latency of an echo operation
# served by persistent handlers through
#   (a) `vm A` exported directly,
#   (b) `or roundrobin(vm A, vm A)`,
#   (c) HAProxy, round-robin over two HTTP echo servers (bench/echo-http),
#   (d) one HTTP echo server alone (no proxy: the floor),
# and the `par` tail test: handlers that answer 10% of calls 50 ms late,
# one branch alone vs `par` of two, plain and hedged (`par hedge 10`,
# `par hedge p95`).  Prints markdown tables and ratios.
#
# Knobs (environment): BUILD (build dir, if not an argument),
# BENCH_SECONDS (8, per measurement), BENCH_WARMUP (1), BENCH_ROUNDS (3;
# the figures are per-configuration medians), BENCH_THREADS (2),
# BENCH_CONNS (32), BENCH_TAIL_CONNS (32) and BENCH_TAIL_DELAY_MS (30:
# think time per request, so both tail configurations see the same light
# offered load; it must exceed ~25 ms, or wrk 4's coordinated-omission
# correction, which adds phantom samples below any latency over twice the
# mean per-connection interval, inflates the slow share), BENCH_SLOW_US (25000: "slow" in the slow-call share),
# BENCH_BODY (payload), BENCH_PORT_BASE (18100: uses
# +1..+6 for the farms, +10 HAProxy, +11/+12 the echo servers),
# BENCH_KEEP=1 keeps the temporary directory.  Not part of make check.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-${BUILD:-${top_builddir:-}}}
if [ -z "$build" ]; then
	if [ -x "$PWD/toolstack/balticd" ]; then build=$PWD
	else build=$src
	fi
fi
build=$(cd "$build" && pwd) || exit 1

SECS=${BENCH_SECONDS:-8}
WARM=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-3}
THREADS=${BENCH_THREADS:-1}
CONNS=${BENCH_CONNS:-32}
TAIL_CONNS=${BENCH_TAIL_CONNS:-32}
TAIL_DELAY=${BENCH_TAIL_DELAY_MS:-30}
export BENCH_SLOW_US=${BENCH_SLOW_US:-25000}
BASE=${BENCH_PORT_BASE:-18100}
export BENCH_BODY=${BENCH_BODY:-hello-baltic-bench}

die() { echo "bench: $*" >&2; exit 1; }
. "$here/lib.sh"

# --- tools -------------------------------------------------------------
need=
command -v wrk >/dev/null || need="$need wrk"
command -v haproxy >/dev/null || need="$need haproxy"
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get install -y $need >/dev/null || die "cannot install$need"
	else
		die "missing:$need (apt-get install$need)"
	fi
fi
for t in curl jq; do
	command -v $t >/dev/null || die "missing: $t"
done

# --- programs ----------------------------------------------------------
BALTIC=$build/toolstack/baltic
BALTICD=$build/toolstack/balticd
export BALTIC_AGENT=$build/guest-agent/baltic-agent
export BALTIC_BENCH_PERSIST=$build/tests/handlers/persist
ECHO_HTTP=$build/bench/echo-http
missing=
for p in "$BALTIC" "$BALTICD" "$BALTIC_AGENT"; do
	[ -x "$p" ] || missing="$missing ${p#"$build"/}"
done
for p in "$BALTIC_BENCH_PERSIST" "$ECHO_HTTP"; do
	[ -x "$p" ] || missing="$missing ${p#"$build"/}"
done
if [ -n "$missing" ]; then
	echo "bench: building$missing in $build" >&2
	make -C "$build" $missing >/dev/null || die "cannot build$missing"
fi

# --- a private world ---------------------------------------------------
T=$(mktemp -d "${TMPDIR:-/tmp}/baltic-bench.XXXXXX")
export BALTIC_STATE_DIR=$T/state BALTIC_RUN_DIR=$T/run
DPID=
PIDS=
FARMS="bdirect bor bjone bjpar bjhedge bjp95"
cleanup() {
	if [ -n "$DPID" ]; then
		for f in $FARMS; do
			"$BALTIC" destroy "$f" >/dev/null 2>&1
		done
		kill "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PA=$((BASE + 1)) PB=$((BASE + 2)) PJ1=$((BASE + 3)) PJ2=$((BASE + 4))
PJ3=$((BASE + 5)) PJ4=$((BASE + 6))
PH=$((BASE + 10)) PE1=$((BASE + 11)) PE2=$((BASE + 12))
for p in $PA $PB $PJ1 $PJ2 $PJ3 $PJ4 $PH $PE1 $PE2; do
	if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/"; then
		die "port $p is in use (set BENCH_PORT_BASE)"
	fi
done

cp -r "$here/farms" "$here/roles" "$T/"
for r in "$T"/roles/*/; do cp "$BALTIC_BENCH_PERSIST" "$r"; done
sed -i -e "s/127\.0\.0\.1:18101/127.0.0.1:$PA/" \
    -e "s/127\.0\.0\.1:18102/127.0.0.1:$PB/" \
    -e "s/127\.0\.0\.1:18103/127.0.0.1:$PJ1/" \
    -e "s/127\.0\.0\.1:18104/127.0.0.1:$PJ2/" \
    -e "s/127\.0\.0\.1:18105/127.0.0.1:$PJ3/" \
    -e "s/127\.0\.0\.1:18106/127.0.0.1:$PJ4/" "$T/farms/bench.farm"

start_balticd "$BALTICD" "$T/balticd.log"
for f in $FARMS; do
	"$BALTIC" create -q -f "$f" "$T/farms/bench.farm" ||
	    die "cannot create farm $f (log: $T/balticd.log)"
done

"$ECHO_HTTP" -l "127.0.0.1:$PE1" >>"$T/echo-http.log" 2>&1 &
E1PID=$!
"$ECHO_HTTP" -l "127.0.0.1:$PE2" >>"$T/echo-http.log" 2>&1 &
PIDS="$PIDS $E1PID $!"
sed -e "s/@PH@/$PH/; s/@PE1@/$PE1/; s/@PE2@/$PE2/" \
    "$here/haproxy.cfg.in" >"$T/haproxy.cfg"
haproxy -c -q -f "$T/haproxy.cfg" || die "bad haproxy config"
haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
HPID=$!
PIDS="$PIDS $HPID"

# Every endpoint answers the body back before we measure it.
URL_A=http://127.0.0.1:$PA/bdirect/IEcho/Echo
URL_B=http://127.0.0.1:$PB/bor/IEcho/Echo
URL_C=http://127.0.0.1:$PH/
URL_D=http://127.0.0.1:$PE1/
URL_J1=http://127.0.0.1:$PJ1/bjone/IEcho/Echo
URL_J2=http://127.0.0.1:$PJ2/bjpar/IEcho/Echo
URL_J3=http://127.0.0.1:$PJ3/bjhedge/IEcho/Echo
URL_J4=http://127.0.0.1:$PJ4/bjp95/IEcho/Echo
for u in $URL_A $URL_B $URL_C $URL_D $URL_J1 $URL_J2 $URL_J3 $URL_J4; do
	ok=
	for _ in $(seq 50); do
		out=$(curl -s --max-time 2 -X POST --data-binary "$BENCH_BODY" "$u")
		[ "$out" = "$BENCH_BODY" ] && { ok=1; break; }
		sleep 0.1
	done
	[ -n "$ok" ] || die "$u does not echo (got '$out'; log: $T)"
done

# CPU seconds (user+sys) used so far by a process.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
HZ=$(getconf CLK_TCK)

# measure NAME URL PROXYPID CONNS THINK_MS: one wrk run; appends a line
# to $T/results:
# NAME rps p50 p90 p99 p999 errors non2xx proxy-cpu% slow%
measure() {
	name=$1 url=$2 ppid=$3 conns=$4
	export BENCH_DELAY_MS=$5
	if [ "$WARM" -gt 0 ]; then
		wrk -t"$THREADS" -c"$conns" -d"${WARM}s" -s "$here/post.lua" \
		    "$url" >/dev/null 2>&1
	fi
	c0=$(cpu_ticks "$ppid")
	echo "wrk -t$THREADS -c$conns -d${SECS}s -s bench/post.lua --latency" \
	    "$url  # BENCH_DELAY_MS=$5" >>"$T/wrk.log"
	wrk -t"$THREADS" -c"$conns" -d"${SECS}s" -s "$here/post.lua" \
	    --latency "$url" >"$T/wrk-$name.out" 2>&1
	c1=$(cpu_ticks "$ppid")
	cat "$T/wrk-$name.out" >>"$T/wrk.log"
	line=$(sed -n 's/^BENCH //p' "$T/wrk-$name.out")
	[ -n "$line" ] || die "wrk failed on $url: $(cat "$T/wrk-$name.out")"
	echo "$name $line cpu=$(( (c1 - c0) * 100 / HZ / SECS ))" |
	    awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print $1, v["rps"], v["p50_us"], v["p90_us"], v["p99_us"],
		    v["p999_us"], v["errors"], v["non2xx"], v["cpu"],
		    v["slow_pct"] }' \
	    >>"$T/results"
}

echo "bench: $ROUNDS round(s) of ${SECS}s per configuration," \
    "wrk -t$THREADS -c$CONNS, build $build" >&2
start=$(date +%s)
: >"$T/results"
for r in $(seq "$ROUNDS"); do
	echo "bench: round $r/$ROUNDS" >&2
	measure a "$URL_A" "$DPID" "$CONNS" 0
	measure b "$URL_B" "$DPID" "$CONNS" 0
	measure c "$URL_C" "$HPID" "$CONNS" 0
	measure d "$URL_D" "$E1PID" "$CONNS" 0
	measure j1 "$URL_J1" "$DPID" "$TAIL_CONNS" "$TAIL_DELAY"
	measure j2 "$URL_J2" "$DPID" "$TAIL_CONNS" "$TAIL_DELAY"
	measure j3 "$URL_J3" "$DPID" "$TAIL_CONNS" "$TAIL_DELAY"
	measure j4 "$URL_J4" "$DPID" "$TAIL_CONNS" "$TAIL_DELAY"
done

# med NAME COLUMN: the median over rounds (lower middle if even).
med() {
	awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$T/results" |
	    sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / b }'; }
sum() { awk -v n="$1" -v c="$2" '$1 == n { s += $c } END { print s + 0 }' "$T/results"; }

echo
echo "Echo, ${#BENCH_BODY}-byte body, wrk -t$THREADS -c$CONNS -d${SECS}s," \
    "median of $ROUNDS round(s); proxy CPU = balticd or haproxy," \
    "% of one core"
echo
echo "| configuration | req/s | p50 ms | p99 ms | proxy CPU | errors |"
echo "|---|---:|---:|---:|---:|---:|"
for n in a b c d; do
	case $n in
	a) label="(a) vm A exported" ;;
	b) label="(b) or roundrobin(vm A, vm A)" ;;
	c) label="(c) HAProxy rr over 2 HTTP echo" ;;
	d) label="(d) 1 HTTP echo, no proxy" ;;
	esac
	printf '| %s | %.0f | %s | %s | %s%% | %s |\n' "$label" \
	    "$(med $n 2)" "$(ms "$(med $n 3)")" "$(ms "$(med $n 5)")" \
	    "$(med $n 9)" "$(( $(sum $n 7) + $(sum $n 8) ))"
done
echo
echo "Ratios (medians): b/a req/s $(ratio "$(med b 2)" "$(med a 2)")," \
    "p99 $(ratio "$(med b 5)" "$(med a 5)");" \
    "c/a req/s $(ratio "$(med c 2)" "$(med a 2)")," \
    "p99 $(ratio "$(med c 5)" "$(med a 5)")"
echo
echo "par tail: handlers answer 10% of calls 50 ms late (tests/handlers/persist, BALTIC_PERSIST_JITTER=10:50);" \
    "wrk -t$THREADS -c$TAIL_CONNS, ${TAIL_DELAY} ms think time per request;" \
    "slow = over $((BENCH_SLOW_US / 1000)) ms"
echo
echo "| configuration | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | slow calls | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for n in j1 j2 j3 j4; do
	case $n in
	j1) label="one branch: vm J" ;;
	j2) label="par(vm J, vm J)" ;;
	j3) label="par hedge 10(vm J, vm J)" ;;
	j4) label="par hedge p95(vm J, vm J)" ;;
	esac
	printf '| %s | %.0f | %s | %s | %s | %s | %s%% | %s |\n' "$label" \
	    "$(med $n 2)" "$(ms "$(med $n 3)")" "$(ms "$(med $n 4)")" \
	    "$(ms "$(med $n 5)")" "$(ms "$(med $n 6)")" "$(med $n 10)" \
	    "$(( $(sum $n 7) + $(sum $n 8) ))"
done
echo
echo "p99 par / p99 one branch: $(ratio "$(med j2 5)" "$(med j1 5)");" \
    "p90: $(ratio "$(med j2 4)" "$(med j1 4)") (goal <= 0.1)"
# The ideal of two independent branches: one branch's slow share squared.
ideal=$(awk -v s="$(med j1 10)" 'BEGIN { printf "%.4f", s * s / 100 }')
# sent FARM: branch calls per call of its par s over the whole run
# (warm-up included): (calls + hedged) / calls.
sent() {
	set -- $("$BALTIC" top --json "$1" | jq -r '.farms[0].bindings[] |
	    select(.name == "s") | "\(.calls + .hedged) \(.calls)"')
	ratio "${1:-0}" "${2:-0}"
}
echo "slow share: ideal (one branch's squared) ${ideal}%;" \
    "par $(ratio "$(med j2 10)" "$ideal")x the ideal (goal <= 1.2)"
for n in j3 j4; do
	case $n in
	j3) label="par hedge 10" f=bjhedge ;;
	j4) label="par hedge p95" f=bjp95 ;;
	esac
	echo "$label: slow share $(med $n 10)% = $(ratio "$(med $n 10)" "$ideal")x" \
	    "the ideal (goal <= 1.5); calls sent $(sent $f)x one branch's" \
	    "(goal <= 1.15)"
done
echo
echo "($(( $(date +%s) - start ))s measuring; per-round figures:" \
    "name rps p50 p90 p99 p99.9 (us) errors non2xx cpu% slow%)"
sed 's/^/    /' "$T/results"
