#!/bin/bash
# netns.sh TEST [ARGS]: the log compiler of the shell tests.  As root, a
# test runs in a network namespace of its own with nothing but a
# loopback interface: its fixed ports (tests/system/farms) cannot meet
# a listener of the host's, or of a test running beside it in another
# build tree.  Where namespaces are not available it runs as it is.
if [ -z "${BALTIC_TEST_NO_NETNS:-}" ] && [ "$(id -u)" = 0 ] &&
    command -v ip >/dev/null && unshare --net true 2>/dev/null; then
	exec unshare --net bash -c 'ip link set lo up && exec bash "$@"' \
	    netns "$@"
fi
exec bash "$@"
