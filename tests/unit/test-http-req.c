/*
 * test-http-req.c: the request head parser an export reads in place
 * (toolstack/daemon/edge/http-req.c): whole, partial, pipelined and bad requests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/edge/http-req.h"

static int
parse(const char *s, struct http_req *r, const char **why)
{
	return http_req_parse(s, strlen(s), r, why);
}

static void
test_whole(void **state)
{
	static const char	req[] = "POST /eop/Shop/Echo?x=1 HTTP/1.1\r\n"
	    "Host: a\r\nContent-Length: 5\r\nX-Baltic-Timeout:  250 \r\n"
	    "\r\nhello";
	struct http_req		r;
	const char		*why;

	assert_int_equal(parse(req, &r, &why), 1);
	assert_string_equal(r.method, "POST");
	assert_int_equal(r.pathlen, strlen("/eop/Shop/Echo"));
	assert_memory_equal(r.path, "/eop/Shop/Echo", r.pathlen);
	assert_int_equal(r.body_len, 5);
	assert_int_equal(r.head_len + r.body_len, sizeof req - 1);
	assert_true(r.keep_alive);
	assert_int_equal(r.timeoutlen, 3);
	assert_memory_equal(r.timeout, "250", 3);
}

/* Every proper prefix needs more; the head is known once it is whole. */
static void
test_partial(void **state)
{
	static const char	req[] = "POST /a/b/c HTTP/1.1\r\n"
	    "Content-Length: 3\r\n\r\nabc";
	struct http_req		r;
	const char		*why;
	size_t			 n, head = strlen(req) - 3;

	for (n = 0; n < sizeof req - 1; n++) {
		assert_int_equal(http_req_parse(req, n, &r, &why), 0);
		assert_int_equal(r.head_len, n >= head ? head : 0);
	}
	assert_int_equal(http_req_parse(req, n, &r, &why), 1);
}

/* Two requests back to back: the first is framed by its length. */
static void
test_pipelined(void **state)
{
	static const char	req[] = "POST /a/b/c HTTP/1.1\r\n"
	    "Content-Length: 2\r\n\r\nxyPOST /a/b/c HTTP/1.0\n\n";
	struct http_req		r;
	const char		*why;
	size_t			 first;

	assert_int_equal(parse(req, &r, &why), 1);
	first = r.head_len + r.body_len;
	assert_memory_equal(req + first - 2, "xy", 2);
	assert_int_equal(http_req_parse(req + first, strlen(req + first), &r,
	    &why), 1);
	assert_false(r.keep_alive);	/* HTTP/1.0 */
	assert_int_equal(r.body_len, 0);
}

static void
test_connection(void **state)
{
	struct http_req	r;
	const char	*why;

	assert_int_equal(parse("POST / HTTP/1.1\r\nConnection: x, Close\r\n"
	    "\r\n", &r, &why), 1);
	assert_false(r.keep_alive);
	assert_int_equal(parse("POST / HTTP/1.0\r\nConnection: keep-alive\r\n"
	    "\r\n", &r, &why), 1);
	assert_true(r.keep_alive);
	assert_int_equal(parse("POST / HTTP/1.1\r\nExpect: 100-Continue\r\n"
	    "Content-Length: 9\r\n\r\n", &r, &why), 0);
	assert_true(r.expect_continue);
	assert_int_not_equal(r.head_len, 0);
}

static void
expect_bad(const char *req, int code)
{
	struct http_req	r;
	const char	*why = NULL;

	assert_int_equal(parse(req, &r, &why), -1);
	assert_int_equal(r.code, code);
	assert_non_null(why);
}

static void
test_bad(void **state)
{
	char	*big;

	expect_bad("POST  / HTTP/1.1\r\n\r\n", 400);
	expect_bad("POST eop HTTP/1.1\r\n\r\n", 400);
	expect_bad("POST / HTTP/2.0\r\n\r\n", 505);
	expect_bad("POST / HTTX/1.1\r\n\r\n", 400);
	expect_bad("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n", 400);
	expect_bad("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
	expect_bad("POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", 413);
	expect_bad("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999"
	    "\r\n\r\n", 413);
	expect_bad("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
	    501);
	expect_bad("POST / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400);
	expect_bad("POST / HTTP/1.1\r\nA b\r\n\r\n", 400);
	expect_bad("POST / HTTP/1.1\r\nA: \001\r\n\r\n", 400);
	expect_bad("POST / HTTP/1.1\r\nExpect: tea\r\n\r\n", 417);
	expect_bad("VERYLONGMETHODNAME / HTTP/1.1\r\n\r\n", 405);
	expect_bad("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nPOST / HTTP/1.1\r\n\r\n",
	    400);
	/* A head that never ends is refused once it is too large. */
	big = malloc(HTTP_REQ_HEAD_MAX + 64);
	assert_non_null(big);
	strcpy(big, "POST / HTTP/1.1\r\nX: ");
	memset(big + strlen(big), 'a', HTTP_REQ_HEAD_MAX);
	big[HTTP_REQ_HEAD_MAX + 20] = '\0';
	expect_bad(big, 431);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_connection),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
