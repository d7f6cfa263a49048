# unit tests: place -- which host runs each instance (toolstack/cluster/
# place.c), a pure function of the hosts and the items.
check_PROGRAMS += tests/unit/test-place
TESTS += tests/unit/test-place
tests_unit_test_place_SOURCES = tests/unit/test-place.c
tests_unit_test_place_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_place_LDADD = toolstack/libcluster.a $(CMOCKA_LIBS)

# unit tests: image -- a moved partition's suspended image between two
# hosts (toolstack/daemon/cluster-image.c) over a link of two channels,
# the backend and the daemon around it faked.
check_PROGRAMS += tests/unit/test-image
TESTS += tests/unit/test-image
tests_unit_test_image_SOURCES = tests/unit/test-image.c \
	toolstack/daemon/cluster-image.c toolstack/util/util.c
tests_unit_test_image_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(YAJL_CFLAGS)
tests_unit_test_image_LDADD = libbaltic/libbaltic.a $(CMOCKA_LIBS) \
	$(YAJL_LIBS) $(LIBEVENT_LIBS)
