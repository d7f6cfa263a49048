/*
 * xen-chan.c: the guest's side in xenstore.  We write the wiring the
 * guest reads (xen_wire), watch the node its agent writes, and when the
 * agent offers a vchan we are not on, connect to it as the client and
 * hand the channel to the partition.  Everything a guest wrote is
 * untrusted_* until checked.
 */
#include <event2/event.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxenvchan.h>
#include <xenstore.h>

#include "backend/xen-state.h"
#include "backend/xen-xs-txn.h"
#include "chan.h"
#include "chan-vchan.h"
#include "daemon/daemon.h"
#include "log.h"

/* ---- xenstore: wiring, watch ------------------------------------------- */

/*
 * Write what the guest (and a restarted balticd) needs, in one
 * transaction: the guest's data/baltic directory, owned by the guest so
 * that its agent can publish below it; farm and instance, owned by dom0
 * and readable by the guest only; dom0's record of the domain.
 */
static int
xen_wire_txn(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct part		*p = arg;
	struct xs_permissions	 guest_dir[1], ro[2], dom0[1];
	char			 base[128], node[192], state[512], id[16];

	guest_dir[0].id = (unsigned)p->domid;
	guest_dir[0].perms = XS_PERM_NONE;
	ro[0].id = 0;
	ro[0].perms = XS_PERM_NONE;
	ro[1].id = (unsigned)p->domid;
	ro[1].perms = XS_PERM_READ;
	dom0[0].id = 0;
	dom0[0].perms = XS_PERM_NONE;
	snprintf(base, sizeof base, "/local/domain/%d/data/baltic", p->domid);
	snprintf(state, sizeof state, XEN_DOM0_ROOT "/farms/%s/domains/%s",
	    p->farm->name, p->name);
	snprintf(id, sizeof id, "%d", p->domid);
	if (!xs_mkdir(xs, t, base) ||
	    !xs_set_permissions(xs, t, base, guest_dir, 1))
		return -1;
	snprintf(node, sizeof node, "%s/farm", base);
	if (!xs_write(xs, t, node, p->farm->name, strlen(p->farm->name)) ||
	    !xs_set_permissions(xs, t, node, ro, 2))
		return -1;
	snprintf(node, sizeof node, "%s/instance", base);
	if (!xs_write(xs, t, node, p->name, strlen(p->name)) ||
	    !xs_set_permissions(xs, t, node, ro, 2))
		return -1;
	if (!xs_write(xs, t, state, id, strlen(id)) ||
	    !xs_set_permissions(xs, t, state, dom0, 1))
		return -1;
	return 0;
}

int
xen_wire(struct xen *x, struct part *p)
{
	return xen_xs_txn(x->xs, xen_wire_txn, p);
}

/* Inside t: the guest's baltic nodes (if p has a domain), dom0's record. */
static int
xen_unwire_txn(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct part	*p = arg;
	char		 base[128], state[512];

	snprintf(state, sizeof state, XEN_DOM0_ROOT "/farms/%s/domains/%s",
	    p->farm->name, p->name);
	if (p->domid >= 0) {
		snprintf(base, sizeof base, "/local/domain/%d/data/baltic",
		    p->domid);
		xs_rm(xs, t, base);
	}
	xs_rm(xs, t, state);
	return 0;	/* absent is fine: nothing to abort for */
}

/* Remove the guest's baltic nodes and dom0's record; absent is fine. */
void
xen_unwire(struct xen *x, struct part *p)
{
	/* Best effort, as the callers want: they forget the domain. */
	(void)xen_xs_txn(x->xs, xen_unwire_txn, p);
}
static void
xen_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xpart	*xp = arg;

	xen_agent_check(xp->x, xp->p);
}

/* Try the agent's offer again in XEN_CONNECT_RETRY_MS. */
static void
xen_retry(struct xpart *xp)
{
	struct timeval	tv = { 0, XEN_CONNECT_RETRY_MS * 1000 };

	if (xp->retry_ev == NULL &&
	    (xp->retry_ev = evtimer_new(xp->x->d->base, xen_retry_cb, xp))
	    == NULL)
		fatalx("%s: evtimer_new", __func__);
	evtimer_add(xp->retry_ev, &tv);
}

/*
 * The agent's node changed.  If it offers a vchan we are not already
 * connected to, connect as its client and give the partition the
 * channel; if the connect fails, try again a few times.
 */
void
xen_agent_check(struct xen *x, struct part *p)
{
	struct xpart		*xp = p->bdata;
	struct libxenvchan	*v;
	struct chan		*c;
	char			 path[192], *untrusted_agent = NULL;
	char			*untrusted_ring = NULL;
	unsigned int		 len;

	if (xp == NULL || xp->cut || p->domid < 0 || xp->creating != NULL)
		return;
	snprintf(path, sizeof path, "/local/domain/%d/data/baltic/agent",
	    p->domid);
	if ((untrusted_agent = xs_read(x->xs, XBT_NULL, path, &len)) == NULL)
		goto out;	/* no offer (yet, or withdrawn) */
	snprintf(path, sizeof path, "/local/domain/%d/data/baltic/vchan/"
	    "ring-ref", p->domid);
	if ((untrusted_ring = xs_read(x->xs, XBT_NULL, path, &len)) == NULL)
		goto out;
	/*
	 * Only compared, never parsed: libxenvchan reads the offer.  The
	 * same ring-ref while we hold a channel is the offer we are on: a
	 * guest cannot grant that ref anew while we still map it (Xen keeps
	 * a mapped grant busy), so a new offer always has a new ref.
	 */
	if (p->chan != NULL && xp->ring_ref != NULL &&
	    strcmp(xp->ring_ref, untrusted_ring) == 0)
		goto out;	/* the offer we are on */
	snprintf(path, sizeof path, "/local/domain/%d/data/baltic/vchan",
	    p->domid);
	v = chan_vchan_client(&x->logger.vtable, x->self_domid, p->domid,
	    path);
	if (v == NULL) {
		if (++xp->tries < XEN_CONNECT_TRIES)
			xen_retry(xp);
		else
			log_warnx("%s: cannot connect to the vchan of domain "
			    "%d: %s", p->name, p->domid, strerror(errno));
		goto out;
	}
	xp->tries = 0;
	free(xp->ring_ref);
	xp->ring_ref = untrusted_ring;
	untrusted_ring = NULL;
	if ((c = chan_new(x->d->base, &chan_vchan_transport, v,
	    part_chan_cbs(), p)) == NULL) {
		log_warnx("%s: cannot start a channel", p->name);
		goto out;
	}
	log_debug("%s: vchan to domain %d connected", p->name, p->domid);
	part_attach(p, c);
out:
	free(untrusted_agent);
	free(untrusted_ring);
}

/* xenstore's fd: every fired watch, until none is left.  The token
 * "baltic:<domid>" names the domain; its path is not trusted. */
void
xen_xs_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xen	*x = arg;
	struct part	*p;
	char		**vec;
	unsigned long	 domid;
	char		*end;

	while ((vec = xs_check_watch(x->xs)) != NULL) {
		if (strncmp(vec[XS_WATCH_TOKEN], "baltic:", 7) == 0) {
			domid = strtoul(vec[XS_WATCH_TOKEN] + 7, &end, 10);
			if (*end == '\0' && (p = xen_find(x, (uint32_t)domid))
			    != NULL)
				xen_agent_check(x, p);
		}
		free(vec);
	}
	if (errno != EAGAIN)
		log_warn("xenstore: watch");
}

/* Watch the agent's node of p's domain; it fires once at once. */
int
xen_watch(struct xen *x, struct part *p)
{
	struct xpart	*xp = p->bdata;

	if (xp->watching)
		return 0;
	snprintf(xp->watch_path, sizeof xp->watch_path,
	    "/local/domain/%d/data/baltic/agent", p->domid);
	snprintf(xp->token, sizeof xp->token, "baltic:%d", p->domid);
	if (!xs_watch(x->xs, xp->watch_path, xp->token))
		return -1;
	xp->watching = true;
	return 0;
}

/* Stop listening to the domain: watch, retries, death events. */
void
xen_unwatch(struct xen *x, struct xpart *xp)
{
	if (xp->watching) {
		xs_unwatch(x->xs, xp->watch_path, xp->token);
		xp->watching = false;
	}
	if (xp->retry_ev != NULL)
		evtimer_del(xp->retry_ev);
	xp->tries = 0;
	if (xp->death != NULL) {
		libxl_evdisable_domain_death(x->ctx, xp->death);
		xp->death = NULL;
	}
	free(xp->ring_ref);
	xp->ring_ref = NULL;
}

/* Forget the domain: it is gone, or going. */
void
xen_forget(struct xen *x, struct part *p)
{
	struct xpart	*xp = p->bdata;

	xen_unwatch(x, xp);
	xen_unwire(x, p);
	p->domid = -1;
}
