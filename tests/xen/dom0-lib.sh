# /test/lib.sh: helpers for the tests in /test/dom0.d, sourced.
# Guests use /boot/vmlinux and a role initrd /test/roles/NAME.cpio (built
# by images/mkrole from tests/xen/roles/NAME).

# result NAME pass|fail|skip [DETAIL...]: the marker tests/xen/boot reads.
result() { echo "BALTIC-XEN: RESULT $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
since() { awk "BEGIN{printf \"%.2f\", $(uptime_s) - $1}"; }

# guest_cfg NAME ROLE [xl cfg lines...]: write /tmp/NAME.cfg for a PV guest.
guest_cfg() {
	_n=$1 _r=$2; shift 2
	{
		echo "name=\"$_n\""
		echo 'type="pv"'
		echo 'kernel="/boot/vmlinux"'
		echo "ramdisk=\"/test/roles/$_r.cpio\""
		echo 'extra="console=hvc0 rdinit=/init quiet"'
		echo 'memory=128'
		echo 'vcpus=1'
		echo 'on_crash="destroy"'
		for _l in "$@"; do echo "$_l"; done
	} > "/tmp/$_n.cfg"
}

# wait_console NAME PATTERN [SECONDS]: wait for an ERE in the guest console
# log that xenconsoled --log=guest writes.
wait_console() {
	_log=/var/log/xen/console/guest-$1.log
	_t0=$(uptime_s)
	while [ "$(awk "BEGIN{print ($(uptime_s) - $_t0 < ${3:-60})}")" = 1 ]; do
		grep -Eq "$2" "$_log" 2>/dev/null && return 0
		usleep 100000
	done
	echo "wait_console: no /$2/ in $_log after ${3:-60}s; log tail:"
	tail -n 20 "$_log" 2>/dev/null | sed 's/^/  | /'
	return 1
}

# xen_state: what must be the same before and after a test (domains,
# xl processes, xenstore domain nodes, libxl state); print it for a diff.
xen_state() {
	xl list | awk 'NR > 1 { print "domain", $1, $2 }'
	# xl leaves a daemonised child per domain until it is gone.
	echo "xl processes: $(pidof xl | wc -w)"
	for _p in /local/domain /libxl /vm; do
		xenstore-list "$_p" 2>/dev/null | sed "s|^|xenstore $_p/|"
	done
}

# leak_check NAME BEFORE_FILE: fail NAME-leak when the state differs.
leak_check() {
	# A destroyed domain may linger a moment as dying: allow 5 s.
	_i=0
	while xen_state > /tmp/state.after && ! diff "$2" /tmp/state.after > /tmp/state.diff &&
	      [ $_i -lt 50 ]; do
		usleep 100000; _i=$((_i + 1))
	done
	if diff "$2" /tmp/state.after > /tmp/state.diff; then
		result "$1-leak" pass
	else
		sed 's/^/  leak: /' /tmp/state.diff
		result "$1-leak" fail "state differs after teardown"
	fi
}

# ---- balticd -b xen, shared by the farm tests (50-..99-) --------------
# One daemon for all of them (farms are created once and reused: guests
# take seconds to boot under TCG); state and run dirs in tmpfs.  Farm
# copies with absolute image paths and their own ports live in $BT/farms.
BT=/run/baltic-test
export BALTIC_STATE_DIR=$BT/state BALTIC_RUN_DIR=$BT/run
OPT=/opt/baltic
# An --enable-debug balticd (BALTIC_XEN_DOM0_BUILD): whole stacks in its
# reports (libxl has no frame pointers: the fast unwinder stops in it).
export ASAN_OPTIONS=${ASAN_OPTIONS:-fast_unwind_on_malloc=0:malloc_context_size=40}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=/test/lsan.supp:print_suppressions=0}
BALTIC_CALL_TIMEOUT_MS=${BALTIC_CALL_TIMEOUT_MS:-30000}

ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# balticd_start: start balticd -b xen (or make sure it runs), with
# $BALTICD_ARGS (a cluster's flags: 80-cluster.sh).  On failure prints
# why; 1.
balticd_start() {
	mkdir -p "$BT/farms" "$BALTIC_STATE_DIR" "$BALTIC_RUN_DIR"
	if [ -S "$BALTIC_RUN_DIR/balticd.sock" ] && [ -s "$BT/balticd.pid" ] &&
	   kill -0 "$(cat "$BT/balticd.pid")" 2> /dev/null; then
		return 0
	fi
	if [ -s "$BT/balticd.pid" ] && [ ! -e "$BT/balticd.killed" ]; then
		# It was running and nobody stopped it: say so once, with why.
		echo "balticd (pid $(cat "$BT/balticd.pid")) is gone; its log and dom0's dmesg:"
		tail -n 12 "$BT/balticd.log" | sed 's/^/  balticd: /'
		dmesg | grep -E 'balticd.*(segfault|general protection)' | tail -n 2
		result balticd-alive fail "balticd died (see above); restarted by $(basename "$0")"
	fi
	rm -f "$BT/balticd.killed"
	echo "=== balticd -b xen -d started at $(uptime_s)" >> "$BT/balticd.log"
	# shellcheck disable=SC2086
	setsid balticd -b xen -d -t "$BALTIC_CALL_TIMEOUT_MS" ${BALTICD_ARGS:-} \
		>> "$BT/balticd.log" 2>&1 < /dev/null &
	echo $! > "$BT/balticd.pid"
	_i=0
	while [ ! -S "$BALTIC_RUN_DIR/balticd.sock" ] && [ $_i -lt 200 ]; do
		kill -0 "$(cat "$BT/balticd.pid")" 2> /dev/null || break
		usleep 100000; _i=$((_i + 1))
	done
	[ -S "$BALTIC_RUN_DIR/balticd.sock" ] && return 0
	echo "balticd -b xen did not come up; its log:"
	tail -n 15 "$BT/balticd.log" | sed 's/^/  balticd: /'
	return 1
}

# need_balticd NAME: skip (not built) or fail (does not start) the test
# NAME and exit, unless balticd -b xen runs.
need_balticd() {
	if ! command -v balticd > /dev/null || [ ! -d "$OPT/eop" ]; then
		result "$1" skip "balticd -b xen not available (balticd or the staged farms not built)"
		exit 0
	fi
	if ! balticd_start; then
		result "$1" fail "balticd -b xen not available: $(grep -v '^===' "$BT/balticd.log" | tail -n 1)"
		exit 0
	fi
}

# xfarm SRC PORT > DEST: a farm file for this dom0: image paths absolute,
# exports on PORT (or ADDR:PORT) instead of 127.0.0.1:8080 (other ports
# are kept; off loopback the export says insecure: plain HTTP for the
# host's forwarded port), the bank on 127.0.0.1:9090 as in the examples,
# every role at 128 MiB (or XFARM_MEM): a PV guest of 64 MiB cannot hold the 66 MB ELF
# vmlinux ("xc_dom_chk_alloc_pages: segment kernel too large").
xfarm() {
	_dir=$(cd "$(dirname "$1")" && pwd)
	case $2 in *:*) _a=$2 ;; *) _a=127.0.0.1:$2 ;; esac
	# Plain HTTP off loopback (the host's forwarded port) is said so.
	case $_a in 127.*) _sec= ;; *) _sec=' insecure' ;; esac
	sed -e "s|image \"\\([^/\"][^\"]*\\)\"|image \"$_dir/\\1\"|" \
	    -e "s|\"127\\.0\\.0\\.1:8080\"|\"$_a\"$_sec|" \
	    -e "s|memory [0-9]*|memory ${XFARM_MEM:-128}|" \
	    -e "/^role [A-Za-z]* {.*}/{/memory/!s|{ *image|{ memory ${XFARM_MEM:-128}; image|}" \
	    "$1"
}

# xen_farm: stage tests/xen/farms/xen.farm for this dom0 (once); its
# path in $BT/farms.
xen_farm() {
	[ -e "$BT/farms/xen.farm" ] || xfarm "$OPT/xen/xen.farm" 0 > "$BT/farms/xen.farm"
}

# xl_create_all DIR: `xl create` of every DIR/*.cfg, one after the other.
# One that dies of an emulation fault (it or its child killed by a
# signal, or ld.so or malloc finding its own state corrupt: not xl's
# verdict) is destroyed and run again, twice at most; $xl_again counts
# those.  1 if one failed anyway (its last output shown).
xl_create_all() {
	xl_again=0
	for _c in "$1"/*.cfg; do
		for _try in 1 2 3; do
			xl create -q "$_c" > /tmp/xl.out 2>&1 && break
			_rc=$?
			tail -n 3 /tmp/xl.out
			{ [ $_rc -gt 128 ] || grep -Eq 'Inconsistency detected by ld.so|malloc\(\)|corrupted|died due to fatal signal' /tmp/xl.out; } &&
				[ $_try -lt 3 ] || { echo "xl create $_c: exit $_rc"; return 1; }
			xl destroy "$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$_c")" > /dev/null 2>&1
			xl_again=$((xl_again + 1))
		done
	done
}

# client_fault TEXT: a dom0 client (curl) lost to an emulation fault, for
# faults_list (time-stamped: each line is a new fault).
client_fault() { echo "$(ms) ms: $*" >> /tmp/client.faults; }

# cli_split_fault FILE: the baltic command whose output is FILE read two
# of balticd's lines as one: its "bad answer" shows whole lines, each
# ended by a newline (\x0a), that the C library's getline did not split.
# balticd sent them right; the line search in dom0 went wrong (once in 4
# boots of 51-eop-remote, with no fault line anywhere: see README.md).
# Counted with the faults.
cli_split_fault() {
	grep -q 'bad answer from balticd (parse error: trailing garbage; [0-9]* bytes): {.*}\\x0a{.*}\\x0a$' "$1" &&
		client_fault "baltic: getline joined two lines: $(grep -m1 'bad answer' "$1" | head -c 200)"
}

# post PORT PATH BODY: the answer, then the HTTP status on its own line.
# A curl that could not even start (exit 127: under TCG, the dynamic
# linker of a fresh process has read garbage, "symbol lookup error") sent
# nothing: it is run again, and counted with the faults.
post() {
	if command -v curl > /dev/null; then
		_e=$(mktemp)
		for _try in 1 2 3; do
			curl -s -w '\n%{http_code}' --max-time 60 -X POST --data-binary "$3" \
				"http://127.0.0.1:$1$2" 2> "$_e"
			_rc=$?
			[ $_rc = 127 ] || break
			client_fault "post: curl did not start: $(head -c 200 "$_e")"
		done
		[ $_rc -lt 128 ] || client_fault "post: curl died of signal $((_rc - 128))"
		cat "$_e" >&2
		rm -f "$_e"
		return $_rc
	else
		wget -q -O - --post-data "$3" "http://127.0.0.1:$1$2" && printf '\n200'
	fi
}

# list_json [FARM]; field FARM INSTANCE KEY: one partition's value.
list_json() { baltic list --json "$@"; }
field() {	# retried: a list may fail while balticd is busy
	for _try in 1 2 3 4 5; do
		_v=$(list_json "$1" 2> /dev/null | jq -r --arg i "$2" --arg k "$3" \
			'.[0].partitions[] | select(.name == $i) | .[$k]')
		[ -n "$_v" ] && break
		sleep 1
	done
	echo "$_v"
}
served() { field "$1" "$2" served; }
# parts FARM [ROLE]: the instance names, or those of one role.
parts() {
	list_json "$1" | jq -r --arg r "${2:-}" \
		'.[0].partitions[] | select($r == "" or .role == $r) | .name'
}

# wait_ready FARM [SECONDS]: every partition of FARM ready.
wait_ready() {
	_t0=$(uptime_s)
	while [ "$(awk "BEGIN{print ($(uptime_s) - $_t0 < ${2:-120})}")" = 1 ]; do
		_n=$(list_json "$1" 2> /dev/null | jq -r '[.[0].partitions[] | select(.state != "ready")] | length')
		[ "$_n" = 0 ] && return 0
		sleep 1
	done
	echo "wait_ready $1: not ready after ${2:-120} s:"
	baltic list -l "$1" 2>&1 | sed 's/^/  /'
	return 1
}

# create_farm NAME FILE [-f FARM]: baltic create, then wait until ready;
# prints the time it took.  1 on failure (with the daemon's log tail).
create_farm() {
	_name=$1 _file=$2; shift 2
	_c0=$(uptime_s)
	if ! baltic create "$@" "$_file" > "$BT/create.$_name.out" 2>&1; then
		sed 's/^/  create: /' "$BT/create.$_name.out"
		cli_split_fault "$BT/create.$_name.out"
		echo "  after $(since "$_c0") s; xl list:"
		xl list | sed 's/^/  /'
		xl info | grep -E "^(total|free)_memory" | sed 's/^/  /'
		tail -n 20 "$BT/balticd.log" | sed 's/^/  balticd: /'
		for _f in /var/log/xen/console/guest-"$_name"-*.log; do
			[ -e "$_f" ] || continue
			echo "  --- ${_f##*/} (notable lines, then the last)"
			grep -Eai 'initramfs|initrd|ramdisk|panic|VFS|out of memory|BALTIC|agent|segfault' "$_f" |
				head -n 12 | sed 's/^/  ! /'
			tail -n 6 "$_f" | sed 's/^/  | /'
		done
		return 1
	fi
	wait_ready "$_name" 180 || { tail -n 20 "$BT/balticd.log" | sed 's/^/  balticd: /'; return 1; }
	echo "created $_name in $(since "$_c0") s"
}

# eop_farm CFG ADDR PORT: create examples/eop/CFG.farm with its export
# on ADDR (PORT or IP:PORT) and wait until it is ready; the farm's name
# is in $eop_name, its port in $BT/farms.ports.
eop_farm() {
	xfarm "$OPT/eop/$1.farm" "$2" > "$BT/farms/$1.farm"
	eop_name=$(sed -n 's/^farm \([A-Za-z0-9_]*\).*/\1/p' "$BT/farms/$1.farm")
	echo "$eop_name $3" >> "$BT/farms.ports"
	create_farm "$eop_name" "$BT/farms/$1.farm"
}

# eop_check CFG PORT [ADDR]: examples/eop/CFG.farm on real PV guests
# with balticd -b xen, its export on ADDR (default PORT): SubmitOrder
# answered through the HTTP export (curl in dom0, port PORT) and through
# baltic call; then the farm is destroyed (128 MiB a guest), except
# eop_or, which the tests after this one use.
eop_check() {
	_cfg=$1 _port=$2
	eop_farm "$_cfg" "${3:-$2}" "$_port"; _ok=$?
	_name=$eop_name
	if [ $_ok != 0 ]; then
		result "eop-$_cfg" fail "baltic create $_name"
		for _i in $(parts "$_name" 2> /dev/null); do guest_log "$_name" "$_i"; done
		baltic destroy "$_name" > /dev/null 2>&1
		return 1
	fi
	_t0=$(uptime_s)
	_out=$(post "$_port" "/$_name/ISubmitOrder/SubmitOrder" "order-$_cfg")
	echo "  export: $_out" | tr '\n' ' '; echo
	case $_out in
	"order order-$_cfg: authorized:order-$_cfg, processed:order-$_cfg by $_name-"*"
200")
		result "eop-$_cfg-export" pass "answered in $(since "$_t0") s by PV guests over vchan" ;;
	*)
		result "eop-$_cfg-export" fail "$(echo "$_out" | tr '\n' ' ' | head -c 120)"
		for _i in $(parts "$_name"); do guest_log "$_name" "$_i"; done
		tail -n 20 "$BT/balticd.log" | sed 's/^/  balticd: /' ;;
	esac
	_out=$(baltic call "$_name" ISubmitOrder.SubmitOrder "cli-$_cfg" 2>&1)
	case $_out in
	"order cli-$_cfg: authorized:cli-$_cfg"*) result "eop-$_cfg-call" pass ;;
	*) result "eop-$_cfg-call" fail "$(echo "$_out" | head -c 120)" ;;
	esac
	[ "$_name" = eop_or ] && return 0
	_t0=$(uptime_s)
	baltic destroy "$_name" && result "eop-$_cfg-destroy" pass "$(since "$_t0") s" ||
		result "eop-$_cfg-destroy" fail
}

# need_farm TEST FARM: FARM runs (a test before this one made it, or,
# when a reboot came in between, this makes it: eop_or on 18503, rf on
# 18312); its port in $port.  Else TEST fails and the script exits.
need_farm() {
	if ! list_json "$2" > /dev/null 2>&1; then
		case $2 in
		eop_or) eop_farm or 18503 18503 ;;
		rf)	xfarm "$OPT/system/farms/combinators.farm" 0 > "$BT/farms/combinators.farm" &&
			create_farm rf "$BT/farms/combinators.farm" -f rf &&
			echo "rf 18312" >> "$BT/farms.ports" ;;
		*)	false ;;
		esac || { result "$1" fail "baltic create $2"; exit 0; }
	fi
	port=$(awk -v f="$2" '$1 == f { p = $2 } END { print p }' "$BT/farms.ports")
}

# guest_log FARM INSTANCE: the tail of the instance's console (by domid).
guest_log() {
	_d=$(field "$1" "$2" domid 2> /dev/null)
	for _f in /var/log/xen/console/guest-"$2".log; do
		[ -e "$_f" ] && grep -Eav '^\[' "$_f" | tail -n 15 | sed "s/^/  $2 console: /"
		[ -e "$_f" ] && grep -Eai 'segfault|general protection|BUG|panic|Out of memory' "$_f" |
			tail -n 6 | sed "s/^/  $2 console! /"
	done
	[ -n "$_d" ] && echo "  ($2 is domain $_d)"
}

# ---- load: N clients calling an export in a loop (busybox sh) ---------
# Each call is logged "start_ms end_ms class": ok (200), err (another
# status: answered with an error), refused (no connection: never
# accepted), reset (the connection was cut: the client knows it failed),
# lost (no answer at all: timed out), crash (curl died of a signal in
# dom0), hcrash (answered with an error saying the role's handler died of
# a signal in its guest: the emulator's fault, see load_all_answered).
# A call waits LOAD_MAX_TIME seconds at most (60).
load_client() {
	while [ ! -e "$BT/load.stop" ]; do
		_b=$(ms)
		_c=$(curl -s -o "$BT/body.$1" -w '%{http_code}' --max-time "${LOAD_MAX_TIME:-60}" -X POST \
			--data-binary "$4" "http://127.0.0.1:$2$3")
		_rc=$?
		[ "$_c" = 200 ] || echo "$_b $(ms) client $1: curl $_rc, HTTP $_c: $(head -c 200 "$BT/body.$1" 2> /dev/null)" >> "$BT/errs.$1"
		if [ "$_c" = 200 ]; then _k=ok
		elif [ $_rc -ge 127 ]; then
			# curl itself died of a signal, or could not start
			# (127: "symbol lookup error"), of an emulation fault in
			# dom0 (the answer may well have come): the client's
			# fault, counted apart and listed with the faults.
			_k=crash
			client_fault "client $1: curl exit $_rc"
		elif [ $_rc -eq 7 ]; then _k=refused; usleep 100000
		elif [ "$_c" = 000 ] && { [ $_rc -eq 52 ] || [ $_rc -eq 56 ]; }; then _k=reset
		elif [ "$_c" != 000 ] && grep -qE "$HANDLER_CRASH" "$BT/body.$1"; then
			_k=hcrash
		elif [ "$_c" != 000 ]; then _k=err
		else _k=lost
		fi
		echo "$_b $(ms) $_k" >> "$BT/load.$1"
	done
}
# What the agent (guest-agent/exec.c) or the handler's shell says when a
# handler dies: of a signal (which leaves a line on the guest's console),
# or of glibc's own abort on a corrupt heap (which does not).
HANDLER_SIGNAL='killed by signal [0-9]+|Segmentation fault|Illegal instruction|Bus error'
HANDLER_CRASH="$HANDLER_SIGNAL|malloc\\(\\)|free\\(\\)|corrupted|Aborted"
LOAD_PIDS=
load_start() {	# N PORT PATH BODY
	rm -f "$BT"/load.* "$BT"/errs.* "$BT"/body.*
	faults_list > "$BT/load.faults0" 2> /dev/null
	_i=0
	while [ $_i -lt "$1" ]; do
		_i=$((_i + 1))
		load_client $_i "$2" "$3" "$4" &
		LOAD_PIDS="$LOAD_PIDS $!"
	done
}
# load_stop: waits for the clients; prints "made ok err refused reset lost
# crash hcrash".
load_stop() {
	touch "$BT/load.stop"
	wait $LOAD_PIDS
	LOAD_PIDS=
	cat "$BT"/errs.* 2> /dev/null | sort -n | head -n 8 | sed 's/^/  not answered: /' >&2
	cat "$BT"/load.[0-9]* 2> /dev/null | awk '{ n[$3]++; t++ } END {
	    printf "%d %d %d %d %d %d %d %d\n", t, n["ok"], n["err"], n["refused"],
	    n["reset"], n["lost"], n["crash"], n["hcrash"] }'
}
# load_all_answered MADE OK ERR REFUSED RESET LOST CRASH HCRASH (load_stop's
# line): every call was answered with a result, but for those whose curl
# died in dom0 (CRASH) and those answered with the death of the role's
# handler in its guest (HCRASH).  Both are emulation faults (see
# below), not baltic's: balticd gave each call its one
# answer, naming where it failed.  They are excused only when the guests'
# consoles show a process fault since load_start for each handler killed
# by a signal (glibc's heap-corruption aborts leave no such line), so a
# handler that fails for any other reason still fails the test.  Sets
# $load_note to what the verdict should say about them.
load_all_answered() {
	load_note=
	[ "$1" -gt 4 ] && [ "$1" = $(($2 + $7 + $8)) ] || return 1
	[ "$7" -gt 0 ] && load_note="$7 curl clients died of faults in dom0"
	[ "$8" -gt 0 ] || return 0
	_gf=$(faults_new "$BT/load.faults0" | grep -vc '^dom0:')
	_sig=$(cat "$BT"/errs.* 2> /dev/null | grep -Ec "$HANDLER_SIGNAL")
	load_note="${load_note:+$load_note; }$8 answered with their handler's death in the guest (in the whole load, $_sig deaths by a signal against $_gf fault lines on the guests' consoles)"
	[ "$_sig" -le "$_gf" ]
}

# ---- emulation faults (tests/xen/README.md) --------------------------
# faults_list: every "segfault at" / "general protection" line of dom0's
# kernel log, those and kernel crashes ("Kernel panic", "BUG:", "Oops")
# of the guests' consoles, and the guest crashes Xen saw, one per line,
# tagged with where.
faults_list() {
	dmesg | grep -E 'segfault at|general protection' | sed 's/^/dom0: /'
	for _f in /var/log/xen/console/guest-*.log; do
		[ -e "$_f" ] || continue
		_g=${_f##*/guest-}; _g=${_g%.log}
		tr -d '\r' < "$_f" |
			grep -aE 'segfault at|general protection|Kernel panic|BUG: |Oops' |
			sed "s/^/$_g: /"
	done
	xl dmesg 2> /dev/null | grep -E 'domain_crash|Unhandled' | sed 's/^/xen: /'
	[ ! -e /tmp/client.faults ] || sed 's/^/dom0: /' /tmp/client.faults
}
# faults_new FILE: the fault lines since FILE was written.  When the
# faults come as a storm, the pipeline may die of one too: it is tried
# three times and the longest answer counts.
faults_new() {
	: > /tmp/faults.best
	for _try in 1 2 3; do
		faults_list 2> /dev/null | new_lines "$1" > /tmp/faults.try
		[ "$(wc -l < /tmp/faults.try)" -gt "$(wc -l < /tmp/faults.best)" ] &&
			cp /tmp/faults.try /tmp/faults.best
	done
	cat /tmp/faults.best
}
# new_lines FILE: the lines of stdin that are not lines of FILE.
new_lines() {
	if [ -s "$1" ]; then grep -vxF -f "$1"; else cat; fi
}
