# cluster: two Xen hosts, xa and xb, each a dom0 in its own QEMU, joined
# by a QEMU socket network (10.9.0.1, 10.9.0.2: their TLS link), one etcd
# on the machine that runs both (10.0.2.2, through QEMU's user network);
# run-check-xen-cluster.sh boots them with baltic.host, baltic.ip and
# baltic.etcd.  Both run this; xa drives, xb serves and waits.
# xa creates farm xmove (tests/xen/farms/xen.farm): its one guest m is
# placed on either host and answers ICount.Next (a count in the guest's
# memory) through xa's export, across the link when m is on xb.  Under 2
# clients calling m's Echo, `baltic move xmove m OTHER`: the domain is
# suspended, its image sent over the link and restored there.  Passes
# when every call was answered (move-calls), the count goes on where it
# was (move-state: the domain's memory came along; a fresh start counts
# from 1) and the source's domain is gone; then the farm is destroyed and
# neither host keeps a guest.  FIGURE xen-move-s: the move to m's next
# answer.
# only when named
# timeout: 1500
. /test/lib.sh
arg() { sed -n "s/.* baltic\\.$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
me=$(arg host) ip=$(arg ip) etcd=$(arg etcd)
if [ -z "$me" ] || [ -z "$ip" ] || [ -z "$etcd" ]; then
	result cluster skip "not booted as a cluster host (run-check-xen-cluster.sh)"
	exit 0
fi
case $me in xa) other=xb ;; *) other=xa ;; esac
# The lease outlives the seconds balticd's loop is held while libxl
# builds a domain under TCG.
BALTICD_ARGS="--host $me --peer-listen $ip:7400 --cluster $etcd
	--cluster-cert /test/cluster/$me.pem --cluster-key /test/cluster/$me.key
	--cluster-ca /test/cluster/ca.pem --cluster-ttl 20 -v"
# A call waits for m while it moves (the image crosses the emulated
# network at a few MB/s): 120 s deadlines, and clients that wait as long.
BALTIC_CALL_TIMEOUT_MS=120000
LOAD_MAX_TIME=150
need_balticd "cluster-$me"
fig() { echo "BALTIC-XEN: FIGURE $*"; }
b64() { printf %s "$1" | base64 | tr -d '\n'; }
# etcd's JSON gateway: a key put; one read; the number under a prefix.
kv_put() {
	curl -s --max-time 5 -X POST "$etcd/v3/kv/put" \
		--data "{\"key\":\"$(b64 "$1")\",\"value\":\"$(b64 "$2")\"}" > /dev/null
}
kv_get() {
	curl -s --max-time 5 -X POST "$etcd/v3/kv/range" \
		--data "{\"key\":\"$(b64 "$1")\"}" | jq -r '.kvs[0].value // empty' | base64 -d
}
kv_count() {
	curl -s --max-time 5 -X POST "$etcd/v3/kv/range" \
		--data "{\"key\":\"$(b64 "$1")\",\"range_end\":\"$(b64 "$2")\",\"count_only\":true}" |
		jq -r '.count // 0'
}
guests() { xl list 2> /dev/null | awk 'NR > 2 { print $1 }'; }
balticd_tail() { tail -n "${1:-25}" "$BT/balticd.log" | sed "s/^/  $me balticd: /"; }

# Both hosts in etcd: the other may boot a minute later.
t0=$(uptime_s)
n=0
while [ "$(awk "BEGIN{print ($(uptime_s) - $t0 < 400)}")" = 1 ]; do
	n=$(kv_count /baltic/hosts/ /baltic/hosts0)
	[ "$n" = 2 ] && break
	sleep 2
done
if [ "$n" = 2 ]; then
	result "join-$me" pass "both hosts in etcd after $(since "$t0") s"
else
	result "join-$me" fail "$n host(s) in etcd after 400 s"
	balticd_tail
	kv_put /test/done failed
	exit 0
fi

if [ "$me" = xb ]; then
	# Serve until xa is done; say whether a guest ran here meanwhile.
	ran=
	t0=$(uptime_s)
	while [ "$(awk "BEGIN{print ($(uptime_s) - $t0 < 1300)}")" = 1 ]; do
		[ -n "$(guests)" ] && ran="$ran $(guests | tr '\n' ' ')"
		[ -n "$(kv_get /test/done)" ] && break
		sleep 2
	done
	[ -n "$(kv_get /test/done)" ] || result xb-waited fail "xa never said it was done"
	[ -n "$ran" ] && echo "guests seen on xb:$(echo $ran | tr ' ' '\n' | sort -u | tr '\n' ' ')"
	sleep 5
	left=$(guests)
	[ -z "$left" ] && result xb-clean pass "no guest left on xb" ||
		result xb-clean fail "guests left on xb: $(echo $left)"
	balticd_tail 40
	exit 0
fi

# ---- xa drives ----------------------------------------------------------
xen_farm
# next: ICount.Next through xa's export; the body, or nothing.
next() {
	_o=$(post 18452 /xmove/ICount/Next "" 2> /dev/null)
	echo "$_o" > "$BT/next.last"
	[ "$(echo "$_o" | tail -n 1)" = 200 ] && echo "$_o" | head -n 1
}
# answers SECONDS: the first answer of Next within SECONDS.
answers() {
	_t=$(uptime_s)
	while [ "$(awk "BEGIN{print ($(uptime_s) - $_t < $1)}")" = 1 ]; do
		_v=$(next) && [ -n "$_v" ] && { echo "$_v"; return 0; }
		sleep 1
	done
	return 1
}
done_fail() {
	result "$1" fail "$2"
	echo "  the last Next through the export: $(tr '\n' ' ' < "$BT/next.last" 2> /dev/null)"
	echo "  baltic call: $(baltic call xmove ICount.Next '' 2>&1 | head -c 300)"
	balticd_tail 40
	baltic list -l xmove 2>&1 | sed 's/^/  /'
	guest_log xmove xmove-m
	baltic destroy xmove > /dev/null 2>&1
	kv_put /test/done failed
	exit 0
}

t0=$(uptime_s)
baltic create -f xmove "$BT/farms/xen.farm" > "$BT/create.out" 2>&1 ||
	done_fail create "$(tr '\n' ' ' < "$BT/create.out")"
c1=$(answers 300) || done_fail create "xmove's m never answered Next in 300 s"
from=$(field xmove xmove-m host)
c2=$(next) c3=$(next)
if [ "$c1 $c2 $c3" = "1 2 3" ]; then
	result create pass "m on $from, answered through xa's export after $(since "$t0") s"
else
	result create fail "Next answered '$c1' '$c2' '$c3', not 1 2 3"
fi
case $from in xa) to=xb ;; xb) to=xa ;; *) done_fail create "m on no host ('$from')" ;; esac

load_start 2 18451 /xmove/IXEcho/Echo hello
sleep 5
t0=$(uptime_s)
if ! baltic move xmove xmove-m "$to" > "$BT/move.out" 2>&1; then
	load_stop > /dev/null
	done_fail move "baltic move xmove xmove-m $to: $(tr '\n' ' ' < "$BT/move.out")"
fi
# Moved once its host is the other and it answers from there.
c4=
while [ "$(awk "BEGIN{print ($(uptime_s) - $t0 < 300)}")" = 1 ]; do
	if [ "$(field xmove xmove-m host)" = "$to" ]; then
		c4=$(answers 5) && break
	fi
	sleep 1
done
moved=$(since "$t0")
sleep 3
set -- $(load_stop)
if [ -z "$c4" ]; then
	result move fail "m not answering on $to 300 s after baltic move"
else
	result move pass "m from $from to $to, answering there after $moved s"
	fig xen-move-s "$moved" "s: baltic move of a 128 MiB PV guest between two Xen hosts in QEMU (TCG) to its next answer"
fi
if load_all_answered "$@"; then
	result move-calls pass "$2 of $1 Echo calls answered during the move${load_note:+; $load_note}"
else
	result move-calls fail "made $1: ok $2 err $3 refused $4 reset $5 lost $6 crash $7 hcrash $8"
fi
case $c4 in
4) result move-state pass "Next counted 1 2 3 on $from, then 4 on $to: the domain's memory came along" ;;
*) result move-state fail "Next counted 1 2 3 on $from, then '$c4' on $to"
   grep -E 'image|move|restor|suspend' "$BT/balticd.log" | tail -n 12 | sed 's/^/  balticd: /' ;;
esac
if [ "$from" = xa ]; then
	[ -z "$(guests)" ] && result move-source pass "m's domain is gone from xa" ||
		result move-source fail "guests still on xa: $(guests | tr '\n' ' ')"
fi

t0=$(uptime_s)
if baltic destroy xmove > "$BT/destroy.out" 2>&1; then
	result destroy pass "$(since "$t0") s"
else
	result destroy fail "$(tr '\n' ' ' < "$BT/destroy.out")"
fi
sleep 3
left=$(guests)
[ -z "$left" ] && result xa-clean pass "no guest left on xa" ||
	result xa-clean fail "guests left on xa: $(echo $left)"
kv_put /test/done ok
balticd_tail 40
