#!/bin/bash
# `par` answers with the first success and cancels the other branch: the
# slow branch's handler is killed, so it never finishes.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create the par farm" "$BALTIC" create -q -f pf "$T/farms/combinators.farm"

start=$(date +%s%N)
out=$(post 18311 /pf/IEcho/Slow 1500)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "par: the fast branch's answer" "done by pf-fast"$'\n'"200" "$out"
check "par: answered before the slow branch could ($ms ms)" test "$ms" -lt 1200
sleep 2
expect_eq "par: the slow branch was cancelled (never finished)" "" \
    "$(find "$BALTIC_RUN_DIR" -name 'finished.*')"
expect_eq "par: slow branch counted no success" 0 "$(served pf pf-slow)"

# Both fail: the error says so, with the last branch's reason.
out=$(post 18311 /pf/IEcho/Fail "")
expect_match "par: all branches failed -> 502 naming them" \
    'par: all 2 branches failed.*deliberate failure in pf-(slow|fast).*502$' \
    "$(echo $out)"
finish
