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
};

static struct xen_ctx	xctx;

/* Open xenstore and learn our own domain path, once. */
static int
xen_init(void)
{
	char		*domid = NULL;
	unsigned int	 len;
	char		*end;
	long		 id;
	int		 rc = -1;

	if (xctx.xs != NULL)
		return 0;
	xctx.xs = xs_open(0);
	if (xctx.xs == NULL) {
		log_warn("xs_open");
		goto out;
	}
	domid = xs_read(xctx.xs, XBT_NULL, "domid", &len);
	if (domid == NULL) {
		log_warn("xenstore: read domid");
		goto out;
	}
	id = strtol(domid, &end, 10);
	if (*domid == '\0' || *end != '\0' || id <= 0 || id >= 0x7ff0) {
		log_warnx("xenstore: bad domid");
		goto out;
	}
	snprintf(xctx.base, sizeof xctx.base, "/local/domain/%ld", id);
	xctx.domid = (int)id;
	rc = 0;
out:
	free(domid);
	if (rc == -1 && xctx.xs != NULL) {
		xs_close(xctx.xs);
		xctx.xs = NULL;
	}
	return rc;
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
	*chan_r = chan_new(agent->base, &chan_vchan_transport, v, cbs, arg);
	if (*chan_r == NULL)
		return -1;
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

	if (xctx.xs == NULL)
		return;
	snprintf(path, sizeof path, "%s/data/baltic/agent", xctx.base);
	xs_rm(xctx.xs, XBT_NULL, path);
	snprintf(path, sizeof path, "%s/data/baltic/vchan", xctx.base);
	xs_rm(xctx.xs, XBT_NULL, path);
}
