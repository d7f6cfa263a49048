# unit tests: http -- toolstack/http.c on loopback, the router faked.
check_PROGRAMS += tests/unit/test-http
TESTS += tests/unit/test-http
tests_unit_test_http_SOURCES = tests/unit/test-http.c toolstack/http.c \
	toolstack/export.c toolstack/http-req.c \
	toolstack/util.c
tests_unit_test_http_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(YAJL_CFLAGS)
tests_unit_test_http_LDADD = toolstack/libfarm.a libbaltic/libbaltic.a \
	$(CMOCKA_LIBS) $(YAJL_LIBS) $(LIBEVENT_LIBS)

check_PROGRAMS += tests/unit/test-http-req
TESTS += tests/unit/test-http-req
tests_unit_test_http_req_SOURCES = tests/unit/test-http-req.c \
	toolstack/http-req.c
tests_unit_test_http_req_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_http_req_LDADD = $(CMOCKA_LIBS)
