#!/bin/bash
# bed.sh: the cluster test bed.  Sourced, it gives the helpers below;
# run, it checks itself (the cluster comes up healthy, a member killed
# and restarted rejoins, one cut off by nft and healed answers again).
#
# Everything lives inside a network namespace of its own (bed_enter
# re-runs the calling script under unshare -n, or -rn when not root),
# so the members' fixed ports 2379/2380 on 127.0.1.1-3 meet no one
# else's, and a cut is an nft rule in that namespace only.  The data
# directories are private (one temporary directory, removed at the
# end); every process is stopped by the PID it was started with.
#
#   . tests/cluster/bed.sh
#   bed_enter "$0" "$@"     # first: re-runs the script in a namespace
#   bed_start               # three members, healthy (or exit 1)
#   bed_kill 2; bed_restart 2; bed_cut 3; bed_heal 3
#   bed_urls                # "http://127.0.1.1:2379,..."
#   bed_certs DIR h1 h2     # a cluster CA and the hosts' certificates

BED_N=3
BED_DIR=
BED_TOKEN=balticd-test
declare -a BED_PID=()

bed_log() { echo "bed: $*" >&2; }

# bed_enter SCRIPT ARGS: re-run SCRIPT in a new network namespace,
# unless already in one of ours (BED_NETNS).  Returns only there.
bed_enter() {
	[ -n "${BED_NETNS:-}" ] && return 0
	export BED_NETNS=1
	if [ "$(id -u)" = 0 ]; then
		exec unshare -n bash "$@"
	fi
	exec unshare -rn bash "$@"
}

bed_addr() { echo "127.0.1.$1"; }

bed_urls() {
	local i out=
	for ((i = 1; i <= BED_N; i++)); do
		out+=${out:+,}http://$(bed_addr "$i"):2379
	done
	echo "$out"
}

# The loopback up, with 127.0.1.1-3 on it (127.0.0.0/8 normally is).
bed_net() {
	local i a
	ip link set lo up || return 1
	for ((i = 1; i <= BED_N; i++)); do
		a=$(bed_addr "$i")
		ip route get "$a" 2>/dev/null | grep -q '^local' ||
		    ip addr add "$a/32" dev lo || return 1
	done
}

# bed_member_start N: member mN in the background, its log in BED_DIR.
bed_member_start() {
	local n=$1 a cluster= i
	a=$(bed_addr "$n")
	for ((i = 1; i <= BED_N; i++)); do
		cluster+=${cluster:+,}m$i=http://$(bed_addr "$i"):2380
	done
	# No ETCD_* from the environment: flags only.
	env $(env | sed -n 's/^\(ETCD[A-Z_]*\)=.*/-u \1/p') \
	    etcd --name "m$n" --data-dir "$BED_DIR/m$n" \
	    --listen-client-urls "http://$a:2379" \
	    --advertise-client-urls "http://$a:2379" \
	    --listen-peer-urls "http://$a:2380" \
	    --initial-advertise-peer-urls "http://$a:2380" \
	    --initial-cluster "$cluster" --initial-cluster-state new \
	    --initial-cluster-token "$BED_TOKEN" --logger=zap \
	    >>"$BED_DIR/m$n.log" 2>&1 &
	BED_PID[n]=$!
}

# bed_healthy [SECONDS] [MEMBERS...]: wait until each member (all if
# none named) answers /health with "true".
bed_healthy() {
	local secs=${1:-30} i ok t0=$SECONDS
	shift
	local members=("$@")
	[ ${#members[@]} -eq 0 ] && members=($(seq 1 "$BED_N"))
	while :; do
		ok=1
		for i in "${members[@]}"; do
			curl -s -m 2 "http://$(bed_addr "$i"):2379/health" |
			    grep -q '"health":"true"' || { ok=0; break; }
		done
		[ "$ok" = 1 ] && return 0
		if [ $((SECONDS - t0)) -ge "$secs" ]; then
			bed_log "not healthy after ${secs}s"
			return 1
		fi
		sleep 0.2
	done
}

bed_start() {
	local i
	command -v etcd >/dev/null || { bed_log "no etcd (apt-get install etcd-server)"; exit 77; }
	[ -n "${BED_NETNS:-}" ] || { bed_log "bed_enter first"; exit 1; }
	BED_DIR=$(mktemp -d "${TMPDIR:-/tmp}/etcd-bed.XXXXXX") || exit 1
	trap bed_stop EXIT
	bed_net || { bed_log "cannot set up the loopback"; exit 1; }
	for ((i = 1; i <= BED_N; i++)); do
		bed_member_start "$i"
	done
	if ! bed_healthy 30; then
		tail -n 5 "$BED_DIR"/m*.log >&2
		exit 1
	fi
}

# bed_kill N: kill -9 member N and reap it.
bed_kill() {
	local pid=${BED_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	BED_PID[$1]=
}

# bed_lead N: member N made the leader (etcdctl move-leader, a no-op if
# it leads already).
bed_lead() {
	local id
	id=$(etcdctl --endpoints="$(bed_urls)" member list -w simple |
	    awk -F', ' -v m="m$1" '$3 == m { print $1 }')
	[ -n "$id" ] &&
	    etcdctl --endpoints="$(bed_urls)" move-leader "$id" >/dev/null
}

# bed_restart N: start member N again on its data directory and wait
# until it answers.
bed_restart() {
	bed_kill "$1"
	bed_member_start "$1"
	bed_healthy 30 "$1"
}

# bed_cut N: member N cut off from everyone (peers and clients) by an
# nft rule; bed_heal N removes it.
bed_cut() {
	local a
	command -v nft >/dev/null || { bed_log "no nft"; return 77; }
	a=$(bed_addr "$1")
	nft add table inet bed 2>/dev/null
	nft "add chain inet bed input { type filter hook input priority 0; }" &&
	nft add rule inet bed input ip saddr "$a" ip daddr != "$a" drop comment "\"cut$1\"" &&
	nft add rule inet bed input ip daddr "$a" ip saddr != "$a" drop comment "\"cut$1\""
}

bed_heal() {
	local h
	command -v nft >/dev/null || return 77
	for h in $(nft -a list chain inet bed input 2>/dev/null |
	    sed -n "s/.*comment \"cut$1\" # handle \([0-9]*\)/\1/p"); do
		nft delete rule inet bed input handle "$h"
	done
}

# bed_certs DIR HOST...: a throwaway cluster CA (DIR/ca.pem) and, per
# host, a certificate naming it (DIR/HOST.pem, DIR/HOST.key).
bed_certs() {
	local dir=$1 h
	shift
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" \
	    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null || return 1
	for h in "$@"; do
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$h" \
		    -keyout "$dir/$h.key" -out "$dir/$h.csr" 2>/dev/null &&
		openssl x509 -req -in "$dir/$h.csr" -CA "$dir/ca.pem" \
		    -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
		    -out "$dir/$h.pem" 2>/dev/null || return 1
	done
}

# Every member stopped (TERM, then KILL after 5 s) by its PID, the data
# removed.
bed_stop() {
	local i pid t
	for ((i = 1; i <= BED_N; i++)); do
		pid=${BED_PID[i]:-}
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null
		for ((t = 0; t < 50; t++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		BED_PID[i]=
	done
	if [ -n "$BED_DIR" ] && [ -d "$BED_DIR" ]; then
		rm -rf -- "$BED_DIR"
	fi
	BED_DIR=
}

# Run, not sourced: the bed checks itself.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	bed_enter "$0" "$@"
	t0=$SECONDS
	bed_start
	echo "ok - three members healthy in $((SECONDS - t0)) s"
	etcdctl --endpoints="$(bed_urls)" put bed/k v >/dev/null &&
	    echo "ok - a put through etcdctl" || { echo "not ok - put"; exit 1; }
	bed_kill 2
	# If it led, the others elect a new leader first (about 1 s).
	bed_healthy 30 1 3 || { echo "not ok - no leader left"; exit 1; }
	etcdctl --endpoints="$(bed_urls)" put bed/k v2 >/dev/null &&
	    echo "ok - a put with member 2 killed" ||
	    { echo "not ok - put with member 2 killed"; exit 1; }
	t0=$SECONDS
	bed_restart 2 && echo "ok - member 2 back in $((SECONDS - t0)) s" ||
	    { echo "not ok - member 2 restart"; exit 1; }
	[ "$(etcdctl --endpoints=http://127.0.1.2:2379 get --print-value-only bed/k)" = v2 ] &&
	    echo "ok - member 2 caught up" || { echo "not ok - catch up"; exit 1; }
	if command -v nft >/dev/null; then
		bed_cut 3
		if curl -s -m 1 http://127.0.1.3:2379/health >/dev/null; then
			echo "not ok - member 3 answers while cut"; exit 1
		fi
		echo "ok - member 3 cut off"
		bed_heal 3
		bed_healthy 30 3 && echo "ok - member 3 healed" ||
		    { echo "not ok - member 3 heal"; exit 1; }
	else
		echo "ok - # SKIP no nft"
	fi
	dir=$BED_DIR
	bed_stop
	[ ! -e "$dir" ] && echo "ok - nothing left behind" ||
	    { echo "not ok - $dir left"; exit 1; }
fi
