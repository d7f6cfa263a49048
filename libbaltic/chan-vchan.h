/*
 * chan-vchan.h: the chan_transport over libxenvchan, one copy for both
 * ends.  dom0 (balticd) is the client; the guest's agent is the server
 * (see guest-agent/XENSTORE.md).
 *
 * A vchan made by these constructors is non-blocking (ctrl->blocking = 0,
 * its event channel fd O_NONBLOCK) and ready to be handed to chan_new()
 * with &chan_vchan_transport and the vchan as tctx; the chan then owns it
 * and closes it with libxenvchan_close.
 */
#ifndef BALTIC_CHAN_VCHAN_H
#define BALTIC_CHAN_VCHAN_H

#include <stddef.h>

#include <xentoollog.h>

#include "chan.h"

struct libxenvchan;

extern const struct chan_transport chan_vchan_transport;

/*
 * dom0 side: connect to the server the guest domid published at path
 * (.../data/baltic/vchan).  self_domid is our own domain: a vchan from a
 * domain to itself is refused (errno EINVAL).  NULL with errno set on
 * failure.
 */
struct libxenvchan	*chan_vchan_client(xentoollog_logger *, int self_domid,
			    int domid, const char *path);

/*
 * Guest side: offer a vchan at path to peer_domid (0: dom0), with rings
 * of the given sizes.  Same refusal of self_domid == peer_domid.
 */
struct libxenvchan	*chan_vchan_server(xentoollog_logger *, int self_domid,
			    int peer_domid, const char *path, size_t read_min,
			    size_t write_min);

/*
 * Guest side, after a save/restore: the vchan's event channel and grants
 * died with the old domain, and closing its event channel crashes Linux
 * (a BUG in drivers/xen/evtchn.c on a port that resume unbound).  Mark v
 * so that the transport's close leaves it be, and release its data rings
 * now (128 KiB for our 64 KiB rings); what stays is the shared page, the
 * event channel and gntshr handles and the struct: a page and two
 * descriptors per restore.
 */
void			 chan_vchan_abandon(struct libxenvchan *);

#endif /* BALTIC_CHAN_VCHAN_H */
