# unit tests: router -- the combinators over fake leaf nodes (node_ops).
check_PROGRAMS += tests/unit/test-router
TESTS += tests/unit/test-router
tests_unit_test_router_SOURCES = tests/unit/test-router.c \
	toolstack/daemon/core/router.c toolstack/daemon/core/req-arg.c \
	toolstack/daemon/core/hedge.c toolstack/daemon/obs/obs.c \
	toolstack/util/util.c
tests_unit_test_router_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(YAJL_CFLAGS)
tests_unit_test_router_LDADD = libbaltic/libbaltic.a $(CMOCKA_LIBS) \
	$(YAJL_LIBS) $(LIBEVENT_LIBS)
