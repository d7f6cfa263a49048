# unit tests: partition -- one partition's channel (daemon/edge/) with the
# real router, the test playing the guest agent over a socketpair;
# adopt.c, state.c and the backend faked (partition-fixture.c).  Calls
# dom0 makes, and calls the guest makes.
PARTITION_TEST_SOURCES = tests/unit/partition-fixture.h \
	tests/unit/partition-fixture.c \
	toolstack/daemon/edge/partition.c toolstack/daemon/edge/chan-call.c \
	toolstack/daemon/core/router.c toolstack/daemon/core/req-arg.c \
	toolstack/daemon/core/hedge.c \
	toolstack/daemon/obs/obs.c toolstack/daemon/obs/obs-graph.c \
	toolstack/util/idmap.c toolstack/util/util.c
PARTITION_TEST_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(YAJL_CFLAGS)
PARTITION_TEST_LDADD = toolstack/libfarm.a libbaltic/libbaltic.a \
	$(CMOCKA_LIBS) $(YAJL_LIBS) $(LIBEVENT_LIBS)

check_PROGRAMS += tests/unit/test-partition tests/unit/test-partition-guest
TESTS += tests/unit/test-partition tests/unit/test-partition-guest
tests_unit_test_partition_SOURCES = tests/unit/test-partition.c \
	$(PARTITION_TEST_SOURCES)
tests_unit_test_partition_CFLAGS = $(PARTITION_TEST_CFLAGS)
tests_unit_test_partition_LDADD = $(PARTITION_TEST_LDADD)
tests_unit_test_partition_guest_SOURCES = tests/unit/test-partition-guest.c \
	$(PARTITION_TEST_SOURCES)
tests_unit_test_partition_guest_CFLAGS = $(PARTITION_TEST_CFLAGS)
tests_unit_test_partition_guest_LDADD = $(PARTITION_TEST_LDADD)
