#!/bin/bash
# The bash completion (completion/baltic) against a running balticd: it
# is registered for baltic (complete -p), and completes commands, options,
# a farm name, its instances, refs and exported interfaces, read from
# `baltic list --json`; with bash-completion's own helpers if installed,
# and without.
. "$(dirname "$0")/lib.sh"

start_daemon || { not_ok "balticd starts"; finish; exit; }
cp -r "$here/farms" "$here/roles" "$T/"
sed -i 's/127.0.0.1:18312/127.0.0.1:18352/' "$T/farms/combinators.farm"
check "create" "$BALTIC" create -q -f rf "$T/farms/combinators.farm"

# complete WORDS...: what completing the last word offers, one line.
cat > "$T/complete.bash" <<'EOS'
[ -n "${WITH_BASH_COMPLETION:-}" ] && . "$WITH_BASH_COMPLETION"
. "$top_srcdir/completion/baltic"
complete -p baltic
while read -r -a words; do
	[ "${words[-1]}" = "''" ] && words[-1]=
	COMP_WORDS=("${words[@]}")
	COMP_CWORD=$((${#words[@]} - 1))
	COMP_LINE="${words[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_baltic
	echo "${COMPREPLY[*]}"
done
EOS
bc=/usr/share/bash-completion/bash_completion
for with in "" "$bc"; do
	[ -n "$with" ] && [ ! -f "$with" ] && continue
	what=${with:+with bash-completion}
	what=${what:-alone}
	out=$(printf '%s\n' "baltic ''" "baltic de" "baltic list ''" \
	    "baltic destroy r" "baltic cut rf ''" "baltic set rf ''" \
	    "baltic call rf ''" "baltic create --" "baltic -v list ''" |
	    PATH="$top_builddir/toolstack:$PATH" WITH_BASH_COMPLETION=$with \
	    bash "$T/complete.bash" 2>&1)
	mapfile -t r <<< "$out"
	expect_eq "$what: registered for baltic" "complete -F _baltic baltic" "${r[0]}"
	expect_match "$what: the commands" "^help check compile create apply list top call set destroy cut paste move$" "${r[1]}"
	expect_eq "$what: a command's prefix" "destroy" "${r[2]}"
	expect_eq "$what: a farm name" "rf" "${r[3]}"
	expect_eq "$what: a farm name's prefix" "rf" "${r[4]}"
	expect_eq "$what: the farm's instances" "rf-a rf-b" "${r[5]}"
	expect_eq "$what: the farm's refs" "r" "${r[6]}"
	expect_eq "$what: the farm's exported interfaces" "IEcho." "${r[7]}"
	expect_eq "$what: a command's long option" "--json" "${r[8]}"
	expect_eq "$what: after a global option" "rf" "${r[9]}"
done
finish
