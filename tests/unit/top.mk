# unit tests: top -- `baltic top`'s rows and frames (toolstack/cli/
# top-rows.c) from a stats answer as balticd gives it.
check_PROGRAMS += tests/unit/test-top
TESTS += tests/unit/test-top
tests_unit_test_top_SOURCES = tests/unit/test-top.c \
	toolstack/cli/top-rows.c toolstack/util/util.c
tests_unit_test_top_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(YAJL_CFLAGS)
tests_unit_test_top_LDADD = libbaltic/libbaltic.a $(CMOCKA_LIBS) $(YAJL_LIBS)
