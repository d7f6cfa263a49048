# Fuzzing (tests/fuzz): libFuzzer targets built with clang by build.sh,
# run by `make fuzz`; in `make check`, the same targets built as plain
# programs (replay-main.c) replay the seed corpus and saved crashes.
FUZZ_SECONDS ?= 60

fuzz:
	$(SHELL) $(srcdir)/tests/fuzz/run.sh $(FUZZ_SECONDS)

.PHONY: fuzz

FUZZ_FARM_LIBS = toolstack/libfarm.a
FUZZ_PROTO_LIBS = libbaltic/libbaltic.a $(LIBEVENT_LIBS)

check_PROGRAMS += tests/fuzz/replay-farm tests/fuzz/replay-farm-expr \
	tests/fuzz/replay-http tests/fuzz/replay-wire tests/fuzz/replay-chan \
	tests/fuzz/replay-http-req tests/fuzz/replay-keep tests/fuzz/replay-ctl \
	tests/fuzz/replay-etcd tests/fuzz/replay-record
tests_fuzz_replay_farm_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-farm.c tests/fuzz/fuzz.h
tests_fuzz_replay_farm_LDADD = $(FUZZ_FARM_LIBS)
tests_fuzz_replay_farm_expr_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-farm-expr.c tests/fuzz/fuzz.h
tests_fuzz_replay_farm_expr_LDADD = $(FUZZ_FARM_LIBS)
tests_fuzz_replay_http_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-http.c tests/fuzz/fuzz.h
tests_fuzz_replay_http_LDADD = $(FUZZ_FARM_LIBS)
tests_fuzz_replay_http_req_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-http-req.c tests/fuzz/fuzz.h toolstack/daemon/edge/http-req.c
tests_fuzz_replay_wire_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-wire.c tests/fuzz/fuzz.h
tests_fuzz_replay_wire_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_fuzz_replay_wire_LDADD = $(FUZZ_PROTO_LIBS)
tests_fuzz_replay_chan_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-chan.c tests/fuzz/fuzz.h
tests_fuzz_replay_chan_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_fuzz_replay_chan_LDADD = $(FUZZ_PROTO_LIBS)
tests_fuzz_replay_keep_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-keep.c tests/fuzz/fuzz.h toolstack/keep/keep-proto.c
tests_fuzz_replay_keep_LDADD = libbaltic/libbaltic.a
tests_fuzz_replay_ctl_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-ctl.c tests/fuzz/fuzz.h toolstack/daemon/control-req.c \
	toolstack/util/util.c
tests_fuzz_replay_ctl_CFLAGS = $(AM_CFLAGS) $(YAJL_CFLAGS)
tests_fuzz_replay_ctl_LDADD = $(YAJL_LIBS)

tests_fuzz_replay_etcd_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-etcd.c tests/fuzz/fuzz.h
tests_fuzz_replay_etcd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(YAJL_CFLAGS)
tests_fuzz_replay_etcd_LDADD = toolstack/libcluster.a $(YAJL_LIBS) \
	$(LIBEVENT_LIBS)

tests_fuzz_replay_record_SOURCES = tests/fuzz/replay-main.c \
	tests/fuzz/fuzz-record.c tests/fuzz/fuzz.h toolstack/util/util.c
tests_fuzz_replay_record_CFLAGS = $(AM_CFLAGS) $(YAJL_CFLAGS)
tests_fuzz_replay_record_LDADD = toolstack/libcluster.a \
	libbaltic/libbaltic.a $(YAJL_LIBS)

TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/replay.sh tests/fuzz/run.sh tests/fuzz/build.sh \
	tests/fuzz/mkseeds.py tests/fuzz/README tests/fuzz/corpus \
	tests/fuzz/crashes
