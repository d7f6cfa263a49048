/*
 * xen-state.c: what the xen backend knows of its partitions (xen-state.h):
 * the partition of a domain, the backend's record of a partition.
 */
#include <sys/queue.h>

#include <stdlib.h>

#include "backend/xen-state.h"
#include "daemon/daemon.h"
#include "log.h"

/* The partition running as domain domid; NULL if none of ours. */
struct part *
xen_find(struct xen *x, uint32_t domid)
{
	struct xpart	*xp;

	TAILQ_FOREACH(xp, &x->parts, entry)
		if (xp->p != NULL && xp->p->domid == (int)domid)
			return xp->p;
	return NULL;
}

/* p's backend data, made on first use; freed by xen_destroy. */
struct xpart *
xpart_get(struct xen *x, struct part *p)
{
	struct xpart	*xp = p->bdata;

	if (xp == NULL) {
		if ((xp = calloc(1, sizeof *xp)) == NULL)
			fatal("%s", __func__);
		xp->x = x;
		xp->p = p;
		TAILQ_INSERT_TAIL(&x->parts, xp, entry);
		p->bdata = xp;
	}
	return xp;
}
