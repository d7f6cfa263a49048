#!/bin/sh
# run.sh [SECONDS]: build the fuzz targets (build.sh) and run each for
# SECONDS (default 60), one after the other, on one core.  Prints per
# target the executions reached and any crash; exits 1 if a target
# crashed (its input is saved as $FUZZ_BUILD/crash-<target>-*), 77 if
# clang is missing.  `make fuzz FUZZ_SECONDS=N` runs it.
#
# New inputs go to $FUZZ_BUILD/corpus-<target>, seeded from
# tests/fuzz/corpus/<target>, so the committed seeds stay small.
# FUZZ_TARGETS="farm wire" runs a subset; FUZZ_MAX_LEN and ASAN_OPTIONS
# override the defaults below.
set -u

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
out=${FUZZ_BUILD:-/tmp/baltic-fuzz}
targets=${FUZZ_TARGETS:-farm farm-expr http http-req wire chan keep ctl etcd record}

sh "$srcdir/tests/fuzz/build.sh" "$out" >/dev/null || exit $?

# Inputs up to 4 KiB, stated rather than left to libFuzzer's guess from
# the seeds: the largest example farm is 2.3 KiB, and the parser's and
# checker's depth limits (64 nested expressions, 256 refs) are reached
# well within it.
maxlen=${FUZZ_MAX_LEN:-4096}
# A 64 MB quarantine instead of ASan's 256: a freed block is still caught
# for hundreds of inputs, and cycling through less memory takes less than
# half the page faults (fuzz-farm).
ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64}
export ASAN_OPTIONS

crashed=0
for t in $targets; do
	work=$out/corpus-$t
	log=$out/fuzz-$t.log
	mkdir -p "$work"
	# -close_fd_mask=2: the channel logs every close to stderr;
	# libFuzzer keeps its own report on a copy of the descriptor.
	"$out/fuzz-$t" -max_total_time="$secs" -timeout=10 \
	    -max_len="$maxlen" -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix="$out/crash-$t-" \
	    "$work" "$srcdir/tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	[ -n "$runs" ] || runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz-$t: ${runs:-?} executions in ${secs}s, no crash"
	else
		crashed=1
		echo "fuzz-$t: CRASH (exit $rc) after ${runs:-?} executions:"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|.*runtime error|artifact_prefix|Test unit written)' \
		    "$log" | head -n 8 | sed 's/^/    /'
		echo "    full log: $log"
	fi
done
[ "$crashed" -eq 0 ]
