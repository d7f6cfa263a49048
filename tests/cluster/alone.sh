#!/bin/bash
# alone.sh: one host in a cluster of its own, whose etcd speaks only TLS
# with client certificates (https:// URLs): a member on 127.0.1.4 whose
# certificate names that IP, signed by the cluster's CA.  balticd joins
# with the cluster's certificate, its farm's record is in etcd; one
# with a certificate of another CA never joins, and an https URL with no
# certificate given is refused at start, saying what is needed.  With
# no --capacity the host offers the memory free: 2 GiB taken by another
# process shows in its record within seconds, and comes back.
. "$(dirname "$0")/bed.sh"
bed_enter "$0" "$@"
. "$(dirname "$0")/../system/lib.sh"

A=127.0.1.4
EPID=
DPID=
HOG=
cleanup() {
	local p
	for p in $DPID $EPID $HOG; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pkill -KILL -f "baltic-agent -c $T/run" 2>/dev/null
	pkill -KILL -f "baltic-keeper -K $T/run/" 2>/dev/null
	if [ "$FAIL" -gt 0 ]; then
		tail -n 20 "$T/etcd.log" "$T"/balticd*.log 2>/dev/null
	fi
	[ -n "${BALTIC_TEST_KEEP:-}" ] && echo "# kept $T" || rm -rf -- "$T"
}
trap cleanup EXIT

bed_net || exit 1
ip route get "$A" 2>/dev/null | grep -q '^local' || ip addr add "$A/32" dev lo

# The cluster's CA, a host's certificate, the member's (its IP in its
# subjectAltName), and a host certificate of another CA.
check "the cluster CA and h1's certificate" bed_certs "$T" h1
mkdir -p "$T/other"
check "another CA and its h1" bed_certs "$T/other" h1
printf 'subjectAltName=IP:%s\n' "$A" >"$T/m4.ext"
openssl req -newkey rsa:2048 -nodes -subj "/CN=m4" -keyout "$T/m4.key" \
    -out "$T/m4.csr" 2>/dev/null &&
openssl x509 -req -in "$T/m4.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -days 2 -extfile "$T/m4.ext" -out "$T/m4.pem" 2>/dev/null
check "the member's certificate" test -s "$T/m4.pem"

env $(env | sed -n 's/^\(ETCD[A-Z_]*\)=.*/-u \1/p') \
    etcd --name m4 --data-dir "$T/m4" \
    --listen-client-urls "https://$A:2379" \
    --advertise-client-urls "https://$A:2379" \
    --cert-file "$T/m4.pem" --key-file "$T/m4.key" \
    --trusted-ca-file "$T/ca.pem" --client-cert-auth \
    --listen-peer-urls "http://$A:2380" \
    --initial-advertise-peer-urls "http://$A:2380" \
    --initial-cluster "m4=http://$A:2380" --initial-cluster-state new \
    --logger=zap >"$T/etcd.log" 2>&1 &
EPID=$!
tcurl() {
	curl -s --max-time 3 --cacert "$T/ca.pem" --cert "$T/h1.pem" \
	    --key "$T/h1.key" "$@"
}
up=
for _ in $(seq 100); do
	tcurl "https://$A:2379/health" | grep -q '"true"' && { up=1; break; }
	sleep 0.1
done
check "etcd answers over TLS only" test -n "$up"
code=$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' \
    "http://$A:2379/health")
check "etcd does not answer plain HTTP (code $code)" test "$code" != 200

# daemon LOG ARGS: a balticd of host h1 in the background.
daemon() {
	local log=$1
	shift
	BALTIC_STATE_DIR="$T/state" BALTIC_RUN_DIR="$T/run" \
	    "$BALTICD" -d -v -t 5000 -s "$T/sock" --host h1 \
	    --peer-listen "127.0.1.1:7400" "$@" \
	    >>"$T/$log" 2>&1 &
	DPID=$!
}
# joined LOG SECONDS: did that balticd say it joined?
joined() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q "joined as h1" "$T/$1" && return 0
		sleep 0.1
	done
	return 1
}
stop_daemon() {
	kill "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

# No certificate for an https URL: refused at start, with the flags
# it needs.
BALTIC_STATE_DIR="$T/state" BALTIC_RUN_DIR="$T/run" timeout 10 \
    "$BALTICD" -d -s "$T/sock" --host h1 --peer-listen "127.0.1.1:7400" \
    --cluster "https://$A:2379" >"$T/balticd-nocert.log" 2>&1
rc=$?
check "an https URL with no certificate: balticd exits ($rc)" \
    test "$rc" -ne 0 -a "$rc" -ne 124
expect_match "and says what it needs" "needs --cluster-cert" \
    "$(cat "$T/balticd-nocert.log")"

# Another CA's certificate: etcd refuses it, balticd never joins.
daemon balticd-other.log --cluster "https://$A:2379" \
    --cluster-cert "$T/other/h1.pem" --cluster-key "$T/other/h1.key" \
    --cluster-ca "$T/ca.pem"
if joined balticd-other.log 5; then
	not_ok "a certificate of another CA joined"
else
	ok "a certificate of another CA does not join"
fi
stop_daemon

# The cluster's: joins, and a farm created here is recorded in etcd.
agent_bin
mkdir -p "$T/roles/echo/services"
printf '#!/bin/sh\ncat\n' >"$T/roles/echo/services/IEcho.Echo"
chmod +x "$T/roles/echo/services/IEcho.Echo"
cat >"$T/tls.farm" <<'EOF'
interface IEcho { Echo(s: string) -> string }
role Echo { image "roles/echo"; exports IEcho }
farm tls {
	e = vm Echo
	export e.IEcho at "127.0.1.1:18811"
}
EOF
daemon balticd.log --cluster "https://$A:2379" \
    --cluster-cert "$T/h1.pem" --cluster-key "$T/h1.key" \
    --cluster-ca "$T/ca.pem"
check "balticd joins over TLS" joined balticd.log 10
out=$(BALTIC_SOCKET="$T/sock" "$BALTIC" create -q "$T/tls.farm" 2>&1)
check "create in the cluster: $out" test $? -eq 0
key=$(printf '/baltic/farms/tls' | base64 -w0)
n=$(tcurl -X POST --data "{\"key\":\"$key\"}" \
    "https://$A:2379/v3/kv/range" | jq -r '.count // 0')
expect_eq "the farm's record is in etcd" 1 "$n"
r=
for _ in $(seq 50); do
	r=$(curl -s --max-time 5 -X POST --data-binary '"hi"' \
	    "http://127.0.1.1:18811/tls/IEcho/Echo")
	[ "$r" = '"hi"' ] && break
	sleep 0.1
done
expect_eq "a call through its export" '"hi"' "$r"
BALTIC_SOCKET="$T/sock" "$BALTIC" destroy tls >/dev/null 2>&1

# An export at an address no host of the cluster has (127.0.0.1, not
# h1's 127.0.1.1) would be served by none: refused, saying where.
sed 's/127.0.1.1:18811/127.0.0.1:18812/' "$T/tls.farm" >"$T/lo.farm"
out=$(BALTIC_SOCKET="$T/sock" "$BALTIC" create -q "$T/lo.farm" 2>&1)
rc=$?
expect_eq "an export no host serves: create fails (exit 1)" 1 "$rc"
expect_match "and says where and why" \
    'lo.farm:5:[0-9]+: error: export e.IEcho at 127.0.0.1:18812: no host of the cluster has that address' \
    "$out"
n=$(BALTIC_SOCKET="$T/sock" "$BALTIC" list --json | jq 'length')
expect_eq "no farm made" 0 "$n"
sed 's/"127.0.1.1:18811"/"0.0.0.0:18813" insecure/' "$T/tls.farm" \
    >"$T/any.farm"
out=$(BALTIC_SOCKET="$T/sock" "$BALTIC" create -q "$T/any.farm" 2>&1)
check "one at 0.0.0.0 is served by every host: created ($out)" \
    test $? -eq 0
BALTIC_SOCKET="$T/sock" "$BALTIC" destroy tls >/dev/null 2>&1

# The offer: the memory free, measured again.
offer() {
	key=$(printf '/baltic/hosts/h1' | base64 -w0)
	tcurl -X POST --data "{\"key\":\"$key\"}" \
	    "https://$A:2379/v3/kv/range" |
	    jq -r '.kvs[0].value // empty' | base64 -d | jq -r .capacity_mb
}
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
c0=$(offer)
check "h1 offers the memory free ($c0 MiB; MemAvailable $avail)" \
    test -n "$c0" -a "$c0" -gt $((avail / 2)) -a "$c0" -lt $((avail * 2))
python3 -c 'import sys, time
b = b"x" * (2 << 30)
open(sys.argv[1], "w").close()
time.sleep(120)' "$T/hogged" &
HOG=$!
for _ in $(seq 100); do [ -e "$T/hogged" ] && break; sleep 0.2; done
c1=$c0
for _ in $(seq 60); do
	c1=$(offer)
	[ -n "$c1" ] && [ "$c1" -lt $((c0 - 1024)) ] && break
	sleep 0.5
done
check "2 GiB taken elsewhere: the offer falls ($c0 -> $c1 MiB)" \
    test -n "$c1" -a "$c1" -lt $((c0 - 1024))
sleep 11		# the offer as low as it goes while the 2 GiB are held
c1=$(offer)
kill "$HOG"
wait "$HOG" 2>/dev/null
c2=$c1
for _ in $(seq 60); do
	c2=$(offer)
	[ -n "$c2" ] && [ "$c2" -gt $((c1 + 1024)) ] && break
	sleep 0.5
done
check "and rises again when it is freed ($c1 -> $c2 MiB)" \
    test -n "$c2" -a "$c2" -gt $((c1 + 1024))
stop_daemon

# --cluster-ttl: the lease etcd holds for the host has that TTL; one
# out of range is a usage error.
BALTIC_STATE_DIR="$T/state" BALTIC_RUN_DIR="$T/run" timeout 10 \
    "$BALTICD" -d -s "$T/sock" --host h1 --cluster-ttl 1 \
    --cluster "https://$A:2379" >"$T/balticd-ttl1.log" 2>&1
rc=$?
check "--cluster-ttl 1: a usage error ($rc)" test "$rc" -eq 2
daemon balticd-ttl.log --cluster "https://$A:2379" --cluster-ttl 7 \
    --cluster-cert "$T/h1.pem" --cluster-key "$T/h1.key" \
    --cluster-ca "$T/ca.pem"
check "balticd joins with --cluster-ttl 7" joined balticd-ttl.log 10
key=$(printf '/baltic/hosts/h1' | base64 -w0)
lease=$(tcurl -X POST --data "{\"key\":\"$key\"}" \
    "https://$A:2379/v3/kv/range" | jq -r '.kvs[0].lease // empty')
ttl=$(tcurl -X POST --data "{\"ID\":\"$lease\"}" \
    "https://$A:2379/v3/lease/timetolive" | jq -r '.grantedTTL // empty')
expect_eq "its record's lease has a TTL of 7 s" 7 "$ttl"
stop_daemon
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
