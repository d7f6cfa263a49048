#!/bin/bash
# hosts.sh: farms across hosts.  Three balticd (local backend), hosts
# h1-h3 on 127.0.1.1-3, with their own state and run directories, joined
# through a three-member etcd (bed.sh) and linked by TLS with a cluster
# CA made here.  A farm created on one host is placed over the three
# (spread by free memory, one instance pinned); its calls enter through
# exports on two hosts and reach partitions on all three; kill -9 of a
# host's balticd and agents under load loses no call and its partition
# answers elsewhere within 5 s; the host, back, destroys nothing of the
# new placement; a baltic set on one host rewires the ref on every host,
# under load, and a host restarted meanwhile follows it; a destroy
# anywhere ends the farm everywhere.
. "$(dirname "$0")/bed.sh"
bed_enter "$0" "$@"
. "$(dirname "$0")/../system/lib.sh"

bed_start
agent_bin
URLS=$(bed_urls)
declare -a HPID=()

check "a cluster CA and three host certificates" bed_certs "$T" h1 h2 h3

# host N: balticd of host hN, in the background.
host_start() {
	local n=$1
	mkdir -p "$T/h$n"
	BALTIC_STATE_DIR="$T/h$n/state" BALTIC_RUN_DIR="$T/h$n/run" \
	    "$BALTICD" -d -v -t 5000 -s "$T/h$n/sock" \
	    --cluster "$URLS" --host "h$n" \
	    --peer-listen "127.0.1.$n:7400" --capacity 1024 \
	    --labels "rack$n" \
	    --cluster-cert "$T/h$n.pem" --cluster-key "$T/h$n.key" \
	    --cluster-ca "$T/ca.pem" >>"$T/h$n.log" 2>&1 &
	HPID[n]=$!
	for _ in $(seq 100); do
		[ -S "$T/h$n/sock" ] && return 0
		sleep 0.05
	done
	return 1
}
# on N ARGS: baltic against host hN.
on() {
	local n=$1
	shift
	BALTIC_SOCKET="$T/h$n/sock" "$BALTIC" "$@"
}
# The agents of host N (its partitions' processes).
host_agents() {
	on "$1" list --json 2>/dev/null |
	    jq -r '.[].partitions[] | select(.pid > 0) | .pid'
}
host_kill() {
	local n=$1 pids
	pids=$(host_agents "$n")
	kill -9 "${HPID[n]}" 2>/dev/null
	wait "${HPID[n]}" 2>/dev/null
	HPID[n]=
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
}
LPID=
cleanup() {
	local n
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
	for n in 1 2 3; do
		if [ -n "${HPID[n]:-}" ]; then
			on "$n" destroy spread >/dev/null 2>&1
			on "$n" destroy wired >/dev/null 2>&1
			kill "${HPID[n]}" 2>/dev/null
			wait "${HPID[n]}" 2>/dev/null
		fi
		# This test's own processes only: their run directory.
		pkill -KILL -f "baltic-agent -c $T/h$n/run" 2>/dev/null
		pkill -KILL -f "baltic-keeper -K $T/h$n/run/" 2>/dev/null
		if [ "$FAIL" -gt 0 ] && [ -f "$T/h$n.log" ]; then
			echo "--- h$n's balticd log (last 25 lines)"
			tail -n 25 "$T/h$n.log"
		fi
	done
	bed_stop
	[ -n "${BALTIC_TEST_KEEP:-}" ] && echo "# kept $T" || rm -rf -- "$T"
}
trap cleanup EXIT

for n in 1 2 3; do
	check "host h$n starts" host_start "$n"
done

# ---- the farm ---------------------------------------------------------
mkdir -p "$T/roles/who/services"
for i in IA IB; do
	printf '#!/bin/sh\nprintf %%s "$BALTIC_INSTANCE"\n' \
	    >"$T/roles/who/services/$i.Who"
	chmod +x "$T/roles/who/services/$i.Who"
done
# Who is idempotent: a call in flight on a host killed under load is
# passed on to another branch (baltic.farm(5)), so none may fail there;
# a call that is not would get an error naming the host, which the load
# below would count as failed.
cat >"$T/spread.farm" <<'EOF'
interface IA { idempotent Who(s: string) -> string }
interface IB { idempotent Who(s: string) -> string }
role Who { image "roles/who"; exports IA, IB; memory 256 }

farm spread {
	s = or roundrobin(vm Who, vm Who, vm Who on "rack2")
	t = s
	export s.IA at "127.0.1.1:18801"
	export t.IB at "127.0.1.2:18801"
}
EOF

# Hosts see each other within a tick or two of starting.
sleep 2
out=$(on 1 create -q "$T/spread.farm" 2>&1)
check "create on h1: $out" test $? -eq 0
hosts=$(on 1 list --json | jq -r '.[0].partitions[] | "\(.name)=\(.host)"' |
    sort | paste -sd' ')
# Unpinned by free memory, ties by name: h1, then h2 or h3; pinned: h2.
expect_match "placed over the hosts ($hosts)" \
    '^spread-s-1=h[123] spread-s-2=h[123] spread-s-3=h2$' "$hosts"
n_hosts=$(echo "$hosts" | tr ' ' '\n' | cut -d= -f2 | sort -u | wc -l)
check "the three instances on at least two hosts ($n_hosts)" \
    test "$n_hosts" -ge 2
for n in 2 3; do
	ok_n=0
	for _ in $(seq 50); do
		[ "$(on $n list --json 2>/dev/null | jq -r '.[0].name')" = \
		    spread ] && { ok_n=1; break; }
		sleep 0.1
	done
	check "h$n runs the farm too" test "$ok_n" = 1
done

# call PORT IP IFACE: one call through an export; the answer.
call() {
	curl -s --max-time 10 -X POST --data-binary '"x"' \
	    "http://$2:$1/spread/$3/Who"
}
got=
for _ in $(seq 30); do
	got+="$(call 18801 127.0.1.1 IA) "
	got+="$(call 18801 127.0.1.2 IB) "
done
for i in 1 2 3; do
	c=$(echo "$got" | tr ' ' '\n' | grep -c "^\"*spread-s-$i\"*$")
	check "spread-s-$i answered through both exports ($c of 60)" \
	    test "$c" -ge 15
done

# ---- a host dies under load --------------------------------------------
victim=$(on 1 list --json | jq -r '.[0].partitions[] |
    select(.name == "spread-s-1") | .host')
vn=${victim#h}
case $vn in 1|2|3) ;; *) not_ok "spread-s-1 has a host ($victim)"; exit 1 ;; esac
# The exports of the two hosts that stay: IA on h1, IB on h2.
if [ "$vn" = 1 ]; then eport=127.0.1.2; eif=IB; en=2
else eport=127.0.1.1; eif=IA; en=1; fi
eurl=http://$eport:18801/spread/$eif/Who
# load: calls to $eurl until $T/stop; "CALLS FAILED" in $T/load.out.
load() {
	local fails=0 calls=0
	while [ ! -e "$T/stop" ]; do
		calls=$((calls + 1))
		r=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' \
		    -X POST --data-binary '"x"' "$eurl")
		[ "$r" = 200 ] || fails=$((fails + 1))
	done
	echo "$calls $fails" >"$T/load.out"
}
load &
LPID=$!
sleep 1
t0=$(date +%s%N)
host_kill "$vn"
moved=
for _ in $(seq 100); do
	h=$(on "$en" list --json | jq -r '.[0].partitions[] |
	    select(.name == "spread-s-1") | "\(.host) \(.state)"')
	case $h in
	"$victim "*|"") ;;
	*" ready"|*" remote") moved=$h; break ;;
	esac
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "spread-s-1 runs elsewhere after h$vn's death ($moved, $ms ms)" \
    test -n "$moved" -a "$ms" -le 5000
sleep 1
touch "$T/stop"
wait "$LPID"
LPID=
read -r calls fails <"$T/load.out"
expect_eq "no call lost under load while h$vn died ($calls calls)" 0 "$fails"
echo "# FIGURE host-death-to-elsewhere-ms $ms"

# ---- the dead host comes back: no double partition -------------------
check "h$vn starts again" host_start "$vn"
sleep 3
n1=$(on "$vn" list --json | jq -r '[.[0].partitions[] |
    select(.name == "spread-s-1")] | length')
w=$(on "$vn" list --json | jq -r '.[0].partitions[] |
    select(.name == "spread-s-1") | .host')
expect_eq "h$vn follows the new placement of spread-s-1" "${moved% *}" "$w"
expect_eq "one spread-s-1 on h$vn's list" 1 "$n1"

# here_count INSTANCE: how many hosts run it themselves.
here_count() {
	local n c=0
	for n in 1 2 3; do
		[ -n "${HPID[n]:-}" ] || continue
		on "$n" list --json | jq -e --arg i "$1" --arg h "h$n" \
		    '.[0].partitions[] | select(.name == $i and .host == $h)' \
		    >/dev/null && c=$((c + 1))
	done
	echo "$c"
}

# ---- a host cut off by nft, then healed: no double partition ----------
if command -v nft >/dev/null; then
	cut=$(on 1 list --json | jq -r '.[0].partitions[] |
	    select(.name == "spread-s-2") | .host')
	cn=${cut#h}
	bed_cut "$cn"
	moved=
	for _ in $(seq 150); do
		[ "$cn" = 1 ] && q=2 || q=1
		h=$(on "$q" list --json | jq -r '.[0].partitions[] |
		    select(.name == "spread-s-2") | .host')
		[ -n "$h" ] && [ "$h" != "$cut" ] && { moved=$h; break; }
		sleep 0.1
	done
	check "spread-s-2 placed away from $cut, cut off ($moved)" test -n "$moved"
	# The cut-off host stopped its own copy (fenced): its list still
	# answers on its control socket, and says why.
	f=$(on "$cn" list --json | jq -r '.[0].partitions[] |
	    select(.name == "spread-s-2") | "\(.state) \(.why)"')
	case $f in "dead fenced"*) ;; *) f="not fenced: $f" ;; esac
	check "$cut, cut off, stopped its spread-s-2 ($f)" \
	    test "${f#not fenced}" = "$f"
	bed_heal "$cn"
	one=
	for _ in $(seq 100); do
		[ "$(here_count spread-s-2)" = 1 ] &&
		    [ "$(on "$cn" list --json | jq -r '.[0].partitions[] |
		    select(.name == "spread-s-2") | .host')" = "$moved" ] &&
		    { one=1; break; }
		sleep 0.1
	done
	check "healed: $cut follows, spread-s-2 runs on one host only" test -n "$one"
	r=$(call 18801 127.0.1.1 IA)
	check "calls flow after the heal ($r)" test -n "$r"
else
	ok "# SKIP no nft: no cut"
fi

# ---- baltic move under load: no failed call ---------------------------
from=$(on 1 list --json | jq -r '.[0].partitions[] |
    select(.name == "spread-s-2") | .host')
for to in h1 h2 h3; do [ "$to" != "$from" ] && break; done
eurl=http://127.0.1.1:18801/spread/IA/Who
rm -f "$T/stop"
load &
LPID=$!
sleep 1
t0=$(date +%s%N)
check "move spread-s-2 from $from to $to" on 3 move spread spread-s-2 "$to"
ready=
for _ in $(seq 100); do
	[ "$(on "${to#h}" list --json | jq -r '.[0].partitions[] |
	    select(.name == "spread-s-2") | "\(.host) \(.state)"')" = \
	    "$to ready" ] && { ready=1; break; }
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "spread-s-2 ready on $to ($ms ms)" test -n "$ready"
echo "# FIGURE move-ms $ms"
sleep 1
touch "$T/stop"
wait "$LPID"
LPID=
read -r calls fails <"$T/load.out"
expect_eq "no call failed while spread-s-2 moved ($calls calls)" 0 "$fails"
expect_eq "spread-s-2 runs on one host only" 1 "$(here_count spread-s-2)"
check "move again: already there" on 1 move spread spread-s-2 "$to"
out=$(on 1 move spread spread-s-3 h1 2>&1)
expect_match "a pinned instance moves only where its pin matches" \
    'pinned on "rack2"' "$out"

# ---- baltic set: the ref in the farm's record, every host rewires ----
cat >"$T/wired.farm" <<'EOF'
interface IA { Who(s: string) -> string }
interface IB { Who(s: string) -> string }
role Who { image "roles/who"; exports IA, IB; memory 128 }

farm wired {
	a = vm Who
	b = vm Who
	r = ref a
	export r.IA at "127.0.1.2:18803"
}
EOF
check "create wired on h1" on 1 create -q "$T/wired.farm"
eurl=http://127.0.1.2:18803/wired/IA/Who
# answers WANT: calls through h2's export of wired until one reaches
# WANT (10 s), then ten more that all do.
answers() {
	local got
	for _ in $(seq 100); do
		got=$(curl -s --max-time 10 -X POST --data-binary '"x"' "$eurl")
		[ "${got//\"/}" = "$1" ] && break
		sleep 0.1
	done
	for _ in $(seq 10); do
		got=$(curl -s --max-time 10 -X POST --data-binary '"x"' "$eurl")
		[ "${got//\"/}" = "$1" ] || { echo "# got $got"; return 1; }
	done
}
# set_on N EXPR: baltic set wired r EXPR on hN, again while another
# host's change wins the race (its watch may not have brought it yet).
set_on() {
	local out
	for _ in $(seq 10); do
		out=$(on "$1" set wired r "$2" 2>&1) && return 0
		case $out in
		*meanwhile*) sleep 0.1 ;;
		*) echo "# $out"; return 1 ;;
		esac
	done
	return 1
}
# The record's r ("-": none).
record_r() {
	etcdctl --endpoints="$URLS" get --print-value-only \
	    /baltic/farms/wired | jq -r '.refs.r // "-"'
}
check "calls through h2's export reach wired-a" answers wired-a
expect_eq "a new record sets no ref" - "$(record_r)"
check "set on h1: r to b" on 1 set wired r b
expect_eq "the record's refs say r = b" b "$(record_r)"
check "calls through h2's export reach wired-b now" answers wired-b
out=$(on 3 set wired nosuch a 2>&1)
rc=$?
expect_eq "set of no ref: exit 3 as without a cluster ($out)" 3 "$rc"
expect_match "  and the same error" 'farm wired has no ref nosuch' "$out"
out=$(on 3 set wired r nosuch 2>&1)
rc=$?
expect_eq "set to a target that does not check: exit 1 ($out)" 1 "$rc"
expect_eq "  and the record is as it was" b "$(record_r)"
out=$(on 3 -N set wired r a 2>&1)
rc=$?
expect_eq "set -N: no dry run, as without a cluster ($out)" 2 "$rc"
out=$(on 2 set --json wired r b)
check "set --json on h2 ($out)" jq -e '.ok == true' <<<"$out"
rm -f "$T/stop"
load &
LPID=$!
sleep 0.5
sets=0
for i in 1 2 3 4 5 6; do
	[ $((i % 2)) = 1 ] && want=a || want=b
	set_on $((i % 3 + 1)) "$want" && sets=$((sets + 1))
	sleep 0.3
done
expect_eq "six sets from the three hosts under load" 6 "$sets"
# Two hosts at once: each is set, or told the record changed meanwhile.
on 1 set wired r a >"$T/race1" 2>&1 &
rp=$!
on 3 set wired r b >"$T/race3" 2>&1
r3=$?
wait "$rp"
r1=$?
sed 's/^/# /' "$T/race1" "$T/race3"
check "two sets at once: one at least is taken ($r1 $r3)" \
    test "$r1" = 0 -o "$r3" = 0
check "  a refused one says why" \
    test "$r1$r3" = 00 -o -n "$(grep -l meanwhile "$T"/race[13])"
sleep 0.5
touch "$T/stop"
wait "$LPID"
LPID=
read -r calls fails <"$T/load.out"
expect_eq "no call failed while r was set 8 times ($calls calls)" 0 "$fails"
want=$(record_r)
[ "$want" = - ] && want=a
check "h2 follows the record's r = $want" answers "wired-$want"
# A host restarted meanwhile takes the refs from the record.
set_on 1 b >/dev/null
check "r = b before h2 stops" answers wired-b
host_kill 2
check "set on h1 while h2 is down: r to a" set_on 1 a
check "h2 starts again" host_start 2
check "h2, restarted, follows the record: wired-a" answers wired-a
# A record without "refs", as an older balticd writes it: every ref as
# the farm's source defines it, on every host.
set_on 3 b >/dev/null
check "r = b again" answers wired-b
etcdctl --endpoints="$URLS" get --print-value-only /baltic/farms/wired |
    jq -c 'del(.refs)' |
    etcdctl --endpoints="$URLS" put /baltic/farms/wired >/dev/null
check "a record without refs: r as defined again (wired-a)" answers wired-a

# ---- etcd: one member lost, then the quorum ----------------------------
sed 's/farm spread/farm other/; s/18801/18802/' "$T/spread.farm" >"$T/other.farm"
bed_kill 1
# If it led, the others elect a new leader first (about a second).
bed_healthy 30 2 3
check "one etcd member down: create still works" on 2 create -q "$T/other.farm"
check "one etcd member down: destroy still works" on 2 destroy other
bed_kill 2
t0=$SECONDS
out=$(on 3 create -q "$T/other.farm" 2>&1)
rc=$?
expect_match "no quorum: create refused, naming etcd (exit $rc, $((SECONDS - t0)) s)" \
    'cluster: etcd' "$out"
out=$(on 1 set wired r b 2>&1)
rc=$?
expect_match "no quorum: set refused, naming etcd (exit $rc)" \
    '^cluster: etcd: .*ref r not set' "$out"
check "  calls reach r's target as before" answers wired-a
f=0
for _ in $(seq 20); do
	r=$(call 18801 127.0.1.2 IB)
	[ -n "$r" ] || f=$((f + 1))
done
expect_eq "no quorum: calls still answered (20 calls)" 0 "$f"
bed_restart 1 && bed_restart 2
okc=
for _ in $(seq 30); do
	on 3 create -q "$T/other.farm" >/dev/null 2>&1 && { okc=1; break; }
	sleep 0.5
done
check "quorum back: create works again, no restart" test -n "$okc"
on 3 destroy other >/dev/null 2>&1

# ---- destroy on one host ends it on all -------------------------------
check "destroy wired on h3" on 3 destroy wired
check "destroy on h2" on 2 destroy spread
for n in 1 2 3; do
	gone=0
	for _ in $(seq 50); do
		[ "$(on $n list --json | jq 'length')" = 0 ] &&
		    { gone=1; break; }
		sleep 0.1
	done
	check "h$n has no farm left" test "$gone" = 1
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
