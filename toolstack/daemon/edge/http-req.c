/*
 * http-req.c: the HTTP/1.1 request head an export reads (http-req.h).
 *
 * Strict where a mistake could split one request into two (one
 * Content-Length, no chunked coding, no folded headers, no bytes a
 * proxy could read otherwise), lenient where RFC 9112 asks it (bare LF
 * line ends, empty lines before the request line).
 */
#include <string.h>
#include <strings.h>

#include "daemon/edge/http-req.h"

#define HTTP_REQ_LEADING_MAX	8	/* empty lines before the request */

static int
http_req_fail(struct http_req *r, int code, const char *why,
    const char **why_r)
{
	r->code = code;
	*why_r = why;
	return -1;
}

/* RFC 9110 tchar. */
static bool
http_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

/*
 * The next line of [p, end): its length without the line end in
 * *len_r, the start of the following line returned; NULL if there is no
 * line end yet.
 */
static const char *
http_line(const char *p, const char *end, size_t *len_r)
{
	const char	*nl;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return NULL;
	*len_r = (size_t)(nl - p);
	if (*len_r > 0 && p[*len_r - 1] == '\r')
		(*len_r)--;
	return nl + 1;
}

/* "METHOD SP /path[?query] SP HTTP/1.x": 0, or -1. */
static int
http_req_line(const char *s, size_t len, struct http_req *r, bool *v11_r,
    const char **why_r)
{
	const char	*end = s + len, *p = s, *t, *q;
	size_t		 n;

	for (n = 0; p < end && http_tchar((unsigned char)*p); p++)
		n++;
	if (n == 0 || p == end || *p != ' ')
		return http_req_fail(r, 400, "bad request line", why_r);
	if (n > HTTP_REQ_METHOD_MAX)
		return http_req_fail(r, 405, "unknown method", why_r);
	memcpy(r->method, s, n);
	r->method[n] = '\0';
	t = ++p;
	while (p < end && *p != ' ') {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return http_req_fail(r, 400, "bad request target",
			    why_r);
		p++;
	}
	if (p == t || *t != '/' || p == end)
		return http_req_fail(r, 400, "bad request target", why_r);
	q = memchr(t, '?', (size_t)(p - t));
	r->path = t;
	r->pathlen = (size_t)((q != NULL ? q : p) - t);
	p++;
	if ((size_t)(end - p) != 8 || memcmp(p, "HTTP/", 5) != 0 ||
	    p[6] != '.' || p[5] < '0' || p[5] > '9' || p[7] < '0' ||
	    p[7] > '9')
		return http_req_fail(r, 400, "bad HTTP version", why_r);
	if (p[5] != '1')
		return http_req_fail(r, 505, "HTTP/1.x only", why_r);
	*v11_r = p[7] != '0';
	return 0;
}

/* Does the comma-separated list [v, v + len) hold token tok? */
static bool
http_has_token(const char *v, size_t len, const char *tok)
{
	const char	*end = v + len, *e;
	size_t		 toklen = strlen(tok), n;

	while (v < end) {
		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		e = v;
		while (e < end && *e != ',')
			e++;
		n = (size_t)(e - v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n == toklen && strncasecmp(v, tok, n) == 0)
			return true;
		v = e;
	}
	return false;
}

int
http_decimal(const char *v, size_t len, size_t max, size_t *n_r)
{
	size_t	i, n = 0;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (size_t)(v[i] - '0');
		if (n > max)
			return 1;
	}
	*n_r = n;
	return 0;
}

/* One header line (not empty): 0, or -1. */
static int
http_req_header(const char *s, size_t len, struct http_req *r,
    bool *has_length, bool *v11_close, bool *v10_keep, const char **why_r)
{
	const char	*end = s + len, *p = s, *v;
	size_t		 n, vlen, clen;
	int		 rc;

	if (*s == ' ' || *s == '\t')
		return http_req_fail(r, 400, "folded header line", why_r);
	while (p < end && http_tchar((unsigned char)*p))
		p++;
	n = (size_t)(p - s);
	if (n == 0 || p == end || *p != ':')
		return http_req_fail(r, 400, "bad header line", why_r);
	for (v = p + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	vlen = (size_t)(end - v);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (p = v; p < v + vlen; p++)
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f)
			return http_req_fail(r, 400, "control character in a "
			    "header", why_r);
	if (n == 14 && strncasecmp(s, "Content-Length", n) == 0) {
		if ((rc = http_decimal(v, vlen, HTTP_REQ_BODY_MAX, &clen)) !=
		    0)
			return http_req_fail(r, rc == 1 ? 413 : 400, rc == 1 ?
			    "body too large" : "bad Content-Length", why_r);
		if (*has_length && clen != r->body_len)
			return http_req_fail(r, 400, "two Content-Lengths",
			    why_r);
		*has_length = true;
		r->body_len = clen;
	} else if (n == 17 && strncasecmp(s, "Transfer-Encoding", n) == 0) {
		return http_req_fail(r, 501, "no transfer coding is taken "
		    "(send Content-Length)", why_r);
	} else if (n == 10 && strncasecmp(s, "Connection", n) == 0) {
		if (http_has_token(v, vlen, "close"))
			*v11_close = true;
		if (http_has_token(v, vlen, "keep-alive"))
			*v10_keep = true;
	} else if (n == 6 && strncasecmp(s, "Expect", n) == 0) {
		if (vlen != 12 || strncasecmp(v, "100-continue", 12) != 0)
			return http_req_fail(r, 417, "unknown expectation",
			    why_r);
		r->expect_continue = true;
	} else if (n == 16 && strncasecmp(s, "X-Baltic-Timeout", n) == 0) {
		r->timeout = v;
		r->timeoutlen = vlen;
	}
	return 0;
}

int
http_req_parse(const char *untrusted, size_t len, struct http_req *r,
    const char **why_r)
{
	const char	*p = untrusted, *end = untrusted + len, *next, *line;
	size_t		 n, lines = 0;
	bool		 v11 = false, has_length = false, v11_close = false;
	bool		 v10_keep = false;

	memset(r, 0, sizeof *r);
	*why_r = NULL;
	for (;;) {
		if ((next = http_line(p, end, &n)) == NULL)
			goto more;
		if (n > 0)
			break;
		if (++lines > HTTP_REQ_LEADING_MAX)
			return http_req_fail(r, 400, "empty lines", why_r);
		p = next;
	}
	if (http_req_line(p, n, r, &v11, why_r) == -1)
		return -1;
	p = next;
	for (;;) {
		if ((next = http_line(p, end, &n)) == NULL)
			goto more;
		if ((size_t)(next - untrusted) > HTTP_REQ_HEAD_MAX)
			return http_req_fail(r, 431, "request head too large",
			    why_r);
		line = p;
		p = next;
		if (n == 0)
			break;
		if (http_req_header(line, n, r,
		    &has_length, &v11_close, &v10_keep, why_r) == -1)
			return -1;
	}
	/* Validated. */
	r->head_len = (size_t)(p - untrusted);
	r->keep_alive = v11 ? !v11_close : v10_keep && !v11_close;
	if (!has_length)
		r->body_len = 0;
	return len - r->head_len >= r->body_len ? 1 : 0;
more:
	if (len > HTTP_REQ_HEAD_MAX)
		return http_req_fail(r, 431, "request head too large", why_r);
	return 0;
}
