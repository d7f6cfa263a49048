#!/bin/bash
# A real Prometheus scrapes balticd: balticd serves /metrics on loopback
# (--metrics), Prometheus (Debian's package) runs with a private config
# and data directory and scrapes it every second; after a known load
# the farm's call count Prometheus stored (promtool query instant) is
# the number of calls made, and `promtool check metrics` accepts the
# endpoint's text.  Without prometheus the test is skipped (77), unless
# BALTIC_TEST_FULL is set (scripts/run test, which installs it): then it
# fails.
. "$(dirname "$0")/lib.sh"

MPORT=18691	# balticd's /metrics
PPORT=18692	# Prometheus' own
for t in prometheus promtool; do
	command -v $t >/dev/null && continue
	if [ -n "${BALTIC_TEST_FULL:-}" ]; then
		not_ok "$t is installed (Debian package prometheus)"
		finish
		exit
	fi
	echo "# no $t (Debian package prometheus): skipped"
	exit 77
done

PROMPID=
stop_prometheus() {
	[ -n "$PROMPID" ] && kill "$PROMPID" 2>/dev/null && wait "$PROMPID" 2>/dev/null
	PROMPID=
}
trap 'stop_prometheus; cleanup' EXIT

# ---- balticd's side: the address is checked, loopback only -------------
out=$("$BALTICD" -d --metrics 192.0.2.1:$MPORT -R "$T/norun" 2>&1); rc=$?
expect_eq "--metrics off loopback: refused" 1 $rc
expect_match "--metrics off loopback: says why" "192.0.2.1:$MPORT: not a loopback address" "$out"
out=$(BALTIC_METRICS=nonsense "$BALTICD" -d -R "$T/norun" 2>&1); rc=$?
expect_match "BALTIC_METRICS without a port: says so" "metrics address nonsense: missing ':port'" "$out"
check "nothing made for a refused start" test ! -e "$T/norun"

start_daemon --metrics 127.0.0.1:$MPORT || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create mrr" "$BALTIC" create -q -f mrr "$T/farms/metrics.farm"

code=$(curl -s -o "$T/metrics.txt" -w '%{http_code} %{content_type}' http://127.0.0.1:$MPORT/metrics)
expect_eq "GET /metrics: 200, Prometheus' text format" \
    "200 text/plain; version=0.0.4; charset=utf-8" "$code"
expect_eq "POST /metrics: 405, Allow: GET, HEAD" "405 GET, HEAD" \
    "$(curl -s -D - -o /dev/null --max-time 5 -X POST http://127.0.0.1:$MPORT/metrics |
    tr -d '\r' | awk '/^HTTP/ { c = $2 } tolower($1) == "allow:" {
	sub(/^[^:]*: */, ""); a = $0 } END { print c, a }')"
expect_eq "an unknown method: 501" 501 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X FROB http://127.0.0.1:$MPORT/metrics)"
expect_eq "HEAD /metrics: 200" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -I http://127.0.0.1:$MPORT/metrics)"
expect_eq "a request with a body: refused" 413 \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x http://127.0.0.1:$MPORT/metrics)"
expect_eq "another path: 404" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$MPORT/)"

# ---- Prometheus scrapes it every second ----------------------------------
mkdir -p "$T/prom"
cat > "$T/prom/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: baltic
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOT
prometheus --config.file="$T/prom/prometheus.yml" \
    --storage.tsdb.path="$T/prom/data" \
    --web.listen-address=127.0.0.1:$PPORT >"$T/prometheus.log" 2>&1 &
PROMPID=$!

# 40 calls: 20 on each branch of the round robin
for _ in $(seq 40); do printf 'http://127.0.0.1:18601/mrr/IEcho/Who\n'; done |
    xargs curl -s -X POST --data-binary '' >/dev/null

# query EXPR: the value of the one result of an instant query, or "".
query() {
	promtool query instant "http://127.0.0.1:$PPORT" "$1" 2>/dev/null |
	    sed -n 's/.* => \([0-9.e+-]*\) @.*/\1/p' | head -n 1
}
# until_value EXPR VALUE: waits up to 30 s (a scrape every second).
until_value() {
	for _ in $(seq 60); do
		[ "$(query "$1")" = "$2" ] && return 0
		sleep 0.5
	done
	return 1
}
q='baltic_farm_calls_total{farm="mrr",origin="export"}'
until_value "$q" 40
expect_eq "Prometheus scraped the farm's 40 calls" 40 "$(query "$q")"
expect_eq "Prometheus: 20 on each branch of the or" "20 20" \
    "$(query 'baltic_or_branch_calls_total{farm="mrr",binding="s",branch="mrr-a"}') $(query 'baltic_or_branch_calls_total{farm="mrr",binding="s",branch="mrr-b"}')"
expect_eq "Prometheus: the histogram counts every answered call" 40 \
    "$(query 'baltic_export_call_duration_seconds_count{farm="mrr"}')"
expect_eq "Prometheus: the scrape target is up" 1 "$(query 'up{job="baltic"}')"

curl -s http://127.0.0.1:$MPORT/metrics > "$T/metrics.txt"
out=$(promtool check metrics < "$T/metrics.txt" 2>&1); rc=$?
expect_eq "promtool check metrics: accepted" "0 " "$rc $out"
for fam in baltic_farm_calls_total baltic_partition_errors_total \
    baltic_binding_call_duration_seconds baltic_par_wins_total \
    baltic_ref_rewires_total baltic_partition_cpu_seconds_total; do
	check "# TYPE of $fam" grep -q "^# TYPE $fam " "$T/metrics.txt"
done
stop_prometheus
finish
