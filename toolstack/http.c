/*
 * http.c: HTTP at both edges of a farm.
 *
 * An export with `at host:port` is an evhttp server that takes
 * POST /<farm>/<Interface>/<Operation> with the argument as the body and
 * answers with the result (200) or a JSON error.  A `remote` node is a
 * client: a small pool of keep-alive connections to its URL, one call in
 * flight per connection, the rest waiting in our own queue.
 *
 * libevent frees an evhttp_request behind our back (after its callback,
 * on cancel, with its connection), so neither side keeps one past the
 * moment libevent may free it: the server side hangs its calls off the
 * export and forgets them when the client or the export goes away; the
 * client side keeps the request in its connection slot only while it is
 * in flight.
 */
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>

#include <yajl/yajl_gen.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon.h"
#include "keep.h"
#include "log.h"
#include "util.h"

#define HTTP_BODY_MAX		(1024 * 1024)	/* an argument */
#define HTTP_HEADERS_MAX	(64 * 1024)
#define HTTP_TIMEOUT_MAX_MS	(24u * 3600 * 1000)
#define HTTP_METHODS	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | \
	EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | \
	EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH)

#define REMOTE_CONNS		8	/* connections per remote node */
#define REMOTE_WAIT_MAX		4096	/* calls queued for a connection */
#define REMOTE_RESULT_MAX	(16 * 1024 * 1024)
#define REMOTE_PATH_MAX		1024
#define REMOTE_ERRTEXT		200	/* bytes of an error body quoted */
#define REMOTE_SLACK_MS		100	/* let the root's deadline fire first */

/* ---- exports: the server side ---------------------------------------- */

struct hexport;

/* A call that came in over HTTP, waiting for its answer. */
struct hcall {
	struct hexport			*hx;
	struct evhttp_request		*hreq;
	struct evhttp_connection	*evcon;
	struct event			*hangup;	/* NULL if undetectable */
	struct req			*r;
	struct kcall			 kc;		/* in the keeper */
	char				 call[2 * BALTIC_NAME_MAX + 2];
	TAILQ_ENTRY(hcall)		 entry;
};

/* An answered call's keeper entry, dropped once the answer is out. */
struct hsent {
	struct daemon			*d;
	struct evhttp_connection	*evcon;
	char				 key[sizeof ((struct kcall *)0)->key];
};

struct hexport {
	struct dfarm		*f;
	struct dexport		*x;
	TAILQ_HEAD(, hcall)	 calls;
	TAILQ_ENTRY(hexport)	 entry;
};

static TAILQ_HEAD(, hexport) hexports = TAILQ_HEAD_INITIALIZER(hexports);

/* The HTTP status for a call that ended with status. */
static int
http_code(uint32_t status)
{
	switch (status) {
	case BALTIC_OK:
		return HTTP_OK;
	case BALTIC_E_NOOP:
		return HTTP_NOTFOUND;
	case BALTIC_E_ARG:
		return HTTP_BADREQUEST;
	case BALTIC_E_DENIED:
		return 403;
	case BALTIC_E_TIMEOUT:
		return 504;
	case BALTIC_E_UNAVAILABLE:
	case BALTIC_E_OVERLOAD:
		return HTTP_SERVUNAVAIL;
	case BALTIC_E_HANDLER:
	case BALTIC_E_BADRESULT:
		return 502;
	default:
		return HTTP_INTERNAL;
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
http_error_json(struct evbuffer *out, uint32_t status, const char *farm,
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

/*
 * Answer hreq with an error: HTTP code, and the JSON body of
 * http_error_json.  hreq is libevent's after this.
 */
static void
http_reply_error(struct evhttp_request *hreq, int code, uint32_t status,
    const char *farm, const char *call, const void *msg, size_t msglen)
{
	struct evkeyvalq	*hdrs = evhttp_request_get_output_headers(hreq);

	if (http_error_json(evhttp_request_get_output_buffer(hreq), status,
	    farm, call, msg, msglen) == 0)
		evhttp_add_header(hdrs, "Content-Type", "application/json");
	if (code == HTTP_BADMETHOD)
		evhttp_add_header(hdrs, "Allow", "POST");
	evhttp_send_reply(hreq, code, NULL, NULL);
}

static void
http_reply_errorf(struct evhttp_request *hreq, int code, uint32_t status,
    const char *farm, const char *call, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
http_reply_errorf(struct evhttp_request *hreq, int code, uint32_t status,
    const char *farm, const char *call, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	size_t	 len;

	va_start(ap, fmt);
	msg = vstrf(&len, fmt, ap);
	va_end(ap);
	http_reply_error(hreq, code, status, farm, call, msg, len);
	free(msg);
}

/* Stop watching c's client: after this, libevent cannot call us for c. */
static void
hcall_detach(struct hcall *c)
{
	TAILQ_REMOVE(&c->hx->calls, c, entry);
	if (c->hangup != NULL) {
		event_free(c->hangup);
		c->hangup = NULL;
	}
	evhttp_connection_set_closecb(c->evcon, NULL, NULL);
}

static void
hsent_done(struct hsent *s)
{
	evhttp_connection_set_closecb(s->evcon, NULL, NULL);
	keep_del(s->d, s->key);
	free(s);
}

/* The answer is written: the keeper may let the connection go. */
static void
hsent_complete(struct evhttp_request *hreq, void *arg)
{
	hsent_done(arg);
}

/* The connection went before the answer was written. */
static void
hsent_closed(struct evhttp_connection *evcon, void *arg)
{
	hsent_done(arg);
}

/*
 * The call ended: answer the client, if it is still there.  A connection
 * the keeper holds is dropped from it only once the answer is written,
 * so that a balticd killed meanwhile leaves it to the next one.
 */
static void
http_export_done(struct req *r, uint32_t status, const void *payload,
    size_t len, void *arg)
{
	struct hcall		*c = arg;
	struct evhttp_request	*hreq = c->hreq;
	struct hsent		*s;

	hcall_detach(c);
	if (c->kc.key[0] != '\0') {
		if ((s = calloc(1, sizeof *s)) == NULL) {
			kcall_del(&c->kc);
		} else {
			s->d = c->hx->f->d;
			s->evcon = c->evcon;
			memcpy(s->key, c->kc.key, sizeof s->key);
			evhttp_request_set_on_complete_cb(hreq, hsent_complete,
			    s);
			evhttp_connection_set_closecb(c->evcon, hsent_closed, s);
		}
	}
	if (status != BALTIC_OK) {
		http_reply_error(hreq, http_code(status), status,
		    c->hx->f->name, c->call, payload, len);
		goto out;
	}
	if (len > 0 && evbuffer_add(evhttp_request_get_output_buffer(hreq),
	    payload, len) == -1) {
		http_reply_errorf(hreq, HTTP_INTERNAL, BALTIC_E_INTERNAL,
		    c->hx->f->name, c->call, "out of memory");
		goto out;
	}
	evhttp_add_header(evhttp_request_get_output_headers(hreq),
	    "Content-Type", "application/octet-stream");
	evhttp_send_reply(hreq, HTTP_OK, "OK", NULL);
out:
	free(c);
}

/*
 * libevent is freeing the client's connection (the client went away, or
 * the export is being freed): the call is no longer wanted.  A request
 * libevent has already taken off the connection is ours to free.
 */
static void
http_export_closecb(struct evhttp_connection *evcon, void *arg)
{
	struct hcall	*c = arg;
	struct req	*r = c->r;

	hcall_detach(c);
	kcall_del(&c->kc);
	if (evhttp_request_get_connection(c->hreq) == NULL)
		evhttp_request_free(c->hreq);
	log_debug("%s: http: client gone, %s cancelled", c->hx->f->name,
	    c->call);
	free(c);
	req_cancel(r);
}

/*
 * The client hung up while its call runs (libevent does not read an
 * incoming connection while the reply is pending, so it would not know
 * before writing the answer): cancel the call and drop the connection.
 */
static void
http_export_hangup(evutil_socket_t fd, short ev, void *arg)
{
	struct hcall			*c = arg;
	struct evhttp_connection	*evcon = c->evcon;
	struct req			*r = c->r;

	hcall_detach(c);
	kcall_del(&c->kc);
	log_debug("%s: http: client hung up, %s cancelled", c->hx->f->name,
	    c->call);
	free(c);
	req_cancel(r);
	evhttp_connection_free(evcon);
}

/* Split "/a/b/c" into exactly n non-empty segments; 0, or -1. */
static int
http_split_path(const char *path, const char **seg, size_t *len, size_t n)
{
	const char	*p = path, *e;
	size_t		 i;

	if (p == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (*p++ != '/')
			return -1;
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		if (e == p)
			return -1;
		seg[i] = p;
		len[i] = (size_t)(e - p);
		p = e;
	}
	return *p == '\0' ? 0 : -1;
}

/* "X-Baltic-Timeout: ms": 0 if absent, else 1..HTTP_TIMEOUT_MAX_MS. */
static int
http_timeout_header(struct evhttp_request *hreq, unsigned *ms_r)
{
	const char	*s;
	unsigned long	 v = 0;

	*ms_r = 0;
	s = evhttp_find_header(evhttp_request_get_input_headers(hreq),
	    "X-Baltic-Timeout");
	if (s == NULL)
		return 0;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > HTTP_TIMEOUT_MAX_MS)
			return -1;
	}
	*ms_r = (unsigned)v;
	return 0;
}

/* The call is about to go to a partition: the keeper is told. */
static void
http_export_progress(struct req *r, void *arg)
{
	struct hcall	*c = arg;

	kcall_put(&c->kc);
}

/*
 * One incoming request: resolve the path to an operation of the export's
 * interface, check the argument, start the call.  Every refusal is
 * answered here; an accepted call is answered by http_export_done.
 */
static void
http_export_cb(struct evhttp_request *hreq, void *arg)
{
	struct hexport		*hx = arg;
	struct dfarm		*f = hx->f;
	struct farm_iface	*iface = hx->x->fe->iface_p;
	struct farm_op		*op;
	struct hcall		*c = NULL;
	struct evbuffer		*in;
	struct event_base	*base = f->d->base;
	struct req		*r;
	const char		*seg[3], *data;
	size_t			 len[3], arglen;
	char			 call[2 * BALTIC_NAME_MAX + 2];
	char			 opname[BALTIC_NAME_MAX + 1], why[256];
	unsigned		 timeout_ms;
	evutil_socket_t		 fd;

	call[0] = '\0';
	if (http_split_path(evhttp_uri_get_path(
	    evhttp_request_get_evhttp_uri(hreq)), seg, len, 3) == -1) {
		http_reply_errorf(hreq, HTTP_NOTFOUND, BALTIC_E_NOOP, f->name,
		    call, "no such call: POST /%s/<Interface>/<Operation> "
		    "expected", f->name);
		return;
	}
	if (len[1] <= BALTIC_NAME_MAX && len[2] <= BALTIC_NAME_MAX)
		snprintf(call, sizeof call, "%.*s.%.*s", (int)len[1], seg[1],
		    (int)len[2], seg[2]);
	if (len[0] != strlen(f->name) || memcmp(seg[0], f->name, len[0]) != 0) {
		http_reply_errorf(hreq, HTTP_NOTFOUND, BALTIC_E_NOOP, f->name,
		    call, "this export serves farm %s only", f->name);
		return;
	}
	if (iface == NULL || len[1] != strlen(iface->name) ||
	    memcmp(seg[1], iface->name, len[1]) != 0) {
		http_reply_errorf(hreq, HTTP_NOTFOUND, BALTIC_E_NOOP, f->name,
		    call, "interface not exported here (this export serves "
		    "%s)", iface != NULL ? iface->name : "nothing");
		return;
	}
	op = NULL;
	if (len[2] < sizeof opname) {
		memcpy(opname, seg[2], len[2]);
		opname[len[2]] = '\0';
		op = farm_find_op(iface, opname);
	}
	if (op == NULL) {
		http_reply_errorf(hreq, HTTP_NOTFOUND, BALTIC_E_NOOP, f->name,
		    call, "interface %s has no such operation", iface->name);
		return;
	}
	if (evhttp_request_get_command(hreq) != EVHTTP_REQ_POST) {
		http_reply_errorf(hreq, HTTP_BADMETHOD, BALTIC_E_NOOP, f->name,
		    call, "only POST calls an operation");
		return;
	}
	if (http_timeout_header(hreq, &timeout_ms) == -1) {
		http_reply_errorf(hreq, HTTP_BADREQUEST, BALTIC_E_ARG, f->name,
		    call, "X-Baltic-Timeout: milliseconds (at most %u) "
		    "expected", HTTP_TIMEOUT_MAX_MS);
		return;
	}
	if (f->dying) {
		http_reply_errorf(hreq, HTTP_SERVUNAVAIL, BALTIC_E_UNAVAILABLE,
		    f->name, call, "farm is being destroyed");
		return;
	}

	in = evhttp_request_get_input_buffer(hreq);
	arglen = evbuffer_get_length(in);
	data = arglen > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if (data == NULL) {
		http_reply_errorf(hreq, HTTP_INTERNAL, BALTIC_E_INTERNAL,
		    f->name, call, "out of memory");
		return;
	}
	if (farm_check_args(op, data, arglen, why, sizeof why) == -1) {
		http_reply_errorf(hreq, HTTP_BADREQUEST, BALTIC_E_ARG, f->name,
		    call, "%s: %s", call, why);
		return;
	}

	if ((c = calloc(1, sizeof *c)) == NULL) {
		http_reply_errorf(hreq, HTTP_INTERNAL, BALTIC_E_INTERNAL,
		    f->name, call, "out of memory");
		return;
	}
	c->hx = hx;
	c->hreq = hreq;
	c->evcon = evhttp_request_get_connection(hreq);
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(c->evcon));
	memcpy(c->call, call, sizeof c->call);
	r = req_new(f, hx->x->node, iface, op, data, arglen, timeout_ms,
	    http_export_done, c);
	if (r == NULL) {
		free(c);
		http_reply_errorf(hreq, HTTP_INTERNAL, BALTIC_E_INTERNAL,
		    f->name, call, "out of memory");
		return;
	}
	c->r = r;
	c->kc.f = f;
	c->kc.export = (size_t)(hx->x - f->exports);
	c->kc.fd = fd;
	c->kc.r = r;
	r->progress = http_export_progress;
	r->progress_arg = c;
	TAILQ_INSERT_TAIL(&hx->calls, c, entry);
	evhttp_connection_set_closecb(c->evcon, http_export_closecb, c);
	if (event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE) {
		c->hangup = event_new(base, fd, EV_CLOSED, http_export_hangup,
		    c);
		if (c->hangup != NULL && event_add(c->hangup, NULL) == -1) {
			event_free(c->hangup);
			c->hangup = NULL;
		}
	}
	/* Kept once it is about to go to a partition (or now, if it waits
	 * for one): c lives as long as r is not finished. */
	r->hold++;
	req_start(r);
	if (!r->finished && c->kc.key[0] == '\0')
		kcall_put(&c->kc);
	req_release(r);
}

static struct hexport *
hexport_find(const struct dexport *x)
{
	struct hexport	*hx;

	TAILQ_FOREACH(hx, &hexports, entry)
		if (hx->x == x)
			return hx;
	return NULL;
}

/* Split "host:port" or "[v6]:port"; host_r is caller-freed. */
static int
http_parse_addr(const char *addr, char **host_r, uint16_t *port_r)
{
	const char	*colon, *h = addr;
	size_t		 hlen;
	unsigned long	 port;
	char		*end;

	*host_r = NULL;
	if ((colon = strrchr(addr, ':')) == NULL || colon == addr)
		return -1;
	hlen = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (hlen < 3 || addr[hlen - 1] != ']')
			return -1;
		h++;
		hlen -= 2;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
	    port == 0 || port > 65535)
		return -1;
	if ((*host_r = strndup(h, hlen)) == NULL)
		return -1;
	*port_r = (uint16_t)port;
	return 0;
}

/*
 * Listen for x's calls if it has an address.  0, or -1 with a message in
 * *err_r (caller frees).
 */
/* The keeper's key for x's listening socket. */
static void
http_listen_key(const struct dfarm *f, const struct dexport *x, char *buf,
    size_t size)
{
	snprintf(buf, size, "listen %s %s", f->name, x->fe->addr);
}

int
http_export_start(struct dfarm *f, struct dexport *x, char **err_r)
{
	struct hexport	*hx = NULL;
	struct evhttp	*http = NULL;
	struct evhttp_bound_socket *bound;
	char		*host = NULL, key[KEEP_KEY_MAX + 1];
	uint16_t	 port;
	int		 rc = -1, saved, fd;

	*err_r = NULL;
	if (x->fe->addr == NULL)
		return 0;
	if (x->http != NULL) {
		rc = 0;
		goto out;
	}
	if (http_parse_addr(x->fe->addr, &host, &port) == -1) {
		if (asprintf(err_r, "bad listen address %s: host:port "
		    "expected", x->fe->addr) == -1)
			*err_r = NULL;
		goto out;
	}
	if ((hx = calloc(1, sizeof *hx)) == NULL ||
	    (http = evhttp_new(f->d->base)) == NULL) {
		if (asprintf(err_r, "cannot listen on %s: out of memory",
		    x->fe->addr) == -1)
			*err_r = NULL;
		goto out;
	}
	hx->f = f;
	hx->x = x;
	TAILQ_INIT(&hx->calls);
	evhttp_set_allowed_methods(http, HTTP_METHODS);
	evhttp_set_max_body_size(http, HTTP_BODY_MAX);
	evhttp_set_max_headers_size(http, HTTP_HEADERS_MAX);
	evhttp_set_gencb(http, http_export_cb, hx);
	/* The socket an earlier balticd listened on, kept with the
	 * connections that came meanwhile; else a new one, kept. */
	http_listen_key(f, x, key, sizeof key);
	if ((fd = keep_take(f->d, key)) != -1) {
		if (evutil_make_socket_nonblocking(fd) == -1 ||
		    evhttp_accept_socket_with_handle(http, fd) == NULL) {
			close(fd);
			keep_del(f->d, key);
		} else {
			log_info("%s: export %s: listening socket kept by the "
			    "keeper", f->name, x->fe->addr);
			goto bound;
		}
	}
	errno = 0;
	if ((bound = evhttp_bind_socket_with_handle(http, host, port)) ==
	    NULL) {
		saved = errno;
		if (asprintf(err_r, "cannot listen on %s: %s", x->fe->addr,
		    saved != 0 ? strerror(saved) : "failed") == -1)
			*err_r = NULL;
		goto out;
	}
	keep_put(f->d, key, NULL, 0, evhttp_bound_socket_get_fd(bound));
bound:
	x->http = http;
	http = NULL;
	TAILQ_INSERT_TAIL(&hexports, hx, entry);
	hx = NULL;
	log_debug("%s: export %s.%s listening on %s", f->name,
	    x->fe->binding, x->fe->iface, x->fe->addr);
	rc = 0;
out:
	if (http != NULL)
		evhttp_free(http);
	free(hx);
	free(host);
	return rc;
}

/*
 * balticd exits and leaves fd (a client's connection) to the keeper:
 * libevent would shut the connection down (shutdown(2) acts on the
 * socket, the keeper's copy too), so fd now names a socket of no use.
 */
static void
http_fd_leave(int fd)
{
	int	z;

	if ((z = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	dup2(z, fd);
	close(z);
}

/*
 * Stop listening.  Calls still in flight from this export are cancelled
 * and their clients' connections closed without an answer, unless
 * balticd exits: they are the keeper's then.  Idempotent.
 */
void
http_export_stop(struct dexport *x)
{
	struct hexport	*hx;
	struct hcall	*c;
	struct req	*r;
	char		 key[KEEP_KEY_MAX + 1];

	if ((hx = hexport_find(x)) != NULL) {
		/* keep_del does nothing while balticd exits: the keeper
		 * keeps socket and calls for the next one. */
		http_listen_key(hx->f, x, key, sizeof key);
		keep_del(hx->f->d, key);
		while ((c = TAILQ_FIRST(&hx->calls)) != NULL) {
			r = c->r;
			if (hx->f->d->exiting && c->kc.key[0] != '\0')
				http_fd_leave(c->kc.fd);
			hcall_detach(c);
			kcall_del(&c->kc);
			free(c);
			req_cancel(r);
		}
		TAILQ_REMOVE(&hexports, hx, entry);
	}
	if (x->http != NULL) {
		evhttp_free(x->http);
		x->http = NULL;
	}
	free(hx);
}

/* ---- answers on connections adopted from an earlier balticd ----------- */

/* An answer being written on an adopted connection. */
struct hraw {
	struct daemon		*d;
	struct bufferevent	*bev;
	char			*key;
};

static void
hraw_free(struct hraw *w)
{
	keep_del(w->d, w->key);
	bufferevent_free(w->bev);
	free(w->key);
	free(w);
}

static void
hraw_written(struct bufferevent *bev, void *arg)
{
	hraw_free(arg);
}

static void
hraw_event(struct bufferevent *bev, short what, void *arg)
{
	hraw_free(arg);
}

/*
 * Answer a call whose connection an earlier balticd accepted (libevent
 * has no way to take over a half-served evhttp connection): a plain
 * HTTP/1.1 response, the same as http_export_done's, then close; the
 * keeper's entry key is dropped once it is written.  Takes fd.
 */
void
http_raw_reply(struct daemon *d, int fd, const char *key, uint32_t status,
    const char *farm, const char *call, const void *payload, size_t len)
{
	struct hraw	*w = NULL;
	struct evbuffer	*body = NULL, *out;
	int		 code = http_code(status);
	bool		 json = false;
	char		 c;

	/* Bytes after the request: the client had its answer (an earlier
	 * balticd wrote it, and was killed before the keeper let go) and
	 * sent another request.  No second answer on its connection. */
	if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1) {
		log_info("%s: %s: answered already; connection closed", farm,
		    call);
		close(fd);
		keep_del(d, key);
		return;
	}
	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (w->key = strdup(key)) == NULL ||
	    (body = evbuffer_new()) == NULL ||
	    evutil_make_socket_nonblocking(fd) == -1 ||
	    (w->bev = bufferevent_socket_new(d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		goto fail;
	w->d = d;
	fd = -1;
	if (status == BALTIC_OK) {
		if (len > 0 && evbuffer_add(body, payload, len) == -1)
			goto fail;
	} else
		json = http_error_json(body, status, farm, call, payload,
		    len) == 0;
	out = bufferevent_get_output(w->bev);
	if (evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", code,
	    code == HTTP_OK ? "OK" : "Error", json ? "application/json" :
	    "application/octet-stream", evbuffer_get_length(body)) == -1 ||
	    evbuffer_add_buffer(out, body) == -1)
		goto fail;
	evbuffer_free(body);
	bufferevent_setcb(w->bev, NULL, hraw_written, hraw_event, w);
	bufferevent_enable(w->bev, EV_WRITE);
	return;
fail:
	log_warnx("%s: %s: cannot answer the adopted call", farm, call);
	if (body != NULL)
		evbuffer_free(body);
	if (fd != -1)
		close(fd);
	if (w != NULL && w->bev != NULL) {
		hraw_free(w);
		return;
	}
	keep_del(d, key);
	if (w != NULL)
		free(w->key);
	free(w);
}

/* ---- remote: the client side ----------------------------------------- */

struct rpool;

/* One connection; at most one call in flight on it. */
struct rconn {
	struct rpool			*pool;
	struct evhttp_connection	*evcon;
	struct req			*r;	/* NULL: none, or orphan */
	struct evhttp_request		*hreq;	/* in flight */
	bool				 orphan; /* libevent still calls */
	bool				 failed;
	enum evhttp_request_error	 err;
};

struct rwait {
	struct req		*r;
	TAILQ_ENTRY(rwait)	 entry;
};

struct rpool {
	struct node		*node;
	struct rconn		 conns[REMOTE_CONNS];
	size_t			 nconns;
	TAILQ_HEAD(, rwait)	 waiting;
	size_t			 nwaiting;
	struct event		*pump;
	struct evdns_base	*dns;		/* remote_dns, or NULL */
	char			*connhost;	/* host without [] */
	char			*hosthdr;	/* Host: */
};

/* One resolver for every remote named by host name, while one is. */
static struct evdns_base	*remote_dns;
static unsigned			 remote_dns_refs;

static struct evdns_base *
remote_dns_get(struct event_base *base)
{
	if (remote_dns == NULL) {
		remote_dns = evdns_base_new(base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (remote_dns == NULL) {
			log_warnx("http: no resolver; host names of remotes "
			    "are resolved blocking");
			return NULL;
		}
	}
	remote_dns_refs++;
	return remote_dns;
}

static void
remote_dns_put(void)
{
	if (remote_dns != NULL && --remote_dns_refs == 0) {
		evdns_base_free(remote_dns, 1);
		remote_dns = NULL;
	}
}

static bool
remote_numeric_host(const char *host)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	return inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

static void	remote_pump(evutil_socket_t, short, void *);

/*
 * The node's pool, made on first use from its URL: host, port and path
 * into the node, and no connection yet.  NULL with a static reason.
 */
static struct rpool *
remote_pool(struct node *n, const char **why_r)
{
	struct rpool		*p = n->u.remote.pool;
	struct evhttp_uri	*uri = NULL;
	const char		*scheme, *host, *path;
	size_t			 plen, hlen;
	int			 port;

	if (p != NULL)
		return p;
	*why_r = "bad URL";
	if ((uri = evhttp_uri_parse(n->u.remote.url)) == NULL)
		goto fail;
	scheme = evhttp_uri_get_scheme(uri);
	host = evhttp_uri_get_host(uri);
	if (scheme == NULL || strcasecmp(scheme, "http") != 0 ||
	    host == NULL || *host == '\0')
		goto fail;
	if ((port = evhttp_uri_get_port(uri)) == -1)
		port = 80;
	if (port <= 0 || port > 65535)
		goto fail;
	if ((path = evhttp_uri_get_path(uri)) == NULL)
		path = "";
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	if (plen > REMOTE_PATH_MAX) {
		*why_r = "URL path too long";
		goto fail;
	}

	*why_r = "out of memory";
	if ((p = calloc(1, sizeof *p)) == NULL)
		goto fail;
	p->node = n;
	TAILQ_INIT(&p->waiting);
	hlen = strlen(host);
	if (host[0] == '[' && hlen > 2)
		p->connhost = strndup(host + 1, hlen - 2);
	else
		p->connhost = strdup(host);
	if (port == 80)
		p->hosthdr = strdup(host);
	else if (asprintf(&p->hosthdr, "%s:%d", host, port) == -1)
		p->hosthdr = NULL;
	free(n->u.remote.host);
	free(n->u.remote.path);
	n->u.remote.host = strdup(host);
	n->u.remote.path = strndup(path, plen);
	n->u.remote.port = port;
	p->pump = event_new(n->farm->d->base, -1, 0, remote_pump, p);
	if (p->connhost == NULL || p->hosthdr == NULL ||
	    n->u.remote.host == NULL || n->u.remote.path == NULL ||
	    p->pump == NULL)
		goto fail;
	if (!remote_numeric_host(p->connhost))
		p->dns = remote_dns_get(n->farm->d->base);
	evhttp_uri_free(uri);
	n->u.remote.pool = p;
	return p;
fail:
	if (p != NULL) {
		if (p->pump != NULL)
			event_free(p->pump);
		free(p->connhost);
		free(p->hosthdr);
		free(p);
	}
	if (uri != NULL)
		evhttp_uri_free(uri);
	return NULL;
}

/* An idle connection, opening one more if all are busy; NULL if none. */
static struct rconn *
remote_idle(struct rpool *p)
{
	struct node	*n = p->node;
	struct rconn	*c;
	size_t		 i;

	for (i = 0; i < p->nconns; i++) {
		c = &p->conns[i];
		if (c->hreq == NULL && !c->orphan)
			return c;
	}
	if (p->nconns == REMOTE_CONNS)
		return NULL;
	c = &p->conns[p->nconns];
	c->pool = p;
	c->evcon = evhttp_connection_base_new(n->farm->d->base, p->dns,
	    p->connhost, (uint16_t)n->u.remote.port);
	if (c->evcon == NULL)
		return NULL;
	evhttp_connection_set_retries(c->evcon, 0);
	evhttp_connection_set_max_body_size(c->evcon, REMOTE_RESULT_MAX);
	evhttp_connection_set_max_headers_size(c->evcon, HTTP_HEADERS_MAX);
	p->nconns++;
	return c;
}

/* A connection may have come free: serve the queue from the loop. */
static void
remote_kick(struct rpool *p)
{
	if (!TAILQ_EMPTY(&p->waiting))
		event_active(p->pump, EV_TIMEOUT, 1);
}

static void
remote_error_cb(enum evhttp_request_error err, void *arg)
{
	struct rconn	*c = arg;

	c->failed = true;
	c->err = err;
}

/* "HTTP 500: text": the start of an error body, printable. */
static void
remote_errtext(struct evhttp_request *hreq, char *buf, size_t size)
{
	ev_ssize_t	 n;
	size_t		 i;
	unsigned char	 ch;

	n = evbuffer_copyout(evhttp_request_get_input_buffer(hreq), buf,
	    size - 1);
	if (n < 0)
		n = 0;
	for (i = 0; i < (size_t)n; i++) {
		ch = (unsigned char)buf[i];
		if (ch < 0x20 || ch > 0x7e)
			buf[i] = ch == '\n' || ch == '\t' ? ' ' : '?';
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/*
 * The answer, or the failure, of the call in flight on c.  hreq NULL
 * means the connection failed after the call was sent (the remote may
 * have acted on it); a response code of 0, that it was never connected.
 */
static void
remote_response_cb(struct evhttp_request *hreq, void *arg)
{
	struct rconn	*c = arg;
	struct rpool	*p = c->pool;
	struct req	*r = c->r;
	const char	*url, *why, *data;
	char		 text[REMOTE_ERRTEXT + 1];
	struct evbuffer	*in;
	size_t		 len;
	int		 code;

	c->r = NULL;
	c->hreq = NULL;
	c->orphan = false;
	remote_kick(p);
	if (r == NULL)
		return;
	r->hreq = NULL;
	url = r->node->u.remote.url;
	code = hreq != NULL ? evhttp_request_get_response_code(hreq) : 0;

	if (hreq != NULL && code == 0) {
		req_finishf(r, BALTIC_E_UNAVAILABLE, "remote %s: unreachable",
		    url);
		return;
	}
	if (hreq == NULL) {
		r->reached = true;
		if (c->failed && c->err == EVREQ_HTTP_DATA_TOO_LONG)
			req_finishf(r, BALTIC_E_BADRESULT, "remote %s: answer "
			    "over %d bytes", url, REMOTE_RESULT_MAX);
		else
			req_finishf(r, BALTIC_E_UNAVAILABLE, "remote %s: "
			    "unreachable: %s after the call was sent", url,
			    c->failed && c->err == EVREQ_HTTP_TIMEOUT ?
			    "timed out" : "connection lost");
		return;
	}

	r->reached = true;
	if (code != HTTP_OK) {
		remote_errtext(hreq, text, sizeof text);
		req_finishf(r, BALTIC_E_HANDLER, "remote %s: HTTP %d: %s",
		    url, code, text);
		return;
	}
	in = evhttp_request_get_input_buffer(hreq);
	len = evbuffer_get_length(in);
	data = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if (data == NULL) {
		req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	if (farm_value_check(r->op->result, data, len, &why) == -1) {
		req_finishf(r, BALTIC_E_BADRESULT, "remote %s: result of the "
		    "wrong type: %s", url, why);
		return;
	}
	req_finish(r, BALTIC_OK, data, len);
}

/* Put r on the wire on idle connection c.  r may end before this returns. */
static void
remote_dispatch(struct rconn *c, struct req *r)
{
	struct node		*n = r->node;
	struct evhttp_request	*hreq;
	struct evkeyvalq	*hdrs;
	struct timeval		 tv;
	char			 uri[REMOTE_PATH_MAX + 2 * BALTIC_NAME_MAX + 8];
	char			 ms[16];
	uint32_t		 left = req_remaining_ms(r);

	snprintf(uri, sizeof uri, "%s/%s/%s", n->u.remote.path,
	    r->iface->name, r->op->name);
	snprintf(ms, sizeof ms, "%u", left);
	if ((hreq = evhttp_request_new(remote_response_cb, c)) == NULL)
		goto nomem;
	evhttp_request_set_error_cb(hreq, remote_error_cb);
	hdrs = evhttp_request_get_output_headers(hreq);
	if (evhttp_add_header(hdrs, "Host", c->pool->hosthdr) == -1 ||
	    evhttp_add_header(hdrs, "Content-Type",
	    "application/octet-stream") == -1 ||
	    evhttp_add_header(hdrs, "X-Baltic-Timeout", ms) == -1 ||
	    (r->arglen > 0 && evbuffer_add(evhttp_request_get_output_buffer(
	    hreq), r->arg, r->arglen) == -1)) {
		evhttp_request_free(hreq);
		goto nomem;
	}
	left += REMOTE_SLACK_MS;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evhttp_connection_set_timeout_tv(c->evcon, &tv);

	c->r = r;
	c->hreq = hreq;
	c->failed = false;
	r->hreq = hreq;
	/*
	 * A refused connect calls remote_response_cb before this returns.
	 * On -1 no callback runs and libevent may or may not have freed
	 * hreq (it does not say which), so it is left alone.
	 */
	if (evhttp_make_request(c->evcon, hreq, EVHTTP_REQ_POST, uri) == -1 &&
	    c->r == r) {
		c->r = NULL;
		c->hreq = NULL;
		r->hreq = NULL;
		req_finishf(r, BALTIC_E_UNAVAILABLE, "remote %s: unreachable: "
		    "cannot connect", n->u.remote.url);
	}
	return;
nomem:
	req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
}

/* Give waiting calls the connections that have come free. */
static void
remote_pump(evutil_socket_t fd, short ev, void *arg)
{
	struct rpool	*p = arg;
	struct rwait	*w;
	struct rconn	*c;
	struct req	*r;

	while ((w = TAILQ_FIRST(&p->waiting)) != NULL &&
	    (c = remote_idle(p)) != NULL) {
		TAILQ_REMOVE(&p->waiting, w, entry);
		p->nwaiting--;
		r = w->r;
		free(w);
		remote_dispatch(c, r);
	}
}

/*
 * Send r to its remote node: POST <path>/<Iface>/<Op>.  Ends r, now or
 * later, with the result or an error naming the URL.
 */
void
http_remote_send(struct req *r)
{
	struct node	*n = r->node;
	struct rpool	*p;
	struct rconn	*c;
	struct rwait	*w;
	const char	*why;

	r->hreq = NULL;
	if ((p = remote_pool(n, &why)) == NULL) {
		req_finishf(r, BALTIC_E_INTERNAL, "remote %s: %s",
		    n->u.remote.url, why);
		return;
	}
	if (TAILQ_EMPTY(&p->waiting) && (c = remote_idle(p)) != NULL) {
		remote_dispatch(c, r);
		return;
	}
	if (p->nwaiting >= REMOTE_WAIT_MAX) {
		req_finishf(r, BALTIC_E_OVERLOAD, "remote %s: %zu calls "
		    "already waiting", n->u.remote.url, p->nwaiting);
		return;
	}
	if ((w = calloc(1, sizeof *w)) == NULL) {
		req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	w->r = r;
	TAILQ_INSERT_TAIL(&p->waiting, w, entry);
	p->nwaiting++;
	remote_kick(p);
}

/*
 * Forget r: drop it from the queue or abort its HTTP request (libevent
 * then calls nothing).  Safe for a request already answered.
 */
void
http_remote_cancel(struct req *r)
{
	struct rpool		*p = r->node->u.remote.pool;
	struct evhttp_request	*hreq;
	struct rconn		*c;
	struct rwait		*w;
	size_t			 i;

	if (p == NULL)
		return;
	r->hreq = NULL;
	for (i = 0; i < p->nconns; i++) {
		c = &p->conns[i];
		if (c->r != r)
			continue;
		hreq = c->hreq;
		c->r = NULL;
		c->hreq = NULL;
		/* Off its connection: libevent is calling it back now. */
		if (evhttp_request_get_connection(hreq) == NULL)
			c->orphan = true;
		else
			evhttp_cancel_request(hreq);
		remote_kick(p);
		return;
	}
	TAILQ_FOREACH(w, &p->waiting, entry) {
		if (w->r == r) {
			TAILQ_REMOVE(&p->waiting, w, entry);
			p->nwaiting--;
			free(w);
			return;
		}
	}
}

/*
 * Free n's connections and parsed URL.  Calls still on the node should
 * have been cancelled; any left are dropped without an answer.
 */
void
http_remote_dispose(struct node *n)
{
	struct rpool	*p = n->u.remote.pool;
	struct rwait	*w;
	struct rconn	*c;
	size_t		 i, left = 0;

	if (p != NULL) {
		while ((w = TAILQ_FIRST(&p->waiting)) != NULL) {
			TAILQ_REMOVE(&p->waiting, w, entry);
			free(w);
			left++;
		}
		for (i = 0; i < p->nconns; i++) {
			c = &p->conns[i];
			if (c->r != NULL) {
				c->r->hreq = NULL;
				left++;
			}
			evhttp_connection_free(c->evcon);
		}
		if (left > 0)
			log_warnx("%s: remote %s: %zu calls dropped",
			    n->farm->name, n->u.remote.url, left);
		event_free(p->pump);
		if (p->dns != NULL)
			remote_dns_put();
		free(p->connhost);
		free(p->hosthdr);
		free(p);
		n->u.remote.pool = NULL;
	}
	free(n->u.remote.host);
	free(n->u.remote.path);
	n->u.remote.host = NULL;
	n->u.remote.path = NULL;
}
