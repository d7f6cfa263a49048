# destroy: the live xenstore tree matches xenstore-schema/paths.txt;
# baltic destroy of every farm leaves nothing: xl list shows only
# Domain-0, no baltic node in xenstore (xenstore-ls -fp and
# xenstore-schema/check --after-destroy), no balticd-owned files once
# balticd stopped, the same processes as before 50-eop.
. /test/lib.sh
need_balticd destroy
# A farm to check and destroy, when the tests before (another boot, or
# tests that destroy their own) left none.
[ -n "$(list_json | jq -r '.[].name')" ] || need_farm destroy rf
chk=$OPT/xenstore-schema/check
xenstore-ls -fp > "$BT/xs.live"
if [ -x "$chk" ] || [ -e "$chk" ]; then
	nodes=$(grep -c baltic "$BT/xs.live")
	if [ "$nodes" -lt 10 ]; then
		result xenstore-schema fail "only $nodes baltic nodes in the live tree: nothing to check"
	elif sh "$chk" "$BT/xs.live" > "$BT/xs.check" 2>&1; then
		result xenstore-schema pass "$nodes baltic nodes match paths.txt"
	else
		sed 's/^/  schema: /' "$BT/xs.check" | head -n 20
		result xenstore-schema fail "$(wc -l < "$BT/xs.check") findings, first: $(head -n 1 "$BT/xs.check")"
	fi
fi
farms=$(list_json | jq -r '.[].name')
echo "farms: $(echo $farms)"
t0=$(uptime_s)
for f in $farms; do
	baltic destroy "$f" || result "destroy-$f" fail
done
echo "destroyed in $(since "$t0") s"
sleep 1
xl list
n=$(xl list | awk 'NR > 1' | wc -l)
[ "$n" -eq 1 ] && result destroy-domains pass "only Domain-0" ||
	result destroy-domains fail "$n domains: $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"
xenstore-ls -fp > "$BT/xs.after"
# balticd's two empty roots (paths.txt: /local/domain/0/baltic and its
# farms/) may stay while it runs; anything else is a leftover.
roots=$(grep -c '^/local/domain/0/baltic\(/farms\)\? = ""' "$BT/xs.after")
left=$(grep -i baltic "$BT/xs.after" | grep -v '^/local/domain/0/baltic\(/farms\)\? = ""')
chk_rc=0
if [ -e "$chk" ]; then
	for f in $farms; do
		sh "$chk" --after-destroy "$f" "$BT/xs.after" >> "$BT/xs.left" 2>&1 || chk_rc=1
	done
fi
if [ -z "$left" ] && [ $chk_rc = 0 ]; then
	result destroy-xenstore pass "no farm node; $roots empty balticd roots ($(wc -l < "$BT/xs.after") nodes)"
else
	echo "$left" | head -n 10 | sed 's/^/  left: /'
	head -n 10 "$BT/xs.left" 2> /dev/null | sed 's/^/  check: /'
	result destroy-xenstore fail "$(echo "$left" | grep -c .) baltic nodes left: $(echo "$left" | head -n 1)"
fi
# Stop the daemon and the bank, then look for what they left.
touch "$BT/balticd.killed"
kill "$(cat "$BT/balticd.pid")"
i=0
while kill -0 "$(cat "$BT/balticd.pid")" 2> /dev/null && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
kill -0 "$(cat "$BT/balticd.pid")" 2> /dev/null && result destroy-balticd-exit fail "balticd still running 5 s after SIGTERM"
[ -s "$BT/bank.pid" ] && kill "$(cat "$BT/bank.pid")" 2> /dev/null
sleep 1
files=$( { find "$BALTIC_STATE_DIR" "$BALTIC_RUN_DIR" -mindepth 1
	find /run /tmp /var -name '*baltic*' ! -path "$BT" ! -path "$BT/*"; } 2> /dev/null)
xenstore-ls -fp | grep -i baltic | sed 's/^/  after balticd exit: /'
[ -z "$files" ] && result destroy-files pass "no balticd-owned file" ||
	{ echo "$files" | sed 's/^/  file: /'; result destroy-files fail "$(echo "$files" | wc -l) files left"; }
ps -o args | grep -v '\[' | awk '{ print $1 }' | sort > "$BT/procs.after"
extra=$(grep -vxF -f "$BT/procs.before" "$BT/procs.after" | tr -d '{}' | grep -v '^\(ps\|awk\|sort\|grep\|sh\|timeout\|tee\|comm\|usleep\|tr\)$')
[ -z "$extra" ] && result destroy-processes pass "same programs as before the farms" ||
	result destroy-processes fail "new: $(echo $extra)"
leak_check destroy "$BT/state.before"
