#!/bin/bash
# One exit-code table: the one in toolstack/ctl.h (with a #define per
# code), the one in README.md and EXIT STATUS of baltic(1) say the same
# thing, code for code; each difference is printed.  Skipped (77)
# without groff, which renders the manual page.
set -u
command -v groff >/dev/null 2>&1 || { echo "groff not installed: skipped"; exit 77; }
norm() { sed -e 's/[.]$//' -e 's/^\([0-9]\) \(.\)/\1 \L\2/' -e 's/  */ /g'; }

code=$(sed -n '/Exit codes/,/\*\//s/^ \*\t\([0-9]\)\t\(.*\)$/\1 \2/p' \
    "$top_srcdir/toolstack/ctl.h" | norm)
readme=$(sed -n 's/^| \([0-9]\) | \(.*\) |$/\1 \2/p' "$top_srcdir/README.md" | norm)
man=$(LC_ALL=C.UTF-8 groff -mandoc -Tascii -P -cbou "$top_srcdir/man/baltic.1" 2>/dev/null |
    sed -n '/^EXIT STATUS/,/^[A-Z]/p' |
    sed -n 's/^ *\([0-9]\)  *\(.*\)$/\1 \2/p' | sed 's/balticd(8)/balticd/' | norm)
fail=0
[ -n "$code" ] || { echo "FAIL ctl.h: no table"; fail=1; }
for n in $(printf '%s\n' "$code" | cut -d' ' -f1); do
	grep -Eq "^#define BALTIC_EXIT_[A-Z]+[[:space:]]+$n\$" \
	    "$top_srcdir/toolstack/ctl.h" ||
	    { echo "FAIL ctl.h: no #define for exit $n"; fail=1; }
done
for pair in "README.md:$readme" "baltic.1:$man"; do
	name=${pair%%:*}
	if [ "${pair#*:}" != "$code" ]; then
		echo "FAIL $name differs from ctl.h:"
		diff <(printf '%s\n' "$code") <(printf '%s\n' "${pair#*:}")
		fail=1
	else
		echo "ok $name"
	fi
done
exit $fail
