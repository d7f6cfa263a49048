# unit tests: farm -- the farm language's lexer, parser, checker, values,
# and the collection of bad farms (tests/bad).
FARM_TEST_LDADD = toolstack/libfarm.a libbaltic/libbaltic.a $(CMOCKA_LIBS) \
	$(YAJL_LIBS)

check_PROGRAMS += tests/unit/test-farm-lex tests/unit/test-farm-parse \
	tests/unit/test-farm-check tests/unit/test-farm-value
TESTS += tests/unit/test-farm-lex tests/unit/test-farm-parse \
	tests/unit/test-farm-check tests/unit/test-farm-value

tests_unit_test_farm_lex_SOURCES = tests/unit/test-farm-lex.c
tests_unit_test_farm_lex_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_farm_lex_LDADD = $(FARM_TEST_LDADD)

tests_unit_test_farm_parse_SOURCES = tests/unit/test-farm-parse.c
tests_unit_test_farm_parse_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_farm_parse_LDADD = $(FARM_TEST_LDADD)

tests_unit_test_farm_check_SOURCES = tests/unit/test-farm-check.c
tests_unit_test_farm_check_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_farm_check_LDADD = $(FARM_TEST_LDADD)

tests_unit_test_farm_value_SOURCES = tests/unit/test-farm-value.c
tests_unit_test_farm_value_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_farm_value_LDADD = $(FARM_TEST_LDADD)

# The bad farms: each tests/bad/NAME.farm with its NAME.err.
check_PROGRAMS += tests/bad/farmcheck
tests_bad_farmcheck_SOURCES = tests/bad/farmcheck.c
tests_bad_farmcheck_LDADD = toolstack/libfarm.a
TESTS += tests/bad/run.sh
# The bad farms and their errors: globbed in the source directory, not in
# the build directory (make dist out of tree).
EXTRA_DIST += tests/bad/run.sh $(srcdir)/tests/bad/*.farm \
	$(srcdir)/tests/bad/*.err $(srcdir)/tests/bad/good/*.farm
