#!/bin/bash
# Every manual page in man/ renders without a groff warning: each is run
# through groff with all warnings on, and anything it says on stderr
# fails the test, naming the page.  Skipped (77) without groff.
set -u
command -v groff >/dev/null 2>&1 || { echo "groff not installed: skipped"; exit 77; }
fail=0
for page in "$top_srcdir"/man/*.[1-8]; do
	name=${page##*/}
	err=$(LC_ALL=C.UTF-8 groff -ww -mandoc -Tutf8 -z "$page" 2>&1 >/dev/null)
	if [ -n "$err" ]; then
		printf '%s\n' "$err" | sed "s|^|FAIL $name: |"
		fail=1
	else
		echo "ok $name"
	fi
done
exit $fail
