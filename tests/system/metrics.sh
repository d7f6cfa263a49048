#!/bin/bash
# balticd's counters under a known load, exactly: an `or` round robin
# over two partitions splits 100 calls 50/50; a `par` with a slow branch
# counts its wins on the fast one and cancels the slow; failing calls
# are counted by kind at the export, the binding and the partition; a
# ref counts its rewires.  `baltic top -b` shows the same figures.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
for f in mrr mpar mref; do
	check "create $f" "$BALTIC" create -q -f $f "$T/farms/metrics.farm"
done

# stats FARM JQ: the jq filter on the farm's counters (baltic top --json).
stats() {
	"$BALTIC" top --json "$1" | jq -r ".farms[0] | $2"
}
# urls PORT PATH N: the URL N times, for one curl that keeps its
# connection.
urls() {
	for _ in $(seq "$3"); do printf 'http://127.0.0.1:%s%s\n' "$1" "$2"; done
}

# ---- or roundrobin: 100 calls, 50 and 50 ------------------------------
curl -s -X POST --data-binary '' $(urls 18601 /mrr/IEcho/Who 100) >/dev/null
expect_eq "farm: 100 calls entered at its exports" 100 "$(stats mrr .export_calls.calls)"
expect_eq "farm: 100 succeeded" 100 "$(stats mrr .export_calls.succeeded)"
expect_eq "farm: no guest calls" 0 "$(stats mrr .guest_calls.calls)"
expect_eq "export s.IEcho: 100 calls" 100 "$(stats mrr '.exports[0].calls')"
expect_eq "or s: 100 calls" 100 "$(stats mrr '.bindings[] | select(.name == "s") | .calls')"
expect_eq "or s: 50 and 50 by branch" "mrr-a 50 0 mrr-b 50 0" \
    "$(stats mrr '.bindings[] | select(.name == "s") | .branches[] | "\(.name) \(.calls) \(.passed)"' | paste -sd' ')"
expect_eq "partitions: 50 and 50" "mrr-a 50 mrr-b 50" \
    "$(stats mrr '.partitions[] | "\(.name) \(.calls)"' | paste -sd' ')"
expect_eq "latency: every answered call in a bucket" 100 \
    "$(stats mrr '.exports[0].buckets | add')"
expect_eq "nothing outstanding" 0 "$(stats mrr '.bindings[0].outstanding')"
check "partition CPU and memory known on the local backend" \
    test "$(stats mrr '[.partitions[] | select(.cpu_ns >= 0 and .memory_kb > 0)] | length')" = 2

# ---- errors by kind ------------------------------------------------------
curl -s -X POST --data-binary '' $(urls 18601 /mrr/IEcho/Fail 4) >/dev/null
curl -s -X POST --data-binary '' $(urls 18601 /mrr/IEcho/Bad 2) >/dev/null
curl -s -X POST --data-binary '' http://127.0.0.1:18601/mrr/IEcho/Nope >/dev/null
curl -s -X POST --data-binary 'x' http://127.0.0.1:18601/mrr/IEcho/Add >/dev/null
curl -s -X POST -H 'X-Baltic-Timeout: 300' --data-binary 3000 \
    http://127.0.0.1:18601/mrr/IEcho/Sleep >/dev/null
kinds='.errors_by_kind | "\(.handler) \(.bad_answer) \(.refused) \(.timeout) \(.unavailable) \(.overload) \(.internal)"'
expect_eq "export: handler 4, bad answer 2, refused 2, timeout 1" \
    "4 2 2 1 0 0 0" "$(stats mrr ".exports[0] | $kinds")"
expect_eq "export: 109 calls, 100 succeeded" "109 100" \
    "$(stats mrr '.exports[0] | "\(.calls) \(.succeeded)"')"
expect_eq "or s: refused calls never reached it" "4 2 0 1 0 0 0" \
    "$(stats mrr ".bindings[] | select(.name == \"s\") | $kinds")"
expect_eq "or s: a failed call is not passed on (not idempotent)" 0 \
    "$(stats mrr '[.bindings[0].branches[].passed] | add')"
expect_eq "partitions: the errors split by the round robin" \
    "mrr-a 2 1 mrr-b 2 1" \
    "$(stats mrr '.partitions[] | "\(.name) \(.errors_by_kind.handler) \(.errors_by_kind.bad_answer)"' | paste -sd' ')"

# (The timed-out call: whether its partition counts a timeout too, or
# only a cancel, is a race between the agent's own deadline and
# balticd's; the binding's and the export's counts are exact.)

# ---- par: the fast branch wins, the slow one is cancelled ---------------
curl -s -X POST --data-binary 5000 $(urls 18602 /mpar/IEcho/Slow 3) >/dev/null
expect_eq "par: 3 wins on fast, none on slow" "mpar-slow 0 mpar-fast 3" \
    "$(stats mpar '.bindings[] | select(.name == "both") | .branches[] | "\(.name) \(.wins)"' | paste -sd' ')"
expect_eq "par: 3 cancels" 3 "$(stats mpar '.bindings[] | select(.name == "both") | .cancels')"
expect_eq "par: a plain par hedges nothing" 0 "$(stats mpar '.bindings[] | select(.name == "both") | .hedged')"
expect_eq "par: the slow partition's calls were cancelled, not answered" \
    "3 0 3 0" "$(stats mpar '.partitions[] | select(.name == "mpar-slow") | "\(.calls) \(.succeeded) \(.cancelled) \(.outstanding)"')"
expect_eq "par: the fast partition answered 3" "3 3" \
    "$(stats mpar '.partitions[] | select(.name == "mpar-fast") | "\(.calls) \(.succeeded)"')"

# ---- ref: rewires, and the anonymous `or` below it named from it --------
curl -s -X POST --data-binary '' $(urls 18603 /mref/IEcho/Who 4) >/dev/null
expect_eq "ref r: 4 calls, to its or r.target" "4 r.target 0" \
    "$(stats mref '.bindings[] | select(.name == "r") | "\(.calls) \(.target) \(.rewires)"')"
check "set r to b" "$BALTIC" set mref r b
curl -s -X POST --data-binary '' $(urls 18603 /mref/IEcho/Who 2) >/dev/null
expect_eq "ref r: one rewire, now to b (partition mref-b)" "6 mref-b 1" \
    "$(stats mref '.bindings[] | select(.name == "r") | "\(.calls) \(.target) \(.rewires)"')"
expect_eq "the old target kept its count" 4 \
    "$(stats mref '.bindings[] | select(.name == "r.target") | .calls')"
expect_eq "mref-b: 2 from the or, 2 direct" 4 \
    "$(stats mref '.partitions[] | select(.name == "mref-b") | .calls')"

# ---- baltic top -b --------------------------------------------------------
out=$("$BALTIC" top -b -n 1 mrr)
expect_match "top -b: a header" "^baltic top: 1 farm, 2 partitions; balticd up" "$out"
expect_match "top -b: the or's line" \
    "^  s +or +- +107 .* calls: mrr-a 5[34], mrr-b 5[34]; passed on 0$" \
    "$(printf '%s\n' "$out" | grep '^  s ')"
line=$(printf '%s\n' "$out" | grep '^  mrr-a ')
expect_match "top -b: a partition's line: state, calls, errors, CPU, memory" \
    '^  mrr-a +vm +ready +5[45] +[0-9.]+ +[34] +[0-9.]+ +[0-9.-]+ +[0-9.-]+ +0 +[0-9.]+ +[0-9]+  Echo, pid [0-9]+$' "$line"
out=$("$BALTIC" top -b -n 2 -d 0.2)
expect_eq "top -b -n 2: two frames of all farms" "2 3" \
    "$(printf '%s\n' "$out" | grep -c '^baltic top: 3 farms') $(printf '%s\n' "$out" | grep -c ' farm  ' | awk '{ print $1 / 2 }')"
expect_match "top -b: the second frame's rates over the interval" \
    "rates over 0\.[0-9] s" "$(printf '%s\n' "$out" | sed -n '/^$/,$p')"
out=$("$BALTIC" top -b -n 1 -d 0 2>&1); rc=$?
expect_eq "top -d 0: a bad command line" 2 $rc
expect_match "top -d 0: says why" "-d 0: seconds expected" "$out"
out=$("$BALTIC" top -b -n x 2>&1); rc=$?
expect_eq "top -n x: a bad command line" 2 $rc
out=$("$BALTIC" top -b nosuch 2>&1); rc=$?
expect_eq "top of no such farm: exit 3" 3 $rc
out=$("$BALTIC" top </dev/null 2>&1); rc=$?
expect_match "top without a terminal: -b is suggested" "not a terminal" "$out"
finish
