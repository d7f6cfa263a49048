/*
 * http.c: a `remote` node, an HTTP client: a small pool of keep-alive
 * connections to its URL, one call in flight per connection, the rest
 * waiting in our own queue.  (An export's server is export.c.)
 *
 * libevent frees an evhttp_request behind our back (after its callback,
 * on cancel, with its connection), so the request is kept in its
 * connection slot only while it is in flight.
 *
 * An https:// URL is served through libevent's OpenSSL bufferevents, the
 * server's certificate checked against the CAs the farm names ('ca') or
 * the system's, and its name or address against the URL's host.  A TLS
 * connection that closed is not reconnected by evhttp (its SSL is spent):
 * its slot gets a new connection from the pump.
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

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <yajl/yajl_gen.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/edge/export-tls.h"
#include "log.h"
#include "util/util.h"

#define HTTP_HEADERS_MAX	(64 * 1024)

#define REMOTE_CONNS		8	/* connections per remote node */
#define REMOTE_WAIT_MAX		4096	/* calls queued for a connection */
#define REMOTE_RESULT_MAX	(16 * 1024 * 1024)
#define REMOTE_PATH_MAX		1024
#define REMOTE_ERRTEXT		200	/* bytes of an error body quoted */
#define REMOTE_SLACK_MS		100	/* let the root's deadline fire first */

/* ---- remote: the client side ----------------------------------------- */

struct remote_pool;

/* One connection; at most one call in flight on it. */
struct rconn {
	struct remote_pool			*pool;
	struct evhttp_connection	*evcon;
	struct req			*r;	/* NULL: none, or orphan */
	struct evhttp_request		*hreq;	/* in flight */
	bool				 orphan; /* libevent still calls */
	bool				 stale;	 /* TLS, closed: renew */
	bool				 failed;
	enum evhttp_request_error	 err;
};

struct rwait {
	struct req		*r;
	TAILQ_ENTRY(rwait)	 entry;
};

struct remote_pool {
	struct node		*node;
	struct rconn		 conns[REMOTE_CONNS];
	size_t			 nconns;
	TAILQ_HEAD(, rwait)	 waiting;
	size_t			 nwaiting;
	struct event		*pump;
	struct evdns_base	*dns;		/* the daemon's, or NULL */
	char			*connhost;	/* host without [] */
	char			*hosthdr;	/* Host: */
	SSL_CTX			*tls;		/* https, else NULL */
};

/* One resolver (d->dns) for every remote named by host name, while one
 * is. */
static struct evdns_base *
remote_dns_get(struct daemon *d)
{
	if (d->dns == NULL) {
		d->dns = evdns_base_new(d->base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (d->dns == NULL) {
			log_warnx("http: no resolver; host names of remotes "
			    "are resolved blocking");
			return NULL;
		}
	}
	d->dns_refs++;
	return d->dns;
}

static void
remote_dns_put(struct daemon *d)
{
	if (d->dns != NULL && --d->dns_refs == 0) {
		evdns_base_free(d->dns, 1);
		d->dns = NULL;
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

/* An https client's context: servers checked against the CAs in ca, or
 * the system's when NULL.  NULL with a static reason. */
static SSL_CTX *
remote_tls_ctx(const char *ca, const char **why_r)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		*why_r = "cannot make a TLS context";
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if ((ca != NULL ? SSL_CTX_load_verify_locations(ctx, ca, NULL) :
	    SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		*why_r = ca != NULL ? "cannot read the CAs of its 'ca' file" :
		    "cannot read the system's CAs";
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* A TLS connection of c closed: its slot wants a new one. */
static void
remote_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct rconn	*c = arg;

	c->stale = true;
}

/* Give slot c a new connection: 0, or -1 (c->evcon NULL). */
static int
remote_conn_open(struct remote_pool *p, struct rconn *c)
{
	struct node		*n = p->node;
	struct bufferevent	*bev = NULL;

	c->pool = p;
	c->stale = false;
	if (p->tls == NULL)
		c->evcon = evhttp_connection_base_new(n->farm->d->base,
		    p->dns, p->connhost, (uint16_t)n->u.remote.port);
	else if ((bev = tls_bev_client(p->tls, n->farm->d->base, p->connhost,
	    remote_numeric_host(p->connhost))) != NULL &&
	    (c->evcon = evhttp_connection_base_bufferevent_new(
	    n->farm->d->base, p->dns, bev, p->connhost,
	    (uint16_t)n->u.remote.port)) == NULL)
		bufferevent_free(bev);
	if (c->evcon == NULL)
		return -1;
	if (p->tls != NULL)
		evhttp_connection_set_closecb(c->evcon, remote_closed_cb, c);
	evhttp_connection_set_retries(c->evcon, 0);
	evhttp_connection_set_max_body_size(c->evcon, REMOTE_RESULT_MAX);
	evhttp_connection_set_max_headers_size(c->evcon, HTTP_HEADERS_MAX);
	return 0;
}

/*
 * The node's pool, made on first use from its URL: host, port and path
 * into the node, and no connection yet.  NULL with a static reason.
 */
static struct remote_pool *
remote_pool(struct node *n, const char **why_r)
{
	struct remote_pool		*p = n->u.remote.pool;
	struct evhttp_uri	*uri = NULL;
	const char		*scheme, *host, *path;
	size_t			 plen, hlen;
	int			 port;
	bool			 tls;

	if (p != NULL)
		return p;
	*why_r = "bad URL";
	if ((uri = evhttp_uri_parse(n->u.remote.url)) == NULL)
		goto fail;
	scheme = evhttp_uri_get_scheme(uri);
	host = evhttp_uri_get_host(uri);
	if (scheme == NULL || (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0) || host == NULL || *host == '\0')
		goto fail;
	tls = strcasecmp(scheme, "https") == 0;
	if ((port = evhttp_uri_get_port(uri)) == -1)
		port = tls ? 443 : 80;
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
	if (tls && (p->tls = remote_tls_ctx(n->expr->u.remote.ca, why_r)) ==
	    NULL)
		goto fail;
	*why_r = "out of memory";
	if (port == (tls ? 443 : 80))
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
		p->dns = remote_dns_get(n->farm->d);
	evhttp_uri_free(uri);
	n->u.remote.pool = p;
	return p;
fail:
	if (p != NULL) {
		if (p->pump != NULL)
			event_free(p->pump);
		SSL_CTX_free(p->tls);
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
remote_idle(struct remote_pool *p)
{
	struct rconn	*c;
	size_t		 i;

	for (i = 0; i < p->nconns; i++) {
		c = &p->conns[i];
		if (c->hreq == NULL && !c->orphan && !c->stale)
			return c;
	}
	if (p->nconns == REMOTE_CONNS)
		return NULL;
	c = &p->conns[p->nconns];
	if (remote_conn_open(p, c) == -1)
		return NULL;
	p->nconns++;
	return c;
}

/*
 * Idle TLS connections that closed get new ones.  From the pump only:
 * a connection is freed here, which must not happen inside libevent's
 * callbacks for it.
 */
static void
remote_renew(struct remote_pool *p)
{
	struct rconn	*c;
	size_t		 i;

	for (i = 0; i < p->nconns; i++) {
		c = &p->conns[i];
		if (!c->stale || c->hreq != NULL || c->orphan)
			continue;
		if (c->evcon != NULL)
			evhttp_connection_free(c->evcon);
		c->evcon = NULL;
		if (remote_conn_open(p, c) == -1) {
			c->stale = true;	/* again at the next pump */
			return;
		}
	}
}

/* A connection may have come free: serve the queue from the loop. */
static void
remote_kick(struct remote_pool *p)
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
	struct remote_pool	*p = c->pool;
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
	struct remote_pool	*p = arg;
	struct rwait	*w;
	struct rconn	*c;
	struct req	*r;

	remote_renew(p);
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
	struct remote_pool	*p;
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
	struct remote_pool		*p = r->node->u.remote.pool;
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
	struct remote_pool	*p = n->u.remote.pool;
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
			if (c->evcon != NULL)
				evhttp_connection_free(c->evcon);
		}
		if (left > 0)
			log_warnx("%s: remote %s: %zu calls dropped",
			    n->farm->name, n->u.remote.url, left);
		event_free(p->pump);
		SSL_CTX_free(p->tls);
		if (p->dns != NULL)
			remote_dns_put(n->farm->d);
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

/* A remote takes calls whenever asked: its answer says if it could. */
static bool
remote_node_live(const struct node *n)
{
	return true;
}

static bool
remote_node_coming(const struct node *n)
{
	return false;
}

static void
remote_node_send(struct node *n, struct req *r)
{
	http_remote_send(r);
}

static void
remote_node_cancel(struct node *n, struct req *r)
{
	http_remote_cancel(r);
}

/* A remote's node, for the router. */
const struct node_ops remote_node_ops = {
	.live = remote_node_live,
	.coming = remote_node_coming,
	.send = remote_node_send,
	.cancel = remote_node_cancel,
	.dispose = http_remote_dispose,
};
