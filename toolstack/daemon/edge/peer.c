/*
 * peer.c: the other hosts of a cluster, as the daemon and the router
 * see them.  A partition that runs on another host has a node whose
 * calls go there as CALL_TO over the host's link (peer-link.c), and come
 * back as RESULT by call id; the CALL_TOs the other host sends here go
 * to the partition they name, which must run here.  Everything a peer
 * sends is checked as a guest's would be: it is another machine.
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "cluster/record.h"
#include "daemon/daemon.h"
#include "daemon/edge/chan-call.h"
#include "daemon/edge/export-tls.h"
#include "daemon/edge/peer.h"
#include "log.h"
#include "util/util.h"

#define PEER_CALLS_MAX		4096	/* a peer's calls in flight here */

struct peer *
peer_find(struct peers *ps, const char *host)
{
	struct peer	*p;

	if (ps == NULL || host == NULL)
		return NULL;
	TAILQ_FOREACH(p, &ps->list, entry)
		if (strcmp(p->host, host) == 0)
			return p;
	return NULL;
}

void
peer_set_why(struct peer *p, const char *why)
{
	free(p->why);
	p->why = strdup(why);
}

/*
 * The link is gone: the calls sent on it fail (they may have reached the
 * partition there, so an `or` passes on only idempotent ones: reached
 * stays), the peer's calls here are cancelled.
 */
void
peer_fail_calls(struct peer *p, const char *why)
{
	struct req	*r;
	uint32_t	 id;

	chan_calls_cancel(&p->in);
	while ((id = idmap_any(&p->out)) != 0) {
		r = idmap_del(&p->out, id);
		r->call_id = 0;
		req_finishf(r, BALTIC_E_UNAVAILABLE, "host %s: link lost (%s)",
		    p->host, why);
	}
	idmap_dispose(&p->cancelled);
	idmap_init(&p->cancelled);
}

/* ---- calls from here --------------------------------------------------- */

/* Stop our call r on p: CANCEL sent (the peer may be running it), and
 * its late answer excused. */
static void
peer_call_stop(struct peer *p, struct req *r)
{
	idmap_del(&p->out, r->call_id);
	if (p->chan != NULL && !p->ps->d->exiting) {
		chan_send(p->chan, BALTIC_MSG_CANCEL, r->call_id, NULL, 0);
		idmap_prune(&p->cancelled, now_us() / 1000000);
		idmap_put(&p->cancelled, r->call_id, (void *)(uintptr_t)
		    (now_us() / 1000000 + PEER_CANCELLED_TTL_S));
	}
	r->call_id = 0;
}

/*
 * Farm f goes: its calls on every link stop and fail now, before its
 * nodes go (the peer's calls into f end with f's partitions here).
 */
void
peer_farm_gone(struct farm_run *f)
{
	struct peers	*ps = f->d->peers;
	struct peer	*p;
	struct req	*r;
	size_t		 i;
	bool		 again;

	if (ps == NULL)
		return;
	TAILQ_FOREACH(p, &ps->list, entry) {
		do {
			again = false;
			for (i = 0; i < p->out.cap; i++) {
				r = p->out.v[i].val;
				if (p->out.v[i].id == 0 || r->farm != f)
					continue;
				/* Finishing r may change the map: look
				 * again from the start. */
				peer_call_stop(p, r);
				req_finishf(r, BALTIC_E_UNAVAILABLE, "farm %s "
				    "is going", f->name);
				again = true;
				break;
			}
		} while (again);
	}
}

static struct peer *
node_peer(const struct node *n)
{
	return peer_find(n->farm->d->peers, n->u.part->host);
}

static bool
peer_node_live(const struct node *n)
{
	struct peer	*p = node_peer(n);

	return p != NULL && p->state == PEER_UP;
}

/* Its link is being made: a call may wait for it. */
static bool
peer_node_coming(const struct node *n)
{
	struct peer	*p = node_peer(n);

	return p != NULL && (p->state == PEER_DIALING ||
	    p->state == PEER_HELLO);
}

/* Send r to the partition's host; fails at once without a link (a link
 * that will not come must not hold calls until their deadline). */
static void
peer_node_send(struct node *n, struct req *r)
{
	struct part	*part = n->u.part;
	struct peer	*p = node_peer(n);
	uint32_t	 id;

	if (p == NULL || p->state != PEER_UP) {
		req_finishf(r, BALTIC_E_UNAVAILABLE, "%s: host %s: %s",
		    part->name, part->host, p == NULL ? "not a known host" :
		    p->why != NULL ? p->why : "no link");
		return;
	}
	do {
		id = p->next_id++;
	} while (id == 0 || idmap_get(&p->out, id) != NULL ||
	    idmap_get(&p->cancelled, id) != NULL);
	if (idmap_put(&p->out, id, r) == -1) {
		req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	r->call_id = id;
	if (chan_send_call_to(p->chan, id, r->farm->name, part->name,
	    r->iface->name, r->op->name, req_remaining_ms(r), r->arg,
	    r->arglen) == -1) {
		idmap_del(&p->out, id);
		r->call_id = 0;
		req_finishf(r, BALTIC_E_UNAVAILABLE, "%s: host %s: link will "
		    "not take the call", part->name, p->host);
		return;
	}
	r->reached = true;
}

static void
peer_node_cancel(struct node *n, struct req *r)
{
	struct peer	*p = node_peer(n);

	if (p != NULL && r->call_id != 0 &&
	    idmap_get(&p->out, r->call_id) == r)
		peer_call_stop(p, r);
}

/* A partition on another host, for the router. */
const struct node_ops peer_node_ops = {
	.live = peer_node_live,
	.coming = peer_node_coming,
	.send = peer_node_send,
	.cancel = peer_node_cancel,
};

/* The peer's answer to one of our calls. */
static void
peer_on_result(struct peer *p, const struct baltic_hdr *h,
    const uint8_t *untrusted_body)
{
	struct proto_result_view	 v;
	struct req			*r;
	const char			*why;
	char				 who[BALTIC_PEER_NAME_MAX + 8];

	if (proto_parse_result(untrusted_body, h->len, &v, &why) == -1) {
		chan_fail(p->chan, why);
		return;
	}
	switch (chan_result_req(&p->out, &p->cancelled, h->call_id, &r)) {
	case 0:
		return;		/* late answer to a cancelled call */
	case -1:
		chan_fail(p->chan, "RESULT for a call never sent");
		return;
	}
	r->call_id = 0;
	/* The status is validated (proto_parse_result); the result is
	 * held to the operation's type here too: the peer is not
	 * trusted. */
	snprintf(who, sizeof who, "host %s", p->host);
	chan_result_finish(r, &v, who);
}

/* ---- calls from the peer ----------------------------------------------- */

/* Answer the peer's call id at once: status, and a text saying why. */
static void
peer_refuse(struct peer *p, uint32_t id, uint32_t status, const char *fmt,
    ...)
{
	va_list	 ap;
	char	 msg[384];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	chan_send_result(p->chan, id, status, msg, strlen(msg));
}

/* The interface exported by p's role named iface; NULL if none. */
static struct farm_iface *
peer_part_iface(const struct part *part, const char *iface)
{
	const struct farm_role	*role = part->inst->role;
	size_t			 i;

	for (i = 0; i < role->nexports; i++)
		if (strcmp(role->exports[i].name, iface) == 0)
			return role->exports[i].iface;
	return NULL;
}

/* The peer calls a partition here: it must run here, and export the
 * operation; the call gets the peer's deadline, within our own. */
static void
peer_on_call_to(struct peer *p, const struct baltic_hdr *h,
    const uint8_t *untrusted_body)
{
	struct proto_call_to_view	 v;
	struct daemon			*d = p->ps->d;
	struct farm_run			*f;
	struct part			*part;
	struct farm_iface		*iface;
	struct farm_op			*op;
	struct req			*r;
	const char			*why;
	unsigned			 ms;
	char				 err[256];

	if (proto_parse_call_to(untrusted_body, h->len, &v, &why) == -1) {
		chan_fail(p->chan, why);
		return;
	}
	if (h->call_id == 0 || idmap_get(&p->in, h->call_id) != NULL) {
		chan_fail(p->chan, "CALL_TO with a call id already in use");
		return;
	}
	/* Names validated: printable, bounded. */
	if ((f = farm_run_find(d, v.farm)) == NULL || f->dying ||
	    (part = farm_run_part(f, v.part)) == NULL || part->inst == NULL ||
	    part->node == NULL || !part_runs_here(part)) {
		peer_refuse(p, h->call_id, BALTIC_E_UNAVAILABLE, "no partition "
		    "%s of farm %s on host %s", v.part, v.farm, d->host_name);
		return;
	}
	if ((iface = peer_part_iface(part, v.call.iface)) == NULL ||
	    (op = farm_find_op(iface, v.call.op)) == NULL) {
		peer_refuse(p, h->call_id, BALTIC_E_NOOP, "%s exports no "
		    "%s.%s", part->name, v.call.iface, v.call.op);
		return;
	}
	if (farm_check_args(op, v.call.arg, v.call.arglen, err, sizeof err)
	    == -1) {
		peer_refuse(p, h->call_id, BALTIC_E_ARG, "%s", err);
		return;
	}
	if (p->in.n >= PEER_CALLS_MAX) {
		peer_refuse(p, h->call_id, BALTIC_E_OVERLOAD, "host %s: more "
		    "than %d calls in flight from host %s", d->host_name,
		    PEER_CALLS_MAX, p->host);
		return;
	}
	ms = v.call.deadline_ms;
	if (ms == 0 || ms > d->default_timeout_ms)
		ms = d->default_timeout_ms;
	if ((r = chan_call_new(f, part->node, iface, op, &v.call, ms, &p->in,
	    &p->chan, h->call_id)) == NULL) {
		peer_refuse(p, h->call_id, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	req_start(r);
}

/* A piece of a moved partition's image: validated here, taken by
 * cluster-image.c (which checks it is expected, in order, bounded). */
static void
peer_on_image(struct peer *p, const struct baltic_hdr *h,
    const uint8_t *untrusted_body)
{
	struct proto_image_view	 v;
	const char		*why;

	if (h->call_id != 0 ||
	    proto_parse_image(untrusted_body, h->len, &v, &why) == -1) {
		chan_fail(p->chan, h->call_id != 0 ? "IMAGE with a call id" :
		    why);
		return;
	}
	part_image_in(p->ps->d, p->host, &v);
}

/* ---- the link's channel ------------------------------------------------ */

static void
peer_on_frame(struct chan *c, const struct baltic_hdr *h,
    const uint8_t *untrusted_body, void *arg)
{
	struct peer	*p = arg;

	p->silent = 0;		/* whatever it sends: it is there */
	switch (h->type) {
	case BALTIC_MSG_CALL_TO:
		peer_on_call_to(p, h, untrusted_body);
		break;
	case BALTIC_MSG_RESULT:
		peer_on_result(p, h, untrusted_body);
		break;
	case BALTIC_MSG_CANCEL:
		chan_call_cancel(&p->in, h->call_id);
		break;
	case BALTIC_MSG_IMAGE:
		peer_on_image(p, h, untrusted_body);
		break;
	case BALTIC_MSG_PING:
		chan_send(c, BALTIC_MSG_PONG, h->call_id, untrusted_body,
		    h->len);
		break;
	case BALTIC_MSG_PONG:
		break;
	default:
		chan_fail(c, "unexpected message type on a peer link");
		break;
	}
}

static void
peer_on_ready(struct chan *c, void *arg)
{
	struct peer	*p = arg;

	p->state = PEER_UP;
	p->backoff_ms = PEER_BACKOFF_MIN_MS;
	free(p->why);
	p->why = NULL;
	log_notice("host %s: link up (%s)", p->host, p->dials ? "dialed" :
	    "accepted");
}

static void
peer_on_close(struct chan *c, const char *why, void *arg)
{
	peer_link_lost(arg, why);
}

static const struct chan_cbs peer_cbs = {
	.on_frame = peer_on_frame,
	.on_ready = peer_on_ready,
	.on_close = peer_on_close,
};

/* TLS is up with p, whose certificate is checked: the channel, then
 * HELLO (peer_on_ready). */
void
peer_attach(struct peer *p, int fd, struct ssl_st *ssl)
{
	p->chan = peer_link_chan(p->ps->d->base, fd, ssl, &peer_cbs, p);
	if (p->chan == NULL) {
		peer_link_lost(p, "out of memory");
		return;
	}
	chan_set_link(p->chan);
	chan_set_batch(p->chan, 1, NULL, NULL);
	p->state = PEER_HELLO;
	p->silent = 0;
}

/* ---- the daemon's API -------------------------------------------------- */

/*
 * With static peers (no etcd to place it): an instance pinned `on
 * "HOST"` runs on that host, an unpinned one where the farm is created.
 */
char *
peer_place(struct daemon *d, const struct farm_instance *inst)
{
	if (d->peers == NULL || d->host_name == NULL || inst->on == NULL)
		return NULL;
	return strdup(inst->on);
}

/*
 * A link that says nothing for PEER_PING_MISSES pings (a host that
 * froze, a network that drops everything) is lost: its calls fail now,
 * not at their deadlines.  So is one that never says HELLO.
 */
static void
peer_ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peers	*ps = arg;
	struct peer	*p, *next;
	char		 why[64];

	for (p = TAILQ_FIRST(&ps->list); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->state != PEER_UP && p->state != PEER_HELLO)
			continue;
		if (++p->silent > PEER_PING_MISSES) {
			snprintf(why, sizeof why, "silent for %d pings",
			    PEER_PING_MISSES);
			chan_fail(p->chan, why);
			continue;
		}
		if (p->state == PEER_UP)
			chan_send(p->chan, BALTIC_MSG_PING, 0, "baltic!", 8);
	}
}

int
peer_init(struct daemon *d, const char *listen, const char *cert,
    const char *key, const char *ca, char **err_r)
{
	struct peers	*ps;
	struct timeval	 tv;

	d->peer_ops = &peer_node_ops;
	if ((ps = calloc(1, sizeof *ps)) == NULL)
		return errf(err_r, "out of memory");
	d->peers = ps;
	ps->d = d;
	ps->lfd = -1;
	TAILQ_INIT(&ps->list);
	TAILQ_INIT(&ps->accepting);
	if (cert == NULL || key == NULL || ca == NULL)
		return errf(err_r, "a cluster needs --cluster-cert, "
		    "--cluster-key and --cluster-ca");
	if ((ps->server = tls_link_ctx_new(cert, key, ca, true,
	    err_r)) == NULL ||
	    (ps->client = tls_link_ctx_new(cert, key, ca, false,
	    err_r)) == NULL)
		return -1;
	if (listen != NULL && peer_link_listen(ps, listen, err_r) == -1)
		return -1;
	tv.tv_sec = PEER_PING_MS / 1000;
	tv.tv_usec = (PEER_PING_MS % 1000) * 1000;
	if ((ps->ping_ev = event_new(d->base, -1, EV_PERSIST, peer_ping_cb,
	    ps)) == NULL || event_add(ps->ping_ev, &tv) == -1)
		return errf(err_r, "cannot start the links' pings");
	return 0;
}

static void
peer_free(struct peer *p)
{
	TAILQ_REMOVE(&p->ps->list, p, entry);
	peer_fail_calls(p, "host forgotten");
	peer_link_close(p);
	if (p->retry != NULL)
		event_free(p->retry);
	idmap_dispose(&p->out);
	idmap_dispose(&p->in);
	idmap_dispose(&p->cancelled);
	free(p->why);
	free(p->addr);
	free(p->host);
	free(p);
}

/* Said, not returned: the etcd layer calls it from the loop, with no
 * one to tell but the log. */
int
peer_set(struct daemon *d, const char *host, const char *addr_port)
{
	struct peers		*ps = d->peers;
	struct peer		*p;
	struct sockaddr_storage	 sa;
	int			 salen;

	if (ps == NULL || d->host_name == NULL) {
		log_warnx("peer %s: not in a cluster (no --host)", host);
		return -1;
	}
	if (!record_name_ok(host, strlen(host)) ||
	    peer_parse_addr(addr_port, &sa, &salen) == -1) {
		log_warnx("peer %s=%s: NAME=IP:PORT expected", host,
		    addr_port);
		return -1;
	}
	if (strcmp(host, d->host_name) == 0)
		return 0;	/* ourselves: no link */
	if ((p = peer_find(ps, host)) != NULL) {
		if (strcmp(p->addr, addr_port) == 0)
			return 0;
		peer_free(p);	/* moved: a fresh link to where it is */
	}
	if ((p = calloc(1, sizeof *p)) == NULL ||
	    (p->host = strdup(host)) == NULL ||
	    (p->addr = strdup(addr_port)) == NULL) {
		if (p != NULL)
			free(p->host);
		free(p);
		log_warnx("peer %s: out of memory", host);
		return -1;
	}
	p->ps = ps;
	p->fd = -1;
	p->sa = sa;
	p->salen = salen;
	p->next_id = arc4random();
	p->backoff_ms = PEER_BACKOFF_MIN_MS;
	idmap_init(&p->out);
	idmap_init(&p->in);
	idmap_init(&p->cancelled);
	p->dials = strcmp(d->host_name, host) < 0;
	TAILQ_INSERT_TAIL(&ps->list, p, entry);
	peer_set_why(p, p->dials ? "not dialed yet" : "not dialed by it yet");
	if (p->dials)
		peer_link_dial(p);
	return 0;
}

void
peer_forget(struct daemon *d, const char *host)
{
	struct peer	*p;

	if ((p = peer_find(d->peers, host)) != NULL)
		peer_free(p);
}

bool
peer_up(struct daemon *d, const char *host)
{
	struct peer	*p = peer_find(d->peers, host);

	return p != NULL && p->state == PEER_UP;
}

bool
peer_heard(struct daemon *d, const char *host)
{
	struct peer	*p = peer_find(d->peers, host);

	return p != NULL && p->state == PEER_UP && p->silent <= 1;
}

struct chan *
peer_chan(struct daemon *d, const char *host)
{
	struct peer	*p = peer_find(d->peers, host);

	return p != NULL && p->state == PEER_UP ? p->chan : NULL;
}

void
peer_fini(struct daemon *d)
{
	struct peers	*ps = d->peers;

	if (ps == NULL)
		return;
	while (!TAILQ_EMPTY(&ps->list))
		peer_free(TAILQ_FIRST(&ps->list));
	peer_link_stop(ps);
	if (ps->ping_ev != NULL)
		event_free(ps->ping_ev);
	tls_ctx_free(ps->server);
	tls_ctx_free(ps->client);
	free(ps);
	d->peers = NULL;
}
