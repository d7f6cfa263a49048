#!/bin/sh
# replay.sh: replay every seed (tests/fuzz/corpus/<target>/*) and every
# saved crash (tests/fuzz/crashes/<target>/*) through the fuzz targets
# built as plain programs (tests/fuzz/replay-<target>, from `make
# check`).  One process per input, so one failure does not hide the
# rest.  Run by `make check`, or by hand:
#   top_srcdir=. top_builddir=BUILD sh tests/fuzz/replay.sh

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
case $builddir in /*) ;; *) builddir=$(pwd)/$builddir ;; esac
fuzz=$srcdir/tests/fuzz

pass=0
fail=0
tmp=$(mktemp) || exit 99
trap 'rm -f "$tmp"' EXIT INT TERM

for t in farm farm-expr http http-req wire chan keep ctl etcd record; do
	prog=$builddir/tests/fuzz/replay-$t
	if [ ! -x "$prog" ]; then
		echo "replay.sh: $prog not built" >&2
		exit 99
	fi
	for f in "$fuzz/corpus/$t"/* "$fuzz/crashes/$t"/*; do
		[ -f "$f" ] || continue
		if "$prog" "$f" >"$tmp" 2>&1; then
			pass=$((pass + 1))
		else
			echo "FAIL: $t: ${f#"$srcdir"/}:"
			grep -v '^baltic: channel closed' "$tmp" | head -n 20 |
			    sed 's/^/    /'
			fail=$((fail + 1))
		fi
	done
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
