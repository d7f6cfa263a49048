#!/bin/bash
# balticd as a systemd service, without systemd as PID 1: the unit
# verifies (systemd-analyze verify), and balticd run under a stand-in
# for systemd's notify socket (sd-notify.py) says READY=1 once its
# control socket is up, keeps its export's listening socket and its
# client connections in the fd store (FDSTORE=1, no keeper process),
# gets them back when it is killed and started again (a client that
# connects meanwhile is answered), and empties the store when the last
# farm goes.  Skipped (77) if balticd was built without libsystemd.
. "$(dirname "$0")/lib.sh"

unit=$top_builddir/systemd/balticd.service
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$T/unit"
	sed "s|^ExecStart=[^ ]*|ExecStart=$BALTICD|" "$unit" > "$T/unit/balticd.service"
	out=$(systemd-analyze verify --man=no "$T/unit/balticd.service" 2>&1); rc=$?
	expect_eq "systemd-analyze verify balticd.service: no complaint" "0 " "$rc $out"
else
	echo "# systemd-analyze not installed: the unit is not verified"
fi
grep -q 'KillMode=process' "$unit" && ok "stopping the unit leaves the partitions" ||
	not_ok "KillMode=process in the unit"
if ! ldd "$BALTICD" | grep -q libsystemd; then
	echo "# balticd built without libsystemd: skipped"
	finish
	exit 77
fi

LOG=$T/notify.log
SDPID=
sd_stop() {
	[ -s "$T/balticd.pid" ] && kill "$(cat "$T/balticd.pid")" 2>/dev/null
	[ -n "$SDPID" ] && wait "$SDPID" 2>/dev/null
	SDPID=
}
trap 'sd_stop; cleanup' EXIT
# wait_log PATTERN [COUNT]: until LOG has COUNT lines matching (5 s).
wait_log() {
	for _ in $(seq 100); do
		[ -f "$LOG" ] && [ "$(grep -c -- "$1" "$LOG")" -ge "${2:-1}" ] && return 0
		sleep 0.05
	done
	return 1
}
mkdir -p "$BALTIC_RUN_DIR"
python3 "$here/sd-notify.py" "$T/notify.sock" "$LOG" "$T/balticd.pid" -- \
    "$BALTICD" -d -v -t 5000 >>"$T/balticd.log" 2>&1 &
SDPID=$!
check "READY=1 once the control socket is up" wait_log '^READY=1'
check "... and the socket is there" test -S "$BALTIC_RUN_DIR/balticd.sock"

cp -r "$here/farms" "$here/roles" "$T/"
sed -i 's/127.0.0.1:18312/127.0.0.1:18362/' "$T/farms/combinators.farm"
check "create" "$BALTIC" create -q -f rf "$T/farms/combinators.farm"
expect_match "the export's listening socket is in the fd store" \
    '^FDSTORE=1 \| FDNAME=d listen rf 127.0.0.1%3A18362 fds=1$' "$(cat "$LOG")"
expect_eq "no keeper process" "" \
    "$(pgrep -f "baltic-keeper -K $BALTIC_RUN_DIR/")"
expect_eq "a call" "200" "$(post 18362 /rf/IEcho/Echo hi | tail -n 1)"
check "its connection went through the store" grep -q 'FDNAME=d conn rf 0 ' "$LOG"

# Killed: the stand-in starts it again with the store, as Restart= does;
# a client that connects while it is down waits in the backlog.
kill -9 "$(cat "$T/balticd.pid")"
out=$(post 18362 /rf/IEcho/Echo "while down")
check "started again with the store" wait_log '^READY=1' 2
expect_eq "a call made while balticd was down is answered" \
    "while down"$'\n'"200" "$out"
check "balticd took the descriptors back from systemd" \
    grep -q 'fd store: [1-9][0-9]* descriptors back from systemd' "$T/balticd.log"
expect_eq "the farm serves on" "hello" "$("$BALTIC" call rf IEcho.Echo hello)"

check "destroy" "$BALTIC" destroy rf
expect_eq "the store is empty once the last farm is gone" "store 0" \
    "$(grep '^store' "$LOG" | tail -n 1)"
pid=$(cat "$T/balticd.pid")
kill "$pid"
check "STOPPING=1 on SIGTERM" wait_log '^STOPPING=1'
wait "$SDPID"; rc=$?
SDPID=
expect_eq "balticd exits 0" 0 $rc
finish
