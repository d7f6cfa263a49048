#!/bin/bash
# Every call gets one clear answer: unknown operation, wrong argument
# type or arity, missing farm, failing handler (named), a result of the
# wrong type, a deadline; with the stable exit codes and HTTP statuses.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
# Its own port: ref-rewire.sh may run at the same time with 18312.
sed -i 's/127.0.0.1:18312/127.0.0.1:18322/' "$T/farms/combinators.farm"
check "create" "$BALTIC" create -q -f rf "$T/farms/combinators.farm"
"$BALTIC" set rf r a >/dev/null 2>&1

out=$(post 18322 /rf/IEcho/NoSuchOp x)
expect_match "HTTP: unknown operation -> 404 with JSON" '"error".*NoSuchOp.*404$' "$(echo $out)"
out=$(post 18322 /rf/IEcho/Sleep abc)
expect_match "HTTP: wrong argument type -> 400" '"status":"bad-argument".*400$|400$' "$(echo $out)"
out=$(post 18322 /rf/IEcho/Add '[1, 2]')
expect_eq "HTTP: two int arguments as a JSON array" "3"$'\n'"200" "$out"
out=$(post 18322 /rf/IEcho/Add '[1]')
expect_match "HTTP: wrong arity -> 400" '400$' "$(echo $out)"
out=$(post 18322 /nofarm/IEcho/Echo x)
expect_match "HTTP: another farm's path -> 404" '404$' "$(echo $out)"
out=$(curl -s -w '\n%{http_code}' http://127.0.0.1:18322/rf/IEcho/Echo)
expect_match "HTTP: GET -> 405" '405$' "$(echo $out)"
out=$(post 18322 /rf/IEcho/Fail "")
expect_match "HTTP: failing handler -> 502 naming the partition" \
    'rf-a.*deliberate failure in rf-a.*502$' "$(echo $out)"
out=$(post 18322 /rf/IEcho/Bad "")
expect_match "HTTP: result of the wrong type -> 502" 'rf-a.*not int.*502$' "$(echo $out)"
out=$(curl -s -w '\n%{http_code}' -H 'X-Baltic-Timeout: 300' -X POST -d 2000 \
    http://127.0.0.1:18322/rf/IEcho/Sleep)
expect_match "HTTP: deadline passed -> 504" '504$' "$(echo $out)"

out=$("$BALTIC" call nofarm IEcho.Echo x 2>&1); rc=$?
expect_eq "CLI: missing farm: exit 3" 3 $rc
expect_match "... and says which" "no farm named nofarm" "$out"
out=$("$BALTIC" call rf IEcho.Nope x 2>&1); rc=$?
expect_eq "CLI: unknown operation: exit 3" 3 $rc
out=$("$BALTIC" call rf INope.Echo x 2>&1); rc=$?
expect_eq "CLI: interface not exported: exit 3" 3 $rc
out=$("$BALTIC" call rf IEcho.Sleep abc 2>&1); rc=$?
expect_eq "CLI: wrong argument type: exit 1" 1 $rc
expect_match "... saying so" "bad argument" "$out"
out=$("$BALTIC" call rf IEcho.Fail 2>&1); rc=$?
expect_eq "CLI: failing handler: exit 1" 1 $rc
expect_match "... naming the partition" "rf-a" "$out"
out=$("$BALTIC" call -t 300 rf IEcho.Sleep 2000 2>&1); rc=$?
expect_eq "CLI: deadline: exit 5" 5 $rc
out=$("$BALTIC" create "$top_srcdir/tests/bad/addr-bad-host.farm" 2>&1); rc=$?
expect_eq "CLI: create of a farm with errors: exit 1" 1 $rc
expect_match "... with the located error from balticd" \
    'addr-bad-host.farm:7:16: error: bad address' "$out"
out=$("$BALTIC" nosuchcommand 2>&1); rc=$?
expect_eq "CLI: unknown command: exit 2" 2 $rc
out=$("$BALTIC" destroy nofarm 2>&1); rc=$?
expect_eq "CLI: destroy of a missing farm is idempotent: exit 0" 0 $rc
out=$(BALTIC_SOCKET=$T/nope.sock "$BALTIC" list 2>&1); rc=$?
expect_eq "CLI: no daemon: exit 4" 4 $rc
expect_eq "the farm kept serving" "hello" "$("$BALTIC" call rf IEcho.Echo hello)"
finish
