# unit tests: http -- the export server and the remote client
# (toolstack/daemon/edge/) on loopback, the router faked.
check_PROGRAMS += tests/unit/test-http
TESTS += tests/unit/test-http
tests_unit_test_http_SOURCES = tests/unit/test-http.c toolstack/daemon/edge/remote.c \
	toolstack/daemon/edge/export.c toolstack/daemon/edge/export-conn.c \
	toolstack/daemon/edge/export-tls.c toolstack/daemon/edge/http-req.c \
	toolstack/daemon/obs/obs.c toolstack/daemon/obs/obs-graph.c \
	toolstack/daemon/here.c toolstack/util/util.c
tests_unit_test_http_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(YAJL_CFLAGS) $(LIBEVENT_OPENSSL_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_http_LDADD = toolstack/libfarm.a libbaltic/libbaltic.a \
	$(CMOCKA_LIBS) $(YAJL_LIBS) $(LIBEVENT_OPENSSL_LIBS) $(LIBEVENT_LIBS) \
	$(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test-http-req
TESTS += tests/unit/test-http-req
tests_unit_test_http_req_SOURCES = tests/unit/test-http-req.c \
	toolstack/daemon/edge/http-req.c
tests_unit_test_http_req_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_http_req_LDADD = $(CMOCKA_LIBS)
