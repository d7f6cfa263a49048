# unit tests: place -- which host runs each instance (toolstack/cluster/
# place.c), a pure function of the hosts and the items.
check_PROGRAMS += tests/unit/test-place
TESTS += tests/unit/test-place
tests_unit_test_place_SOURCES = tests/unit/test-place.c
tests_unit_test_place_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_place_LDADD = toolstack/libcluster.a $(CMOCKA_LIBS)
