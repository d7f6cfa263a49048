/*
 * xen.c: xen mode.  The agent is the vchan server inside its PV guest;
 * dom0 (balticd) is the client.  The offer in xenstore is xen-offer.c's
 * (paths in XENSTORE.md), the transport libbaltic's (chan-vchan.c), both
 * shared: this file adds the agent's channel and the restore check.
 */
#include <sys/types.h>

#include <stdint.h>

#include <event2/event.h>

#include <libxenvchan.h>

#include "agent.h"
#include "chan.h"
#include "chan-vchan.h"
#include "log.h"
#include "xen-offer.h"

/* Checks (a second apart) with no frame from dom0, its offer gone,
 * before the guest takes itself for restored elsewhere. */
#define XEN_QUIET_CHECKS	3

struct xen_ctx {
	struct xen_offer	 offer;
	struct libxenvchan	*v;		/* offered; the chan owns it */
	struct event		*check;
	uint64_t		 frames_in;	/* dom0's, at the last check */
	unsigned		 quiet;		/* checks since one came */
};

static struct xen_ctx	xctx = { { NULL, "", -1 }, NULL, NULL, 0, 0 };

/*
 * A save and restore (baltic cut/paste) or a migration gives the guest a
 * new domid: the vchan it offered is gone with the old domain, and dom0
 * waits for an offer under the new one.  Restored on another host
 * (baltic move), the domid may be the same, but that host's xenstore
 * has no offer of ours and its dom0 says nothing on the old vchan.
 * Both are needed: a program in the guest may remove the offer (the
 * guest owns data/baltic), and the channel it is on, which dom0 pings
 * every second or so, must not go for that.  Checked every second; on
 * either sign, the old vchan is abandoned, never closed (closing it
 * would crash the kernel), the channel is failed, and the usual retry
 * offers a fresh one.
 */
static void
xen_domid_check(evutil_socket_t fd, short what, void *arg)
{
	struct chan_stats	st;
	int			id = xen_offer_read_domid(&xctx.offer);

	if (id == -1 || agent->dom0 == NULL)
		return;
	chan_get_stats(agent->dom0, &st);
	if (st.frames_in != xctx.frames_in) {
		xctx.frames_in = st.frames_in;
		xctx.quiet = 0;
	} else
		xctx.quiet++;
	if (id == xctx.offer.domid && (xctx.v == NULL ||
	    xctx.quiet < XEN_QUIET_CHECKS ||
	    xen_offer_present(&xctx.offer) != 0))
		return;
	if (xctx.v != NULL)
		chan_vchan_abandon(xctx.v);
	xctx.v = NULL;
	chan_fail(agent->dom0, id != xctx.offer.domid ? "domain id changed "
	    "(restored)" : "our offer is gone (restored on another host)");
}

/*
 * Offer a fresh vchan to dom0 and start a chan on it: 0 with *chan_r, or
 * -1 (the caller retries).  The chan owns the vchan.
 */
int
xen_connect(struct chan **chan_r, const struct chan_cbs *cbs, void *arg)
{
	struct timeval		 tv = { 1, 0 };
	struct libxenvchan	*v;

	if ((v = xen_offer_vchan(&xctx.offer)) == NULL)
		return -1;
	if (xctx.check == NULL) {
		xctx.check = event_new(agent->base, -1, EV_PERSIST,
		    xen_domid_check, NULL);
		if (xctx.check == NULL || evtimer_add(xctx.check, &tv) == -1)
			log_warnx("cannot watch for a restore");
	}
	xctx.v = v;
	xctx.frames_in = 0;
	xctx.quiet = 0;
	*chan_r = chan_new(agent->base, &chan_vchan_transport, v, cbs, arg);
	if (*chan_r == NULL) {
		xen_disconnect();
		return -1;
	}
	chan_set_batch(*chan_r, 1, NULL, NULL);
	return 0;
}

/* The channel is gone (the chan closed the vchan): withdraw the offer
 * until the next xen_connect publishes a new one. */
void
xen_disconnect(void)
{
	xctx.v = NULL;
	xen_offer_withdraw(&xctx.offer);
}
