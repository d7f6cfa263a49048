# vchan: a guest offers a libxenvchan echo server (tests/xen/vchan-test.c)
# under its /local/domain/<id>/data/vchan; dom0 connects as the client and
# round-trips 4 MiB.
. /test/lib.sh
if ! command -v vchan-test > /dev/null || [ ! -e /test/roles/vchan.cpio ]; then
	result vchan skip "vchan-test not built (host libxen-dev missing?)"
	exit 0
fi
xen_state > /tmp/state.before
guest_cfg vchan vchan
xl create /tmp/vchan.cfg || { result vchan fail "xl create"; exit 1; }
domid=$(xl domid vchan)
if ! wait_console vchan 'vchan-test: server listening' 90; then
	result vchan fail "server did not start"
else
	out=$(timeout 120 vchan-test client "$domid" "/local/domain/$domid/data/vchan" 4194304 2>&1)
	rc=$?
	echo "$out"
	if [ $rc -eq 0 ]; then
		result vchan pass "$(echo "$out" | sed -n 's/.*(\(.*\)).*/\1/p')"
	else
		result vchan fail "client exit $rc"
	fi
fi
echo "--- guest console:"
sed 's/^/  | /' /var/log/xen/console/guest-vchan.log | grep -v '^  | \[' | tail -n 20
xl destroy vchan || result vchan-destroy fail
leak_check vchan /tmp/state.before
