# unit tests: proto
check_PROGRAMS += tests/unit/test-proto tests/unit/test-chan
TESTS += tests/unit/test-proto tests/unit/test-chan
tests_unit_test_proto_SOURCES = tests/unit/test-proto.c
tests_unit_test_proto_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_proto_LDADD = libbaltic/libbaltic.a $(CMOCKA_LIBS) \
	$(LIBEVENT_LIBS)
tests_unit_test_chan_SOURCES = tests/unit/test-chan.c
tests_unit_test_chan_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_chan_LDADD = libbaltic/libbaltic.a $(CMOCKA_LIBS) \
	$(LIBEVENT_LIBS)
# unit tests: the keeper's codec and the keeper process (keep.h)
check_PROGRAMS += tests/unit/test-keep
TESTS += tests/unit/test-keep
tests_unit_test_keep_SOURCES = tests/unit/test-keep.c \
	toolstack/keep/keep-proto.c toolstack/keep/keeper.c
tests_unit_test_keep_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_keep_LDADD = libbaltic/libbaltic.a $(CMOCKA_LIBS) \
	$(LIBEVENT_LIBS)
