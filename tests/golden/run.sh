#!/bin/sh
# tests/golden/run.sh: `baltic compile` and `baltic compile --json` of
# every example farm, compared byte for byte with tests/golden/<name>.cfgs
# and <name>.json.  The absolute source directory is written @top_srcdir@
# in the golden files.  Also checks that -o writes the same configs, one
# file each, and that -N -o writes nothing.
#
# BALTIC_GOLDEN_UPDATE=1 also creates the files of a new example.
# Run by `make check` (top_srcdir and top_builddir exported), or by hand:
#   top_srcdir=/work/main top_builddir=/tmp/build-xl sh tests/golden/run.sh
# BALTIC_GOLDEN_UPDATE=1 rewrites the golden files from the current output.

: "${top_srcdir:?}" "${top_builddir:?}"
src=$(cd "$top_srcdir" && pwd -P) || exit 99
baltic=$top_builddir/toolstack/baltic
golden=$src/tests/golden
if [ ! -x "$baltic" ]; then
	echo "golden: $baltic not built" >&2
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/baltic-golden.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
ko() { fail=$((fail + 1)); echo "FAIL: $1"; }

# compare NAME FILE-WITH-OUTPUT GOLDEN-FILE
compare() {
	if [ -n "$BALTIC_GOLDEN_UPDATE" ]; then
		cp "$2" "$3" && ok "$1 (updated)"
	elif [ ! -f "$3" ]; then
		ko "$1: no golden file $3"
	elif diff -u "$3" "$2"; then
		ok "$1"
	else
		ko "$1"
	fi
}

# run NAME OUT ARGS...: baltic ARGS with the source dir made a placeholder.
run() {
	run_name=$1 run_out=$2
	shift 2
	if ! "$baltic" "$@" >"$run_out.raw" 2>"$run_out.err"; then
		ko "$run_name: baltic $* failed"
		cat "$run_out.err"
		return 1
	fi
	sed "s|$src|@top_srcdir@|g" "$run_out.raw" >"$run_out"
}

# A farm without golden files is named, not failed: another engineer's
# example is not this test's to judge until its expected output exists.
for farm in "$src"/examples/eop/*.farm; do
	ex=$(basename "$farm" .farm)
	if [ -z "$BALTIC_GOLDEN_UPDATE" ] && [ ! -f "$golden/$ex.cfgs" ]; then
		echo "SKIP: $ex (no $golden/$ex.cfgs)"
		continue
	fi

	if run "$ex compile" "$tmp/$ex.cfgs" compile "$farm"; then
		compare "$ex compile" "$tmp/$ex.cfgs" "$golden/$ex.cfgs"
	fi
	if run "$ex compile --json" "$tmp/$ex.json" compile --json "$farm"
	then
		compare "$ex compile --json" "$tmp/$ex.json" "$golden/$ex.json"
	fi

	# -o: one file per instance, the same text as on stdout.
	out=$tmp/$ex.d
	if run "$ex compile -o" "$tmp/$ex.paths" compile -o "$out" "$farm"
	then
		: >"$tmp/$ex.joined"
		first=1
		while read -r path; do
			[ $first = 1 ] || echo >>"$tmp/$ex.joined"
			first=0
			echo "# $(basename "$path")" >>"$tmp/$ex.joined"
			cat "$path" >>"$tmp/$ex.joined"
		done <"$tmp/$ex.paths.raw"
		n=$(wc -l <"$tmp/$ex.paths.raw")
		files=$(ls -A "$out" | wc -l)
		if [ "$n" -eq "$files" ] &&
		    sed "s|$src|@top_srcdir@|g" "$tmp/$ex.joined" |
		    cmp -s - "$tmp/$ex.cfgs"; then
			ok "$ex compile -o"
		else
			ko "$ex compile -o: files differ from stdout output"
		fi
	fi

	# -N -o: says what it would write, writes nothing.
	out=$tmp/$ex.dry
	if run "$ex -N compile -o" "$tmp/$ex.dryout" -N compile -o "$out" \
	    "$farm"; then
		if [ ! -e "$out" ] && grep -q '^would write ' "$tmp/$ex.dryout"
		then
			ok "$ex -N compile -o"
		else
			ko "$ex -N compile -o: wrote something"
		fi
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
