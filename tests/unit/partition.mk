# unit tests: partition -- one partition's channel (daemon/edge/) with the
# real router, the test playing the guest agent over a socketpair;
# adopt.c, state.c and the backend faked.
check_PROGRAMS += tests/unit/test-partition
TESTS += tests/unit/test-partition
tests_unit_test_partition_SOURCES = tests/unit/test-partition.c \
	toolstack/daemon/edge/partition.c toolstack/daemon/core/router.c \
	toolstack/util/idmap.c toolstack/util/util.c
tests_unit_test_partition_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(YAJL_CFLAGS)
tests_unit_test_partition_LDADD = toolstack/libfarm.a libbaltic/libbaltic.a \
	$(CMOCKA_LIBS) $(YAJL_LIBS) $(LIBEVENT_LIBS)
