/*
 * journal.c: where each export call in flight stands, kept in the keeper
 * (keep/keep.h) with the client's connection, so that a balticd killed
 * at any moment leaves the next one what it needs to answer the call:
 * the partitions it was sent to (or is about to be), whether it may have
 * reached a guest, and its argument.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon/daemon.h"
#include "keep/keep.h"
#include "log.h"

struct journal_walk {
	struct keep_call	*kc;
	bool			 reached;
};

static void
kcall_walk_cb(struct req *r, void *arg)
{
	struct journal_walk	*w = arg;
	struct keep_call	*kc = w->kc;

	if (r->reached)
		w->reached = true;
	if (r->node->kind != NODE_VM || r->part == NULL || r->waiting ||
	    r->call_id == 0)
		return;
	w->reached = true;
	if (kc->nattempts == KEEP_ATTEMPTS_MAX)
		return;
	snprintf(kc->attempts[kc->nattempts].inst,
	    sizeof kc->attempts[kc->nattempts].inst, "%s", r->part->name);
	kc->attempts[kc->nattempts++].id = r->call_id;
}

/*
 * Tell the keeper where the call stands: the partitions it has been sent
 * to (or is about to be), whether it may have reached a guest, and its
 * argument, with the client's connection the first time.
 */
void
journal_put(struct kept_call *c)
{
	struct daemon		*d = c->f->d;
	struct keep_call	 kc;
	struct journal_walk	 w = { &kc, false };
	char			*rec;
	size_t			 len;
	bool			 first = c->key[0] == '\0';

	memset(&kc, 0, sizeof kc);
	snprintf(kc.farm, sizeof kc.farm, "%s", c->f->name);
	kc.export = (uint32_t)c->export;
	snprintf(kc.iface, sizeof kc.iface, "%s", c->r->iface->name);
	snprintf(kc.op, sizeof kc.op, "%s", c->r->op->name);
	kc.deadline_us = c->r->deadline_us;
	req_walk(c->r, kcall_walk_cb, &w);
	kc.reached = w.reached;
	kc.reqlen = c->reqlen;
	kc.reqhash = c->reqhash;
	kc.has_arg = true;
	kc.arg = c->r->arg;
	kc.arglen = c->r->arglen;
	if ((rec = keep_call_encode(&kc, &len)) == NULL) {
		log_warnx("%s: %s.%s: its call record cannot be kept",
		    c->f->name, kc.iface, kc.op);
		return;
	}
	if (first)
		snprintf(c->key, sizeof c->key, KEEP_KEY_CALL "%llx-%llx",
		    (unsigned long long)d->started_us,
		    (unsigned long long)++d->keep_seq);
	if (keep_put(d->keep, c->key, rec, len, first ? c->fd : -1) == -1 &&
	    first)
		c->key[0] = '\0';
	free(rec);
}

/* Send the records this loop turn queued, then take the requests they
 * protect off their sockets: a record is in the keeper before its
 * request leaves the socket and before its call goes to a partition. */
void
journal_flush(void *arg)
{
	struct daemon	*d = arg;

	keep_flush(d->keep);
	export_take_pending(d);
}

static void
journal_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	journal_flush(arg);
}

/* The first record of a packet waits: flush at the end of this turn (an
 * event made active now runs after those the turn has queued). */
static void
journal_queued(void *arg)
{
	struct daemon	*d = arg;

	event_active(d->journal_ev, EV_TIMEOUT, 0);
}

void
journal_init(struct daemon *d)
{
	TAILQ_INIT(&d->takes);
	if ((d->journal_ev = event_new(d->base, -1, 0, journal_flush_cb,
	    d)) == NULL)
		fatal("%s", __func__);
	keep_set_batch(d->keep, journal_queued, d);
}

/* The call is answered (or abandoned): the keeper may let it go. */
void
journal_del(struct kept_call *c)
{
	if (c->key[0] != '\0')
		keep_del(c->f->d->keep, c->key);
	c->key[0] = '\0';
}
