/*
 * xen-xs-txn.h: one xenstore transaction, retried while another writer
 * wins the race.  For the xen backend (xen-chan.c) and its state store
 * (store-xs.c).
 */
#ifndef BALTIC_BACKEND_XEN_XS_TXN_H
#define BALTIC_BACKEND_XEN_XS_TXN_H

#include <xenstore.h>

#define XS_TXN_TRIES	16	/* transaction retries on EAGAIN */

/*
 * The body of a transaction: its reads and writes inside t.  0 to
 * commit, or -1 (errno set) to abort.  It may run more than once, each
 * time in a fresh transaction, so it must not keep what an earlier run
 * read as if it were current.
 */
typedef int	(*xen_xs_txn_fn)(struct xs_handle *, xs_transaction_t,
		    void *arg);

/*
 * Run fn(xs, t, arg) in a transaction and commit it; when the commit
 * fails with EAGAIN (a concurrent change), run it again in a new one,
 * XS_TXN_TRIES times in all.  0 once committed, or -1 with errno: the
 * start or commit's, fn's if it aborted, EAGAIN if every try lost.
 */
int	xen_xs_txn(struct xs_handle *, xen_xs_txn_fn fn, void *arg);

#endif /* BALTIC_BACKEND_XEN_XS_TXN_H */
