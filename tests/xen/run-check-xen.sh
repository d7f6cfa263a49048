#!/bin/sh
# run-check-xen.sh: what `make check-xen` runs.  Builds the images (see
# images/), boots Xen 4.17 + a PV dom0 under QEMU (TCG) and runs the tests
# of tests/xen/dom0.d inside dom0.  Prints one line per test and a final
# "N passed, N failed"; exits non-zero on any failure.
# With --build-only it stops after building the images.
#
# Environment:
#   BALTIC_XEN_OUT    build and log dir (default /var/cache/baltic/check-xen)
#   BALTIC_XEN_TESTS  only these dom0.d tests, colon-separated (10-smoke:vchan);
#                     default: all but those marked "# only when named"
#   BALTIC_XEN_EXTRA  more mkhost EXTRA specs (SRC or SRC=DEST), space-separated
#   BALTIC_XEN_TIMEOUT  QEMU timeout in seconds, per boot (default 1800)
#   BALTIC_XEN_RETRIES  boots again at most, when emulation faults stop
#                     tests (4)
#   BALTIC_XEN_BUDGET seconds for all boots together (3600)
#   BALTIC_XEN_DOM0_BUILD  another build tree for dom0's baltic and balticd
#                     (an --enable-debug one: ASan/UBSan on real Xen; the
#                     guests' agents stay top_builddir's, small)
#   BALTIC_XEN_DOM0ARGS  more words for dom0's kernel command line, read by
#                     the tests (baltic.seconds=240 baltic.pin=1 for
#                     98-guestexec)
#   BALTIC_XEN_HTTP_PORT  host port forwarded to dom0 for the http test,
#                     and the next one for the farm export test (default
#                     20000 + pid % 20000; 0 disables forwarding)
#   top_builddir      build tree holding the project's binaries (default:
#                     the current directory if it has config.status, else
#                     the source tree this script is in)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# make runs this from the build tree (which has config.status); by hand,
# the source tree doubles as the build tree unless top_builddir says.
if [ -z "${top_builddir:-}" ] && [ -e config.status ]; then top_builddir=$PWD; fi
builddir=$(cd "${top_builddir:-$top}" && pwd)
images=$top/images
OUT=${BALTIC_XEN_OUT:-/var/cache/baltic/check-xen}
mkdir -p "$OUT/bin"
# One run per OUT at a time (images and serial log live there).
if command -v flock > /dev/null 2>&1; then
	exec 8> "$OUT/.run.lock"
	flock -n 8 || { echo "check-xen: waiting for another run using $OUT"; flock 8; }
fi
t0=$(date +%s)
step() { echo "check-xen: $* ($(($(date +%s) - t0)) s)"; }

missing=
for t in qemu-system-x86_64 cpio xz file objdump dpkg-deb apt-get timeout; do
	command -v $t > /dev/null 2>&1 || missing="$missing $t"
done
[ -z "$missing" ] || { echo "check-xen: missing host tools:$missing (apt-get install qemu-system-x86 cpio xz-utils file binutils)"; exit 1; }

"$images/fetch-debs"
export BALTIC_NO_FETCH=1

# Test helper programs, built with the host's gcc against libxen-dev.
extra=
vchan_extra=
if [ -e /usr/include/libxenvchan.h ]; then
	if [ ! -x "$OUT/bin/vchan-test" ] || [ "$here/vchan-test.c" -nt "$OUT/bin/vchan-test" ]; then
		${CC:-gcc} -O2 -Wall -Wextra -Werror -o "$OUT/bin/vchan-test" \
			"$here/vchan-test.c" -lxenvchan -lxenstore
	fi
	vchan_extra="$OUT/bin/vchan-test=/usr/local/bin/vchan-test"
else
	echo "check-xen: no /usr/include/libxenvchan.h (apt-get install libxen-dev): vchan test skipped"
fi

# Role images for the tests: busybox only, unless the role directory has a
# file named AGENT (then the build tree's baltic-agent, when built; see
# images/mkrole).
roles=
for r in "$here"/roles/*/; do
	r=${r%/}; name=${r##*/}
	[ "$name" = vchan ] && [ -z "$vchan_extra" ] && continue
	agent=none
	[ -e "$r/AGENT" ] && agent=${BALTIC_AGENT:-}
	# shellcheck disable=SC2086
	BALTIC_AGENT=$agent top_builddir=$builddir "$images/mkrole" "$r" "$OUT/roles/$name" \
		$([ "$name" = vchan ] && echo "$vchan_extra")
	roles="$roles $OUT/roles/$name/initrd.cpio=/test/roles/$name.cpio"
	kernel=$OUT/roles/$name/vmlinux
done
extra="$extra $roles ${kernel:?no role images}=/boot/vmlinux $vchan_extra"
# simd-check: a check of the emulator (99-simd, only when named).
if [ ! -x "$OUT/bin/simd-check" ] || [ "$here/simd-check.c" -nt "$OUT/bin/simd-check" ]; then
	mkdir -p "$OUT/bin"
	${CC:-gcc} -O2 -Wall -Wextra -Werror -o "$OUT/bin/simd-check" "$here/simd-check.c"
fi
extra="$extra $OUT/bin/simd-check=/usr/local/bin/simd-check"
# The project's own binaries, when built, and the clients the farm tests
# use (curl and jq from the host, with their libraries; busybox wget is
# the fallback).
for b in toolstack/baltic toolstack/balticd guest-agent/baltic-agent \
	guest-agent/baltic-call examples/bank/baltic-bank; do
	d=$builddir
	case $b in toolstack/*) d=${BALTIC_XEN_DOM0_BUILD:-$builddir} ;; esac
	[ -x "$d/$b" ] && extra="$extra $d/$b=/usr/local/bin/${b##*/}"
done
for b in curl jq; do
	p=$(command -v $b 2> /dev/null) && extra="$extra $p=/usr/local/bin/$b"
done

# The farms in dom0, at /opt/baltic/{eop,system,xen}: examples/eop,
# tests/system (farms/, roles/) and tests/xen/farms, each role's image
# built by mkrole (the build tree's real baltic-agent and baltic-call)
# into $OUT/farms/SET/ROLE and put at <role dir>/build/initrd.cpio.
# build/vmlinux is a link to /boot/vmlinux made by /test/run (one copy of
# the 66 MB kernel).  mkrole rebuilds a role only when an input changed.
# The probe role gets the xenstore client of xenstore-utils (the guest
# has no other: busybox has none).  A role whose directory has a file
# AGENT gets as its agent the build tree's program that file names (the
# hostile role: tests/handlers/hostile, a check program built by `make
# check-xen`); the role is left out when that is not built.  A file
# PROGRAMS lists more of the build tree's programs for the image's
# /usr/local/bin (the xbulk role's persistent handler,
# tests/handlers/persist).
ROOT=${BALTIC_IMG_WORK:-/var/cache/baltic/work}/root
stage_set() {	# SET SRCDIR ROLESDIR
	extra="$extra $2=/opt/baltic/$1"
	for r in "$3"/*/; do
		r=${r%/}; name=${r##*/}
		[ -d "$r/services" ] || [ -e "$r/AGENT" ] || continue
		rx= ragent=
		[ "$name" = probe ] && rx="$ROOT/usr/bin/xenstore=/usr/bin/xenstore"
		if [ -e "$r/AGENT" ]; then
			ragent=$builddir/$(head -n 1 "$r/AGENT")
			[ -x "$ragent" ] || { echo "check-xen: no $ragent: role $r not staged"; continue; }
		fi
		missing=
		if [ -e "$r/PROGRAMS" ]; then
			while read -r prog; do
				[ -x "$builddir/$prog" ] || missing=$prog
				rx="$rx $builddir/$prog=/usr/local/bin/${prog##*/}"
			done < "$r/PROGRAMS"
		fi
		[ -z "$missing" ] || { echo "check-xen: no $builddir/$missing: role $r not staged"; continue; }
		# shellcheck disable=SC2086
		BALTIC_AGENT=$ragent BALTIC_CALL=$builddir/guest-agent/baltic-call \
		top_builddir=$builddir "$images/mkrole" "$r" "$OUT/farms/$1/$name" $rx ||
			{ echo "check-xen: mkrole $r failed"; exit 1; }
		rel=${r#"$2"/}
		extra="$extra $OUT/farms/$1/$name/initrd.cpio=/opt/baltic/$1/$rel/build/initrd.cpio"
	done
}
if [ -x "$builddir/guest-agent/baltic-agent" ]; then
	stage_set eop "$top/examples/eop" "$top/examples/eop/roles"
	stage_set system "$top/tests/system" "$top/tests/system/roles"
	stage_set xen "$here/farms" "$here/farms/roles"
	extra="$extra $top/xenstore-schema=/opt/baltic/xenstore-schema"
else
	echo "check-xen: no $builddir/guest-agent/baltic-agent: farms not staged (farm tests skip)"
fi
step "images: roles built"
# shellcheck disable=SC2086
"$images/mkhost" "$OUT/host" "$here/dom0-run=/test/run" "$here/dom0-lib.sh=/test/lib.sh" \
	"$here/lsan.supp=/test/lsan.supp" \
	"$here/dom0.d=/test/dom0.d" $extra ${BALTIC_XEN_EXTRA:-}
step "images: host built"
if [ "${1:-}" = --build-only ]; then
	echo "check-xen: images in $OUT/host (boot them with tests/xen/boot $OUT/host)"
	exit 0
fi

# The tests to run: BALTIC_XEN_TESTS, else every dom0.d test.
if [ -n "${BALTIC_XEN_TESTS:-}" ]; then
	todo=$(echo "$BALTIC_XEN_TESTS" | tr : ' ')
else
	# A test with a line "# only when named" (the figures) runs only
	# when BALTIC_XEN_TESTS names it.
	todo=$(cd "$here/dom0.d" && grep -L '^# only when named$' -- *.sh | sed 's/\.sh$//' | tr '\n' ' ')
fi
port=${BALTIC_XEN_HTTP_PORT:-$((20000 + $$ % 20000))}
# QEMU cannot forward a host port something else listens on: move on.
if [ -z "${BALTIC_XEN_HTTP_PORT:-}" ] && command -v ss > /dev/null; then
	while ss -ltnH 2> /dev/null | awk '{ print $4 }' | grep -Eq ":($port|$((port + 1)))\$"; do
		port=$((port + 2))
	done
fi
rm -f "$OUT"/http.got "$OUT"/export.got "$OUT"/export.out "$OUT"/serial.*.log "$OUT/results"
xport=0
[ "$port" != 0 ] && command -v curl > /dev/null && xport=$((port + 1))

# poll_host: the host halves of the http and export tests: fetch dom0's
# /ping through the forwarded port until it answers; once dom0 says
# EXPORT-UP, call SubmitOrder on the farm's export from here.  Until
# killed.
poll_host() {
	while [ ! -e "$OUT/http.got" ] || [ ! -e "$OUT/export.got" ]; do
		sleep 1
		if [ ! -e "$OUT/http.got" ] && grep -aq '^BALTIC-XEN: HTTP-UP' "$OUT/serial.log" 2>/dev/null; then
			curl -s --max-time 5 "http://127.0.0.1:$port/ping" > "$OUT/http.tmp" 2>/dev/null &&
				grep -q baltic-xen-http-ok "$OUT/http.tmp" && mv "$OUT/http.tmp" "$OUT/http.got"
		fi
		if [ ! -e "$OUT/export.got" ]; then
			path=$(grep -a '^BALTIC-XEN: EXPORT-UP' "$OUT/serial.log" 2>/dev/null |
				head -n 1 | awk '{ print $4 }' | tr -d '\r')
			[ -n "$path" ] || continue
			curl -s --max-time 60 -w '\n%{http_code}' -X POST --data-binary host-order \
				"http://127.0.0.1:$xport$path" > "$OUT/export.out" 2>&1
			grep -q '^order host-order: authorized' "$OUT/export.out" &&
				cp "$OUT/export.out" "$OUT/export.got"
		fi
	done
}

# sort_results LOG: one line per RESULT of the log, "STATE TEST RESULT...",
# STATE being how the test's attempt ended (ok, failed, faulted: see
# dom0-run) or "unfinished" (the boot ended in it) or "-" (outside any
# test); and "T TEST STATE" for each test's last attempt.
sort_results() {
	tr -d '\r' < "$1" | awk '
	/^BALTIC-XEN: BEGIN / { cur = $3; n = 0; next }
	/^BALTIC-XEN: RESULT / {
		line = substr($0, length("BALTIC-XEN: RESULT ") + 1)
		if (cur == "") print "- - " line; else buf[++n] = line
		next
	}
	/^BALTIC-XEN: END / {
		for (i = 1; i <= n; i++) print $4, cur, buf[i]
		last[cur] = $4; cur = ""; n = 0; next
	}
	END {
		if (cur != "") { for (i = 1; i <= n; i++) print "unfinished", cur, buf[i]; last[cur] = "unfinished" }
		for (t in last) print "T", t, last[t]
	}'
}

# One boot per group of tests: a test with a line "# boot: fresh"
# starts a group (its farm's guests then boot on a fresh machine: the
# emulation faults come as storms that grow with the guests a machine has
# run, see README.md).  A test whose last attempt faulted, or that a boot
# ended in or kept from running, goes back to the front with the rest of
# its group, for a new boot; BALTIC_XEN_RETRIES (4) such boots at most.
# In a boot with no retry left, what faulted counts as failed, and the
# tests after it still run.
fresh() { grep -q '^# boot: fresh$' "$here/dom0.d/$1.sh"; }
retries=${BALTIC_XEN_RETRIES:-4}
boot_n=0 retried=
# All boots together stay within BALTIC_XEN_BUDGET seconds (3600) of this
# script's start: a boot gets what is left, and none starts with less
# than 5 minutes left (its tests then count as not run).
budget=${BALTIC_XEN_BUDGET:-3600}
while [ -n "$(echo $todo)" ]; do
	left=$((budget - ($(date +%s) - t0)))
	if [ $boot_n -gt 0 ] && [ $left -lt 300 ]; then
		for t in $todo; do
			echo "unfinished ${t#[0-9][0-9]-} ${t#[0-9][0-9]-} fail not run: BALTIC_XEN_BUDGET (${budget} s) spent" >> "$OUT/results"
		done
		break
	fi
	tmo=${BALTIC_XEN_TIMEOUT:-1800}
	[ $tmo -le $left ] || tmo=$left
	group= rest= first=1
	for t in $todo; do
		if [ -z "$rest" ] && { [ $first = 1 ] || ! fresh "$t"; }; then
			group="$group $t"
		else
			rest="$rest $t"
		fi
		first=0
	done
	boot_n=$((boot_n + 1))
	bootargs="-a baltic.tests=$(echo $group | tr ' ' :)"
	for a in ${BALTIC_XEN_DOM0ARGS:-}; do bootargs="$bootargs -a $a"; done
	# With no retry left, a faulted test does not end the boot (dom0-run).
	[ $retries -gt 0 ] || bootargs="$bootargs -a baltic.last=1"
	poller=
	if [ $xport != 0 ]; then
		# Two forwarded ports: PORT for the http test, PORT+1 for a
		# farm's export (dom0.d/52-eop-or.sh binds it on 0.0.0.0).
		bootargs="$bootargs -p $port -p $xport"
		poll_host &
		poller=$!
	fi
	: > "$OUT/serial.log"
	step "boot $boot_n: $(echo $group)"
	set +e
	# shellcheck disable=SC2086
	"$here/boot" -t "$tmo" -l "$OUT/serial.log" $bootargs "$OUT/host" > "$OUT/boot.out"
	boot_rc=$?
	set -e
	[ -z "$poller" ] || { kill "$poller" 2>/dev/null || :; wait "$poller" 2>/dev/null || :; }
	cp "$OUT/serial.log" "$OUT/serial.$boot_n.log"
	step "boot $boot_n: qemu finished (exit $boot_rc)"
	grep -v '^RESULT ' "$OUT/boot.out" | grep -v '^boot: FAIL: no DONE' || true
	sort_results "$OUT/serial.log" > "$OUT/sorted.$boot_n"
	grep -a '^BALTIC-XEN: \(FAULT\|ABORT\)' "$OUT/serial.log" | sed 's/^BALTIC-XEN: /  /' || true
	next=
	for t in $group; do
		short=${t#[0-9][0-9]-}
		state=$(awk -v t="$short" '$1 == "T" && $2 == t { print $3 }' "$OUT/sorted.$boot_n")
		case $state in
		ok|failed) ;;
		*)	if [ $retries -gt 0 ]; then
				next="$next $t"; continue
			fi ;;
		esac
		awk -v t="$short" '$1 != "T" && $2 == t' "$OUT/sorted.$boot_n" >> "$OUT/results"
		[ -n "$state" ] || echo "unfinished $short $short fail never ran (boot $boot_n ended before it)" >> "$OUT/results"
	done
	awk '$1 == "-"' "$OUT/sorted.$boot_n" >> "$OUT/results"
	if [ -n "$next" ]; then
		retried="$retried$next"
		retries=$((retries - 1))
	fi
	if grep -aq '^BALTIC-XEN: DONE' "$OUT/serial.log"; then
		echo "- - boot-$boot_n pass" >> "$OUT/results"
	elif [ -z "$next" ]; then
		echo "- - boot-$boot_n fail no DONE marker (exit $boot_rc), see $OUT/serial.$boot_n.log" >> "$OUT/results"
	fi
	todo="$next $rest"
done

pass=0 fail=0
while read -r state test name verdict detail; do
	tag=
	[ "$state" = faulted ] || [ "$state" = unfinished ] && tag=" [$state: emulation fault]"
	case $verdict in
	pass) pass=$((pass + 1)); echo "PASS: $name${detail:+ ($detail)}" ;;
	skip) echo "SKIP: $name${detail:+ ($detail)}" ;;
	*) fail=$((fail + 1)); echo "FAIL: $name${detail:+ ($detail)}$tag" ;;
	esac
done < "$OUT/results"
if grep -aqh '^BALTIC-XEN: HTTP-UP' "$OUT"/serial.*.log; then
	if [ -e "$OUT/http.got" ]; then
		pass=$((pass + 1)); echo "PASS: host-http (127.0.0.1:$port -> dom0)"
	else
		fail=$((fail + 1)); echo "FAIL: host-http (nothing from 127.0.0.1:$port)"
	fi
fi
if grep -aqh '^BALTIC-XEN: EXPORT-UP' "$OUT"/serial.*.log; then
	if [ -e "$OUT/export.got" ]; then
		pass=$((pass + 1)); echo "PASS: host-export (127.0.0.1:$xport -> dom0 balticd -> guests: $(head -n 1 "$OUT/export.got"))"
	else
		fail=$((fail + 1)); echo "FAIL: host-export (127.0.0.1:$xport: $(tr '\n' ' ' < "$OUT/export.out" 2>/dev/null | head -c 200))"
	fi
fi
# Figures (95-figures.sh) for BENCHMARKS.md.
grep -ah '^BALTIC-XEN: FIGURE ' "$OUT"/serial.*.log | sed 's/^BALTIC-XEN: //' || true
nfault=$(grep -ahc '^BALTIC-XEN: FAULT ' "$OUT"/serial.*.log | awk '{ n += $1 } END { print n + 0 }')
echo "check-xen: $boot_n boot(s); $nfault emulation fault(s) seen${retried:+, tests run again:$retried}; serial logs $OUT/serial.N.log; total $(($(date +%s) - t0)) s"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
