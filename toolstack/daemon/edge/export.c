/*
 * export.c: an export's HTTP server.  POST /<farm>/<Interface>/<Operation>
 * with the argument as the body is answered with the result (200) or a
 * JSON error; connections are HTTP/1.1 keep-alive.
 *
 * Nothing a client sent is lost with balticd, whenever it is killed:
 * - its connection is given to the keeper (keep.h, "conn" key) as it
 *   is accepted, before a byte is read;
 * - a request is read in place (MSG_PEEK, http-req.h) and taken off the
 *   socket only once the keeper holds the call's record, which names the
 *   request's length and hash; the next balticd then finds either the
 *   request still on the socket (an idle connection: it reads it like
 *   any other) or the record (adopt.c: it answers the call, and takes
 *   the request off first if it is still there);
 * - the record is dropped (the connection made idle again) only once
 *   the answer is written.
 * A request larger than KEEP_REQUEST_MAX is read off the socket as it
 * comes (a socket buffer may not hold it); it is kept from the moment
 * its call starts, as every call was before connections were kept.
 *
 * libevent's evhttp is not used here: it can neither read a request
 * without taking it off the socket nor take over a connection another
 * process accepted.
 *
 * An export with tls (export-tls.h) runs OpenSSL on the same socket,
 * under this same code, rather than a libevent OpenSSL bufferevent: the
 * request parsing, the answers, keep-alive and the lingering close stay
 * one path for both, and only the bytes in and out change (conn_recv,
 * conn_send).  Its requests are read off the socket as they come, as
 * large ones are; its connections and calls are not given to the
 * keeper, since a TLS session cannot be handed to the next balticd.
 */
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>

#include <event2/event.h>

#include <errno.h>
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

static void	conn_arm_read(struct export_conn *);
static void	conn_io_cb(evutil_socket_t, short, void *);

/* Does c wait on its one lasting event (conn_io_cb)? */
static bool
conn_io_armed(const struct export_conn *c)
{
	return c->ev != NULL && event_get_callback(c->ev) == conn_io_cb;
}

/* ---- calls ------------------------------------------------------------ */

/* The call ended: answer the client. */
static void
export_call_done(struct req *r, uint32_t status, const void *payload,
    size_t len, void *arg)
{
	struct export_conn	*c = arg;

	c->kc.r = NULL;
	if (c->take_pending)	/* answered in the turn it was read */
		journal_flush(c->d);
	c->state = CONN_WRITING;	/* conn_io_cb: no hang-up watch */
	if (!conn_io_armed(c))
		conn_event_clear(c);	/* the hang-up watch */
	conn_answer_status(c, status, c->srv->f->name, payload, len);
}

/* The call is about to go to a partition: the keeper is told. */
static void
export_call_progress(struct req *r, void *arg)
{
	struct export_conn	*c = arg;

	if (c->ssl != NULL)
		return;		/* a TLS connection is not kept */
	journal_put(&c->kc);
	c->recorded = true;
}

/*
 * The client hung up while its call runs (nothing else is read from a
 * connection then): cancel the call and drop the connection.
 */
static void
export_call_hangup(evutil_socket_t fd, short what, void *arg)
{
	struct export_conn	*c = arg;

	log_debug("%s: http: client hung up, %s cancelled", c->srv->f->name,
	    c->call);
	conn_free(c, true);
}

/* Split "/a/b/c" into exactly n non-empty segments; 0, or -1. */
static int
export_split_path(const char *p, size_t plen, const char **seg, size_t *len,
    size_t n)
{
	const char	*end = p + plen, *e;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (p == end || *p++ != '/')
			return -1;
		if ((e = memchr(p, '/', (size_t)(end - p))) == NULL)
			e = end;
		if (e == p)
			return -1;
		seg[i] = p;
		len[i] = (size_t)(e - p);
		p = e;
	}
	return p == end ? 0 : -1;
}

/* "X-Baltic-Timeout: ms": 0 if absent, else 1..EXPORT_TIMEOUT_MAX_MS. */
static int
export_timeout(const struct http_req *hr, unsigned *ms_r)
{
	size_t	v;

	*ms_r = 0;
	if (hr->timeout == NULL)
		return 0;
	if (http_decimal(hr->timeout, hr->timeoutlen, EXPORT_TIMEOUT_MAX_MS,
	    &v) != 0)
		return -1;
	*ms_r = (unsigned)v;
	return 0;
}

/*
 * The operation a request names, or NULL when it was refused (and
 * answered).  c->call is set to "Interface.Operation" when they fit.
 */
static struct farm_op *
export_resolve(struct export_conn *c, const struct http_req *hr)
{
	struct farm_run		*f = c->srv->f;
	struct farm_iface	*iface = c->srv->x->fe->iface_p;
	struct farm_op		*op = NULL;
	const char		*seg[3];
	size_t			 len[3];
	char			 opname[BALTIC_NAME_MAX + 1];

	c->call[0] = '\0';
	if (export_split_path(hr->path, hr->pathlen, seg, len, 3) == -1) {
		conn_refuse(c, 404, BALTIC_E_NOOP, "no such call: POST "
		    "/%s/<Interface>/<Operation> expected", f->name);
		return NULL;
	}
	if (len[1] <= BALTIC_NAME_MAX && len[2] <= BALTIC_NAME_MAX)
		snprintf(c->call, sizeof c->call, "%.*s.%.*s", (int)len[1],
		    seg[1], (int)len[2], seg[2]);
	if (len[0] != strlen(f->name) || memcmp(seg[0], f->name, len[0]) != 0) {
		conn_refuse(c, 404, BALTIC_E_NOOP, "this export serves farm "
		    "%s only", f->name);
		return NULL;
	}
	if (iface == NULL || len[1] != strlen(iface->name) ||
	    memcmp(seg[1], iface->name, len[1]) != 0) {
		conn_refuse(c, 404, BALTIC_E_NOOP, "interface not exported "
		    "here (this export serves %s)", iface != NULL ?
		    iface->name : "nothing");
		return NULL;
	}
	if (len[2] < sizeof opname) {
		memcpy(opname, seg[2], len[2]);
		opname[len[2]] = '\0';
		op = farm_find_op(iface, opname);
	}
	if (op == NULL) {
		conn_refuse(c, 404, BALTIC_E_NOOP, "interface %s has no such "
		    "operation", iface->name);
		return NULL;
	}
	if (strcmp(hr->method, "POST") != 0) {
		conn_refuse(c, 405, BALTIC_E_NOOP, "only POST calls an "
		    "operation");
		return NULL;
	}
	return op;
}

/*
 * A whole request is in c->buf (on the socket still, unless c->taken):
 * check it, start its call.  The request is taken off the socket once the
 * keeper has the call's record (or at once, for a refused request); an
 * answer ready by then (a refusal, a call that ended at once) is written
 * after that, once.
 */
static void
export_request(struct export_conn *c, const struct http_req *hr)
{
	struct farm_run		*f = c->srv->f;
	struct farm_op		*op;
	struct req		*r;
	const char		*body = c->buf + hr->head_len;
	size_t			 total = hr->head_len + hr->body_len;
	char			 why[256];
	unsigned		 timeout_ms;

	c->keep_alive = hr->keep_alive;
	c->unread = !c->taken;
	c->reqtotal = total;
	c->starting = true;	/* the answer is written at out:, once */
	if ((op = export_resolve(c, hr)) == NULL)
		goto out;
	if (export_timeout(hr, &timeout_ms) == -1) {
		conn_refuse(c, 400, BALTIC_E_ARG, "X-Baltic-Timeout: "
		    "milliseconds (at most %u) expected",
		    EXPORT_TIMEOUT_MAX_MS);
		goto out;
	}
	if (f->dying) {
		conn_refuse(c, 503, BALTIC_E_UNAVAILABLE, "farm is being "
		    "destroyed");
		goto out;
	}
	if (farm_check_args(op, body, hr->body_len, why, sizeof why) == -1) {
		conn_refuse(c, 400, BALTIC_E_ARG, "%s: %s", c->call, why);
		goto out;
	}
	r = req_new(f, c->srv->x->node, c->srv->x->fe->iface_p, op, body,
	    hr->body_len, timeout_ms, export_call_done, c);
	if (r == NULL) {
		conn_refuse(c, 500, BALTIC_E_INTERNAL, "out of memory");
		goto out;
	}
	req_from_export(r, c->srv->x);
	c->state = CONN_CALLING;
	c->kc.r = r;
	if (c->unread) {
		c->kc.reqlen = total;
		c->kc.reqhash = fnv1a64(c->buf, total);
	}
	r->progress = export_call_progress;
	r->progress_arg = c;
	/* The connection's one event stays; it now watches for a hangup
	 * (conn_io_cb).  Else (a TLS connection's handshake event, say) a
	 * new one. */
	if (!conn_io_armed(c)) {
		if (event_base_get_features(c->d->base) &
		    EV_FEATURE_EARLY_CLOSE)
			conn_event(c, EV_CLOSED, export_call_hangup, 0);
		else
			conn_event_clear(c);
	}
	/* Kept once it is about to go to a partition (or now, if it waits
	 * for one), and only then taken off the socket; answered after. */
	r->hold++;
	req_start(r);
	if (!r->finished && !c->recorded && c->ssl == NULL) {
		journal_put(&c->kc);
		c->recorded = true;
	}
	req_release(r);
out:
	c->starting = false;
	if (c->unread && c->recorded && c->state == CONN_CALLING) {
		/* Once its record is in the keeper: journal_flush. */
		c->take_pending = true;
		TAILQ_INSERT_TAIL(&c->d->takes, c, take_entry);
	} else if (c->unread) {
		if (c->recorded)
			journal_flush(c->d);
		if (conn_take(c, total) == -1) {
			conn_free(c, true);
			return;
		}
	}
	if (c->state == CONN_WRITING)	/* answered, or refused */
		conn_write(c);
}

/* The requests whose records the keeper now holds leave their sockets. */
void
export_take_pending(struct daemon *d)
{
	struct export_conn	*c;

	while ((c = TAILQ_FIRST(&d->takes)) != NULL) {
		TAILQ_REMOVE(&d->takes, c, take_entry);
		c->take_pending = false;
		if (conn_take(c, c->reqtotal) == -1)
			conn_free(c, true);
	}
}

/* ---- reading ---------------------------------------------------------- */

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct export_conn	*c = arg;
	struct http_req		 hr;
	const char		*why;
	int			 rc;

	if (what & EV_TIMEOUT) {
		conn_free(c, true);
		return;
	}
	if (conn_fill(c) == -1) {
		conn_free(c, true);
		return;
	}
	if (c->buflen == 0)
		return;
	if ((rc = http_req_parse(c->buf, c->buflen, &hr, &why)) == 0) {
		if (hr.head_len > 0 && hr.expect_continue && !c->continued) {
			c->continued = true;
			conn_send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		}
		return;
	}
	if (rc == -1) {
		/* The rest cannot be framed: answer, and close. */
		c->call[0] = '\0';
		c->keep_alive = false;
		c->unread = false;
		if (!c->taken)
			recv(fd, c->buf, c->buflen, MSG_DONTWAIT);
		conn_refuse(c, hr.code, BALTIC_E_ARG, "bad request: %s", why);
		return;
	}
	export_request(c, &hr);
}

/*
 * A connection's one event, from its first request to its last: reading
 * a request, then, while the call runs, watching for the client to hang
 * up.  Bytes of a next request that come meanwhile wait (conn_written
 * looks for them); so does an idle timeout.  Kept across requests, it
 * costs no epoll_ctl per call.
 */
static void
conn_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct export_conn	*c = arg;

	if (c->state == CONN_READING)
		conn_read_cb(fd, what, arg);
	else if (c->state == CONN_CALLING && (what & EV_CLOSED))
		export_call_hangup(fd, what, arg);
}

/* Wait for a request: edge-triggered, as bytes read in place stay.  The
 * idle time counts from now (event_add on the event already there only
 * moves its timer). */
static void
conn_arm_read(struct export_conn *c)
{
	struct timeval	tv = { EXPORT_IDLE_MS / 1000,
			    (EXPORT_IDLE_MS % 1000) * 1000 };
	short		what = EV_READ | EV_PERSIST | EV_ET;

	c->state = CONN_READING;
	if (conn_io_armed(c) && event_add(c->ev, &tv) == 0)
		return;
	if (event_base_get_features(c->d->base) & EV_FEATURE_EARLY_CLOSE)
		what |= EV_CLOSED;
	conn_event(c, what, conn_io_cb, EXPORT_IDLE_MS);
}

/* ---- listening -------------------------------------------------------- */

/* The TLS handshake, a step whenever the socket is ready; then requests
 * are read as on any connection. */
static void
conn_handshake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct export_conn	*c = arg;
	short			 want;
	int			 rc;

	if (what & EV_TIMEOUT) {
		conn_free(c, true);
		return;
	}
	rc = tls_handshake(c->ssl, &want, c->srv->f->name);
	if (rc == -1) {
		conn_free(c, true);
		return;
	}
	if (rc == 0) {
		conn_event(c, want, conn_handshake_cb, EXPORT_HANDSHAKE_MS);
		if (c->ev == NULL)
			conn_free(c, true);
		return;
	}
	conn_arm_read(c);
	/* Bytes that came with the handshake give no edge of their own. */
	if (c->ev != NULL)
		event_active(c->ev, EV_READ, 0);
}

/* Start a TLS connection's handshake: 0, or -1 (c freed). */
static int
conn_tls_start(struct export_conn *c)
{
	if ((c->ssl = tls_conn_new(c->srv->tls, c->fd)) == NULL) {
		conn_free(c, true);
		return -1;
	}
	c->taken = true;
	c->state = CONN_HANDSHAKE;
	conn_event(c, EV_READ, conn_handshake_cb, EXPORT_HANDSHAKE_MS);
	if (c->ev == NULL) {
		conn_free(c, true);
		return -1;
	}
	event_active(c->ev, EV_READ, 0);
	return 0;
}

/* Take a new client: the keeper has it before a byte is read. */
static void
export_accept_one(struct export_srv *srv, int fd)
{
	struct daemon		*d = srv->f->d;
	struct export_conn	*c;
	char			 key[sizeof c->kc.key];
	int			 n;

	n = snprintf(key, sizeof key, KEEP_KEY_CONN "%s %zu %llx-%llx",
	    srv->f->name, (size_t)(srv->x - srv->f->exports),
	    (unsigned long long)d->started_us,
	    (unsigned long long)++d->keep_seq);
	if (srv->tls != NULL || n < 0 || n > KEEP_KEY_MAX ||
	    keep_put(d->keep, key, NULL, 0, fd) == -1)
		key[0] = '\0';	/* kept once its call starts, if at all */
	if ((c = conn_new(d, srv, fd, key)) == NULL) {
		if (key[0] != '\0')
			keep_del(d->keep, key);
		close(fd);
		return;
	}
	if (srv->tls != NULL) {
		conn_tls_start(c);
		return;
	}
	conn_arm_read(c);
	/* Bytes that came with the handshake give no edge of their own. */
	if (c->ev != NULL)
		event_active(c->ev, EV_READ, 0);
}

static void
export_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct export_srv	*srv = arg;
	int			 fd, i;

	for (i = 0; i < EXPORT_ACCEPTS; i++) {
		if (srv->nconns >= EXPORT_CONNS_MAX) {
			event_del(srv->lev);
			srv->paused = true;
			log_warnx("%s: export %s: %d connections; the next "
			    "wait", srv->f->name, srv->x->fe->addr,
			    EXPORT_CONNS_MAX);
			return;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("%s: export %s: accept",
				    srv->f->name, srv->x->fe->addr);
			return;
		}
		export_accept_one(srv, fd);
	}
}

/* A listening socket on addr: the descriptor, or -1 with *err_r set. */
static int
export_listen(const char *addr, char **err_r)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	const char	*why;
	char		*host = NULL, port[8];
	unsigned	 portnum;
	int		 fd = -1, one = 1, r, saved = 0;

	/* As the checker read it (host without brackets). */
	if (farm_parse_addr(addr, &host, &portnum, &why) == -1) {
		if (asprintf(err_r, "bad listen address %s: %s", addr,
		    why) == -1)
			*err_r = NULL;
		return -1;
	}
	snprintf(port, sizeof port, "%u", portnum);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		if (asprintf(err_r, "cannot listen on %s: %s", addr,
		    gai_strerror(r)) == -1)
			*err_r = NULL;
		goto out;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	if (fd == -1 && asprintf(err_r, "cannot listen on %s: %s", addr,
	    strerror(saved)) == -1)
		*err_r = NULL;
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	return fd;
}

/* The keeper's key for x's listening socket. */
static void
export_listen_key(const struct farm_run *f, const struct farm_run_export *x,
    char *buf, size_t size)
{
	snprintf(buf, size, KEEP_KEY_LISTEN "%s %s", f->name, x->fe->addr);
}

/*
 * Bind x's address, if it has one, without taking calls yet: the socket
 * an earlier balticd listened on (kept with the connections that came
 * meanwhile), else a new one, kept.  A create binds every export before
 * any partition starts, so a busy address costs no partition; clients
 * that connect meanwhile wait in the backlog.  0, or -1 with a message
 * in *err_r (caller frees).
 */
int
export_bind(struct farm_run *f, struct farm_run_export *x, char **err_r)
{
	struct export_srv	*srv;
	struct ssl_ctx_st	*tls = NULL;
	char			 key[KEEP_KEY_MAX + 1], *why = NULL;
	int			 fd;

	*err_r = NULL;
	if (x->fe->addr == NULL || x->srv != NULL ||
	    !export_here(f->d, x->fe))	/* another host's (cluster.h) */
		return 0;
	if (x->fe->tls && (tls = tls_ctx_new(x->fe->tls_cert,
	    x->fe->tls_key, x->fe->tls_ca, &why)) == NULL) {
		if (asprintf(err_r, "export at %s: %s", x->fe->addr,
		    why != NULL ? why : "out of memory") == -1)
			*err_r = NULL;
		free(why);
		return -1;
	}
	export_listen_key(f, x, key, sizeof key);
	if ((fd = keep_take(f->d->keep, key)) != -1) {
		if (evutil_make_socket_nonblocking(fd) == -1) {
			close(fd);
			keep_del(f->d->keep, key);
			fd = -1;
		} else
			log_info("%s: export %s: listening socket kept by the "
			    "keeper", f->name, x->fe->addr);
	}
	if (fd == -1) {
		if ((fd = export_listen(x->fe->addr, err_r)) == -1) {
			tls_ctx_free(tls);
			return -1;
		}
		keep_put(f->d->keep, key, NULL, 0, fd);
	}
	if ((srv = calloc(1, sizeof *srv)) == NULL ||
	    (srv->lev = event_new(f->d->base, fd, EV_READ | EV_PERSIST,
	    export_accept_cb, srv)) == NULL) {
		free(srv);
		keep_del(f->d->keep, key);
		close(fd);
		tls_ctx_free(tls);
		if (asprintf(err_r, "cannot listen on %s: out of memory",
		    x->fe->addr) == -1)
			*err_r = NULL;
		return -1;
	}
	srv->f = f;
	srv->x = x;
	srv->lfd = fd;
	srv->tls = tls;
	srv->idle = conn_arm_read;
	TAILQ_INIT(&srv->conns);
	x->srv = srv;
	return 0;
}

/* Take x's calls: bound first if export_bind has not been.  0, or -1
 * with a message in *err_r (caller frees). */
int
export_start(struct farm_run *f, struct farm_run_export *x, char **err_r)
{
	*err_r = NULL;
	if (x->fe->addr == NULL || (x->srv != NULL && x->srv->listening) ||
	    !export_here(f->d, x->fe))
		return 0;
	if (export_bind(f, x, err_r) == -1)
		return -1;
	if (event_add(x->srv->lev, NULL) == -1) {
		export_stop(x);
		if (asprintf(err_r, "cannot listen on %s: event_add failed",
		    x->fe->addr) == -1)
			*err_r = NULL;
		return -1;
	}
	x->srv->listening = true;
	log_debug("%s: export %s.%s listening on %s", f->name,
	    x->fe->binding, x->fe->iface, x->fe->addr);
	return 0;
}

/*
 * Stop listening.  Calls in flight are cancelled and their clients'
 * connections closed without an answer, unless balticd exits: the
 * keeper keeps the listening socket and every connection for the next
 * balticd then (keep_del does nothing while it exits).  Idempotent.
 */
void
export_stop(struct farm_run_export *x)
{
	struct export_srv	*srv = x->srv;
	struct export_conn	*c;
	char			 key[KEEP_KEY_MAX + 1];

	if (srv == NULL)
		return;
	export_listen_key(srv->f, x, key, sizeof key);
	keep_del(srv->f->d->keep, key);
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		conn_free(c, !srv->f->d->exiting);
	event_free(srv->lev);
	close(srv->lfd);
	tls_ctx_free(srv->tls);
	free(srv);
	x->srv = NULL;
}

/* The server of from, its socket and connections, now to's (an apply
 * kept the export: same binding, interface and address). */
void
export_move(struct farm_run_export *from, struct farm_run_export *to)
{
	to->srv = from->srv;
	from->srv = NULL;
	if (to->srv != NULL)
		to->srv->x = to;
}

/* ---- connections of an earlier balticd -------------------------------- */

/*
 * A connection an earlier balticd accepted, with no call in flight
 * ("conn FARM EXPORT ID", no record): served here like a new one, its
 * request still on the socket.  Takes fd; 0, or -1 if no export of this
 * balticd takes it (fd closed, the keeper told).
 */
int
export_adopt_conn(struct daemon *d, const char *key, int fd)
{
	struct export_conn	*c;
	struct farm_run		*f;
	char			 farm[KEEP_KEY_MAX + 1];
	unsigned long		 idx;

	if (!KEEP_KEY_IS(key, KEEP_KEY_CONN) ||
	    sscanf(key + sizeof KEEP_KEY_CONN - 1, "%256s %lu ", farm,
	    &idx) != 2 ||
	    (f = farm_run_find(d, farm)) == NULL || idx >= f->nexports ||
	    f->exports[idx].srv == NULL || f->exports[idx].srv->tls != NULL ||
	    evutil_make_socket_nonblocking(fd) == -1 ||
	    (c = conn_new(d, f->exports[idx].srv, fd, key)) == NULL) {
		keep_del(d->keep, key);
		close(fd);
		return -1;
	}
	conn_arm_read(c);
	if (c->ev != NULL)
		event_active(c->ev, EV_READ, 0);
	return 0;
}
