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
