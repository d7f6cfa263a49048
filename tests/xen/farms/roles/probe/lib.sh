# Sourced by the probe's services (the role directory is /role in the
# guest).  try LABEL CMD...: run CMD; print "LABEL=ok(<its output>) " or
# "LABEL=denied ".
try() {
	label=$1; shift
	if out=$("$@" 2>&1); then
		printf '%s=ok(%s) ' "$label" "$(echo "$out" | head -c 40)"
	else
		printf '%s=denied ' "$label"
	fi
}
