/*
 * xen-offer.c: the vchan offer in xenstore (see xen-offer.h).  Paths
 * (XENSTORE.md):
 *
 *   /local/domain/<domid>/data/baltic/vchan/{ring-ref,event-channel}
 *	written by libxenvchan_server_init for dom0 to connect to
 *   /local/domain/<domid>/data/baltic/agent = "<protocol version>"
 *	written once the server is up: dom0 may connect
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxenvchan.h>
#include <xenstore.h>

#include "chan-vchan.h"
#include "log.h"
#include "proto.h"
#include "xen-offer.h"

#define XEN_RING_SIZE	65536

void
xen_offer_init(struct xen_offer *o)
{
	o->xs = NULL;
	o->base[0] = '\0';
	o->domid = -1;
}

void
xen_offer_dispose(struct xen_offer *o)
{
	if (o->xs != NULL)
		xs_close(o->xs);
	xen_offer_init(o);
}

int
xen_offer_read_domid(struct xen_offer *o)
{
	char		*untrusted_domid, *end;
	unsigned int	 len;
	long		 id;

	if (o->xs == NULL && (o->xs = xs_open(0)) == NULL) {
		log_warn("xs_open");
		return -1;
	}
	if ((untrusted_domid = xs_read(o->xs, XBT_NULL, "domid", &len))
	    == NULL)
		return -1;
	id = strtol(untrusted_domid, &end, 10);
	if (*untrusted_domid == '\0' || *end != '\0' || id <= 0 ||
	    id >= 0x7ff0)
		id = -1;
	free(untrusted_domid);
	return (int)id;
}

struct libxenvchan *
xen_offer_vchan(struct xen_offer *o)
{
	char			 path[192], ver[16];
	struct libxenvchan	*v;
	int			 id;

	if ((id = xen_offer_read_domid(o)) == -1) {
		log_warnx("xenstore: no valid domid");
		return NULL;
	}
	o->domid = id;
	snprintf(o->base, sizeof o->base, "/local/domain/%d", id);
	snprintf(path, sizeof path, "%s/data/baltic/vchan", o->base);
	v = chan_vchan_server(NULL, id, 0, path, XEN_RING_SIZE,
	    XEN_RING_SIZE);
	if (v == NULL) {
		log_warn("libxenvchan_server_init %s", path);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/data/baltic/agent", o->base);
	snprintf(ver, sizeof ver, "%u", BALTIC_PROTO_VERSION);
	if (!xs_write(o->xs, XBT_NULL, path, ver, strlen(ver)))
		log_warn("xenstore: write %s", path);
	return v;
}

int
xen_offer_present(struct xen_offer *o)
{
	char		 path[192], *untrusted;
	unsigned int	 len;

	if (o->xs == NULL || o->base[0] == '\0')
		return -1;
	snprintf(path, sizeof path, "%s/data/baltic/agent", o->base);
	if ((untrusted = xs_read(o->xs, XBT_NULL, path, &len)) != NULL) {
		free(untrusted);
		return 1;
	}
	return errno == ENOENT ? 0 : -1;
}

void
xen_offer_withdraw(struct xen_offer *o)
{
	char	path[192];

	if (o->xs == NULL || o->base[0] == '\0')
		return;
	snprintf(path, sizeof path, "%s/data/baltic/agent", o->base);
	xs_rm(o->xs, XBT_NULL, path);
	snprintf(path, sizeof path, "%s/data/baltic/vchan", o->base);
	xs_rm(o->xs, XBT_NULL, path);
}
