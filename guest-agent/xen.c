/*
 * xen.c: xen mode.  The agent is the vchan server inside its PV guest;
 * dom0 (balticd) is the client.  Paths (see XENSTORE.md):
 *
 *   /local/domain/<domid>/data/baltic/vchan/{ring-ref,event-channel}
 *	written by libxenvchan_server_init for dom0 to connect to
 *   /local/domain/<domid>/data/baltic/agent = "<protocol version>"
 *	written once the server is up: dom0 may connect
 *
 * The transport is libbaltic's (chan-vchan.c), shared with balticd.
 */
#include <sys/types.h>

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxenvchan.h>
#include <xenstore.h>

#include "agent.h"
#include "chan-vchan.h"
#include "log.h"

#define XEN_RING_SIZE	65536

struct xen_ctx {
	struct xs_handle	*xs;
	char			 base[128];	/* /local/domain/<domid> */
	int			 domid;
	struct libxenvchan	*v;		/* offered; the chan owns it */
};

static struct xen_ctx	xctx;

/* Our domain id as xenstore says it now; -1 if unreadable. */
static int
xen_read_domid(void)
{
	char		*untrusted_domid, *end;
	unsigned int	 len;
	long		 id;

	if ((untrusted_domid = xs_read(xctx.xs, XBT_NULL, "domid", &len))
	    == NULL)
		return -1;
	id = strtol(untrusted_domid, &end, 10);
	if (*untrusted_domid == '\0' || *end != '\0' || id <= 0 ||
	    id >= 0x7ff0)
		id = -1;
	free(untrusted_domid);
	return (int)id;
}

/*
 * A save and restore (baltic cut/paste) or a migration gives the guest a
 * new domid: the vchan it offered is gone with the old domain, and dom0
 * waits for an offer under the new one.  Checked every second; on a
 * change, the old vchan is abandoned, never closed (closing it would
 * crash the kernel), the channel is failed, and the usual retry offers a
 * fresh one.
 */
static void
xen_domid_check(evutil_socket_t fd, short what, void *arg)
{
	int	id = xen_read_domid();

	if (id == -1 || id == xctx.domid || agent->dom0 == NULL)
		return;
	if (xctx.v != NULL)
		chan_vchan_abandon(xctx.v);
	xctx.v = NULL;
	chan_fail(agent->dom0, "domain id changed (restored)");
}

/* Open xenstore once; learn our own domain path at each connect. */
static int
xen_init(void)
{
	static struct event	*check;
	struct timeval		 tv = { 1, 0 };
	int			 id;

	if (xctx.xs == NULL && (xctx.xs = xs_open(0)) == NULL) {
		log_warn("xs_open");
		return -1;
	}
	if ((id = xen_read_domid()) == -1) {
		log_warnx("xenstore: no valid domid");
		return -1;
	}
	snprintf(xctx.base, sizeof xctx.base, "/local/domain/%d", id);
	xctx.domid = id;
	if (check == NULL) {
		check = event_new(agent->base, -1, EV_PERSIST, xen_domid_check,
		    NULL);
		if (check == NULL || evtimer_add(check, &tv) == -1)
			log_warnx("cannot watch for a restore");
	}
	return 0;
}

/*
 * Offer a fresh vchan to dom0 and start a chan on it: 0 with *chan_r, or
 * -1 (the caller retries).  The chan owns the vchan.
 */
int
xen_connect(struct chan **chan_r, const struct chan_cbs *cbs, void *arg)
{
	char			 path[192], ver[16];
	struct libxenvchan	*v;

	if (xen_init() == -1)
		return -1;
	snprintf(path, sizeof path, "%s/data/baltic/vchan", xctx.base);
	v = chan_vchan_server(NULL, xctx.domid, 0, path, XEN_RING_SIZE,
	    XEN_RING_SIZE);
	if (v == NULL) {
		log_warn("libxenvchan_server_init %s", path);
		return -1;
	}
	xctx.v = v;
	*chan_r = chan_new(agent->base, &chan_vchan_transport, v, cbs, arg);
	if (*chan_r == NULL) {
		xctx.v = NULL;
		return -1;
	}
	snprintf(path, sizeof path, "%s/data/baltic/agent", xctx.base);
	snprintf(ver, sizeof ver, "%u", BALTIC_PROTO_VERSION);
	if (!xs_write(xctx.xs, XBT_NULL, path, ver, strlen(ver)))
		log_warn("xenstore: write %s", path);
	return 0;
}

/* The channel is gone (the chan closed the vchan): withdraw the offer
 * until the next xen_connect publishes a new one. */
void
xen_disconnect(void)
{
	char	path[192];

	xctx.v = NULL;
	if (xctx.xs == NULL)
		return;
	snprintf(path, sizeof path, "%s/data/baltic/agent", xctx.base);
	xs_rm(xctx.xs, XBT_NULL, path);
	snprintf(path, sizeof path, "%s/data/baltic/vchan", xctx.base);
	xs_rm(xctx.xs, XBT_NULL, path);
}
