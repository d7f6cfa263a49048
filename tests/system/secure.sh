#!/bin/bash
# Secure by default: one balticd per host; the control socket checks who
# connected, on top of its mode; plain HTTP only on loopback unless the
# farm says insecure; exports served with TLS, and client certificates.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/roles" "$T/"
# echo_farm NAME EXPORT_LINE...: a farm of one echo partition per export
# line ("NAME ADDR-AND-WHAT-FOLLOWS"), on standard output.
echo_farm() {
	printf 'interface IEcho {\n\tEcho(s: string) -> string\n'
	printf '\tWho() -> string\n}\n'
	printf 'role Echo { image "%s/roles/echo"; memory 32; exports IEcho }\n' "$T"
	for x in "$@"; do
		printf 'farm %s {\n\ta = vm Echo\n' "${x%% *}"
		printf '\texport a.IEcho at %s\n}\n' "${x#* }"
	done
}
echo_farm 'sf "127.0.0.1:18331"' >"$T/plain.farm"
check "create" "$BALTIC" create -q "$T/plain.farm"

# ---- one balticd per host (more in lifecycle.sh) ------------------------
"$BALTICD" -d -t 5000 >"$T/second.out" 2>&1
expect_eq "a second balticd is refused" 1 $?
expect_eq "... and the first one's farm still answers a call" "sf-a" \
    "$("$BALTIC" call sf IEcho.Who)"

# ---- the control socket: root, or group baltic --------------------------
# nobody: first as installed (the modes keep it out), then with the
# socket made reachable by mistake (the credentials keep it out).
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
as_nobody "$BALTIC" list >"$T/nobody.out" 2>&1
expect_eq "nobody cannot reach the socket through its modes" 4 $?
chmod 755 "$T"
chmod 711 "$BALTIC_RUN_DIR"
chmod 666 "$BALTIC_RUN_DIR/balticd.sock"
as_nobody "$BALTIC" list >"$T/nobody.out" 2>&1
expect_eq "nobody, socket reachable: refused, exit 6" 6 $?
expect_match "... saying why" \
    "^not allowed to drive balticd: uid 65534 is not root" \
    "$(cat "$T/nobody.out")"
as_nobody "$BALTIC" destroy sf >"$T/nobody.out" 2>&1
expect_eq "nobody cannot destroy a farm" 6 $?
expect_eq "... which still answers" "sf-a" "$("$BALTIC" call sf IEcho.Who)"
head -c 120000 /dev/zero | tr '\0' x >"$T/big"
as_nobody "$BALTIC" call sf IEcho.Echo "$(cat "$T/big")" >/dev/null 2>&1
expect_eq "nobody with a long request: refused, not cut off" 6 $?
"$BALTIC" list sf >/dev/null
expect_eq "root still drives it" 0 $?
# A large argument over plain HTTP: read whole once its head says how
# long it is, echoed by reference from the answer's frame.
head -c 600000 /dev/urandom | base64 -w0 | head -c 800000 >"$T/big2"
curl -s --data-binary "@$T/big2" "http://127.0.0.1:18331/sf/IEcho/Echo" \
    >"$T/big2.out"
check "an 800 KB argument there and back over plain HTTP" \
    cmp -s "$T/big2" "$T/big2.out"
# ... its head alone first, then the body in two pieces with pauses.
exec 3<>/dev/tcp/127.0.0.1/18331
printf 'POST /sf/IEcho/Echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'\
'Content-Length: 800000\r\n\r\n' >&3
sleep 0.2
head -c 70000 "$T/big2" >&3
sleep 0.2
tail -c +70001 "$T/big2" >&3
sed '1,/^\r$/d' <&3 >"$T/big3.out"
exec 3<&-
check "... and sent in pieces, head first" cmp -s "$T/big2" "$T/big3.out"
chmod 600 "$BALTIC_RUN_DIR/balticd.sock"
chmod 700 "$BALTIC_RUN_DIR" "$T"

# ---- plain HTTP off loopback is a located error -------------------------
sed -e 's/^farm sf/farm of/' -e 's/127.0.0.1:18331/0.0.0.0:18332/' \
    "$T/plain.farm" >"$T/open.farm"
out=$("$BALTIC" check "$T/open.farm" 2>&1)
expect_eq "check: plain export on 0.0.0.0 fails" 1 $?
expect_match "... with a located error" \
    "open.farm:8:20: error: export on \"0.0.0.0:18332\" is not on loopback" "$out"
"$BALTIC" create -q "$T/open.farm" >/dev/null 2>&1
expect_eq "create refuses it too" 1 $?
sed -i 's/"0.0.0.0:18332"/"0.0.0.0:18332" insecure/' "$T/open.farm"
check "with insecure it checks" "$BALTIC" check -q "$T/open.farm"

# ---- TLS exports ----------------------------------------------------------
# A CA, a server certificate for 127.0.0.1 and a client certificate.
mkdir "$T/tls"
(
	cd "$T/tls" || exit 1
	ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	openssl req -x509 $ec -days 2 -subj "/CN=baltic test CA" \
	    -keyout ca.key -out ca.pem
	openssl req $ec -subj "/CN=127.0.0.1" -keyout server.key \
	    -out server.csr
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
	    >server.ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile server.ext -out server.pem
	openssl req $ec -subj "/CN=client" -keyout client.key -out client.csr
	printf 'extendedKeyUsage=clientAuth\n' >client.ext
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile client.ext -out client.pem
) >"$T/openssl.log" 2>&1
check "certificates made" test -s "$T/tls/client.pem"
srv='tls cert "tls/server.pem" key "tls/server.key"'
echo_farm "tf \"0.0.0.0:18341\" $srv" \
    "cf \"0.0.0.0:18342\" $srv client-ca \"tls/ca.pem\"" >"$T/tls.farm"
check "create a TLS export" "$BALTIC" create -q -f tf "$T/tls.farm"
check "create a TLS export with client certificates" \
    "$BALTIC" create -q -f cf "$T/tls.farm"
# https PORT OP BODY [CURL ARGS]: the body, then the HTTP status.
https() {
	curl -s -w '\n%{http_code}' --cacert "$T/tls/ca.pem" -X POST \
	    --data-binary "$3" "${@:4}" "https://127.0.0.1:$1/${5:-}$2"
}
expect_eq "curl --cacert: 200 over TLS" "tf-a"$'\n'"200" \
    "$(https 18341 tf/IEcho/Who "")"
out=$(curl -s -w '%{http_code}\n' --cacert "$T/tls/ca.pem" \
    -X POST -d x "https://127.0.0.1:18341/tf/IEcho/Echo" \
    "https://127.0.0.1:18341/tf/IEcho/Echo")
expect_eq "two calls on one TLS connection (keep-alive)" \
    "x200"$'\n'"x200" "$out"
head -c 300000 /dev/urandom | base64 -w0 >"$T/big.b64"
curl -s --cacert "$T/tls/ca.pem" --data-binary "@$T/big.b64" \
    "https://127.0.0.1:18341/tf/IEcho/Echo" >"$T/big.out"
check "a 400 KB argument there and back over TLS" cmp -s "$T/big.b64" "$T/big.out"
curl -s -o /dev/null "https://127.0.0.1:18341/tf/IEcho/Who" -d ""
expect_eq "curl without the CA refuses the server" 60 $?
out=$(curl -s -w '%{http_code}' -d "" "http://127.0.0.1:18341/tf/IEcho/Who")
expect_eq "plain HTTP to a TLS export gets no answer" "000" "$out"
out=$(curl -s -w '%{http_code}' --cacert "$T/tls/ca.pem" -d "" \
    "https://127.0.0.1:18342/cf/IEcho/Who")
expect_eq "client-ca: a client without a certificate is refused" "000" "$out"
out=$(curl -s -w '\n%{http_code}' --cacert "$T/tls/ca.pem" \
    --cert "$T/tls/client.pem" --key "$T/tls/client.key" -d "" \
    "https://127.0.0.1:18342/cf/IEcho/Who")
expect_eq "client-ca: a client with one is answered" "cf-a"$'\n'"200" "$out"
out=$(curl -s -w '\n%{http_code}' --cacert "$T/tls/ca.pem" \
    --cert "$T/tls/server.pem" --key "$T/tls/server.key" -d "" \
    "https://127.0.0.1:18342/cf/IEcho/Who")
expect_eq "client-ca: a certificate of the CA but not for clients is refused" \
    "000" "$(printf '%s' "$out" | tail -n 1)"
expect_eq "after all that the TLS export still answers" "tf-a"$'\n'"200" \
    "$(https 18341 tf/IEcho/Who "")"

# https remotes: tf's TLS export called from other farms, checked
# against the named CA, the system's (which does not know it), and for a
# host name the certificate does not carry.
remote_farm() {
	printf 'farm %s {\n\tr = remote IEcho "%s" %s\n' "$1" "$2" "${4:-}"
	printf '\texport r.IEcho at "127.0.0.1:%s"\n}\n' "$3"
}
sed -n '1,5p' "$T/tls.farm" >"$T/remote.farm"
remote_farm rf https://127.0.0.1:18341/tf 18351 'ca "tls/ca.pem"' \
    >>"$T/remote.farm"
remote_farm sysf https://127.0.0.1:18341/tf 18352 >>"$T/remote.farm"
remote_farm namef https://localhost:18341/tf 18353 'ca "tls/ca.pem"' \
    >>"$T/remote.farm"
for f in rf sysf namef; do
	"$BALTIC" create -q -f $f "$T/remote.farm" || not_ok "create $f"
done
for _ in 1 2 3; do
	"$BALTIC" call rf IEcho.Who
done >"$T/remote.out" 2>&1
expect_eq "an https remote checked against its ca: three calls" \
    "tf-a tf-a tf-a" "$(echo $(cat "$T/remote.out"))"
out=$("$BALTIC" call sysf IEcho.Who 2>&1)
expect_eq "... against the system's CAs: refused" 1 $?
expect_match "... as unreachable" "remote https://127.0.0.1:18341/tf: unreachable" "$out"
out=$("$BALTIC" call namef IEcho.Who 2>&1)
expect_eq "... for a name the certificate lacks: refused" 1 $?
# The server side closes rf's kept connection, more times than rf has
# connections: each next call gets a new one (evhttp cannot reconnect a
# spent TLS connection).
for _ in $(seq 10); do
	"$BALTIC" destroy tf >/dev/null 2>&1
	"$BALTIC" create -q -f tf "$T/tls.farm"
	"$BALTIC" call rf IEcho.Who 2>&1
done >"$T/remote.out"
expect_eq "an https remote whose server closed, ten times: answered" \
    "$(echo tf-a tf-a tf-a tf-a tf-a tf-a tf-a tf-a tf-a tf-a)" \
    "$(echo $(cat "$T/remote.out"))"

# A restart: the keeper kept the listening socket, balticd serves TLS on
# it again.
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
start_daemon || not_ok "balticd restarts"
expect_eq "after a restart, TLS still answers" "tf-a"$'\n'"200" \
    "$(https 18341 tf/IEcho/Who "")"
check "destroy cf" "$BALTIC" destroy cf

# Files that are not there, or do not fit, are said at create.
sed -e 's/^farm tf/farm bf/' -e 's/18341/18343/' \
    -e 's|key "tls/server.key"|key "tls/nope.key"|' "$T/tls.farm" >"$T/bad-tls.farm"
out=$("$BALTIC" create -f bf "$T/bad-tls.farm" 2>&1)
expect_eq "create with a missing key fails" 1 $?
expect_match "... naming it" "tls key $T/tls/nope.key: No such file" "$out"
sed -i 's|tls/nope.key|tls/client.key|' "$T/bad-tls.farm"
out=$("$BALTIC" create -f bf "$T/bad-tls.farm" 2>&1)
expect_eq "create with another certificate's key fails" 1 $?
expect_match "... saying so" "client.key: key values mismatch" "$out"

finish
