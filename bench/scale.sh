#!/bin/bash
# bench/scale.sh: one farm, `or roundrobin` over N `vm Echo` partitions
# (persistent handlers, local backend), for N in BENCH_SCALE (1 10 100
# 1000); beside it, HAProxy round-robin over N bench/echo-http servers,
# in the same run.  Prints req/s, p50 and p99 of each, the time to create
# the farm, balticd's memory per partition, and the ratios the goals are
# stated in: at the largest N against N=1 (p50 <= 1.2x, p99 <= 2x,
# req/s >= 0.8x), and against HAProxy at the same N.
#
# A second yardstick, for the N in BENCH_SCALE_RELAY (the largest N of
# BENCH_SCALE unless set; empty: none): HAProxy round-robin over N
# bench/relay processes, each in front of its own echo server.  That is
# a partition's shape (an agent woken twice per call, its handler once)
# built from the first yardstick's parts: 2N processes, three wakes per
# request.
#
#   bench/scale.sh [BUILD_DIR]          (make bench runs it after run.sh)
#
# Knobs: BENCH_SCALE, BENCH_SECONDS (6), BENCH_CONNS (32),
# BENCH_SCALE_PORT (18400: the export; HAProxy +1; echo servers from
# +100), BENCH_BODY.  Not part of make check.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-${top_builddir:-.}}" && pwd) || exit 1
SCALE=${BENCH_SCALE:-1 10 100 1000}
RELAY=${BENCH_SCALE_RELAY-${SCALE##* }}
SECS=${BENCH_SECONDS:-6}
CONNS=${BENCH_CONNS:-32}
BASE=${BENCH_SCALE_PORT:-18400}
export BENCH_BODY=${BENCH_BODY:-hello-baltic-bench}
die() { echo "bench/scale.sh: $*" >&2; exit 1; }
. "$here/lib.sh"
for t in wrk haproxy curl; do
	command -v $t >/dev/null || die "missing $t"
done
BALTIC=$build/toolstack/baltic
for p in toolstack/balticd toolstack/baltic guest-agent/baltic-agent \
    tests/handlers/persist bench/echo-http bench/relay; do
	[ -x "$build/$p" ] || die "$build/$p: not built (make check bench)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/baltic-scale.XXXXXX")
export BALTIC_STATE_DIR=$T/state BALTIC_RUN_DIR=$T/run
export BALTIC_AGENT=$build/guest-agent/baltic-agent
DPID=
EPIDS=
HP=
stop_echo() {
	local p
	[ -n "$HP" ] && { kill "$HP"; wait "$HP"; } 2>/dev/null
	for p in $EPIDS; do kill "$p" 2>/dev/null; done
	for p in $EPIDS; do wait "$p" 2>/dev/null; done
	HP= EPIDS=
}
cleanup() {
	"$BALTIC" destroy bscale >/dev/null 2>&1
	stop_echo
	[ -n "$DPID" ] && { kill "$DPID"; wait "$DPID"; } 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp -r "$here/roles" "$T/"
cp "$build/tests/handlers/persist" "$T/roles/echo/"
mkdir -p "$T/farms"
start_balticd "$build/toolstack/balticd" "$T/balticd.log"

# The whole machine's context switches and busy CPU time (us) so far,
# from /proc/stat: what each request cost, wrk included, both sides alike.
machine() {
	awk -v hz="$(getconf CLK_TCK)" '$1 == "ctxt" { c = $2 }
	    $1 == "cpu" { b = $2 + $3 + $4 + $7 + $8 }
	    END { printf "%d %.0f\n", c, b * 1e6 / hz }' /proc/stat
}

# run LABEL N URL: a warm-up, then one wrk run; a line to $T/results:
# LABEL N rps p50_us p99_us errors cs/request cpu_us/request
run() {
	local line
	# Warm: every partition has had calls (its handler starts on its
	# first: at N=1000 the first thousand calls take some 12 s), and
	# every echo server its connection from HAProxy.  Until twice N
	# calls are answered, at most a minute.
	local warm=0 n t0=$SECONDS
	while [ "$warm" -lt $((2 * $2)) ] && [ $((SECONDS - t0)) -lt 60 ]; do
		n=$(wrk -t1 -c"$CONNS" -d2s -s "$here/post.lua" "$3" 2>&1 |
		    sed -n 's/^BENCH requests=\([0-9]*\) .*/\1/p')
		warm=$((warm + ${n:-0}))
	done
	local m0 m1
	m0=$(machine)
	line=$(wrk -t1 -c"$CONNS" -d"${SECS}s" -s "$here/post.lua" --latency \
	    "$3" 2>&1 | sed -n 's/^BENCH //p')
	m1=$(machine)
	[ -n "$line" ] || die "wrk failed on $3"
	echo "$1 $2 $line $m0 $m1" | awk '{ for (i = 3; i <= NF - 4; i++) {
	    split($i, kv, "="); v[kv[1]] = kv[2] }
	    r = v["requests"] > 0 ? v["requests"] : 1
	    printf "%s %s %s %s %s %d %.2f %.1f\n", $1, $2, v["rps"],
		v["p50_us"], v["p99_us"], v["errors"] + v["non2xx"],
		($(NF - 1) - $(NF - 3)) / r, ($NF - $(NF - 2)) / r }' \
	    >>"$T/results"
}

# haproxy_over N RELAYED: HAProxy round-robin over N echo servers, each
# behind its own relay if RELAYED is 1; returns once HAProxy answers.
haproxy_over() {
	local i port
	sed -e "s/@PH@/$((BASE + 1))/" -e '/server e[12] /d' \
	    "$here/haproxy.cfg.in" >"$T/haproxy.cfg"
	for i in $(seq "$1"); do
		port=$((BASE + 99 + i))
		"$build/bench/echo-http" -l "127.0.0.1:$port" >/dev/null 2>&1 &
		EPIDS="$EPIDS $!"
		if [ "$2" = 1 ]; then
			"$build/bench/relay" -l "127.0.0.1:$((port + 1900))" \
			    -t "127.0.0.1:$port" >/dev/null 2>&1 &
			EPIDS="$EPIDS $!"
			port=$((port + 1900))
		fi
		echo "	server e$i 127.0.0.1:$port" >>"$T/haproxy.cfg"
	done
	sed -i 's/maxconn 4096/maxconn 8192/' "$T/haproxy.cfg"
	haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
	HP=$!
	ready "http://127.0.0.1:$((BASE + 1))/"
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status"; }

: >"$T/results"
echo "bench/scale.sh: N = $SCALE; wrk -t1 -c$CONNS -d${SECS}s;" \
    "loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for n in $SCALE; do
	# The farm: an or over n partitions.
	{
		echo 'interface IEcho { Echo(s: string) -> string }'
		echo 'role Echo { image "../roles/echo"; memory 32; exports IEcho }'
		echo 'farm bscale {'
		printf '\ts = or roundrobin('
		for i in $(seq "$n"); do
			[ "$i" -gt 1 ] && printf ', '
			printf 'vm Echo'
		done
		echo ')'
		echo "	export s.IEcho at \"127.0.0.1:$BASE\""
		echo '}'
	} >"$T/farms/scale.farm"
	rss0=$(rss_kb)
	t0=$(date +%s%N)
	"$BALTIC" create -q -f bscale "$T/farms/scale.farm" ||
	    die "cannot create the farm of $n (log: $T/balticd.log)"
	t1=$(date +%s%N)
	echo "create $n $(( (t1 - t0) / 1000000 )) $(( ($(rss_kb) - rss0) / n ))" \
	    >>"$T/create"
	ready "http://127.0.0.1:$BASE/bscale/IEcho/Echo"
	run baltic "$n" "http://127.0.0.1:$BASE/bscale/IEcho/Echo"
	"$BALTIC" destroy bscale >/dev/null 2>&1 || die "cannot destroy the farm"

	# HAProxy over n echo servers.
	haproxy_over "$n" 0
	run haproxy "$n" "http://127.0.0.1:$((BASE + 1))/"
	stop_echo
	case " $RELAY " in
	*" $n "*)
		haproxy_over "$n" 1
		run relayed "$n" "http://127.0.0.1:$((BASE + 1))/"
		stop_echo
		;;
	esac
done

ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
get() { awk -v l="$1" -v n="$2" -v c="$3" '$1 == l && $2 == n { print $c }' \
    "$T/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / b }'; }
echo
echo "Scale: or roundrobin over N vm Echo (persistent handlers) vs HAProxy" \
    "over N echo servers; wrk -t1 -c$CONNS -d${SECS}s"
echo
echo "| N | create ms | balticd KiB/partition | req/s | p50 ms | p99 ms | errors | HAProxy req/s | p50 ms | p99 ms | req/s vs HAProxy | p99 vs HAProxy |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $SCALE; do
	read -r _ _ cms kib < <(grep "^create $n " "$T/create")
	printf '| %s | %s | %s | %.0f | %s | %s | %s | %.0f | %s | %s | %s | %s |\n' \
	    "$n" "$cms" "$kib" "$(get baltic "$n" 3)" \
	    "$(ms "$(get baltic "$n" 4)")" "$(ms "$(get baltic "$n" 5)")" \
	    "$(get baltic "$n" 6)" "$(get haproxy "$n" 3)" \
	    "$(ms "$(get haproxy "$n" 4)")" "$(ms "$(get haproxy "$n" 5)")" \
	    "$(ratio "$(get baltic "$n" 3)" "$(get haproxy "$n" 3)")" \
	    "$(ratio "$(get baltic "$n" 5)" "$(get haproxy "$n" 5)")"
done
echo
echo "Per request, the whole machine (wrk included, /proc/stat): context" \
    "switches and busy CPU time"
echo
echo "| N | baltic cs | CPU us | HAProxy cs | CPU us | cs ratio | CPU ratio |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in $SCALE; do
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" \
	    "$(get baltic "$n" 7)" "$(get baltic "$n" 8)" \
	    "$(get haproxy "$n" 7)" "$(get haproxy "$n" 8)" \
	    "$(ratio "$(get baltic "$n" 7)" "$(get haproxy "$n" 7)")" \
	    "$(ratio "$(get baltic "$n" 8)" "$(get haproxy "$n" 8)")"
done
if [ -n "$RELAY" ]; then
	echo
	echo "The second yardstick: HAProxy over N relays, each in front of" \
	    "its own echo server (2N processes, three wakes per request)"
	echo
	echo "| N | relayed req/s | p50 ms | p99 ms | errors | cs | CPU us | req/s vs relayed | p99 vs relayed |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in $RELAY; do
		printf '| %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n' \
		    "$n" "$(get relayed "$n" 3)" \
		    "$(ms "$(get relayed "$n" 4)")" \
		    "$(ms "$(get relayed "$n" 5)")" "$(get relayed "$n" 6)" \
		    "$(get relayed "$n" 7)" "$(get relayed "$n" 8)" \
		    "$(ratio "$(get baltic "$n" 3)" "$(get relayed "$n" 3)")" \
		    "$(ratio "$(get baltic "$n" 5)" "$(get relayed "$n" 5)")"
	done
fi
first=${SCALE%% *} last=${SCALE##* }
echo
echo "N=$last against N=$first: p50 $(ratio "$(get baltic "$last" 4)" \
    "$(get baltic "$first" 4)")x (goal <= 1.2), p99 $(ratio \
    "$(get baltic "$last" 5)" "$(get baltic "$first" 5)")x (goal <= 2)," \
    "req/s $(ratio "$(get baltic "$last" 3)" "$(get baltic "$first" 3)")x" \
    "(goal >= 0.8); HAProxy the same: p50 $(ratio \
    "$(get haproxy "$last" 4)" "$(get haproxy "$first" 4)")x, p99 $(ratio \
    "$(get haproxy "$last" 5)" "$(get haproxy "$first" 5)")x, req/s $(ratio \
    "$(get haproxy "$last" 3)" "$(get haproxy "$first" 3)")x"
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
