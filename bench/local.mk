# bench: `make bench` runs bench/run.sh (see BENCHMARKS.md).  Two helper
# programs: the jittery persistent handler for the par tail test, and
# the HTTP echo backend behind HAProxy.  Not part of make check.
noinst_PROGRAMS += bench/jitter bench/echo-http
bench_jitter_SOURCES = bench/jitter.c
bench_jitter_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
bench_jitter_LDADD = libbaltic/libbaltic.a $(LIBEVENT_LIBS)
bench_echo_http_SOURCES = bench/echo-http.c
bench_echo_http_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
bench_echo_http_LDADD = $(LIBEVENT_LIBS)
EXTRA_DIST += bench/run.sh bench/post.lua bench/farms/bench.farm \
	bench/roles/echo/services/IEcho bench/roles/jitter/services/IEcho
