#!/bin/bash
# The `or` delivery rule, case by case, on `or failover(bad, good)`: an
# idempotent call passes on from a branch that fails, answers badly, hangs
# past its share of the deadline or refuses for overload; any other call
# is answered with the first branch's error.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
check "create the failover farm" "$BALTIC" create -q -f fo "$T/farms/failover.farm"

# call OP [TIMEOUT_MS]: the answer's body, then its HTTP status.
call() {
	curl -s -w '\n%{http_code}' -X POST -H "X-Baltic-Timeout: ${2:-4000}" \
	    --data-binary '' "http://127.0.0.1:18321/fo/IFlaky/$1"
}

expect_eq "idempotent, handler fails: passed on to good" \
    "$(printf 'fo-good\n200')" "$(call Get)"
out=$(call Put)
expect_eq "not idempotent, handler fails: the error is the answer" 502 \
    "$(tail -n 1 <<< "$out")"
expect_match "... and names the failure" "handler|exit" "$out"
expect_eq "idempotent, result of the wrong type: passed on" \
    "$(printf '7\n200')" "$(call Bad)"

begin=$(date +%s%3N)
out=$(call Hang 2000)
took=$(( $(date +%s%3N) - begin ))
expect_eq "idempotent, branch hangs: passed on within the deadline" \
    "$(printf 'fo-good\n200')" "$out"
check "... after the branch's share of the deadline ($took ms of 2000)" \
    test "$took" -ge 900 -a "$took" -lt 2000
good0=$(served fo fo-good)
begin=$(date +%s%3N)
out=$(call Block 1500)
took=$(( $(date +%s%3N) - begin ))
expect_eq "not idempotent, branch hangs: timeout, not passed on" 504 \
    "$(tail -n 1 <<< "$out")"
check "... at the whole deadline ($took ms of 1500)" \
    test "$took" -ge 1400 -a "$took" -lt 3000
expect_eq "good never saw the call that was not idempotent" \
    "$good0" "$(served fo fo-good)"

# Overload: bad holds 64 calls (the agent's limit); the next is refused.
good0=$(served fo fo-good)
pids=
for i in $(seq 64); do
	call Block 8000 > /dev/null &
	pids="$pids $!"
done
for _ in $(seq 100); do
	n=$("$BALTIC" list --json fo | jq -r '.[0].partitions[] |
	    select(.name == "fo-bad") | .outstanding')
	[ "$n" = 64 ] && break
	sleep 0.1
done
expect_eq "bad holds 64 calls" 64 "$n"
expect_eq "idempotent, branch overloaded: passed on" \
    "$(printf 'fo-good\n200')" "$(call Who)"
out=$(call Put)
expect_eq "not idempotent, branch overloaded: refused with 503" 503 \
    "$(tail -n 1 <<< "$out")"
expect_match "... as an overload" "overload|too many" "$out"
kill $pids 2>/dev/null
wait $pids 2>/dev/null
expect_eq "good took only the calls passed on to it" $((good0 + 1)) \
    "$(served fo fo-good)"

# A dead branch: any call passes on (it never reached a guest).
pid=$("$BALTIC" list --json fo | jq -r '.[0].partitions[] |
    select(.name == "fo-bad") | .pid')
kill -KILL "$pid"
for _ in $(seq 50); do
	st=$("$BALTIC" list --json fo | jq -r '.[0].partitions[] |
	    select(.name == "fo-bad") | .state')
	[ "$st" != ready ] && break
	sleep 0.1
done
expect_eq "not idempotent, branch dead: passed on" \
    "$(printf 'fo-good\n200')" "$(call Put)"
finish
