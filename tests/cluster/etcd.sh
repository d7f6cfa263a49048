#!/bin/bash
# etcd.sh: the etcd client (toolstack/cluster/) against a real
# three-member cluster (bed.sh) and against garbage: etcd-test's parts,
# a watch whose member is killed under it, the failover one after
# member 1 is killed with -9 and again with member 1 back and member 2
# cut off by nft, then quorum lost (two members killed) and back.
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-.}
. "$src/tests/cluster/bed.sh"
bed_enter "$0" "$@"

prog=$build/tests/cluster/etcd-test
[ -x "$prog" ] || { echo "no $prog (make check-cluster builds it)"; exit 1; }
fail=0
run() {
	echo "# etcd-test $*"
	"$prog" "$@" || fail=1
}

bed_net || exit 1
run garbage
bed_start
run basic "$(bed_urls)"
# etcd-test kills member 1 itself, under a watch through it.  Member 1
# leads first, so the puts after its death meet the election ("no
# leader" from both others for about a second): the client waits it out
# within its deadline.
# (bash would report the kill of its job on stderr: not a failure)
bed_lead 1 || { echo "not ok - member 1 made the leader"; fail=1; }
run watchkill "$(bed_urls)" "${BED_PID[1]}" 2>/dev/null
bed_kill 1
# If member 1 led, the others elect a leader first (about 1 s): the
# test is of the client's failover, not of etcd's election.
bed_healthy 30 2 3 || fail=1
run failover "$(bed_urls)"
if command -v nft >/dev/null; then
	bed_restart 1 || fail=1
	bed_healthy 30 || fail=1
	bed_cut 2 || fail=1
	bed_healthy 30 1 3 || fail=1
	# member 2 first: its connections hang until their share of the
	# deadline passes, then the next member takes the request
	run failover "http://127.0.1.2:2379,http://127.0.1.1:2379,http://127.0.1.3:2379"
	bed_heal 2
else
	echo "# no nft: the cut is not tested"
fi
# Quorum lost (two members dead), then back.
bed_kill 2
bed_kill 3
sleep 2		# the survivor notices it has no leader
run quorum-lost "$(bed_urls)"
bed_member_start 2
bed_member_start 3
bed_healthy 30 || fail=1
run quorum-back "$(bed_urls)"
exit $fail
