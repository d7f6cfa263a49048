/*
 * export-conn.c: a client connection of an export (export-conn.h): its
 * events, its end, and the answers written on it, to calls of this
 * balticd and to calls an earlier balticd started.
 */
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <yajl/yajl_gen.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/edge/export-conn.h"
#include "daemon/edge/export-tls.h"
#include "daemon/edge/http-req.h"
#include "keep/keep.h"
#include "log.h"
#include "util/util.h"

static void	conn_written(struct export_conn *);

/* Bytes a closing client still sends are read and dropped, until it
 * closes too or EXPORT_LINGER_MS pass. */
static void
conn_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct export_conn	*c = arg;
	char			 buf[4096];
	ssize_t			 r;

	if (what & EV_READ) {
		while ((r = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
			;
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return;
	}
	conn_free(c, false);
}

/*
 * The connection ends after this answer: the keeper lets it go, and it
 * is closed once the client has read the answer and closed its side
 * (a lingering close, as HTTP servers do): closing a socket with bytes
 * unread would reset it, and a reset may cost the client the answer.
 */
static void
conn_linger(struct export_conn *c)
{
	if (c->kc.key[0] != '\0')
		keep_del(c->d->keep, c->kc.key);
	c->kc.key[0] = '\0';
	c->state = CONN_CLOSING;
	if (c->ssl != NULL)
		tls_close(c->ssl);
	if (shutdown(c->fd, SHUT_WR) == -1) {
		conn_free(c, false);
		return;
	}
	conn_event(c, EV_READ | EV_PERSIST, conn_linger_cb, EXPORT_LINGER_MS);
	if (c->ev == NULL)
		conn_free(c, false);
}

/* The HTTP status for a call that ended with status. */
static int
export_code(uint32_t status)
{
	switch (status) {
	case BALTIC_OK:
		return 200;
	case BALTIC_E_NOOP:
		return 404;
	case BALTIC_E_ARG:
		return 400;
	case BALTIC_E_DENIED:
		return 403;
	case BALTIC_E_TIMEOUT:
		return 504;
	case BALTIC_E_UNAVAILABLE:
	case BALTIC_E_OVERLOAD:
		return 503;
	case BALTIC_E_HANDLER:
	case BALTIC_E_BADRESULT:
		return 502;
	default:
		return 500;
	}
}

static const char *
export_reason(int code)
{
	switch (code) {
	case 200:	return "OK";
	case 400:	return "Bad Request";
	case 403:	return "Forbidden";
	case 404:	return "Not Found";
	case 405:	return "Method Not Allowed";
	case 413:	return "Content Too Large";
	case 417:	return "Expectation Failed";
	case 431:	return "Request Header Fields Too Large";
	case 501:	return "Not Implemented";
	case 502:	return "Bad Gateway";
	case 503:	return "Service Unavailable";
	case 504:	return "Gateway Timeout";
	case 505:	return "HTTP Version Not Supported";
	default:	return "Internal Server Error";
	}
}

/*
 * Add a JSON string.  Text from a guest or a remote may not be UTF-8: it
 * is then sent with its non-ASCII bytes as '?'.
 */
static int
json_string(yajl_gen g, const void *s, size_t len)
{
	unsigned char	*copy;
	size_t		 i;
	int		 rc;

	if (s == NULL)
		s = "";
	rc = yajl_gen_string(g, s, len);
	if (rc != yajl_gen_invalid_string)
		return rc == yajl_gen_status_ok ? 0 : -1;
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		copy[i] = ((const unsigned char *)s)[i];
		if (copy[i] >= 0x80)
			copy[i] = '?';
	}
	rc = yajl_gen_string(g, copy, len);
	free(copy);
	return rc == yajl_gen_status_ok ? 0 : -1;
}

static int
json_pair(yajl_gen g, const char *key, const void *s, size_t len)
{
	if (json_string(g, key, strlen(key)) == -1)
		return -1;
	return json_string(g, s, len);
}

/*
 * The JSON body of an error, {"error", "status", "farm", "call"}, added
 * to out: 0, or -1 (out of memory; nothing added).
 */
static int
export_error_json(struct evbuffer *out, uint32_t status, const char *farm,
    const char *call, const void *msg, size_t msglen)
{
	const char		*sname = baltic_status_name(status);
	const unsigned char	*buf;
	size_t			 len;
	yajl_gen		 g;
	int			 rc = -1;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return -1;
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_pair(g, "error", msg, msglen) == -1 ||
	    json_pair(g, "status", sname, strlen(sname)) == -1 ||
	    json_pair(g, "farm", farm, strlen(farm)) == -1 ||
	    json_pair(g, "call", call, strlen(call)) == -1 ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		goto out;
	if (evbuffer_add(out, buf, len) == 0 && evbuffer_add(out, "\n", 1) == 0)
		rc = 0;
out:
	yajl_gen_free(g);
	return rc;
}

/* ---- connections ------------------------------------------------------ */

struct export_conn *
conn_new(struct daemon *d, struct export_srv *srv, int fd, const char *key)
{
	struct export_conn	*c;

	if ((c = calloc(1, sizeof *c)) == NULL ||
	    (c->out = evbuffer_new()) == NULL) {
		free(c);
		return NULL;
	}
	c->d = d;
	c->srv = srv;
	c->fd = fd;
	c->kc.fd = fd;
	if (key != NULL)
		snprintf(c->kc.key, sizeof c->kc.key, "%s", key);
	if (srv != NULL) {
		c->kc.f = srv->f;
		c->kc.export = (size_t)(srv->x - srv->f->exports);
		TAILQ_INSERT_TAIL(&srv->conns, c, entry);
		srv->nconns++;
	}
	return c;
}

void
conn_event_clear(struct export_conn *c)
{
	if (c->ev != NULL)
		event_free(c->ev);
	c->ev = NULL;
}

/* Watch c for what (and ms, if not 0), instead of what it waited for. */
void
conn_event(struct export_conn *c, short what, event_callback_fn cb,
    unsigned ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	conn_event_clear(c);
	if (c->fd == -1 || (c->ev = event_new(c->d->base, c->fd, what, cb,
	    c)) == NULL)
		return;
	if (event_add(c->ev, ms > 0 ? &tv : NULL) == -1) {
		event_free(c->ev);
		c->ev = NULL;
	}
}

/*
 * Forget a connection.  drop: the keeper lets it go too (the client is
 * done with it); else it stays the keeper's (balticd exits).  A call in
 * flight is cancelled.
 */
void
conn_free(struct export_conn *c, bool drop)
{
	struct export_srv	*srv = c->srv;
	struct req		*r = c->kc.r;

	if (c->ev != NULL)
		event_free(c->ev);
	if (c->take_pending)
		TAILQ_REMOVE(&c->d->takes, c, take_entry);
	if (drop && c->kc.key[0] != '\0')
		keep_del(c->d->keep, c->kc.key);
	if (c->ssl != NULL)
		tls_conn_free(c->ssl);
	if (c->fd != -1)
		close(c->fd);
	evbuffer_free(c->out);
	free(c->buf);
	if (srv != NULL) {
		TAILQ_REMOVE(&srv->conns, c, entry);
		if (--srv->nconns < EXPORT_CONNS_MAX && srv->paused &&
		    event_add(srv->lev, NULL) == 0)
			srv->paused = false;
	}
	free(c);
	if (r != NULL)
		req_cancel(r);
}

/*
 * The size the full buffer grows to: the whole request once its head
 * says how long it is (one allocation, no copy per doubling, for a large
 * body), else twice as much.  *big_r: the request is larger than
 * KEEP_REQUEST_MAX.
 */
static size_t
conn_grow_to(const struct export_conn *c, bool *big_r)
{
	struct http_req	 hr;
	const char	*why;
	size_t		 want, max = HTTP_REQ_HEAD_MAX + HTTP_REQ_BODY_MAX + 1;

	want = c->bufsize == 0 ? EXPORT_BUF_MIN : c->bufsize * 2;
	*big_r = false;
	if (c->buflen > 0 && http_req_parse(c->buf, c->buflen, &hr,
	    &why) == 0 && hr.head_len > 0) {
		*big_r = hr.head_len + hr.body_len > KEEP_REQUEST_MAX;
		if (hr.head_len + hr.body_len > want)
			want = hr.head_len + hr.body_len;
	}
	return want > max ? max : want;
}

/*
 * Read what the socket has: in place (MSG_PEEK, from the start) up to
 * KEEP_REQUEST_MAX, then off the socket; a request whose head says it
 * is larger is taken off at once.  0, or -1 (closed, or error).
 */
int
conn_fill(struct export_conn *c)
{
	size_t	want;
	ssize_t	r;
	char	*nb;
	bool	big;

	for (;;) {
		if (c->buflen == c->bufsize) {
			want = conn_grow_to(c, &big);
			if (big && !c->taken) {
				/* Not to be peeked at again and again. */
				if (recv(c->fd, c->buf, c->buflen,
				    MSG_DONTWAIT) != (ssize_t)c->buflen)
					return -1;
				c->taken = true;
			}
			if (want == c->bufsize)
				return 0;	/* full: the parser says */
			if ((nb = realloc(c->buf, want)) == NULL)
				return -1;
			c->buf = nb;
			c->bufsize = want;
		}
		if (c->taken)
			r = conn_recv(c, c->buf + c->buflen,
			    c->bufsize - c->buflen);
		else
			r = recv(c->fd, c->buf, c->bufsize, MSG_PEEK |
			    MSG_DONTWAIT);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return errno == EAGAIN ? 0 : -1;
		if (r == 0)
			return -1;
		if (c->taken)
			c->buflen += (size_t)r;
		else if ((size_t)r <= c->buflen)
			return 0;	/* nothing new */
		else
			c->buflen = (size_t)r;
		/* A short read drained the socket; not so through TLS, which
		 * reads a record at a time: on until it says EAGAIN. */
		if (c->buflen < c->bufsize && c->ssl == NULL)
			return 0;
		if (!c->taken && c->buflen >= KEEP_REQUEST_MAX) {
			/* Too big to wait for in the socket buffer. */
			if (recv(c->fd, c->buf, c->buflen, MSG_DONTWAIT) !=
			    (ssize_t)c->buflen)
				return -1;
			c->taken = true;
		}
	}
}

/* Take n bytes of a request read in place off the socket: 0, or -1. */
int
conn_take(struct export_conn *c, size_t n)
{
	ssize_t	r;

	if (c->taken)
		return 0;
	do
		r = recv(c->fd, c->buf, n, MSG_DONTWAIT);
	while (r == -1 && errno == EINTR);
	c->unread = false;
	c->kc.reqlen = 0;
	return r == (ssize_t)n ? 0 : -1;
}

/* The answer, whole, in c->out; written now, or by export_request's tail
 * once the request is off the socket. */
static void
conn_answer(struct export_conn *c, int code, const char *type,
    struct evbuffer *body)
{
	if (evbuffer_add_printf(c->out, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", code,
	    export_reason(code), type, evbuffer_get_length(body),
	    code == 405 ? "Allow: POST\r\n" : "",
	    c->keep_alive ? "" : "Connection: close\r\n") == -1 ||
	    evbuffer_add_buffer(c->out, body) == -1) {
		log_warnx("export: cannot answer: out of memory");
		evbuffer_drain(c->out, evbuffer_get_length(c->out));
		c->keep_alive = false;
	}
	evbuffer_free(body);
	c->state = CONN_WRITING;
	if (!c->starting)
		conn_write(c);
}

/* Answer with a call's status (and its result or error text). */
void
conn_answer_status(struct export_conn *c, uint32_t status, const char *farm,
    const void *payload, size_t len)
{
	struct evbuffer	*body;
	bool		 json = false;

	if ((body = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	if (status == BALTIC_OK) {
		/* By reference if it is a large frame's (proto_lend). */
		if (len > 0 && proto_buf_add(body, payload, len) == -1)
			status = BALTIC_E_INTERNAL;
	}
	if (status != BALTIC_OK) {
		evbuffer_drain(body, evbuffer_get_length(body));
		json = export_error_json(body, status, farm, c->call, payload,
		    len) == 0;
	}
	conn_answer(c, export_code(status), json ? "application/json" :
	    "application/octet-stream", body);
}

void
conn_refuse(struct export_conn *c, int code, uint32_t status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Answer a request that starts no call. */
void
conn_refuse(struct export_conn *c, int code, uint32_t status,
    const char *fmt, ...)
{
	struct evbuffer	*body;
	va_list		 ap;
	char		*msg;
	size_t		 len;

	va_start(ap, fmt);
	msg = vstrf(&len, fmt, ap);
	va_end(ap);
	if ((body = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	export_error_json(body, status, c->srv->f->name, c->call, msg, len);
	free(msg);
	obs_refused(c->srv->f, c->srv->x, status);
	conn_answer(c, code, "application/json", body);
}

/*
 * The answer is written: the keeper lets go of the call (the connection
 * is idle again, and still kept), or of the connection.
 */
static void
conn_written(struct export_conn *c)
{
	if (!c->keep_alive || c->srv == NULL) {
		conn_linger(c);
		return;
	}
	if (KEEP_KEY_IS(c->kc.key, KEEP_KEY_CONN)) {
		if (c->recorded)	/* the connection stays kept, idle */
			keep_put(c->d->keep, c->kc.key, NULL, 0, -1);
	} else if (c->kc.key[0] != '\0') {	/* kept with its call only */
		keep_del(c->d->keep, c->kc.key);
		c->kc.key[0] = '\0';
	}
	c->recorded = false;
	c->continued = false;
	if (c->taken && c->buflen > c->reqtotal) {
		/* The start of the next request, read with this one. */
		memmove(c->buf, c->buf + c->reqtotal,
		    c->buflen - c->reqtotal);
		c->buflen -= c->reqtotal;
	} else {
		c->taken = c->ssl != NULL;	/* TLS: never read in place */
		c->buflen = 0;
		if (c->bufsize > KEEP_REQUEST_MAX) {
			/* A large request's buffer: the next request starts
			 * small, so that, large too, it is taken off the socket
			 * once its head is read (conn_fill), not read in place
			 * and kept by a record that cannot name it.  A buffer
			 * read in place is never larger (conn_fill grows one
			 * past it only once it is taken). */
			free(c->buf);
			c->buf = NULL;
			c->bufsize = 0;
		}
	}
	c->srv->idle(c);
	/* The next request may be there already: no new edge for it. */
	if (c->ev != NULL)
		event_active(c->ev, EV_READ, 0);
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	/* A client that reads nothing for EXPORT_IDLE_MS is let go. */
	if (what & EV_TIMEOUT) {
		conn_free(arg, true);
		return;
	}
	conn_write(arg);
}

ssize_t
conn_recv(struct export_conn *c, void *buf, size_t len)
{
	if (c->ssl != NULL)
		return tls_recv(c->ssl, buf, len);
	return recv(c->fd, buf, len, MSG_DONTWAIT);
}

ssize_t
conn_send(struct export_conn *c, const void *buf, size_t len)
{
	if (c->ssl != NULL)
		return tls_send(c->ssl, buf, len);
	return send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Write some of c->out: as evbuffer_write, through TLS on a TLS
 * connection. */
static ssize_t
conn_write_some(struct export_conn *c)
{
	struct evbuffer_iovec	v;
	ssize_t			r;

	if (c->ssl == NULL)
		return evbuffer_write(c->out, c->fd);
	if (evbuffer_peek(c->out, -1, NULL, &v, 1) < 1)
		return 0;
	if ((r = tls_send(c->ssl, v.iov_base, v.iov_len)) > 0)
		evbuffer_drain(c->out, (size_t)r);
	return r;
}

void
conn_write(struct export_conn *c)
{
	ssize_t	r;

	while (evbuffer_get_length(c->out) > 0) {
		if ((r = conn_write_some(c)) > 0)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (c->ev == NULL || event_get_callback(c->ev) !=
			    conn_write_cb)
				conn_event(c, EV_WRITE | EV_PERSIST,
				    conn_write_cb, EXPORT_IDLE_MS);
			return;
		}
		conn_free(c, true);	/* the client is gone */
		return;
	}
	conn_written(c);
}

/*
 * An adopted call's request may still be on its socket (balticd was
 * killed between keeping the record and taking the request off): take
 * it off, if the bytes there are the ones the record names.
 */
void
export_settle(int fd, size_t reqlen, uint64_t reqhash)
{
	char	*buf;

	if (reqlen == 0 || (buf = malloc(reqlen)) == NULL)
		return;
	if (recv(fd, buf, reqlen, MSG_PEEK | MSG_DONTWAIT) == (ssize_t)reqlen &&
	    fnv1a64(buf, reqlen) == reqhash)
		recv(fd, buf, reqlen, MSG_DONTWAIT);
	free(buf);
}

/*
 * Answer a call an earlier balticd started, on its connection (taken):
 * the same response as any, then close; the keeper lets go once it is
 * written.
 */
void
export_answer_adopted(struct daemon *d, int fd, const char *key,
    uint32_t status, const char *farm, const char *call, const void *payload,
    size_t len)
{
	struct export_conn	*c;
	char			 b;

	/* Bytes after the request: the client had its answer (an earlier
	 * balticd wrote it, and was killed before the keeper let go) and
	 * sent another request.  No second answer on its connection. */
	if (recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1) {
		log_info("%s: %s: answered already; connection closed", farm,
		    call);
		close(fd);
		keep_del(d->keep, key);
		return;
	}
	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    (c = conn_new(d, NULL, fd, key)) == NULL) {
		log_warnx("%s: %s: cannot answer the adopted call", farm, call);
		close(fd);
		keep_del(d->keep, key);
		return;
	}
	snprintf(c->call, sizeof c->call, "%s", call);
	conn_answer_status(c, status, farm, payload, len);
}
