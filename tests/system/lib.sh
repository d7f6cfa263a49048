# lib.sh: sourced by the system tests.  Each test gets a private state
# and run directory, its own balticd, and a trap that tears everything
# down; it reports "ok - ..." / "not ok - ..." lines and ends with
# "N passed, N failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
BALTIC="$top_builddir/toolstack/baltic"
BALTICD="$top_builddir/toolstack/balticd"
BANK="$top_builddir/examples/bank/baltic-bank"
export BALTIC_AGENT="$top_builddir/guest-agent/baltic-agent"

# In an ASan/UBSan build everything is several times slower: deadlines
# stretch; timing bounds say so where they apply.
BALTIC_ASAN=
if ldd "$BALTICD" 2>/dev/null | grep -q libasan; then
	BALTIC_ASAN=1
	: "${BALTIC_TIMEOUT_MS:=30000}"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/baltic-test.XXXXXX")
export BALTIC_STATE_DIR="$T/state" BALTIC_RUN_DIR="$T/run"
export BALTIC_TEST_DIR="$T"
# Never the test runner's own service manager: the keeper, unless a test
# sets up a notify socket of its own (systemd.sh).
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_FDNAMES LISTEN_PID
PASS=0
FAIL=0
DPID=
BANKPID=

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1: expected '$2', got '$3'"
	fi
}

# expect_match DESCRIPTION PATTERN ACTUAL (grep -E)
expect_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1: '$3' does not match /$2/"
	fi
}

# BALTIC_VALGRIND=1: balticd runs under valgrind memcheck, and stopping
# it checks that valgrind saw no error and no leak.
VG=
if [ -n "${BALTIC_VALGRIND:-}" ]; then
	VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
	    --errors-for-leak-kinds=definite,indirect --log-file=$T/vg.%p.log"
fi

# agent_bin: $T/bin, for a test's wrapper of the agent, with copies of
# baltic-agent and baltic-call to call.  A jailed partition sees the
# agent's directory (balticd(8), BACKENDS), not the build tree nor $T.
agent_bin() {
	mkdir -p "$T/bin"
	cp "$top_builddir/guest-agent/baltic-agent" \
	    "$top_builddir/guest-agent/baltic-call" "$T/bin/"
}

start_daemon() {
	# A killed balticd leaves its socket behind: wait for the new one.
	rm -f "$BALTIC_RUN_DIR/balticd.sock"
	$VG "$BALTICD" -d -t "${BALTIC_TIMEOUT_MS:-5000}" "$@" \
	    >>"$T/balticd.log" 2>&1 &
	DPID=$!
	i=0
	while [ ! -S "$BALTIC_RUN_DIR/balticd.sock" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S "$BALTIC_RUN_DIR/balticd.sock" ]
}

stop_daemon() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	if [ -n "$VG" ] && [ -n "$DPID" ]; then
		if [ -s "$T/vg.$DPID.log" ]; then
			not_ok "valgrind: balticd had errors or leaks"
			cat "$T/vg.$DPID.log"
		else
			ok "valgrind: balticd ran with no error and no leak"
		fi
	fi
	DPID=
}

start_bank() {
	"$BANK" -l "$1" "${@:2}" >>"$T/bank.log" 2>&1 &
	BANKPID=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://$1/stats" && return 0
		sleep 0.05
	done
	return 1
}

# A copy of an example farm whose images point at the source tree and
# whose export listens on PORT: farm_copy SRC PORT > DEST
farm_copy() {
	dir=$(cd "$(dirname "$1")" && pwd)
	sed -e "s|image \"\\([^/\"][^\"]*\\)\"|image \"$dir/\\1\"|" \
	    -e "s|127.0.0.1:8080|127.0.0.1:$2|" "$1"
}

# post PORT PATH BODY: prints the body, then the HTTP status on a line.
post() {
	curl -s --max-time 60 -w '\n%{http_code}' -X POST --data-binary "$3" \
	    "http://127.0.0.1:$1$2"
}

# served FARM INSTANCE: calls served by one partition.
served() {
	"$BALTIC" list --json "$1" | jq -r --arg i "$2" \
	    '.[0].partitions[] | select(.name == $i) | .served'
}

# What a farm may leave behind: processes (agents, the descriptor
# keeper), sockets, state files.
leftovers() {
	pgrep -f "baltic-agent -c $BALTIC_RUN_DIR" | sort
	pgrep -f "baltic-keeper -K $BALTIC_RUN_DIR/" | sed 's/^/keeper /'
	find "$BALTIC_RUN_DIR" "$BALTIC_STATE_DIR" -mindepth 1 \
	    ! -name balticd.sock ! -name balticd.lock \
	    ! -path "$BALTIC_STATE_DIR/farms" \
	    2>/dev/null | sort
}

# Destroy every farm and stop balticd (idempotent).
teardown() {
	if [ -S "$BALTIC_RUN_DIR/balticd.sock" ] && [ -n "$DPID" ]; then
		for f in $("$BALTIC" list --json 2>/dev/null |
		    jq -r '.[].name' 2>/dev/null); do
			"$BALTIC" destroy "$f" >/dev/null 2>&1
		done
	fi
	stop_daemon
	[ -n "$BANKPID" ] && kill "$BANKPID" 2>/dev/null
	BANKPID=
	pkill -KILL -f "baltic-agent -c $BALTIC_RUN_DIR" 2>/dev/null
	# The keeper quits with the last farm; after a kill of balticd it
	# is still there, holding the exports' sockets.
	pkill -KILL -f "baltic-keeper -K $BALTIC_RUN_DIR/" 2>/dev/null
}

cleanup() {
	teardown
	if [ "$FAIL" -gt 0 ] && [ -f "$T/balticd.log" ]; then
		echo "--- balticd log (last 30 lines)"
		tail -n "${BALTIC_TEST_LOG_LINES:-30}" "$T/balticd.log"
	fi
	[ -n "${BALTIC_TEST_KEEP:-}" ] && echo "# kept $T" || rm -rf "$T"
}
trap cleanup EXIT

finish() {
	teardown
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# ---- load: N clients calling an export in a loop ----------------------
# load_start N PORT PATH BODY: each call is logged as "start_ms end_ms
# class http_code" with
# class ok (200), err (another HTTP status: an answer, but an error),
# refused (no connection: never accepted), reset (the connection was cut:
# the client knows the call failed) or lost (no answer at all).
LOAD_PIDS=
load_client() {
	while [ ! -f "$T/load.stop" ]; do
		begin=$(date +%s%3N)
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 \
		    -X POST --data-binary "$4" "http://127.0.0.1:$2$3")
		rc=$?
		now=$(date +%s%3N)
		if [ "$code" = 200 ]; then c=ok
		elif [ "$rc" -eq 7 ]; then c=refused; sleep 0.02
		elif [ "$code" != 000 ]; then c=err
		elif [ "$rc" -eq 52 ] || [ "$rc" -eq 56 ]; then c=reset
		else c=lost
		fi
		echo "$begin $now $c $code" >> "$T/load.$1"
	done
}
load_start() {
	rm -f "$T"/load.*
	for i in $(seq "$1"); do
		load_client "$i" "$2" "$3" "$4" &
		LOAD_PIDS="$LOAD_PIDS $!"
	done
}
# load_stop: prints "made ok err refused reset lost" over all clients.
load_stop() {
	touch "$T/load.stop"
	wait $LOAD_PIDS
	LOAD_PIDS=
	# Every call that did not get a 200, to the test's log.
	load_log | awk '$3 != "ok" { print "# call " $1 "-" $2 " ms: " $3 \
	    " " $4 }' | head -n 20 >&2
	cat "$T"/load.[0-9]* | awk '{ n[$3]++; t++ } END {
	    printf "%d %d %d %d %d %d\n", t, n["ok"], n["err"], n["refused"],
	    n["reset"], n["lost"] }'
}
# load_log: all calls "start end class", sorted by start.
load_log() { cat "$T"/load.[0-9]* | sort -n; }
