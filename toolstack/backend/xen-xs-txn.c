/*
 * xen-xs-txn.c: the start / commit / retry-on-EAGAIN loop of a xenstore
 * transaction, written once (see xen-xs-txn.h).
 */
#include <errno.h>
#include <stdbool.h>

#include <xenstore.h>

#include "backend/xen-xs-txn.h"

int
xen_xs_txn(struct xs_handle *xs, xen_xs_txn_fn fn, void *arg)
{
	xs_transaction_t	t;
	int			i, saved;

	for (i = 0; i < XS_TXN_TRIES; i++) {
		if ((t = xs_transaction_start(xs)) == XBT_NULL)
			return -1;
		if (fn(xs, t, arg) == -1) {
			/* The abort's own outcome must not hide fn's. */
			saved = errno;
			xs_transaction_end(xs, t, true);
			errno = saved;
			return -1;
		}
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return -1;
	}
	return -1;
}
