#!/bin/sh
# run.sh: check every bad farm in tests/bad against its expected
# diagnostics, and every good farm in tests/bad/good for silence.
#
# Each tests/bad/NAME.farm is checked from tests/bad by its basename, so
# NAME.err holds the exact lines of farm_diags_print(); the check must
# also fail (exit 1).  Run by `make check`, or by hand:
#   top_srcdir=. top_builddir=BUILD sh tests/bad/run.sh
# Set FARM_REGEN=1 to rewrite the .err files (then review the diff).

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
case $builddir in /*) ;; *) builddir=$(pwd)/$builddir ;; esac
check=${FARMCHECK:-$builddir/tests/bad/farmcheck}
bad=$srcdir/tests/bad

if [ ! -x "$check" ]; then
	echo "run.sh: $check not built" >&2
	exit 99
fi

pass=0
fail=0
tmp=$(mktemp) || exit 99
trap 'rm -f "$tmp"' EXIT INT TERM

cd "$bad" || exit 99
for f in *.farm; do
	name=${f%.farm}
	"$check" "$f" >"$tmp" 2>&1
	rc=$?
	if [ -n "$FARM_REGEN" ]; then
		cp "$tmp" "$name.err"
	fi
	if [ ! -f "$name.err" ]; then
		echo "FAIL: $f: no $name.err"
		fail=$((fail + 1))
	elif ! diff -u "$name.err" "$tmp" >/dev/null; then
		echo "FAIL: $f: diagnostics differ:"
		diff -u "$name.err" "$tmp" | sed 's/^/    /'
		fail=$((fail + 1))
	elif [ "$rc" -ne 1 ]; then
		echo "FAIL: $f: exit status $rc, expected 1 (errors)"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done

cd "$bad/good" || exit 99
for f in *.farm; do
	"$check" "$f" >"$tmp" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] || [ -s "$tmp" ]; then
		echo "FAIL: good/$f: exit status $rc, output:"
		sed 's/^/    /' "$tmp"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
