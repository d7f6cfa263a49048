#!/bin/bash
# One command line: -h on stdout with exit 0, --json on every command that
# changes something, `set` on a binding that is not a ref exits 3 like an
# unknown one, `paste` keeps the cut file, and a busy export address fails
# `create` at its place in the file before any partition starts.
. "$(dirname "$0")/lib.sh"

out=$("$BALTIC" -h 2>/dev/null); rc=$?
expect_eq "baltic -h: exit 0" 0 $rc
expect_match "... the commands on stdout" "commands:" "$out"
for c in help check compile create list call set destroy cut paste move; do
	out=$("$BALTIC" "$c" -h 2>/dev/null); rc=$?
	expect_eq "baltic $c -h: exit 0" 0 $rc
	expect_match "... its usage on stdout" "^usage: baltic $c" "$out"
done
out=$("$BALTIC" help list 2>/dev/null)
expect_match "baltic help list: on stdout" "^usage: baltic list" "$out"
"$BALTIC" help nosuch >/dev/null 2>&1; rc=$?
expect_eq "baltic help of an unknown command: exit 2" 2 $rc
out=$("$BALTIC" set 2>&1 >/dev/null); rc=$?
expect_eq "a bad command line: exit 2" 2 $rc
expect_match "... the usage on stderr" "^usage: baltic set" "$out"
"$BALTIC" list --json x y >/dev/null 2>&1; rc=$?
expect_eq "too many operands: exit 2" 2 $rc

out=$(BALTIC_SOCKET=$T/nope.sock "$BALTIC" destroy --json x 2>/dev/null)
rc=$?
expect_eq "--json without balticd: exit 4" 4 $rc
expect_eq "... and the JSON says so" "false 4" \
    "$(jq -r '"\(.ok) \(.exit)"' <<< "$out")"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
sed -i 's/127.0.0.1:18312/127.0.0.1:18342/' "$T/farms/combinators.farm"

# --json on each changing command: one JSON object on stdout.
out=$("$BALTIC" -N create --json -f rf "$T/farms/combinators.farm")
expect_eq "create -N --json" "true dry run" \
    "$(jq -r '"\(.ok) \(.message)"' <<< "$out")"
out=$("$BALTIC" create --json -f rf "$T/farms/combinators.farm" 2>/dev/null)
rc=$?
expect_eq "create --json: exit 0" 0 $rc
expect_eq "... ok, created" "true created" \
    "$(jq -r '"\(.ok) \(.message)"' <<< "$out")"
expect_match "... with its progress lines" "rf-a: created" \
    "$(jq -r '.progress[]' <<< "$out")"
out=$("$BALTIC" create --json -f rf "$T/farms/combinators.farm")
expect_eq "create --json again: already running" "already running" \
    "$(jq -r .message <<< "$out")"
out=$("$BALTIC" set --json rf r 'or failover(b, a)')
expect_eq "set --json" "true rewired" \
    "$(jq -r '"\(.ok) \(.message)"' <<< "$out")"
out=$("$BALTIC" set --json rf a b 2>/dev/null); rc=$?
expect_eq "set of a binding that is not a ref: exit 3" 3 $rc
expect_match "... the JSON says it is no ref" '"exit": 3.*no ref a' \
    "$(echo $out)"
"$BALTIC" set rf nosuch a >/dev/null 2>&1; rc=$?
expect_eq "set of an unknown binding: exit 3 too" 3 $rc
"$BALTIC" set rf r 'or(a, nosuch)' >/dev/null 2>&1; rc=$?
expect_eq "set to an expression that does not check: exit 1" 1 $rc

out=$("$BALTIC" cut --json rf rf-a "$T/rf-a.cut")
expect_eq "cut --json" "true" "$(jq -r .ok <<< "$out")"
out=$("$BALTIC" paste --json rf rf-a "$T/rf-a.cut")
expect_eq "paste --json" "true" "$(jq -r .ok <<< "$out")"
check "paste keeps the cut file (as xl restore does)" test -f "$T/rf-a.cut"
out=$("$BALTIC" cut --json rf rf-a "$T/nodir/x" 2>/dev/null); rc=$?
expect_eq "cut into a missing directory: exit 3" 3 $rc
expect_eq "... and the JSON says so" "false 3" \
    "$(jq -r '"\(.ok) \(.exit)"' <<< "$out")"

# A busy export address: the create fails, located, with no partition.
sed -e 's/^farm rf {/farm busy {/' -e 's/rf-/busy-/g' \
    "$T/farms/combinators.farm" > "$T/farms/busy.farm"
line=$(grep -n '127.0.0.1:18342' "$T/farms/busy.farm" | cut -d: -f1)
before=$(pgrep -c -f "baltic-agent -c $BALTIC_RUN_DIR")
out=$("$BALTIC" create -f busy "$T/farms/busy.farm" 2>&1); rc=$?
expect_eq "create on a busy export address: exit 1" 1 $rc
expect_match "... a located error" \
    "busy.farm:$line:[0-9]+: error: export r.IEcho: cannot listen on 127.0.0.1:18342" \
    "$out"
expect_eq "... before any partition started" "$before" \
    "$(pgrep -c -f "baltic-agent -c $BALTIC_RUN_DIR")"
"$BALTIC" list busy >/dev/null 2>&1; rc=$?
expect_eq "... and no farm busy is left (list: exit 3)" 3 $rc
sed -i 's/"127.0.0.1:18342"/"192.0.2.1:18343" insecure/' "$T/farms/busy.farm"
out=$("$BALTIC" create -f busy "$T/farms/busy.farm" 2>&1); rc=$?
expect_eq "create on an address not of this host: exit 1" 1 $rc
expect_match "... located" "busy.farm:$line:[0-9]+: error: export r.IEcho" "$out"
expect_eq "the first farm kept serving" "hello" \
    "$("$BALTIC" call rf IEcho.Echo hello)"

# A role image without the handler of an operation it exports: refused
# at create, located at the role's exports, before any partition starts.
cp -r "$T/roles/echo" "$T/roles/half"
rm "$T/roles/half/services/IEcho.Add"
sed -e 's/^farm rf {/farm half {/' -e 's|"../roles/echo"|"../roles/half"|' \
    -e 's/127.0.0.1:18342/127.0.0.1:18344/' \
    "$T/farms/combinators.farm" > "$T/farms/half.farm"
line=$(grep -n 'roles/half' "$T/farms/half.farm" | cut -d: -f1)
out=$("$BALTIC" create -f half "$T/farms/half.farm" 2>&1); rc=$?
expect_eq "create of a role without a handler: exit 1" 1 $rc
expect_match "... located, naming the operation" \
    "half.farm:$line:[0-9]+: error: role Echo: no handler for IEcho.Add" "$out"
expect_eq "... before any partition started" "$before" \
    "$(pgrep -c -f "baltic-agent -c $BALTIC_RUN_DIR")"
"$BALTIC" -N create -f half "$T/farms/half.farm" >/dev/null 2>&1; rc=$?
expect_eq "... and -N create says so too" 1 $rc
printf '#!/bin/sh\ncat\n' > "$T/roles/half/services/IEcho"
chmod +x "$T/roles/half/services/IEcho"
out=$("$BALTIC" -N create -f half "$T/farms/half.farm" 2>&1); rc=$?
expect_eq "a persistent handler of the interface is enough" "0 dry run" "$rc $out"
sed -i 's|"../roles/half"|"../roles/nosuch"|' "$T/farms/half.farm"
out=$("$BALTIC" -N create -f half "$T/farms/half.farm" 2>&1); rc=$?
expect_eq "an image directory that is not there: exit 1" 1 $rc
expect_match "... located at the role" \
    "half.farm:$line:[0-9]+: error: role Echo: image .*roles/nosuch: No such file" "$out"

# A role's disk file that is not there: located at its disk line.
sed -e 's|"../roles/nosuch"|"../roles/echo"|' \
    -e 's|exports IEcho }|exports IEcho; disk "../disks/echo.img"; vif "xenbr0" }|' \
    -i "$T/farms/half.farm"
out=$("$BALTIC" -N create -f half "$T/farms/half.farm" 2>&1); rc=$?
expect_eq "a disk that is not there: exit 1" 1 $rc
expect_match "... located at the disk" \
    "half.farm:$line:[0-9]+: error: role Echo: disk .*disks/echo.img: No such file" "$out"
mkdir -p "$T/disks" && : > "$T/disks/echo.img"
out=$("$BALTIC" -N create -f half "$T/farms/half.farm" 2>&1); rc=$?
expect_eq "... and once it is: the dry run passes" "0 dry run" "$rc $out"
out=$("$BALTIC" compile -f half "$T/farms/half.farm")
expect_match "compile: the disk for xl" \
    "^disk = \[ \"format=raw, vdev=xvda, access=rw, target=$T/disks/echo.img\" \]" "$out"
expect_match "compile: the vif for xl" '^vif = \[ "bridge=xenbr0" \]' "$out"

out=$("$BALTIC" destroy --json rf)
expect_eq "destroy --json" "true destroyed" \
    "$(jq -r '"\(.ok) \(.message)"' <<< "$out")"

# Without a cluster: a pin names this host, or the create fails at it;
# move needs a cluster.
sed 's/vm Echo\b/vm Echo on "not-this-host"/' \
    "$T/farms/combinators.farm" >"$T/farms/pinned.farm"
out=$("$BALTIC" create -f rf "$T/farms/pinned.farm" 2>&1); rc=$?
expect_eq "a pin on another host without a cluster: exit 1" 1 $rc
expect_match "... located, naming the pin" \
    'pinned.farm:[0-9]+:[0-9]+: error: rf-.* is pinned on "not-this-host"' "$out"
out=$("$BALTIC" move rf rf-a h2 2>&1); rc=$?
expect_eq "move without a cluster: exit 1" 1 $rc
expect_match "... saying so" "not in a cluster" "$out"
finish
