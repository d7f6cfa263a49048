# bench/lib.sh: what the benchmark scripts share.  Sourced; the script
# sets `die` and BALTIC_RUN_DIR first.

# start_balticd BALTICD LOG: start it (DPID: its pid) and wait for its
# control socket.
start_balticd() {
	"$1" -d -t 5000 >"$2" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		[ -S "$BALTIC_RUN_DIR/balticd.sock" ] && return 0
		sleep 0.05
	done
	die "balticd did not start (log: $2)"
}

# ready URL: it echoes BENCH_BODY back (and its handlers run).
ready() {
	local out
	for _ in $(seq 100); do
		out=$(curl -s --max-time 2 -X POST --data-binary "$BENCH_BODY" \
		    "$1")
		[ "$out" = "$BENCH_BODY" ] && return 0
		sleep 0.1
	done
	die "$1 does not echo (got '$out')"
}
