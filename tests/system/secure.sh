#!/bin/bash
# Secure by default: one balticd per host; the control socket checks who
# connected, on top of its mode.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/roles" "$T/"
cat >"$T/plain.farm" <<EOF2
interface IEcho {
	Echo(s: string) -> string
	Who() -> string
}
role Echo { image "$T/roles/echo"; memory 32; exports IEcho }
farm sf {
	a = vm Echo
	export a.IEcho at "127.0.0.1:18331"
}
EOF2
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
chmod 600 "$BALTIC_RUN_DIR/balticd.sock"
chmod 700 "$BALTIC_RUN_DIR" "$T"

finish
