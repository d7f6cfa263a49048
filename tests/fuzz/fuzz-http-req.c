/*
 * fuzz-http-req.c: the request head parser an export reads client bytes
 * with, in place (toolstack/daemon/edge/http-req.c).
 *
 * Invariants: a whole request lies within the bytes given, its body no
 * larger than the limit, its path origin-form; the answer for a prefix
 * agrees with the answer for the whole (a request is whole once, and
 * stays so as bytes come after it: they are the next request's); a bad
 * request names a status and a reason.
 */
#include <string.h>

#include "fuzz.h"
#include "daemon/edge/http-req.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data, *why;
	struct http_req	 r, p;
	size_t		 total;
	int		 rc, prc;

	rc = http_req_parse(s, size, &r, &why);
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (rc == -1) {
		FUZZ_CHECK(why != NULL);
		FUZZ_CHECK(r.code >= 400 && r.code <= 505);
		return 0;
	}
	if (rc == 0) {
		FUZZ_CHECK(r.head_len <= size);
		return 0;
	}
	total = r.head_len + r.body_len;
	FUZZ_CHECK(total <= size);
	FUZZ_CHECK(r.head_len > 0 && r.head_len <= HTTP_REQ_HEAD_MAX);
	FUZZ_CHECK(r.body_len <= HTTP_REQ_BODY_MAX);
	FUZZ_CHECK(r.method[0] != '\0');
	FUZZ_CHECK(r.path >= s && r.path + r.pathlen <= s + r.head_len);
	FUZZ_CHECK(r.pathlen > 0 && r.path[0] == '/');
	FUZZ_CHECK(memchr(r.path, ' ', r.pathlen) == NULL);
	FUZZ_CHECK(r.timeout == NULL ||
	    r.timeout + r.timeoutlen <= s + r.head_len);
	/* The request alone is whole, and the same. */
	prc = http_req_parse(s, total, &p, &why);
	FUZZ_CHECK(prc == 1 && p.head_len == r.head_len &&
	    p.body_len == r.body_len && p.keep_alive == r.keep_alive);
	/* One byte less is not. */
	prc = http_req_parse(s, total - 1, &p, &why);
	FUZZ_CHECK(prc == 0);
	return 0;
}
