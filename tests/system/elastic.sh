#!/bin/bash
# An elastic or (or leastout (vm Echo) elastic 1 to 4 grow 1 idle 2):
# 8 clients calling a 300 ms operation in a loop make its pool grow to
# 4, with zero failed calls; once they stop it shrinks back to 1,
# draining before it destroys.  baltic list shows the pool and why it
# last changed.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create el" "$BALTIC" create -q "$T/farms/elastic.farm"
size() { "$BALTIC" list --json el | jq -r '.[0].pools[0].size'; }
agents() { pgrep -f "baltic-agent -c $BALTIC_RUN_DIR" | wc -l; }
expect_eq "the pool starts at its smallest size" 1 "$(size)"

load_start 8 18381 /el/IEcho/Sleep 300
sizes=
for _ in $(seq 16); do sleep 0.5; sizes="$sizes $(size)"; done
read -r total answered failed refused reset lost <<< "$(load_stop)"
echo "# pool size every 0.5 s under load:$sizes"
echo "# $total calls, $answered answered, $failed errors, $refused refused, $reset reset, $lost lost"
expect_eq "under the burst the pool grew to its largest size" 4 "$(size)"
expect_eq "every call answered while it grew" "$total" "$answered"
expect_match "list -l says why it grew" \
    "pool web: 4 \(1 to 4\), grew to 4: [0-9.]* calls outstanding per partition" \
    "$("$BALTIC" list -l el)"
expect_eq "one agent per partition" 4 "$(agents)"
served=$("$BALTIC" list --json el | jq '[.[0].partitions[] | select(.served > 0)] | length')
expect_eq "every partition of the pool served calls" 4 "$served"

sizes=
for _ in $(seq 20); do sleep 0.5; sizes="$sizes $(size)"; done
echo "# pool size every 0.5 s once idle:$sizes"
expect_eq "idle, the pool shrank back to its smallest size" 1 "$(size)"
expect_match "list -l says why it shrank" \
    "pool web: 1 \(1 to 4\), shrank to 1: under half a call outstanding per partition for 2 s" \
    "$("$BALTIC" list -l el)"
for _ in $(seq 40); do [ "$(agents)" = 1 ] && break; sleep 0.05; done
expect_eq "the partitions it let go are destroyed" 1 "$(agents)"

# A shrink drains: with the pool at 4, a 4.5 s call on its last
# partition (leastout's rotation brought there by calls one at a time);
# at under half a call per partition the pool lets that partition go,
# and its call is answered before it is destroyed.
load_start 8 18381 /el/IEcho/Sleep 300
for _ in $(seq 40); do [ "$(size)" = 4 ] && break; sleep 0.25; done
load_stop > /dev/null
expect_eq "grown again" 4 "$(size)"
for _ in 1 2 3 4; do
	[ "$("$BALTIC" call el IEcho.Who)" = el-web.3 ] && break
done
post 18381 /el/IEcho/Sleep 4500 > "$T/long.out"
expect_eq "the long call is answered by the partition let go" "slept el-web.4
200" "$(cat "$T/long.out")"
expect_match "the pool shrank while it ran" "shrank to [123]:" "$("$BALTIC" list -l el)"
for _ in $(seq 40); do pgrep -f -- "$BALTIC_RUN_DIR/.* -n el-web.4\$" > /dev/null || break; sleep 0.05; done
check "... and destroyed it once drained" test -z "$(pgrep -f -- "$BALTIC_RUN_DIR/.* -n el-web.4\$")"
finish
