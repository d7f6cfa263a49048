# binaries: the project's programs copied into dom0 start (their shared
# libraries were all found); a loader error is a failure of the image.
. /test/lib.sh
n=0
for b in /usr/local/bin/baltic /usr/local/bin/balticd /usr/local/bin/baltic-agent \
	/usr/local/bin/baltic-call /usr/local/bin/vchan-test; do
	[ -x "$b" ] || continue
	n=$((n + 1))
	out=$("$b" --help 2>&1)
	rc=$?
	echo "$out" | head -n 2 | sed "s|^|  ${b##*/}: |"
	case "$out" in
	*"error while loading shared libraries"*|*"not found"*)
		echo "$out" | head -n 3
		result "binary-${b##*/}" fail "loader error" ;;
	*)
		[ $rc -ne 127 ] && [ $rc -ne 126 ] && result "binary-${b##*/}" pass ||
			result "binary-${b##*/}" fail "exit $rc" ;;
	esac
done
[ $n -gt 0 ] || result binaries skip "none built"
