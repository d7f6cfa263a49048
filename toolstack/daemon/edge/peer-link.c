/*
 * peer-link.c: the links between balticd of a cluster (peer.h).  A link
 * is a TCP connection under TLS 1.3, where both ends show a certificate
 * of the cluster's CA naming their host, and over it libbaltic's framed
 * channel (chan.h), unchanged but for CALL_TO (chan_set_link).  The
 * dialer checks that the server's certificate names the host it dialed;
 * the acceptor learns the dialer's host from its certificate, and takes
 * the link only from a host it knows and that is to dial it.  Nothing
 * the other end sends is believed before that.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "daemon/daemon.h"
#include "daemon/edge/export-tls.h"
#include "daemon/edge/peer.h"
#include "log.h"
#include "util/util.h"

/* An accepted connection, until its TLS handshake names its host. */
struct peer_acc {
	struct peers		*ps;
	int			 fd;
	struct ssl_st		*ssl;
	struct event		*ev;
	uint64_t		 deadline_us;
	char			 from[64];	/* its address, for the log */
	TAILQ_ENTRY(peer_acc)	 entry;
};

/* ---- the channel's transport: TLS on a socket ------------------------ */

struct tlsx {
	int		 fd;
	struct ssl_st	*ssl;
};

static int
tlsx_fd(void *ctx)
{
	return ((struct tlsx *)ctx)->fd;
}

static ssize_t
tlsx_read(void *ctx, void *buf, size_t len)
{
	return tls_recv(((struct tlsx *)ctx)->ssl, buf, len);
}

static ssize_t
tlsx_write(void *ctx, const void *buf, size_t len)
{
	return tls_send(((struct tlsx *)ctx)->ssl, buf, len);
}

/* Decrypted bytes wait in OpenSSL, not on the socket: the channel reads
 * again without waiting for the descriptor. */
static size_t
tlsx_pending(void *ctx)
{
	return tls_pending(((struct tlsx *)ctx)->ssl);
}

static void
tlsx_close(void *ctx)
{
	struct tlsx	*x = ctx;

	tls_close(x->ssl);
	tls_conn_free(x->ssl);
	close(x->fd);
	free(x);
}

static const struct chan_transport tlsx_transport = {
	.fd = tlsx_fd,
	.read = tlsx_read,
	.write = tlsx_write,
	.pending = tlsx_pending,
	.close = tlsx_close,
};

/* A channel over the TLS connection ssl on fd (both taken, even on
 * failure); NULL if out of memory. */
struct chan *
peer_link_chan(struct event_base *base, int fd, struct ssl_st *ssl,
    const struct chan_cbs *cbs, void *arg)
{
	struct tlsx	*x;

	if ((x = malloc(sizeof *x)) == NULL) {
		tls_conn_free(ssl);
		close(fd);
		return NULL;
	}
	x->fd = fd;
	x->ssl = ssl;
	return chan_new(base, &tlsx_transport, x, cbs, arg);
}

/* ---- addresses -------------------------------------------------------- */

/* "IP:PORT" or "[IPv6]:PORT", port not 0: 0, or -1. */
int
peer_parse_addr(const char *addr, struct sockaddr_storage *ss, int *len_r)
{
	*len_r = sizeof *ss;
	memset(ss, 0, sizeof *ss);
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)ss, len_r)
	    == -1)
		return -1;
	if (ss->ss_family == AF_INET)
		return ((struct sockaddr_in *)ss)->sin_port != 0 ? 0 : -1;
	if (ss->ss_family == AF_INET6)
		return ((struct sockaddr_in6 *)ss)->sin6_port != 0 ? 0 : -1;
	return -1;
}

/* (Re)arm *evp on fd for what, with the time left to deadline. */
static void
link_arm(struct event_base *base, struct event **evp, int fd, short what,
    event_callback_fn cb, void *arg, uint64_t deadline_us)
{
	uint64_t	now = now_us(), left;
	struct timeval	tv;

	left = deadline_us > now ? deadline_us - now : 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	if (*evp != NULL)
		event_free(*evp);
	if ((*evp = event_new(base, fd, what, cb, arg)) == NULL ||
	    event_add(*evp, &tv) == -1)
		fatalx("%s: cannot arm an event", __func__);
}

/* ---- dialing ---------------------------------------------------------- */

static void	dial_cb(evutil_socket_t, short, void *);
static void	retry_cb(evutil_socket_t, short, void *);

/* Tear down a dial under way or a link: no callback follows. */
void
peer_link_close(struct peer *p)
{
	if (p->ev != NULL)
		event_free(p->ev);
	p->ev = NULL;
	if (p->ssl != NULL)
		tls_conn_free(p->ssl);
	p->ssl = NULL;
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	if (p->retry != NULL)
		evtimer_del(p->retry);
	chan_free(p->chan);
	p->chan = NULL;
	p->state = PEER_IDLE;
}

/* No link, for why: calls on it fail; the dialer tries again later. */
void
peer_link_lost(struct peer *p, const char *why)
{
	struct timeval	tv;

	/* A host that stays away is said once, not at every retry. */
	if (p->state == PEER_UP)
		log_warnx("host %s: link lost: %s", p->host, why);
	else if (p->why == NULL || strcmp(p->why, why) != 0)
		log_info("host %s: no link: %s", p->host, why);
	peer_set_why(p, why);
	/* Down before the calls fail: an `or` that passes one on must not
	 * pick this link again. */
	p->state = PEER_IDLE;
	peer_fail_calls(p, why);
	peer_link_close(p);
	if (!p->dials)
		return;
	if (p->retry == NULL &&
	    (p->retry = evtimer_new(p->ps->d->base, retry_cb, p)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	tv.tv_sec = p->backoff_ms / 1000;
	tv.tv_usec = (p->backoff_ms % 1000) * 1000;
	evtimer_add(p->retry, &tv);
	p->backoff_ms = p->backoff_ms * 2 > PEER_BACKOFF_MAX_MS ?
	    PEER_BACKOFF_MAX_MS : p->backoff_ms * 2;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	peer_link_dial(arg);
}

/* A link leaves from this host's own address (its --peer-listen IP,
 * any port), so that the other end, and a firewall, see the host it
 * comes from.  0, or -1 with errno. */
static int
link_bind_local(struct daemon *d, int fd)
{
	struct sockaddr_storage	ss;
	int			len;

	if (d->host_addr == NULL ||
	    peer_parse_addr(d->host_addr, &ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	return bind(fd, (struct sockaddr *)&ss, (socklen_t)len);
}

/* Connect to p, then the TLS handshake, in the loop (dial_cb). */
void
peer_link_dial(struct peer *p)
{
	struct daemon	*d = p->ps->d;
	uint64_t	 deadline = now_us() + PEER_HANDSHAKE_MS * 1000ULL;

	peer_link_close(p);
	p->fd = socket(p->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (p->fd == -1) {
		peer_link_lost(p, "cannot make a socket");
		return;
	}
	if (link_bind_local(d, p->fd) == -1) {
		peer_link_lost(p, strerror(errno));
		return;
	}
	p->state = PEER_DIALING;
	if (connect(p->fd, (struct sockaddr *)&p->sa, (socklen_t)p->salen)
	    == -1 && errno != EINPROGRESS) {
		peer_link_lost(p, strerror(errno));
		return;
	}
	link_arm(d->base, &p->ev, p->fd, EV_WRITE, dial_cb, p, deadline);
}

/* Why a handshake failed, as far as the certificates say. */
static const char *
handshake_why(struct ssl_st *ssl)
{
	const char	*v = tls_verify_error(ssl);

	return v != NULL ? v : "TLS handshake failed";
}

static void
dial_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer	*p = arg;
	struct daemon	*d = p->ps->d;
	uint64_t	 deadline = now_us() + PEER_HANDSHAKE_MS * 1000ULL;
	socklen_t	 len = sizeof(int);
	short		 want = 0;
	char		 why[256];
	int		 err = 0, r;

	if (what & EV_TIMEOUT) {
		peer_link_lost(p, "no TLS link within the handshake time");
		return;
	}
	if (p->ssl == NULL) {		/* connected, or refused */
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			snprintf(why, sizeof why, "connect %s: %s", p->addr,
			    strerror(err));
			peer_link_lost(p, why);
			return;
		}
		if ((p->ssl = tls_conn_new_client(p->ps->client, p->fd,
		    p->host)) == NULL) {
			peer_link_lost(p, "cannot start TLS");
			return;
		}
	}
	if ((r = tls_handshake(p->ssl, &want, p->host)) == 0) {
		link_arm(d->base, &p->ev, p->fd, want, dial_cb, p, deadline);
		return;
	}
	if (r == -1) {
		snprintf(why, sizeof why, "TLS with %s refused: %s", p->addr,
		    handshake_why(p->ssl));
		if (p->why == NULL || strcmp(p->why, why) != 0)
			log_warnx("host %s: %s", p->host, why);
		peer_link_lost(p, why);
		return;
	}
	/* The server's certificate is the cluster CA's and names p->host
	 * (SSL_set1_host): the link is p's. */
	event_free(p->ev);
	p->ev = NULL;
	fd = p->fd;
	p->fd = -1;
	peer_attach(p, fd, p->ssl);
	p->ssl = NULL;
}

/* ---- accepting -------------------------------------------------------- */

static void
acc_free(struct peer_acc *a)
{
	TAILQ_REMOVE(&a->ps->accepting, a, entry);
	if (a->ev != NULL)
		event_free(a->ev);
	if (a->ssl != NULL)
		tls_conn_free(a->ssl);
	if (a->fd != -1)
		close(a->fd);
	free(a);
}

/* The known host that dials us and whose name a's certificate bears. */
static struct peer *
acc_host(struct peer_acc *a)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &a->ps->list, entry)
		if (!p->dials && tls_peer_is(a->ssl, p->host))
			return p;
	return NULL;
}

static void
acc_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer_acc	*a = arg;
	struct peer	*p;
	short		 want = 0;
	int		 r;

	if (what & EV_TIMEOUT) {
		log_warnx("peer link from %s: no TLS within the handshake "
		    "time", a->from);
		acc_free(a);
		return;
	}
	if ((r = tls_handshake(a->ssl, &want, a->from)) == 0) {
		link_arm(a->ps->d->base, &a->ev, a->fd, want, acc_cb, a,
		    a->deadline_us);
		return;
	}
	if (r == -1) {
		log_warnx("peer link from %s refused: %s", a->from,
		    handshake_why(a->ssl));
		acc_free(a);
		return;
	}
	if ((p = acc_host(a)) == NULL) {
		log_warnx("peer link from %s refused: its certificate names "
		    "no host that is to dial this one", a->from);
		acc_free(a);
		return;
	}
	/* A new link from p replaces the one it had (it restarted, or
	 * found its link dead before this end did). */
	if (p->state != PEER_IDLE)
		peer_link_lost(p, "replaced by a new link from it");
	peer_attach(p, a->fd, a->ssl);
	a->fd = -1;
	a->ssl = NULL;
	acc_free(a);
}

static void
listen_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct peers		*ps = arg;
	struct peer_acc		*a;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	int			 fd;

	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("peer listen: accept");
		return;
	}
	if ((a = calloc(1, sizeof *a)) == NULL) {
		close(fd);
		return;
	}
	a->ps = ps;
	a->fd = fd;
	TAILQ_INSERT_TAIL(&ps->accepting, a, entry);
	if (evutil_inet_ntop(ss.ss_family, ss.ss_family == AF_INET ?
	    (void *)&((struct sockaddr_in *)&ss)->sin_addr :
	    (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr, a->from,
	    sizeof a->from) == NULL)
		snprintf(a->from, sizeof a->from, "?");
	if ((a->ssl = tls_conn_new(ps->server, fd)) == NULL) {
		acc_free(a);
		return;
	}
	a->deadline_us = now_us() + PEER_HANDSHAKE_MS * 1000ULL;
	link_arm(ps->d->base, &a->ev, fd, EV_READ, acc_cb, a, a->deadline_us);
}

/* Listen for the links of the hosts that dial this one at addr. */
int
peer_link_listen(struct peers *ps, const char *addr, char **err_r)
{
	struct sockaddr_storage	ss;
	int			len, one = 1;

	if (peer_parse_addr(addr, &ss, &len) == -1)
		return errf(err_r, "--peer-listen %s: IP:PORT expected", addr);
	if ((ps->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(ps->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) == -1 ||
	    bind(ps->lfd, (struct sockaddr *)&ss, (socklen_t)len) == -1 ||
	    listen(ps->lfd, 64) == -1)
		return errf(err_r, "--peer-listen %s: %s", addr,
		    strerror(errno));
	if ((ps->lev = event_new(ps->d->base, ps->lfd, EV_READ | EV_PERSIST,
	    listen_cb, ps)) == NULL || event_add(ps->lev, NULL) == -1)
		return errf(err_r, "--peer-listen %s: cannot watch", addr);
	log_info("peer links accepted at %s", addr);
	return 0;
}

/* No more links accepted; the handshakes under way end. */
void
peer_link_stop(struct peers *ps)
{
	while (!TAILQ_EMPTY(&ps->accepting))
		acc_free(TAILQ_FIRST(&ps->accepting));
	if (ps->lev != NULL)
		event_free(ps->lev);
	ps->lev = NULL;
	if (ps->lfd != -1)
		close(ps->lfd);
	ps->lfd = -1;
}
