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
# A role's disks and vifs: xl's parser and libxl agree.
check_PROGRAMS += tests/unit/test-translate-dev
TESTS += tests/unit/test-translate-dev
tests_unit_test_translate_dev_SOURCES = tests/unit/test-translate-dev.c
tests_unit_test_translate_dev_CFLAGS = $(tests_unit_test_translate_CFLAGS)
tests_unit_test_translate_dev_LDADD = $(tests_unit_test_translate_LDADD)
EXTRA_DIST += tests/golden/run.sh \
	tests/golden/bad.farm tests/golden/warn.farm \
	tests/golden/isolated.cfgs tests/golden/isolated.json \
	tests/golden/remote-payment.cfgs tests/golden/remote-payment.json \
	tests/golden/or.cfgs tests/golden/or.json \
	tests/golden/par.cfgs tests/golden/par.json \
	tests/golden/ref.cfgs tests/golden/ref.json \
	tests/golden/demo.cfgs tests/golden/demo.json \
	tests/golden/placed.farm tests/golden/placed.json
