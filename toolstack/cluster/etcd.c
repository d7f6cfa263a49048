/*
 * etcd.c: the client's transport: the members' endpoints, one evhttp
 * connection per request or watch, failover and deadlines.  The JSON is
 * etcd-json.c's.
 *
 * libevent calls a request's callback from inside its connection and
 * frees the request after it: a connection is never freed from there.
 * Its callback records what happened and activates the operation's
 * deferred event, which frees the connection and then tries the next
 * member or calls the caller back.  So no caller's callback runs inside
 * libevent's HTTP code, except a watch's events (etcd_watch_cancel from
 * there is deferred the same way).
 *
 * Failover (op_failed): a refused connection or a 503 "no leader" was
 * never applied and goes to the next member.  Any other failure after
 * the request may have reached a member (cut connection, per-attempt
 * timeout, other 503) is retried elsewhere only for operations whose
 * repetition does no harm; a txn reports ETCD_UNKNOWN.
 *
 * A member that says "no leader" is alive and its cluster is electing
 * (about a second after a leader dies) or has lost its quorum.  When a
 * whole round of members ends so, and nothing that may have been
 * applied stands in the way, the op pauses ETCD_ELECTION_PAUSE_MS and
 * goes round again while its deadline leaves an attempt's time: an
 * election is not a failure.  A lost quorum still fails, with etcd's
 * words, just before the deadline.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd-int.h"
#include "util/util.h"

#define ETCD_HEADERS_MAX	(16 * 1024)

struct etcd_op {
	TAILQ_ENTRY(etcd_op)		 entry;
	struct etcd			*e;
	enum etcd_kind			 kind;
	int				 retry_any;	/* harmless to repeat */
	struct etcd_body		 body;
	etcd_cb				 cb;
	void				*arg;
	size_t				 ep, tried;
	int				 maybe;		/* may have been applied */
	int				 leaderless;	/* a "no leader" this round */
	size_t				 leaderless_ep;	/* the last to say so */
	int				 pause;		/* a round ended: wait */
	unsigned			 rounds;
	struct evhttp_connection	*evcon;
	int				 err;		/* evhttp's, or ETCD_NO_ERR */
	struct event			*deadline;
	struct event			*defer;
	int				 done;		/* reply holds the outcome */
	int				 in_cb;
	struct etcd_reply		 reply;
};

static void	op_attempt(struct etcd_op *);

/* "http://address:port" or https (a trailing "/" allowed) into ep. */
static int
ep_parse(const char *url, struct etcd_ep *ep, char **err_r)
{
	struct evhttp_uri	*u;
	const char		*host, *path, *scheme;
	struct in_addr		 a4;
	struct in6_addr		 a6;
	size_t			 n;
	int			 br, rc = -1;

	if ((u = evhttp_uri_parse(url)) == NULL)
		return errf(err_r, "%s: not a URL", url);
	host = evhttp_uri_get_host(u);
	path = evhttp_uri_get_path(u);
	scheme = evhttp_uri_get_scheme(u);
	if (scheme == NULL || (strcmp(scheme, "http") != 0 &&
	    strcmp(scheme, "https") != 0) || host == NULL ||
	    *host == '\0' || strlen(host) > 255 ||
	    (path != NULL && *path != '\0' && strcmp(path, "/") != 0)) {
		errf(err_r, "%s: not http[s]://host:port", url);
		goto out;
	}
	ep->tls = strcmp(scheme, "https") == 0;
	ep->port = evhttp_uri_get_port(u) == -1 ? 2379 :
	    evhttp_uri_get_port(u);
	br = host[0] != '[' && strchr(host, ':') != NULL;	/* IPv6 */
	snprintf(ep->hostport, sizeof ep->hostport, "%s%s%s:%d",
	    br ? "[" : "", host, br ? "]" : "", ep->port);
	/* An address, never a name: libevent would resolve it with a
	 * blocking call in the loop.  An IPv6 one may come in brackets. */
	n = strlen(host);
	if (host[0] == '[' && n > 2 && host[n - 1] == ']')
		ep->host = strndup(host + 1, n - 2);
	else
		ep->host = strdup(host);
	if (ep->host == NULL) {
		errf(err_r, "out of memory");
		goto out;
	}
	if (inet_pton(AF_INET, ep->host, &a4) != 1 &&
	    inet_pton(AF_INET6, ep->host, &a6) != 1) {
		errf(err_r, "%s: not an IP address (names are not resolved)",
		    url);
		free(ep->host);
		ep->host = NULL;
		goto out;
	}
	rc = 0;
out:
	evhttp_uri_free(u);
	return rc;
}

struct etcd *
etcd_new(struct event_base *base, const char *const *urls, size_t nurls,
    unsigned timeout_ms, char **err_r)
{
	struct etcd	*e = NULL;
	char		*err = NULL;
	size_t		 i;

	if (err_r == NULL) {
		/* the message is not wanted */
		e = etcd_new(base, urls, nurls, timeout_ms, &err);
		free(err);
		return e;
	}
	if (nurls == 0 || nurls > ETCD_ENDPOINTS_MAX) {
		errf(err_r, "%zu etcd endpoints (1 to %d)", nurls,
		    ETCD_ENDPOINTS_MAX);
		return NULL;
	}
	if ((e = calloc(1, sizeof *e)) == NULL) {
		errf(err_r, "out of memory");
		return NULL;
	}
	e->base = base;
	e->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	TAILQ_INIT(&e->ops);
	TAILQ_INIT(&e->watches);
	for (i = 0; i < nurls; i++) {
		if (ep_parse(urls[i], &e->eps[i], err_r) == -1) {
			etcd_free(e);
			return NULL;
		}
		e->neps++;
	}
	return e;
}

static void	op_free(struct etcd_op *);

void
etcd_free(struct etcd *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	while (!TAILQ_EMPTY(&e->ops))
		op_free(TAILQ_FIRST(&e->ops));
	while (!TAILQ_EMPTY(&e->watches))
		etcd_watch_cancel(TAILQ_FIRST(&e->watches));
	for (i = 0; i < e->neps; i++)
		free(e->eps[i].host);
	free(e->local_ip);
	free(e);
}

int
etcd_set_local_ip(struct etcd *e, const char *ip)
{
	char	*c;

	if ((c = strdup(ip)) == NULL)
		return -1;
	free(e->local_ip);
	e->local_ip = c;
	return 0;
}

void
etcd_set_tls(struct etcd *e, etcd_tls_fn tls, void *arg)
{
	e->tls = tls;
	e->tls_arg = arg;
}

int
etcd_tls(const struct etcd *e)
{
	size_t	i;

	for (i = 0; i < e->neps; i++)
		if (e->eps[i].tls)
			return 1;
	return 0;
}

/* A connection to member ep: no retries, replies bounded; timeout_ms 0:
 * a watch's idle timeout.  One per request: an https one's TLS session
 * is never used twice. */
struct evhttp_connection *
etcd_conn_new(struct etcd *e, size_t ep, unsigned timeout_ms, size_t body_max)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct timeval			 tv;

	if (!e->eps[ep].tls)
		evcon = evhttp_connection_base_new(e->base, NULL,
		    e->eps[ep].host, (unsigned short)e->eps[ep].port);
	else if (e->tls == NULL ||
	    (bev = e->tls(e->tls_arg, e->base, e->eps[ep].host)) == NULL)
		return NULL;
	else if ((evcon = evhttp_connection_base_bufferevent_new(e->base,
	    NULL, bev, e->eps[ep].host, (unsigned short)e->eps[ep].port))
	    == NULL)
		bufferevent_free(bev);
	if (evcon == NULL)
		return NULL;
	if (e->local_ip != NULL)
		evhttp_connection_set_local_address(evcon, e->local_ip);
	if (timeout_ms == 0) {
		tv.tv_sec = ETCD_WATCH_IDLE_S;
		tv.tv_usec = 0;
	} else {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
	}
	evhttp_connection_set_timeout_tv(evcon, &tv);
	evhttp_connection_set_retries(evcon, 0);
	evhttp_connection_set_max_body_size(evcon, body_max);
	evhttp_connection_set_max_headers_size(evcon, ETCD_HEADERS_MAX);
	return evcon;
}

/* A POST of body to path on evcon; 0, or -1 if out of memory. */
int
etcd_conn_post(struct evhttp_connection *evcon, const struct etcd_ep *ep,
    const char *path, const struct etcd_body *body,
    void (*done)(struct evhttp_request *, void *),
    void (*chunk)(struct evhttp_request *, void *),
    void (*error)(enum evhttp_request_error, void *), void *arg)
{
	struct evhttp_request	*hreq;
	struct evkeyvalq	*h;

	if ((hreq = evhttp_request_new(done, arg)) == NULL)
		return -1;
	if (chunk != NULL)
		evhttp_request_set_chunked_cb(hreq, chunk);
	evhttp_request_set_error_cb(hreq, error);
	h = evhttp_request_get_output_headers(hreq);
	/* Grpc-Metadata-hasleader: a member cut off from the leader
	 * refuses at once (503 "no leader"), and its watches end. */
	if (evhttp_add_header(h, "Host", ep->hostport) == -1 ||
	    evhttp_add_header(h, "Content-Type", "application/json") == -1 ||
	    evhttp_add_header(h, "Grpc-Metadata-hasleader", "true") == -1 ||
	    evbuffer_add(evhttp_request_get_output_buffer(hreq), body->text,
	    body->len) == -1) {
		evhttp_request_free(hreq);
		return -1;
	}
	/* On failure evhttp_make_request frees hreq. */
	return evhttp_make_request(evcon, hreq, EVHTTP_REQ_POST, path);
}

/* ---- unary operations ---------------------------------------------------- */

static void
op_free(struct etcd_op *op)
{
	TAILQ_REMOVE(&op->e->ops, op, entry);
	if (op->evcon != NULL)
		evhttp_connection_free(op->evcon);
	if (op->deadline != NULL)
		event_free(op->deadline);
	if (op->defer != NULL)
		event_free(op->defer);
	free(op->body.text);
	etcd_reply_dispose(&op->reply);
	free(op);
}

/* Call the caller back with op->reply, then free op. */
static void
op_deliver(struct etcd_op *op)
{
	op->in_cb = 1;
	op->cb(&op->reply.res, op->arg);
	op_free(op);
}

/* Finish op with rc and a message of ours. */
static void
op_finish(struct etcd_op *op, enum etcd_rc rc, const char *msg)
{
	etcd_reply_dispose(&op->reply);
	op->reply.res.rc = rc;
	snprintf(op->reply.msg, sizeof op->reply.msg, "%s", msg);
	op->reply.res.errmsg = op->reply.msg;
	op->done = 1;
}

/* Milliseconds left before op's deadline (at least 1). */
static unsigned
op_ms_left(struct etcd_op *op)
{
	struct timeval	 left, now;

	if (!event_pending(op->deadline, EV_TIMEOUT, &left))
		return op->e->timeout_ms;
	event_base_gettimeofday_cached(op->e->base, &now);
	evutil_timersub(&left, &now, &left);
	return left.tv_sec < 0 ? 1 :
	    (unsigned)(left.tv_sec * 1000 + left.tv_usec / 1000) + 1;
}

/*
 * The attempt on op->ep failed; applied says whether it may have been
 * applied.  Try the next member if one is left and that does no harm;
 * after a round that found only leaderless or dead members, go round
 * again after a pause if the deadline leaves time; else finish.
 */
static void
op_failed(struct etcd_op *op, int applied, const char *why)
{
	char	 msg[256];

	if (applied)
		op->maybe = 1;
	if (!applied || op->retry_any) {
		if (op->tried < op->e->neps) {
			op->ep = (op->ep + 1) % op->e->neps;
			return;	/* op->done unset: op_defer_cb tries again */
		}
		if (op->leaderless && (!op->maybe || op->retry_any) &&
		    op_ms_left(op) > ETCD_ELECTION_PAUSE_MS +
		    ETCD_ATTEMPT_MIN_MS) {
			op->ep = (op->ep + 1) % op->e->neps;
			op->tried = 0;
			op->leaderless = 0;
			op->rounds++;
			op->pause = 1;
			return;
		}
	}
	if (op->rounds > 0)
		snprintf(msg, sizeof msg, "no leader elected in %u rounds of "
		    "%zu member%s (%s says so), the last %s: %s",
		    op->rounds + 1, op->e->neps, op->e->neps > 1 ? "s" : "",
		    op->e->eps[op->leaderless_ep].hostport,
		    op->e->eps[op->ep].hostport, why);
	else if (op->tried > 1)
		snprintf(msg, sizeof msg, "%zu members tried, the last %s: %s",
		    op->tried, op->e->eps[op->ep].hostport, why);
	else
		snprintf(msg, sizeof msg, "%s: %s",
		    op->e->eps[op->ep].hostport, why);
	op_finish(op, op->maybe ? ETCD_UNKNOWN : ETCD_UNAVAILABLE, msg);
}

static void
op_error_cb(enum evhttp_request_error err, void *arg)
{
	struct etcd_op	*op = arg;

	op->err = (int)err;
}

/* The answer (or failure) of op's attempt, from inside libevent. */
static void
op_response_cb(struct evhttp_request *hreq, void *arg)
{
	struct etcd_op	*op = arg;
	struct evbuffer	*in;
	int		 code, leaderless;

	code = hreq != NULL ? evhttp_request_get_response_code(hreq) : 0;
	if (op->err == EVREQ_HTTP_DATA_TOO_LONG) {
		/* Another member would say as much: no retry.  A txn was
		 * done, but how is unknown. */
		op_finish(op, op->kind == ETCD_K_TXN ? ETCD_UNKNOWN :
		    ETCD_BADREPLY, "a reply over ETCD_REPLY_MAX bytes");
		goto out;
	}
	if (code == 0) {
		/* libevent 2.1 reports no error for a refused connect
		 * (etcd-test checks it): then the request never left. */
		op_failed(op, op->err != ETCD_NO_ERR,
		    op->err == ETCD_NO_ERR ? "connection refused" :
		    op->err == EVREQ_HTTP_TIMEOUT ? "timed out" :
		    "connection failed");
		goto out;
	}
	etcd_reply_dispose(&op->reply);
	in = evhttp_request_get_input_buffer(hreq);
	etcd_reply_parse(op->kind, code, (const char *)evbuffer_pullup(in,
	    -1), evbuffer_get_length(in), &op->reply);
	/* A 503 "no leader" was refused before any proposal; any other
	 * 503 ("request timed out") may yet be applied. */
	leaderless = code == 503 && strstr(op->reply.msg, "no leader") != NULL;
	if (leaderless) {
		op->leaderless = 1;
		op->leaderless_ep = op->ep;
	}
	if (code == 503 && (op->tried < op->e->neps || leaderless)) {
		op_failed(op, !leaderless, op->reply.msg);
		goto out;
	}
	if (code == 503)	/* not "no leader", at the last member */
		op->reply.res.rc = ETCD_UNKNOWN;
	if (op->reply.res.rc == ETCD_OK)
		op->e->cur = op->ep;
	op->done = 1;
out:
	event_active(op->defer, EV_TIMEOUT, 0);
}

/* Out of libevent's HTTP code: free the spent connection, then call
 * back or try again. */
static void
op_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_op	*op = arg;

	(void)fd;
	(void)what;
	if (op->evcon != NULL) {
		evhttp_connection_free(op->evcon);
		op->evcon = NULL;
	}
	if (op->done)
		op_deliver(op);
	else if (op->pause) {
		struct timeval	 tv = { 0, ETCD_ELECTION_PAUSE_MS * 1000 };

		op->pause = 0;
		event_add(op->defer, &tv);
	} else
		op_attempt(op);
}

/* The deadline passed: whatever is in flight may yet be applied. */
static void
op_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_op	*op = arg;

	(void)fd;
	(void)what;
	if (op->evcon != NULL) {
		evhttp_connection_free(op->evcon);
		op->evcon = NULL;
		op->maybe = 1;
	}
	op_finish(op, op->maybe ? ETCD_UNKNOWN : ETCD_UNAVAILABLE,
	    "timed out");
	op_deliver(op);
}

/* Send op to member op->ep, with its share of the time left. */
static void
op_attempt(struct etcd_op *op)
{
	struct etcd	*e = op->e;
	unsigned	 ms, share;

	op->tried++;
	op->err = ETCD_NO_ERR;
	ms = op_ms_left(op);
	share = e->timeout_ms / (unsigned)e->neps;
	if (share < ETCD_ATTEMPT_MIN_MS)
		share = ETCD_ATTEMPT_MIN_MS;
	if (op->tried < e->neps && share < ms)
		ms = share;
	if ((op->evcon = etcd_conn_new(e, op->ep, ms, ETCD_REPLY_MAX)) == NULL ||
	    etcd_conn_post(op->evcon, &e->eps[op->ep], etcd_kind_path(op->kind),
	    &op->body, op_response_cb, NULL, op_error_cb, op) == -1) {
		op_finish(op, op->maybe ? ETCD_UNKNOWN : ETCD_UNAVAILABLE,
		    "out of memory");
		event_active(op->defer, EV_TIMEOUT, 0);
	}
}

static struct etcd_op *
op_start(struct etcd *e, enum etcd_kind kind, const struct etcd_body_args *a,
    etcd_cb cb, void *arg)
{
	struct etcd_op	*op;
	struct timeval	 tv;

	if (a->keylen > ETCD_KEY_MAX || a->valuelen > ETCD_VALUE_MAX)
		return NULL;
	if ((op = calloc(1, sizeof *op)) == NULL)
		return NULL;
	op->e = e;
	op->kind = kind;
	op->retry_any = kind != ETCD_K_TXN;
	op->cb = cb;
	op->arg = arg;
	op->ep = e->cur;
	etcd_reply_init(&op->reply);
	TAILQ_INSERT_TAIL(&e->ops, op, entry);
	if (etcd_body(kind, a, &op->body) == -1 ||
	    (op->deadline = evtimer_new(e->base, op_deadline_cb, op)) ==
	    NULL ||
	    (op->defer = event_new(e->base, -1, 0, op_defer_cb, op)) ==
	    NULL) {
		op_free(op);
		return NULL;
	}
	tv.tv_sec = e->timeout_ms / 1000;
	tv.tv_usec = (e->timeout_ms % 1000) * 1000;
	evtimer_add(op->deadline, &tv);
	/* The first attempt from the loop: no callback inside this call. */
	event_active(op->defer, EV_TIMEOUT, 0);
	return op;
}

void
etcd_op_cancel(struct etcd_op *op)
{
	if (op != NULL && !op->in_cb)
		op_free(op);
}

struct etcd_op *
etcd_put(struct etcd *e, const void *key, size_t keylen, const void *value,
    size_t valuelen, int64_t lease, etcd_cb cb, void *arg)
{
	struct etcd_body_args	 a = { .key = key, .keylen = keylen,
	    .value = value, .valuelen = valuelen, .lease = lease };

	return op_start(e, ETCD_K_PUT, &a, cb, arg);
}

struct etcd_op *
etcd_range(struct etcd *e, const void *key, size_t keylen, int prefix,
    etcd_cb cb, void *arg)
{
	struct etcd_body_args	 a = { .key = key, .keylen = keylen,
	    .prefix = prefix };

	return op_start(e, ETCD_K_RANGE, &a, cb, arg);
}

struct etcd_op *
etcd_delete(struct etcd *e, const void *key, size_t keylen, int prefix,
    etcd_cb cb, void *arg)
{
	struct etcd_body_args	 a = { .key = key, .keylen = keylen,
	    .prefix = prefix };

	return op_start(e, ETCD_K_DELETE, &a, cb, arg);
}

struct etcd_op *
etcd_txn_create(struct etcd *e, const void *key, size_t keylen,
    const void *value, size_t valuelen, int64_t lease, etcd_cb cb, void *arg)
{
	struct etcd_body_args	 a = { .key = key, .keylen = keylen,
	    .value = value, .valuelen = valuelen, .lease = lease, .rev = 0 };

	return op_start(e, ETCD_K_TXN, &a, cb, arg);
}

struct etcd_op *
etcd_txn_cas(struct etcd *e, const void *key, size_t keylen,
    int64_t mod_revision, const void *value, size_t valuelen, int64_t lease,
    etcd_cb cb, void *arg)
{
	struct etcd_body_args	 a = { .key = key, .keylen = keylen,
	    .value = value, .valuelen = valuelen, .lease = lease,
	    .rev = mod_revision };

	if (mod_revision <= 0)
		return NULL;
	return op_start(e, ETCD_K_TXN, &a, cb, arg);
}

struct etcd_op *
etcd_lease_grant(struct etcd *e, int64_t ttl, etcd_cb cb, void *arg)
{
	struct etcd_body_args	 a = { .num = ttl };

	return op_start(e, ETCD_K_GRANT, &a, cb, arg);
}

struct etcd_op *
etcd_lease_keepalive(struct etcd *e, int64_t id, etcd_cb cb, void *arg)
{
	struct etcd_body_args	 a = { .num = id };

	return op_start(e, ETCD_K_KEEPALIVE, &a, cb, arg);
}

struct etcd_op *
etcd_lease_revoke(struct etcd *e, int64_t id, etcd_cb cb, void *arg)
{
	struct etcd_body_args	 a = { .num = id };

	return op_start(e, ETCD_K_REVOKE, &a, cb, arg);
}
