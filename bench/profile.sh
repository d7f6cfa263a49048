#!/bin/bash
# bench/profile.sh: where a call's time goes, process by process.
#
#   bench/profile.sh [BUILD_DIR]          (or: make bench-profile)
#
# Runs wrk against (a) `vm A` exported, (b) `or roundrobin(vm A, vm A)`
# and (c) HAProxy round-robin over two bench/echo-http servers, and
# counts with perf, per process class, the system calls, the context
# switches and the CPU time each request cost: balticd, the agents and
# the persistent handlers for (a) and (b), and balticd's keeper (which
# holds the clients' connections across a restart); HAProxy and the echo servers
# for (c).  Counts per request do not depend on the machine's load the
# way req/s does, so they say what a change saves even on a busy
# machine.  Knobs: PROFILE_SECONDS (5), PROFILE_CONNS (32),
# PROFILE_PORT_BASE (18300), BENCH_BODY.  Not part of make check.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-${top_builddir:-.}}" && pwd) || exit 1
SECS=${PROFILE_SECONDS:-5}
CONNS=${PROFILE_CONNS:-32}
BASE=${PROFILE_PORT_BASE:-18300}
export BENCH_BODY=${BENCH_BODY:-hello-baltic-bench}
die() { echo "bench/profile.sh: $*" >&2; exit 1; }
. "$here/lib.sh"
for t in wrk haproxy perf curl; do
	command -v $t >/dev/null || die "missing $t"
done
perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1 ||
    die "perf cannot count system calls here (tracepoints)"
missing=
for p in toolstack/balticd toolstack/baltic guest-agent/baltic-agent \
    tests/handlers/persist bench/echo-http; do
	[ -x "$build/$p" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	make -C "$build" $missing >/dev/null || die "cannot build$missing"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/baltic-profile.XXXXXX")
export BALTIC_STATE_DIR=$T/state BALTIC_RUN_DIR=$T/run
export BALTIC_AGENT=$build/guest-agent/baltic-agent
export BALTIC_BENCH_PERSIST=$build/tests/handlers/persist
BALTIC=$build/toolstack/baltic
PIDS=
cleanup() {
	local p
	for f in bdirect bor; do "$BALTIC" destroy "$f" >/dev/null 2>&1; done
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
[ "${PROFILE_KEEP:-0}" = 1 ] && trap "echo kept \$T" EXIT
trap 'exit 130' INT TERM

PA=$((BASE + 1)) PB=$((BASE + 2)) PH=$((BASE + 10))
PE1=$((BASE + 11)) PE2=$((BASE + 12))
cp -r "$here/farms" "$here/roles" "$T/"
for r in "$T"/roles/*/; do cp "$BALTIC_BENCH_PERSIST" "$r"; done
sed -i -e "s/127\.0\.0\.1:18101/127.0.0.1:$PA/" \
    -e "s/127\.0\.0\.1:18102/127.0.0.1:$PB/" "$T/farms/bench.farm"
start_balticd "$build/toolstack/balticd" "$T/balticd.log"
PIDS=$DPID
for f in bdirect bor; do
	"$BALTIC" create -q -f $f "$T/farms/bench.farm" ||
	    die "cannot create $f (log: $T/balticd.log)"
done
"$build/bench/echo-http" -l "127.0.0.1:$PE1" >/dev/null 2>&1 &
E1=$!
"$build/bench/echo-http" -l "127.0.0.1:$PE2" >/dev/null 2>&1 &
E2=$!
sed -e "s/@PH@/$PH/; s/@PE1@/$PE1/; s/@PE2@/$PE2/" \
    "$here/haproxy.cfg.in" >"$T/haproxy.cfg"
haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
HP=$!
PIDS="$PIDS $E1 $E2 $HP"

# The processes of farm $1: its agents, and their children (handlers).
agents() { pgrep -d, -f "baltic-agent .*$BALTIC_RUN_DIR/$1/"; }
children() {
	local a
	for a in ${1//,/ }; do pgrep -P "$a"; done | paste -sd,
}

# profile NAME URL CLASS=PIDS...: one wrk run, counted per class.
profile() {
	local name=$1 url=$2 c pids reqs
	shift 2
	wrk -t1 -c"$CONNS" -d1s -s "$here/post.lua" "$url" >/dev/null 2>&1
	pids=
	for c in "$@"; do
		perf stat -x, -e raw_syscalls:sys_enter,context-switches,task-clock \
		    -p "${c#*=}" -o "$T/perf.$name.${c%%=*}" 2>/dev/null &
		pids="$pids $!"
	done
	sleep 0.2
	wrk -t1 -c"$CONNS" -d"${SECS}s" -s "$here/post.lua" "$url" \
	    >"$T/wrk.$name" 2>&1
	kill -INT $pids 2>/dev/null
	wait $pids 2>/dev/null
	reqs=$(awk '/requests in/ { print $1 }' "$T/wrk.$name")
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || die "wrk failed on $url"
	for c in "$@"; do
		awk -F, -v n="$name" -v c="${c%%=*}" -v r="$reqs" '
		    $3 ~ /sys_enter/ { s = $1 } $3 ~ /context/ { x = $1 }
		    $3 ~ /task-clock/ { t = $1 }
		    END { printf "%s %s %.2f %.2f %.1f\n", n, c, s / r, x / r,
			t * 1000 / r }' "$T/perf.$name.${c%%=*}" >>"$T/rows"
	done
	sed -n "s/^BENCH .*rps=\([0-9.]*\).*/$name rps \1/p" "$T/wrk.$name" \
	    >>"$T/rows"
}

: >"$T/rows"
echo "bench/profile.sh: wrk -t1 -c$CONNS -d${SECS}s per configuration;" \
    "loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >&2
UA=http://127.0.0.1:$PA/bdirect/IEcho/Echo UB=http://127.0.0.1:$PB/bor/IEcho/Echo
UC=http://127.0.0.1:$PH/
for u in $UA $UB $UB $UC; do ready "$u"; done	# both of bor's branches
AA=$(agents bdirect) AB=$(agents bor)
KP=$(pgrep -f "baltic-keeper -K $BALTIC_RUN_DIR/") || die "no keeper"
profile a "$UA" balticd=$DPID keeper=$KP agent=$AA handler="$(children "$AA")"
profile b "$UB" balticd=$DPID keeper=$KP agent=$AB handler="$(children "$AB")"
profile c "$UC" haproxy=$HP echo-http=$E1,$E2

echo "| configuration | process | syscalls/req | context switches/req | CPU µs/req |"
echo "|---|---|---:|---:|---:|"
awk '$2 != "rps" { printf "| (%s) | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5
    cpu[$1] += $5 }
    $2 == "rps" { rps[$1] = $3 }
    END { for (k in cpu) printf "| (%s) | all (%.0f req/s) | | | %.1f |\n",
	k, rps[k], cpu[k] }' "$T/rows" | sort -s -t'|' -k2,2
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
