# unit tests: translate (xl configs, libxl structures, JSON graph) and
# the golden outputs of `baltic compile`.
check_PROGRAMS += tests/unit/test-translate
TESTS += tests/unit/test-translate tests/golden/run.sh
tests_unit_test_translate_SOURCES = tests/unit/test-translate.c
tests_unit_test_translate_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(XENLIGHT_CFLAGS) \
	$(YAJL_CFLAGS)
tests_unit_test_translate_LDADD = toolstack/libtranslate.a \
	toolstack/libfarm.a libbaltic/libbaltic.a $(CMOCKA_LIBS) \
	$(XENLIGHT_LIBS) $(YAJL_LIBS)
GOLDEN_EXAMPLES = isolated remote-payment or par ref
EXTRA_DIST += tests/golden/run.sh \
	tests/golden/bad.farm tests/golden/warn.farm \
	$(GOLDEN_EXAMPLES:%=tests/golden/%.cfgs) \
	$(GOLDEN_EXAMPLES:%=tests/golden/%.json)
