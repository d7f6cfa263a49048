# http: the host reaches dom0 through QEMU's port forwarding.  dom0 serves
# /ping with busybox httpd on the first forwarded port; the host side
# (run-check-xen.sh) polls it; this test waits to see the request arrive.
. /test/lib.sh
port=$(sed -n 's/.*baltic\.ports=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -z "$port" ]; then
	result http skip "no forwarded port (boot -p PORT)"
	exit 0
fi
mkdir -p /tmp/www
echo baltic-xen-http-ok > /tmp/www/ping
httpd -f -vv -p "$port" -h /tmp/www > /tmp/httpd.log 2>&1 &
pid=$!
ip addr show eth0 | grep inet
echo "BALTIC-XEN: HTTP-UP $port"
t0=$(uptime_s)
while ! grep -q 'url:/ping' /tmp/httpd.log &&
      [ "$(awk "BEGIN{print ($(uptime_s) - $t0 < 60)}")" = 1 ]; do
	usleep 200000
done
# Let the response go out before stopping the server.
sleep 1
kill $pid
cat /tmp/httpd.log
if grep -q 'url:/ping' /tmp/httpd.log; then
	result http pass "host fetched /ping after $(since "$t0") s"
else
	ip -s link show eth0
	ip route
	result http fail "no request from the host in 60 s"
fi
