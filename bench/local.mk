# bench: `make bench` runs bench/run.sh (see BENCHMARKS.md).  Helper
# programs: the HTTP echo backend behind HAProxy (the handlers are
# tests/handlers/persist, in its jitter mode for the par tail test), and
# the relay that scale.sh puts in front of each echo server for its
# second yardstick.  Not part of make check.
noinst_PROGRAMS += bench/echo-http bench/relay
bench_echo_http_SOURCES = bench/echo-http.c
bench_echo_http_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
bench_echo_http_LDADD = $(LIBEVENT_LIBS)
bench_relay_SOURCES = bench/relay.c
bench_relay_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
bench_relay_LDADD = $(LIBEVENT_LIBS)
EXTRA_DIST += bench/run.sh bench/ab.sh bench/profile.sh bench/scale.sh bench/lib.sh \
	bench/cluster.sh \
	bench/haproxy.cfg.in bench/post.lua bench/farms/bench.farm \
	bench/roles/echo/services/IEcho bench/roles/jitter/services/IEcho
