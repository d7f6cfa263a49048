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
