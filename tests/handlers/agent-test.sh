#!/bin/sh
# agent-test.sh: baltic-agent against fake-dom0, without balticd.  Builds
# a role image of shell handlers plus the persistent test handler, starts
# the agent BEFORE dom0 listens (it must retry), runs fake-dom0, and
# checks that the agent leaves nothing behind when terminated.
set -u
B=${top_builddir:-.}
B=$(cd "$B" && pwd)
AGENT=$B/guest-agent/baltic-agent
BC=$B/guest-agent/baltic-call
T=$(mktemp -d /tmp/baltic-agent-test.XXXXXX)
APID=
cleanup() {
	[ -n "$APID" ] && kill "$APID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

S=$T/img/services
mkdir -p "$S"
cat > "$S/IEcho.Echo" <<'X'
#!/bin/sh
exec cat
X
cat > "$S/IEcho.Fail" <<'X'
#!/bin/sh
echo "  bad thing  " >&2
exit 3
X
cat > "$S/IEcho.Slow" <<'X'
#!/bin/sh
sleep 10
X
cat > "$S/IEcho.Nap" <<'X'
#!/bin/sh
sleep 0.5
printf 'napped:%s' "$(cat)"
X
cat > "$S/IEcho.Big" <<'X'
#!/bin/sh
head -c 20000 /dev/zero
X
cat > "$S/ICrash" <<'X'
#!/bin/sh
head -c 1 >/dev/null
exit 0
X
cat > "$S/IEcho.Env" <<'X'
#!/bin/sh
printf 'inst=%s id=%s' "$BALTIC_INSTANCE" "$BALTIC_CALL_ID"
X
cat > "$S/IEcho.CallOut" <<X
#!/bin/sh
arg=\$(cat)
exec "$BC" IPayment Authorize "\$arg"
X
cat > "$S/IEcho.CallDenied" <<X
#!/bin/sh
out=\$("$BC" IOther Op x 2>&1)
echo "rc=\$? \$out"
X
chmod +x "$S"/*
ln -s "$B/tests/handlers/persist" "$S/IPersist"

"$AGENT" -c "$T/chan.sock" -d "$T/img" -s "$T/local.sock" -n t0 &
APID=$!
sleep 0.3
"$B/tests/handlers/fake-dom0" "$T/chan.sock" "$BC" "$T/local.sock"
rc=$?
kill "$APID"
wait "$APID"
arc=$?
APID=
[ $rc -eq 0 ] || { echo "FAIL: fake-dom0 exit $rc"; exit 1; }
[ $arc -eq 0 ] || { echo "FAIL: agent exit $arc"; exit 1; }
[ ! -e "$T/local.sock" ] || { echo "FAIL: local socket left behind"; exit 1; }
left=$(pgrep -f "$T/img" || true)
[ -z "$left" ] || { echo "FAIL: handlers left running: $left"; exit 1; }
echo "agent-test: ok"
