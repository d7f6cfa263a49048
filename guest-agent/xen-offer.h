/*
 * xen-offer.h: the guest's half of the channel's rendezvous in xenstore,
 * without the agent: offer a vchan server to dom0 under our own domain
 * and withdraw it (paths in XENSTORE.md).  baltic-agent's xen.c builds
 * its channel on it; tests/handlers/hostile links it to misbehave over a
 * real vchan.
 */
#ifndef BALTIC_XEN_OFFER_H
#define BALTIC_XEN_OFFER_H

struct xs_handle;
struct libxenvchan;

struct xen_offer {
	struct xs_handle	*xs;
	char			 base[128];	/* /local/domain/<domid> */
	int			 domid;		/* as of the last offer */
};

void	 xen_offer_init(struct xen_offer *);
void	 xen_offer_dispose(struct xen_offer *);

/* Our domain id as xenstore says it now (it changes on a restore); -1 if
 * xenstore cannot be opened or the id is not valid. */
int	 xen_offer_read_domid(struct xen_offer *);

/*
 * Offer a fresh vchan server to dom0 at ~/data/baltic/vchan, then write
 * ~/data/baltic/agent so dom0 connects: the vchan (non-blocking, as
 * chan-vchan.h makes it; caller closes), or NULL.
 */
struct libxenvchan *xen_offer_vchan(struct xen_offer *);

/*
 * Is the last offer still in xenstore?  0 when its ~/data/baltic/agent
 * is gone (a restore on another host keeps a domid but not the xenstore
 * the offer was in; dom0 removes it only with the domain), 1 when it is
 * there, -1 when xenstore cannot tell.
 */
int	 xen_offer_present(struct xen_offer *);

/* The channel is gone: remove the offer until the next one.  Idempotent. */
void	 xen_offer_withdraw(struct xen_offer *);

#endif /* BALTIC_XEN_OFFER_H */
