#!/bin/sh
# The schema checker on canned `xenstore-ls -fp` text: a tree that
# matches, one with unknown nodes and wrong permissions, one with a
# destroyed farm's nodes left behind, and input that is not -fp output.
set -u
here="${top_srcdir:-$(dirname "$0")/..}/xenstore-schema"
check="$here/check"
t="$here/tests"
fails=0
n=0

# expect NAME STATUS EXPECTED-OUTPUT -- ARGS...
expect() {
	name="$1" want_rc="$2" want="$3"
	shift 4
	n=$((n + 1))
	got=$(sh "$check" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && [ "$got" = "$want" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $rc, want $want_rc)"
		echo "$got" | sed 's/^/#   got: /'
		echo "$want" | sed 's/^/#  want: /'
		fails=$((fails + 1))
	fi
}

expect "a conforming tree" 0 \
"ok: 21 baltic node(s) match the schema" -- "$t/good.ls"

expect "unknown nodes and wrong permissions, from stdin" 1 \
"perms: /local/domain/0/baltic/farms/eop/source have n0,r3 want n0
unknown: /local/domain/0/baltic/stray
perms: /local/domain/3/data/baltic/farm have n3 want n0,r3
unknown: /local/domain/3/data/baltic/secret
4 problem(s) in 11 baltic node(s)" -- - < "$t/bad.ls"

expect "nodes left after destroying a farm" 1 \
"left: /local/domain/0/baltic/farms/eop/domains
left: /local/domain/5/data/baltic
left: /local/domain/5/data/baltic/farm
left: /local/domain/5/data/baltic/instance
4 problem(s) in 10 baltic node(s)" -- --after-destroy eop "$t/after-destroy.ls"

expect "another farm's nodes are not left-overs" 0 \
"ok: 21 baltic node(s) match the schema" -- --after-destroy nosuch "$t/good.ls"

expect "not -fp output" 2 \
"check: not \`xenstore-ls -fp\` output (no full path): local = \"\"   (n0)" \
    -- "$t/not-full.ls"

expect "usage" 2 \
"usage: check [--schema FILE] [--after-destroy FARM] [FILE|-]" -- --bogus

echo "1..$n"
[ "$fails" -eq 0 ]
