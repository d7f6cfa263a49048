#!/bin/bash
# layering.sh: the rules of the tree's shape (HACKING.md, "Nevers"), read
# from the #include lines and the sizes of the sources.  Each broken rule
# is one line "file:line: rule"; the exit status is 1 if any is.
#
#   top_srcdir=. bash tests/layering.sh
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src" || exit 99

pass=0
fail=0
bad() {
	echo "$1"
	fail=$((fail + 1))
}

# includes DIR...: "file:line:"header"" or "file:line:<header>" for
# every #include.
includes() {
	find "$@" -name '*.[ch]' -print | sort | while read -r f; do
		awk -v f="$f" '
		    /^[ \t]*#[ \t]*include[ \t]*["<]/ {
			h = $0
			sub(/^[^"<]*/, "", h)
			sub(/[">][^">]*$/, "", h)
			if (h ~ /^</)
				h = h ">"
			else
				h = h "\""
			print f ":" FNR ":" h
		    }' "$f"
	done
}

# rule NAME DIRS REGEX [ALLOW]: no file under DIRS includes a header
# matching REGEX, unless it matches ALLOW (extended regular expressions
# on the header as written, with its quotes or angle brackets).
rule() {
	local name=$1 dirs=$2 re=$3 allow=${4:-'^$'} line h n=0
	# shellcheck disable=SC2086
	while IFS= read -r line; do
		h=${line#*:*:}
		[[ "$h" =~ $re ]] || continue
		[[ "$h" =~ $allow ]] && continue
		bad "${line%:*}: $name (includes $h)"
		n=$((n + 1))
	done < <(includes $dirs)
	[ "$n" -eq 0 ] && pass=$((pass + 1))
}

libbaltic_h='^"('$(cd libbaltic && ls -- *.h | sed 's/\.h$//' | paste -sd'|')')\.h"$'
rule "the toolstack's headers are named from toolstack/ (\"folder/name.h\")" \
    "toolstack" '^"[^/]+"$' "$libbaltic_h|^\"ctl\.h\"$"
rule "daemon/core/ includes no backend, keeper, edge or control header" \
    "toolstack/daemon/core" '^"(backend/|keep/|daemon/edge/|cli/|ctl\.h)'
rule "keep/ never includes the daemon's header" \
    "toolstack/keep" '^"(daemon/|backend/|cli/|ctl\.h)'
rule "backend/ includes neither the CLI, the keeper nor the daemon's edges" \
    "toolstack/backend" '^"(cli/|keep/|daemon/edge/|daemon/core/|ctl\.h)'
rule "farm/ and compile/ include nothing of the daemon, the CLI or the keeper" \
    "toolstack/farm toolstack/compile" '^"(daemon/|cli/|keep/|backend/|ctl\.h)'
rule "cluster/ includes nothing of the daemon, the CLI, the keeper or the backends" \
    "toolstack/cluster" '^"(daemon/|cli/|keep/|backend/|farm/|compile/|ctl\.h)'
rule "cli/ shares only ctl.h with the daemon" \
    "toolstack/cli" '^"(daemon/|keep/|backend/)'
rule "only backend/xen*, backend/store-xs.c and compile/translate-libxl.c include libxl or xenstore" \
    "$(find toolstack -name '*.[ch]' ! -path 'toolstack/backend/xen*' \
    ! -name store-xs.c ! -name translate-libxl.c | sort | paste -sd' ')" \
    '^<(libxl|xenstore|xs\.h|xenctrl|xentoollog|libxenvchan|xen/)|^"chan-vchan\.h"'
rule "libbaltic/ includes nothing from toolstack/ or guest-agent/" \
    "libbaltic" '^"(\.\./|toolstack/|guest-agent/|cli/|daemon/|farm/|keep/|backend/|compile/|util/|ctl\.h|agent\.h)'
rule "guest-agent/ includes only libbaltic/ and its own headers" \
    "guest-agent" '^"(\.\./|toolstack/|cli/|daemon/|farm/|keep/|backend/|compile/|util/|ctl\.h)'

# No C file over 800 lines.
n=0
while read -r lines f; do
	[ "$f" = total ] && continue
	if [ "$lines" -gt 800 ]; then
		bad "$f:$lines: a C file of more than 800 lines"
		n=$((n + 1))
	fi
done < <(find toolstack libbaltic guest-agent -name '*.[ch]' -print0 |
    xargs -0 wc -l)
[ "$n" -eq 0 ] && pass=$((pass + 1))

# No function over 100 lines: from a line that opens a function body
# ("{" alone in column 0) to its "}" in column 0.
n=0
while IFS= read -r line; do
	bad "$line"
	n=$((n + 1))
done < <(find toolstack libbaltic guest-agent -name '*.c' -print | sort |
    xargs awk '
	FNR == 1 { start = 0 }
	/^[a-z_][a-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name); at = FNR }
	/^\{/ { start = FNR }
	/^\}/ && start > 0 {
		if (FNR - start - 1 > 100)
			printf "%s:%d: function %s has %d lines (over 100)\n",
			    FILENAME, at, name, FNR - start - 1
		start = 0
	}')
[ "$n" -eq 0 ] && pass=$((pass + 1))

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
