/*
 * http-req.h: the HTTP/1.1 request head an export reads, as a pure
 * function over the bytes received so far.
 *
 * The export server (export.c) reads a request with MSG_PEEK and only
 * takes it off the socket once the keeper holds what a next balticd
 * needs to answer it; so it needs to know, from bytes it has not
 * consumed, whether a whole request is there and how long it is.
 * Only what an export takes is understood: a request line, headers,
 * a body of Content-Length bytes (no chunked transfer coding),
 * Connection, Expect: 100-continue and X-Baltic-Timeout.
 */
#ifndef BALTIC_HTTP_REQ_H
#define BALTIC_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_REQ_HEAD_MAX	(64 * 1024)	/* request line + headers */
#define HTTP_REQ_BODY_MAX	(1024 * 1024)	/* an argument */
#define HTTP_REQ_METHOD_MAX	15

/* A request, decoded: pointers into the bytes given to the parser. */
struct http_req {
	char		 method[HTTP_REQ_METHOD_MAX + 1];
	const char	*path;		/* origin-form, without the query */
	size_t		 pathlen;
	size_t		 head_len;	/* request line to the empty line */
	size_t		 body_len;	/* Content-Length */
	bool		 keep_alive;	/* HTTP/1.1, unless Connection: close */
	bool		 expect_continue;
	const char	*timeout;	/* X-Baltic-Timeout's value, or NULL */
	size_t		 timeoutlen;
	int		 code;		/* on error: the status to answer */
};

/* A header's decimal value [v, v + len): 0 with *n_r, 1 if it is over
 * max, -1 if it is not a number. */
int	http_decimal(const char *v, size_t len, size_t max, size_t *n_r);

/*
 * Parse the len bytes received so far on a connection: 1 when a whole
 * request is there (head_len + body_len bytes of them; the rest is the
 * next request's), 0 when more is needed (head_len is set once the head
 * is complete, else 0), -1 when the request is bad: r->code is the
 * status to answer (400, 405, 413, 431, 501, 505) and *why_r a static
 * reason.
 */
int	http_req_parse(const char *untrusted, size_t len, struct http_req *r,
	    const char **why_r);

#endif /* BALTIC_HTTP_REQ_H */
