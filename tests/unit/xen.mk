# unit tests: the xen backend without a hypervisor (libxl's osevent hooks
# in a libevent loop, the vchan transport's refusals, init off a dom0),
# and the xenstore schema checker on canned xenstore-ls text.
check_PROGRAMS += tests/unit/test-xen-backend
TESTS += tests/unit/test-xen-backend xenstore-schema/test-check.sh
tests_unit_test_xen_backend_SOURCES = tests/unit/test-xen-backend.c \
	toolstack/backend/xen-state.h toolstack/backend/xen.c \
	toolstack/backend/xen-state.c \
	toolstack/backend/xen-osevent.c toolstack/backend/xen-chan.c \
	toolstack/backend/xen-domain.c toolstack/backend/xen-cutpaste.c \
	toolstack/backend/xen-xs-txn.h toolstack/backend/xen-xs-txn.c \
	toolstack/backend/backend.c toolstack/util/util.c
tests_unit_test_xen_backend_CFLAGS = $(CMOCKA_TEST_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(XENLIGHT_CFLAGS) $(XENSTORE_CFLAGS) \
	$(XENVCHAN_CFLAGS) $(YAJL_CFLAGS)
# libxl's entry points that the hooks call, caught by the test.
tests_unit_test_xen_backend_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=libxl_osevent_occurred_fd \
	-Wl,--wrap=libxl_osevent_occurred_timeout
tests_unit_test_xen_backend_LDADD = toolstack/libtranslate.a \
	toolstack/libfarm.a libbaltic/libbaltic.a $(CMOCKA_LIBS) \
	$(XENLIGHT_LIBS) $(XENSTORE_LIBS) $(XENVCHAN_LIBS) $(YAJL_LIBS) \
	$(LIBEVENT_LIBS)
EXTRA_DIST += xenstore-schema/paths.txt xenstore-schema/check \
	xenstore-schema/test-check.sh xenstore-schema/tests/good.ls \
	xenstore-schema/tests/bad.ls xenstore-schema/tests/after-destroy.ls \
	xenstore-schema/tests/not-full.ls
