/*
 * partition.c: one partition's channel, seen from dom0.  Sends the calls
 * the router routes to it, matches RESULTs to them, serves the calls the
 * guest makes to its imports, and pings it.  Everything the guest sends
 * is untrusted: a frame that breaks the protocol closes this channel
 * only, and is logged; every other partition goes on.
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "daemon/daemon.h"
#include "daemon/edge/chan-call.h"
#include "backend/backend.h"
#include "log.h"
#include "util/util.h"

#define CANCELLED_TTL_S		30	/* how long a late RESULT is excused */
#define GUEST_CALLS_MAX		64	/* imports in flight per guest: what
					 * one agent runs at once */
#define PART_RESTART_DELAY_MS	100	/* after a crash, on_crash restart */
#define PART_WAITING_MAX	1024	/* calls queued for a channel */

/*
 * The backend has started p's domain or process (its channel comes
 * later, through part_attach): the farm's state records it.
 */
void
part_started(struct part *p)
{
	part_image_free(p);	/* a moved partition's: it runs */
	p->making = false;
	p->farm->d->save_farm(p->farm);
}

const char *
part_state_name(enum part_state s)
{
	switch (s) {
	case PART_STARTING:	return "starting";
	case PART_READY:	return "ready";
	case PART_UNHEALTHY:	return "unhealthy";
	case PART_CUT:		return "cut";
	case PART_DEAD:		return "dead";
	default:		return "?";
	}
}

struct part *
part_new(struct farm_run *f, struct farm_instance *inst)
{
	return part_new_named(f, inst, inst->name);
}

/* A partition of inst (NULL: one found in the store that the farm no
 * longer has, to be destroyed) called name. */
struct part *
part_new_named(struct farm_run *f, struct farm_instance *inst,
    const char *name)
{
	struct part	*p;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	if ((p->name = strdup(name)) == NULL) {
		free(p);
		return NULL;
	}
	p->farm = f;
	p->inst = inst;
	p->state = PART_STARTING;
	/* Ids differ from an earlier balticd's, whose calls may still run
	 * in the guest (RESULT_LATE): from a random start. */
	p->next_id = arc4random();
	p->domid = -1;
	idmap_init(&p->adopted);
	idmap_init(&p->pend);
	idmap_init(&p->cancelled);
	idmap_init(&p->gcalls);
	TAILQ_INIT(&p->waiting);
	return p;
}

/*
 * Is the partition's channel expected soon?  Its agent or domain runs
 * (just created, restarted, or found again after a balticd restart) but
 * has not said HELLO yet, or it was moved here and its image is on the
 * way or being restored (cluster-image.c), or the cluster placed it here
 * and the backend is making it (a domain has its domid only once libxl
 * has built it).  Calls then wait for it instead of failing.
 */
bool
part_coming(const struct part *p)
{
	return p->state == PART_STARTING && (p->pid > 0 || p->domid >= 0 ||
	    p->image != NULL || p->making);
}

static void
part_fail_waiting(struct part *p, const char *why)
{
	struct req	*r;

	while ((r = TAILQ_FIRST(&p->waiting)) != NULL) {
		TAILQ_REMOVE(&p->waiting, r, wentry);
		p->nwaiting--;
		r->waiting = false;
		r->part = NULL;
		req_finishf(r, BALTIC_E_UNAVAILABLE, "%s: %s before the call "
		    "could be sent", p->name, why);
	}
}

/* Free a partition whose channel is already detached. */
void
part_free(struct part *p)
{
	if (p == NULL)
		return;
	part_image_free(p);
	part_detach(p, "partition freed");
	part_fail_waiting(p, "partition freed");
	adopt_part_gone(p, "partition freed");
	idmap_dispose(&p->adopted);
	if (p->restart_ev != NULL)
		event_free(p->restart_ev);
	idmap_dispose(&p->pend);
	idmap_dispose(&p->cancelled);
	idmap_dispose(&p->gcalls);
	free(p->wire_nodes);
	free(p->replaced);
	free(p->why);
	free(p->host);
	free(p->name);
	free(p);
}

static void
part_set_why(struct part *p, const char *fmt, ...)
{
	va_list	ap;

	free(p->why);
	p->why = NULL;
	va_start(ap, fmt);
	if (vasprintf(&p->why, fmt, ap) == -1)
		p->why = NULL;
	va_end(ap);
}

/* The role's wiring, as the agent's CONFIG text.  Caller frees. */
static char *
part_config_text(struct part *p, size_t *len_r)
{
	struct farm_role	*role = p->inst->role;
	FILE			*fp;
	char			*buf = NULL;
	size_t			 i, j, len = 0;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fprintf(fp, "role %s\ninstance %s\n", role->name, p->name);
	for (i = 0; i < role->nexports; i++) {
		fprintf(fp, "export %s", role->exports[i].name);
		for (j = 0; j < role->exports[i].iface->nops; j++)
			fprintf(fp, " %s", role->exports[i].iface->ops[j].name);
		fputc('\n', fp);
	}
	for (i = 0; i < role->nimports; i++) {
		fprintf(fp, "import %s", role->imports[i].name);
		for (j = 0; j < role->imports[i].iface->nops; j++)
			fprintf(fp, " %s", role->imports[i].iface->ops[j].name);
		fputc('\n', fp);
	}
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	*len_r = len;
	return buf;
}

/* After a balticd restart: say when every partition is back. */
static void
part_note_reattached(struct farm_run *f)
{
	struct part	*q;
	size_t		 n = 0;

	if (f->restored_us == 0)
		return;
	TAILQ_FOREACH(q, &f->parts, entry) {
		if (q->state != PART_READY && q->state != PART_CUT &&
		    q->state != PART_DEAD)
			return;
		n++;
	}
	log_notice("farm %s: %zu partitions re-attached %llu ms after "
	    "balticd started", f->name, n,
	    (unsigned long long)((now_us() - f->restored_us) / 1000));
	f->restored_us = 0;
}

static void
part_on_ready(struct chan *c, void *arg)
{
	struct part	*p = arg;
	struct req	*r;
	char		*cfg;
	size_t		 len;

	/* A partition found in the store that the farm no longer has
	 * (inst NULL, draining after a restart) keeps the configuration
	 * its agent has. */
	if (p->inst != NULL) {
		if ((cfg = part_config_text(p, &len)) == NULL ||
		    chan_send(c, BALTIC_MSG_CONFIG, 0, cfg, len) == -1) {
			free(cfg);
			chan_fail(c, "cannot send CONFIG");
			return;
		}
		free(cfg);
	}
	p->ping_missed = 0;
	if (p->state != PART_CUT)
		p->state = PART_READY;
	log_info("%s: channel up (protocol %u, frames up to %u bytes)",
	    p->name, chan_version(c), chan_max_frame(c));
	part_note_reattached(p->farm);
	if (p->farm->part_changed != NULL)
		p->farm->part_changed(p->farm);
	while (p->state == PART_READY &&
	    (r = TAILQ_FIRST(&p->waiting)) != NULL) {
		TAILQ_REMOVE(&p->waiting, r, wentry);
		p->nwaiting--;
		r->waiting = false;
		r->part = NULL;
		part_send(p, r);
	}
}

/*
 * The guest made progress (a PONG, or an answer to a call): it is alive,
 * however slow its pings are while it works.
 */
static void
part_alive(struct part *p)
{
	p->ping_missed = 0;
	if (p->state == PART_UNHEALTHY) {
		log_info("%s: answers again: back in rotation", p->name);
		p->state = PART_READY;
	}
}

/*
 * A RESULT, or a RESULT_LATE (the answer to a call of a channel before
 * this one, which only an adopted call may be waiting for: others are
 * dropped, as nobody waits for them).
 */
static void
part_on_result(struct part *p, const struct baltic_hdr *h,
    const uint8_t *untrusted_body)
{
	struct proto_result_view	 v;
	struct req			*r;
	const char			*why;

	if (proto_parse_result(untrusted_body, h->len, &v, &why) == -1) {
		chan_fail(p->chan, why);
		return;
	}
	if (v.status > BALTIC_STATUS_MAX) {
		chan_fail(p->chan, "RESULT with a bad status");
		return;
	}
	if (h->type == BALTIC_MSG_RESULT_LATE) {
		part_alive(p);
		p->answered = true;
		if (idmap_get(&p->adopted, h->call_id) != NULL)
			adopt_result(p, h->call_id, v.status, v.payload, v.len);
		else
			log_debug("%s: late answer to call %u: nobody waits",
			    p->name, h->call_id);
		return;
	}
	switch (chan_result_req(&p->pend, &p->cancelled, h->call_id, &r)) {
	case 0:
		return;		/* late answer to a cancelled call */
	case -1:
		chan_fail(p->chan, "RESULT for a call never sent");
		return;
	}
	/* From here on the result is validated against the declared type. */
	r->part = NULL;
	part_alive(p);
	p->answered = true;
	if (chan_result_finish(r, &v, p->name) == BALTIC_OK)
		p->calls_served++;
	else
		p->calls_failed++;
}

/* The farm node a guest's import is wired to; NULL if not an import. */
static struct node *
part_import_node(struct part *p, const char *iface, struct farm_iface **i_r)
{
	struct farm_expr	*vm;
	size_t			 i;

	if (p->inst == NULL || p->wire_nodes == NULL)
		return NULL;	/* draining, found after a restart */
	vm = p->inst->vm;
	for (i = 0; i < vm->u.vm.nwires; i++) {
		struct farm_wire *w = &vm->u.vm.wires[i];

		if (strcmp(w->import, iface) == 0 && w->iface != NULL) {
			*i_r = w->iface;
			return p->wire_nodes[i];
		}
	}
	return NULL;
}

/*
 * The guest calls one of its imports: CALL, or CALL_AGAIN for a call it
 * first sent to an earlier balticd, which may have carried it out.
 */
static void
part_on_call(struct part *p, const struct baltic_hdr *h,
    const uint8_t *untrusted_body)
{
	struct proto_call_view	 v;
	struct farm_iface	*iface = NULL;
	struct farm_op		*op;
	struct node		*n;
	struct req		*r;
	const char		*why;
	char			 err[256];

	if (proto_parse_call(untrusted_body, h->len, &v, &why) == -1) {
		chan_fail(p->chan, why);
		return;
	}
	if (h->call_id == 0 || idmap_get(&p->gcalls, h->call_id) != NULL) {
		chan_fail(p->chan, "CALL with a call id already in use");
		return;
	}
	if ((n = part_import_node(p, v.iface, &iface)) == NULL) {
		log_warnx("%s: called %s, which its role does not import",
		    p->name, v.iface);
		chan_fail(p->chan, "CALL to an interface not imported");
		return;
	}
	/* v.iface is validated: a name this role imports. */
	if ((op = farm_find_op(iface, v.op)) == NULL) {
		snprintf(err, sizeof err, "%s has no operation %s",
		    iface->name, v.op);
		chan_send_result(p->chan, h->call_id, BALTIC_E_NOOP, err,
		    strlen(err));
		return;
	}
	if (farm_check_args(op, v.arg, v.arglen, err, sizeof err) == -1) {
		chan_send_result(p->chan, h->call_id, BALTIC_E_ARG, err,
		    strlen(err));
		return;
	}
	if (h->type == BALTIC_MSG_CALL_AGAIN && !op->idempotent) {
		snprintf(err, sizeof err, "%s.%s was in flight when balticd "
		    "restarted and may have been carried out; not sent again "
		    "(the operation is not idempotent)", iface->name, op->name);
		log_warnx("%s: %s", p->name, err);
		chan_send_result(p->chan, h->call_id, BALTIC_E_UNAVAILABLE, err,
		    strlen(err));
		return;
	}
	if (p->gcalls.n >= GUEST_CALLS_MAX) {
		snprintf(err, sizeof err, "more than %d calls in flight",
		    GUEST_CALLS_MAX);
		chan_send_result(p->chan, h->call_id, BALTIC_E_OVERLOAD, err,
		    strlen(err));
		return;
	}
	if ((r = chan_call_new(p->farm, n, iface, op, &v, v.deadline_ms,
	    &p->gcalls, &p->chan, h->call_id)) == NULL) {
		chan_send_result(p->chan, h->call_id, BALTIC_E_INTERNAL,
		    "out of memory", 13);
		return;
	}
	req_from_guest(r, p);
	req_start(r);
}

static void
part_on_frame(struct chan *c, const struct baltic_hdr *h,
    const uint8_t *untrusted_body, void *arg)
{
	struct part	*p = arg;
	uint64_t	 nonce;

	switch (h->type) {
	case BALTIC_MSG_RESULT_LATE:
	case BALTIC_MSG_CALL_AGAIN:
		if (chan_version(c) < 2) {
			chan_fail(c, "version 2 message on a version 1 channel");
			break;
		}
		if (h->type == BALTIC_MSG_CALL_AGAIN)
			part_on_call(p, h, untrusted_body);
		else
			part_on_result(p, h, untrusted_body);
		break;
	case BALTIC_MSG_RESULT:
		part_on_result(p, h, untrusted_body);
		break;
	case BALTIC_MSG_CALL:
		part_on_call(p, h, untrusted_body);
		break;
	case BALTIC_MSG_CANCEL:
		chan_call_cancel(&p->gcalls, h->call_id);
		break;
	case BALTIC_MSG_PING:
		chan_send(c, BALTIC_MSG_PONG, h->call_id, untrusted_body,
		    h->len);
		break;
	case BALTIC_MSG_PONG:
		if (h->len != sizeof nonce) {
			chan_fail(c, "PONG of the wrong length");
			break;
		}
		memcpy(&nonce, untrusted_body, sizeof nonce);
		if (nonce != p->ping_nonce)
			break;		/* a late answer: ignore */
		part_alive(p);
		break;
	default:
		chan_fail(c, "unexpected message type from the guest");
		break;
	}
}

static void
part_on_close(struct chan *c, const char *why, void *arg)
{
	struct part	*p = arg;

	log_warnx("%s: channel closed: %s", p->name, why);
	part_detach(p, why);
}

static const struct chan_cbs part_cbs = {
	.on_frame = part_on_frame,
	.on_ready = part_on_ready,
	.on_close = part_on_close,
};

const struct chan_cbs *
part_chan_cbs(void)
{
	return &part_cbs;
}

/* The backend has a channel for p (created with part_chan_cbs(), p). */
void
part_attach(struct part *p, struct chan *c)
{
	if (p->chan != NULL)
		part_detach(p, "replaced by a new channel");
	p->chan = c;
	p->ping_missed = 0;
	chan_set_batch(c, 1, journal_flush, p->farm->d);
}

/*
 * The channel is gone: fail the calls sent on it (they may have reached
 * the guest, so only idempotent ones are re-sent by an `or`), cancel the
 * guest's own calls, and free the channel.
 */
void
part_detach(struct part *p, const char *why)
{
	struct req	*r;
	struct chan	*c = p->chan;
	uint32_t	 id;

	if (c == NULL)
		return;
	p->chan = NULL;
	if (p->state == PART_READY || p->state == PART_UNHEALTHY)
		p->state = PART_STARTING;
	part_set_why(p, "channel closed: %s", why);
	chan_calls_cancel(&p->gcalls);
	while ((id = idmap_any(&p->pend)) != 0) {
		r = idmap_del(&p->pend, id);
		r->part = NULL;
		p->calls_failed++;
		req_finishf(r, BALTIC_E_UNAVAILABLE, "%s: channel closed "
		    "with the call in flight (%s)", p->name, why);
	}
	idmap_dispose(&p->cancelled);
	idmap_init(&p->cancelled);
	/* Safe inside the channel's own callbacks (chan.c), and at once:
	 * no frame may reach p after this. */
	chan_free(c);
}

/* Send a routed call to the partition, or fail it at once. */
void
part_send(struct part *p, struct req *r)
{
	struct proto_loan	 loan;
	const struct proto_loan	*prev;
	uint32_t		 id;
	int			 sent;

	if (part_coming(p) && p->nwaiting < PART_WAITING_MAX) {
		TAILQ_INSERT_TAIL(&p->waiting, r, wentry);
		p->nwaiting++;
		r->waiting = true;
		r->part = p;
		return;
	}
	if (p->state != PART_READY || p->chan == NULL) {
		req_finishf(r, BALTIC_E_UNAVAILABLE, "%s: not ready (%s%s%s)",
		    p->name, part_state_name(p->state), p->why ? ": " : "",
		    p->why ? p->why : "");
		return;
	}
	do {
		id = p->next_id++;
	} while (id == 0 || idmap_get(&p->pend, id) != NULL ||
	    idmap_get(&p->cancelled, id) != NULL ||
	    idmap_get(&p->adopted, id) != NULL);
	if (idmap_put(&p->pend, id, r) == -1) {
		req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	/* Where it goes is kept before it goes (keep.c). */
	r->part = p;
	r->call_id = id;
	req_progress(r);
	/* Only r's argument is sent: no other loan matters meanwhile. */
	prev = proto_lend(req_lend(r, &loan));
	sent = chan_send_call(p->chan, id, r->iface->name, r->op->name,
	    req_remaining_ms(r), r->arg, r->arglen);
	proto_lend(prev);
	if (sent == -1) {
		idmap_del(&p->pend, id);
		r->part = NULL;
		r->call_id = 0;
		req_finishf(r, BALTIC_E_UNAVAILABLE, "%s: channel will not "
		    "take the call", p->name);
		return;
	}
	r->reached = true;
}

/* The router no longer wants r's answer. */
void
part_cancel(struct part *p, struct req *r)
{
	if (r->waiting) {
		TAILQ_REMOVE(&p->waiting, r, wentry);
		p->nwaiting--;
		r->waiting = false;
		r->part = NULL;
		return;
	}
	if (idmap_del(&p->pend, r->call_id) == NULL)
		return;
	r->part = NULL;
	/* balticd stopping: the guest's answer goes to the next one. */
	if (p->chan != NULL && !p->farm->d->exiting) {
		chan_send(p->chan, BALTIC_MSG_CANCEL, r->call_id, NULL, 0);
		idmap_put(&p->cancelled, r->call_id,
		    (void *)(uintptr_t)(now_us() / 1000000 + CANCELLED_TTL_S));
	}
}

/*
 * Health: a partition that misses BALTIC_PING_MISSES pings in a row is
 * taken out of rotation; a PONG puts it back.  Called every period /
 * BALTIC_PING_SLICES, for the partitions of one slice.  One that has
 * answered a call since its last tick has shown it is alive (as a PONG
 * would: part_alive) and is not pinged this time: a ping would only
 * wake an agent that is busy anyway, and with many partitions under
 * load the pings were as many as the calls (bench/scale.sh, N=1000).
 */
void
part_ping_all(struct daemon *d)
{
	struct farm_run	*f;
	struct part	*p;
	unsigned	 slice = d->ping_tick++ % BALTIC_PING_SLICES;

	TAILQ_FOREACH(f, &d->farms, entry) {
		TAILQ_FOREACH(p, &f->parts, entry) {
			if (p->chan == NULL || !chan_is_ready(p->chan) ||
			    p->state == PART_CUT || fnv1a64(p->name,
			    strlen(p->name)) % BALTIC_PING_SLICES != slice)
				continue;
			idmap_prune(&p->cancelled, now_us() / 1000000);
			if (p->answered) {
				p->answered = false;
				continue;
			}
			if (++p->ping_missed > BALTIC_PING_MISSES &&
			    p->state == PART_READY) {
				log_warnx("%s: missed %d pings: out of "
				    "rotation", p->name, BALTIC_PING_MISSES);
				part_set_why(p, "missed %d pings",
				    BALTIC_PING_MISSES);
				p->state = PART_UNHEALTHY;
			}
			p->ping_nonce = ((uint64_t)arc4random() << 32) |
			    arc4random();
			chan_send(p->chan, BALTIC_MSG_PING, 0, &p->ping_nonce,
			    sizeof p->ping_nonce);
		}
	}
}

static void
part_restart_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct part	*p = arg;
	struct daemon	*d = p->farm->d;
	struct timeval	 tv = { 1, 0 };
	char		*err = NULL;

	if (p->farm->dying || p->retired || p->state != PART_DEAD)
		return;
	if (d->backend->create(d->bctx, p, &err) == -1) {
		log_warnx("%s: restart failed: %s; again in 1 s", p->name,
		    err != NULL ? err : "?");
		free(err);
		evtimer_add(p->restart_ev, &tv);
		return;
	}
	p->restarts++;
	p->state = PART_STARTING;
	log_info("%s: restarted (%u)", p->name, p->restarts);
	p->farm->d->save_farm(p->farm);
}

/* Create p again (it is dead) in ms milliseconds. */
void
part_restart_in(struct part *p, unsigned ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	if (p->restart_ev == NULL)
		p->restart_ev = evtimer_new(p->farm->d->base, part_restart_cb,
		    p);
	if (p->restart_ev != NULL)
		evtimer_add(p->restart_ev, &tv);
}

/* One more crash of p: more than its role allows within its window? */
static bool
part_crash_looping(struct part *p)
{
	const struct farm_role	*r = p->inst->role;
	uint64_t		 now = now_us();

	if (p->crashes == 0 ||
	    now - p->crash_since_us > r->crash_window_s * 1000000ULL) {
		p->crash_since_us = now;
		p->crashes = 0;
	}
	return ++p->crashes > r->crash_limit;
}

/*
 * The backend saw the partition die: out of rotation at once, its calls
 * failed, and restarted if its role says on_crash restart; replaced by a
 * fresh partition if it died more often than the role allows.
 */
void
part_died(struct part *p, const char *why)
{
	log_warnx("%s: died: %s", p->name, why);
	part_image_free(p);
	p->making = false;
	part_detach(p, why);
	part_set_why(p, "died: %s", why);
	p->state = PART_DEAD;
	p->pid = 0;
	p->domid = -1;
	part_fail_waiting(p, "died");
	adopt_part_gone(p, why);
	if (p->farm->part_changed != NULL)
		p->farm->part_changed(p->farm);
	if (p->retired || p->inst == NULL || p->farm->dying ||
	    p->inst->role->on_crash != FARM_CRASH_RESTART)
		return;
	if (part_crash_looping(p) && p->farm->d->replace_part != NULL) {
		p->farm->d->replace_part(p);
		return;
	}
	part_restart_in(p, PART_RESTART_DELAY_MS);
}

static bool
part_node_live(const struct node *n)
{
	return n->u.part->state == PART_READY;
}

static bool
part_node_coming(const struct node *n)
{
	return part_coming(n->u.part);
}

static void
part_node_send(struct node *n, struct req *r)
{
	part_send(n->u.part, r);
}

static void
part_node_cancel(struct node *n, struct req *r)
{
	if (r->part != NULL)
		part_cancel(r->part, r);
}

/* A partition's node, for the router. */
const struct node_ops part_node_ops = {
	.live = part_node_live,
	.coming = part_node_coming,
	.send = part_node_send,
	.cancel = part_node_cancel,
};
