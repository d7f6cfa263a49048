/*
 * router.c: where a call goes.  One request per node visited; or picks
 * one branch by its policy (router_or_pick), par sends to all and keeps
 * the first success (a hedged par sends the next branch only when the
 * ones sent failed or did not answer within its delay: par_hedge_next),
 * ref follows its current target, vm hands the call to the partition's
 * channel, remote to the HTTP client.
 *
 * Delivery rule (baltic.farm(5), DELIVERY; or_passes): an `or` passes a
 * failed call on to another branch when the attempt provably never
 * reached a guest, or, for an operation declared idempotent, when the
 * branch failed, refused for overload or ran out of its share of the
 * deadline.
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/daemon.h"
#include "daemon/core/hedge.h"
#include "log.h"
#include "util/util.h"

static void	req_child_done(struct req *, uint32_t, const void *, size_t,
		    void *);
static void	req_free(struct req *);

uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
req_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct req	*r = arg;

	req_finishf(r, BALTIC_E_TIMEOUT, "%s passed before %s.%s was "
	    "answered%s%s", r->parent != NULL ? "this branch's share of the "
	    "deadline" : "deadline", r->iface->name, r->op->name,
	    r->last_err != NULL ? "; last: " : "",
	    r->last_err != NULL ? r->last_err : "");
}

/* r ends at deadline_us unless answered before: 0, or -1 (no memory). */
static int
req_arm(struct req *r, uint64_t deadline_us)
{
	uint64_t	now = now_us(), us;
	struct timeval	tv;

	us = deadline_us > now ? deadline_us - now : 0;
	r->deadline_us = deadline_us;
	if ((r->timer = evtimer_new(r->farm->d->base, req_timeout, r)) == NULL)
		return -1;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	return evtimer_add(r->timer, &tv);
}

/*
 * A root request: copies the argument, arms the deadline.  Caller starts
 * it with req_start(); done is called exactly once.
 */
struct req *
req_new(struct farm_run *f, struct node *n, struct farm_iface *iface,
    struct farm_op *op, const void *arg, size_t arglen, unsigned timeout_ms,
    req_done_cb done, void *done_arg)
{
	struct req	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	TAILQ_INIT(&r->kids);
	r->farm = f;
	r->node = n;
	r->iface = iface;
	r->op = op;
	r->done = done;
	r->done_arg = done_arg;
	if (arglen > 0 && (r->argbuf = req_arg_new(arg, arglen, &r->arg)) ==
	    NULL) {
		free(r);
		return NULL;
	}
	r->arglen = arglen;
	if (timeout_ms == 0)
		timeout_ms = op->timeout_ms != 0 ? op->timeout_ms :
		    f->d->default_timeout_ms;
	if (req_arm(r, now_us() + (uint64_t)timeout_ms * 1000) == -1) {
		if (r->timer != NULL)
			event_free(r->timer);
		if (r->argbuf != NULL)
			proto_lendbuf_release(NULL, 0, r->argbuf);
		free(r);
		return NULL;
	}
	f->calls++;
	return r;
}

static struct req *
req_child(struct req *parent, struct node *n)
{
	struct req	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	TAILQ_INIT(&r->kids);
	r->farm = parent->farm;
	r->node = n;
	r->iface = parent->iface;
	r->op = parent->op;
	r->parent = parent;
	r->arg = parent->arg;
	r->arglen = parent->arglen;
	r->deadline_us = parent->deadline_us;
	r->done = req_child_done;
	r->done_arg = parent;
	TAILQ_INSERT_TAIL(&parent->kids, r, sibling);
	return r;
}

uint32_t
req_remaining_ms(const struct req *r)
{
	uint64_t	now = now_us();

	if (r->deadline_us <= now)
		return 1;
	return (uint32_t)((r->deadline_us - now + 999) / 1000);
}

bool
node_live(const struct node *n)
{
	size_t	i;

	switch (n->kind) {
	case NODE_VM:
	case NODE_REMOTE:
		return n->ops->live(n);
	case NODE_OR:
	case NODE_PAR:
		for (i = 0; i < n->u.comb.n; i++)
			if (node_live(n->u.comb.v[i]))
				return true;
		return false;
	case NODE_REF:
		return n->u.ref.target != NULL && node_live(n->u.ref.target);
	default:
		fatalx("%s: unsupported node kind %d", __func__, n->kind);
	}
}

/* Not live yet, but its partitions are on their way. */
bool
node_coming(const struct node *n)
{
	size_t	i;

	switch (n->kind) {
	case NODE_VM:
	case NODE_REMOTE:
		return n->ops->coming(n);
	case NODE_OR:
	case NODE_PAR:
		for (i = 0; i < n->u.comb.n; i++)
			if (node_coming(n->u.comb.v[i]))
				return true;
		return false;
	case NODE_REF:
		return n->u.ref.target != NULL && node_coming(n->u.ref.target);
	default:
		fatalx("%s: unsupported node kind %d", __func__, n->kind);
	}
}

/* Has r tried branch i of its `or`?  Any number of branches. */
static bool
or_tried(const struct req *r, size_t i)
{
	if (i < 64)
		return (r->tried_mask & ((uint64_t)1 << i)) != 0;
	i -= 64;
	return r->tried_more != NULL &&
	    (r->tried_more[i / 64] & ((uint64_t)1 << (i % 64))) != 0;
}

/* r tries branch i of its `or` (of n): 0, or -1 out of memory. */
static int
or_mark(struct req *r, size_t i, size_t n)
{
	if (i < 64) {
		r->tried_mask |= (uint64_t)1 << i;
		return 0;
	}
	if (r->tried_more == NULL &&
	    (r->tried_more = calloc((n - 64 + 63) / 64, sizeof
	    *r->tried_more)) == NULL)
		return -1;
	i -= 64;
	r->tried_more[i / 64] |= (uint64_t)1 << (i % 64);
	return 0;
}

/*
 * Pick the branch of an `or` for this attempt: among the live branches
 * not yet tried by this request, by the node's policy.  -1 if none.
 */
static int
router_or_pick(struct node *n, struct req *r)
{
	size_t	 i, k, nlive = 0, pick, best = 0;
	int	 found = -1;
	unsigned best_out = 0;

	/* Each policy stops at the branch it takes: a call costs the same
	 * over 2 branches as over 1000 (but random's count of the live). */
	switch (n->u.comb.policy) {
	case FARM_OR_RANDOM:
		for (i = 0; i < n->u.comb.n; i++)
			if (!or_tried(r, i) && node_live(n->u.comb.v[i]))
				nlive++;
		if (nlive == 0)
			return -1;
		pick = arc4random_uniform((uint32_t)nlive);
		for (i = 0, k = 0; i < n->u.comb.n; i++) {
			if (or_tried(r, i) || !node_live(n->u.comb.v[i]))
				continue;
			if (k++ == pick)
				return (int)i;
		}
		break;
	case FARM_OR_ROUNDROBIN:
		for (k = 0; k < n->u.comb.n; k++) {
			i = (n->u.comb.next + k) % n->u.comb.n;
			if (or_tried(r, i) || !node_live(n->u.comb.v[i]))
				continue;
			n->u.comb.next = (unsigned)(i + 1);
			return (int)i;
		}
		break;
	case FARM_OR_LEASTOUT:
		for (k = 0; k < n->u.comb.n; k++) {
			i = (n->u.comb.next + k) % n->u.comb.n;
			if (or_tried(r, i) || !node_live(n->u.comb.v[i]))
				continue;
			if (found == -1 ||
			    n->u.comb.v[i]->outstanding < best_out) {
				found = (int)i;
				best = i;
				best_out = n->u.comb.v[i]->outstanding;
			}
		}
		if (found != -1)
			n->u.comb.next = (unsigned)(best + 1);
		return found;
	case FARM_OR_FAILOVER:
		for (i = 0; i < n->u.comb.n; i++)
			if (!or_tried(r, i) && node_live(n->u.comb.v[i]))
				return (int)i;
		break;
	default:
		fatalx("%s: unsupported mode %d", __func__, n->u.comb.policy);
	}
	return -1;
}

/*
 * No branch is live: the first untried one whose partitions are coming
 * (a balticd restart, a crash restart) takes the call and holds it.
 */
static int
router_or_coming(struct node *n, struct req *r)
{
	size_t	i;

	for (i = 0; i < n->u.comb.n; i++)
		if (!or_tried(r, i) && node_coming(n->u.comb.v[i]))
			return (int)i;
	return -1;
}

/* Is a branch other than i, not tried yet, live or on its way? */
static bool
or_other_left(struct node *n, const struct req *r, size_t i)
{
	size_t	k;

	for (k = 0; k < n->u.comb.n; k++)
		if (k != i && !or_tried(r, k) && (node_live(n->u.comb.v[k]) ||
		    node_coming(n->u.comb.v[k])))
			return true;
	return false;
}

/*
 * The deadline of an attempt at branch i: an idempotent call that another
 * branch could still take gets half of what is left, so that a branch
 * that hangs leaves the other half to the next; any other attempt has the
 * whole call's deadline.
 */
uint64_t
or_branch_deadline(struct node *n, const struct req *r, size_t i,
    uint64_t now)
{
	if (!r->op->idempotent || r->deadline_us <= now ||
	    !or_other_left(n, r, i))
		return r->deadline_us;
	return now + (r->deadline_us - now) / 2;
}

/*
 * Does an `or` pass a failed attempt on to its next branch?  Only when
 * it provably never reached a guest (a dead or cut branch, a channel that
 * would not take the call, a remote that refused the connection, a share
 * of the deadline spent waiting for a partition to come up), or, for an
 * idempotent operation, when the branch failed: its handler failed or
 * answered badly, it refused for overload, or its share of the deadline
 * passed.  A bad argument, an unknown operation or a refusal is the same
 * on every branch: it is the answer.
 */
bool
or_passes(uint32_t status, bool reached, bool idempotent)
{
	switch (status) {
	case BALTIC_E_UNAVAILABLE:
	case BALTIC_E_TIMEOUT:
		return !reached || idempotent;
	case BALTIC_E_OVERLOAD:
	case BALTIC_E_HANDLER:
	case BALTIC_E_BADRESULT:
		return idempotent;
	default:
		return false;
	}
}

static void
or_next(struct req *r)
{
	struct node	*n = r->node;
	struct req	*kid;
	uint64_t	 deadline;
	int		 i;

	if ((i = router_or_pick(n, r)) == -1)
		i = router_or_coming(n, r);
	if (i == -1) {
		if (r->last_err != NULL)
			req_finishf(r, r->last_status, "or: no branch left "
			    "(%zu tried); last: %s", r->tried, r->last_err);
		else
			req_finishf(r, BALTIC_E_UNAVAILABLE,
			    "or: none of %zu branches is live", n->u.comb.n);
		return;
	}
	r->tried++;
	deadline = or_branch_deadline(n, r, (size_t)i, now_us());
	if (or_mark(r, (size_t)i, n->u.comb.n) == -1 ||
	    (kid = req_child(r, n->u.comb.v[i])) == NULL ||
	    (deadline < r->deadline_us && req_arm(kid, deadline) == -1)) {
		req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	kid->branch = (uint32_t)i;
	n->obs.branch_calls[i]++;
	req_start(kid);
}

static bool
par_hedged(const struct node *n)
{
	return n->u.comb.hedge_ms > 0 || n->u.comb.hedge != NULL;
}

static void	par_hedge_fire(evutil_socket_t, short, void *);

/* Fire at r->hedge_us, precisely: the loop's clock may be coarse, and
 * a timer of it early by a tick.  0, or -1 out of memory. */
static int
par_hedge_arm(struct req *r)
{
	uint64_t	now = now_us(), us;
	struct timeval	tv;

	us = r->hedge_us > now ? r->hedge_us - now : 0;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	if (r->hedge_ev == NULL && (r->hedge_ev = evtimer_new(
	    r->farm->d->base, par_hedge_fire, r)) == NULL)
		return -1;
	return evtimer_add(r->hedge_ev, &tv);
}

/*
 * A hedged par sends its next branch (the first, when the call starts)
 * and arms the timer for the one after, if any: a fixed delay, or the
 * estimate of its latency percentile.  r may be finished on return.
 */
static void
par_hedge_next(struct req *r)
{
	struct node	*n = r->node;
	struct req	*kid;
	size_t		 i = r->tried;

	if ((kid = req_child(r, n->u.comb.v[i])) == NULL) {
		req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	kid->branch = (uint32_t)i;
	kid->hedge_us = now_us();
	r->tried++;
	r->running++;
	if (i > 0)
		n->obs.hedged++;
	if (r->tried < n->u.comb.n) {
		r->hedge_us = kid->hedge_us + (n->u.comb.hedge_ms > 0 ?
		    (uint64_t)n->u.comb.hedge_ms * 1000 :
		    hedge_est_delay_us(n->u.comb.hedge));
		if (par_hedge_arm(r) == -1) {
			req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
			return;
		}
	} else if (r->hedge_ev != NULL)
		evtimer_del(r->hedge_ev);
	req_start(kid);
}

/* A branch of `par hedge pN` answered: its latency feeds the estimate
 * (the precise clock: the loop's may tick in milliseconds). */
static void
par_hedge_sample(struct node *n, const struct req *kid)
{
	uint64_t	now = now_us();

	hedge_est_add(n->u.comb.hedge, now > kid->hedge_us ?
	    now - kid->hedge_us : 0);
}

/* The ones sent have not answered within the delay: hedge. */
static void
par_hedge_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct req	*r = arg;

	if (r->finished)
		return;
	if (now_us() < r->hedge_us) {
		if (par_hedge_arm(r) == -1)
			req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	par_hedge_next(r);
}

/*
 * par: every branch at once.  A branch may answer before the next is
 * started (a dead partition fails at once), and the first success ends
 * the request, so the request is held while the loop runs.
 */
static void
par_start(struct req *r)
{
	struct node	 *n = r->node;
	struct req	**kids;
	size_t		  i;

	if (par_hedged(n)) {
		par_hedge_next(r);
		return;
	}
	if ((kids = calloc(n->u.comb.n, sizeof *kids)) == NULL) {
		req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	for (i = 0; i < n->u.comb.n; i++) {
		if ((kids[i] = req_child(r, n->u.comb.v[i])) == NULL) {
			free(kids);
			req_finishf(r, BALTIC_E_INTERNAL, "out of memory");
			return;
		}
		kids[i]->branch = (uint32_t)i;
		r->running++;
	}
	r->hold++;
	for (i = 0; i < n->u.comb.n && !r->finished; i++)
		req_start(kids[i]);
	free(kids);
	req_release(r);
}

/*
 * A request of the tree is about to go to a partition (r->part and
 * r->call_id set): tell the root's watcher (the keeper, for an export
 * call) before it goes.
 */
void
req_progress(struct req *r)
{
	while (r->parent != NULL)
		r = r->parent;
	if (r->progress != NULL)
		r->progress(r, r->progress_arg);
}

/* Call cb for r and every request below it. */
void
req_walk(struct req *r, void (*cb)(struct req *, void *), void *arg)
{
	struct req	*kid;

	cb(r, arg);
	TAILQ_FOREACH(kid, &r->kids, sibling)
		req_walk(kid, cb, arg);
}

/* Start a request at its node.  It may finish before this returns. */
void
req_start(struct req *r)
{
	struct node	*n = r->node;

	r->started = true;
	r->start_us = obs_now_us(r->farm->d->base);
	obs_begin(&n->obs.c);
	if (++n->outstanding > n->outstanding_max)
		n->outstanding_max = n->outstanding;
	switch (n->kind) {
	case NODE_VM:
	case NODE_REMOTE:
		n->ops->send(n, r);
		break;
	case NODE_OR:
		or_next(r);
		break;
	case NODE_PAR:
		par_start(r);
		break;
	case NODE_REF:
		if (n->u.ref.target == NULL) {
			req_finishf(r, BALTIC_E_UNAVAILABLE, "ref: no target");
			break;
		}
		{
			struct req	*kid = req_child(r, n->u.ref.target);

			if (kid == NULL)
				req_finishf(r, BALTIC_E_INTERNAL,
				    "out of memory");
			else
				req_start(kid);
		}
		break;
	default:
		fatalx("%s: unsupported node kind %d", __func__, n->kind);
	}
}

/* A par's branch won: the others still out are cancelled now. */
static void
par_count_win(struct req *r, const struct req *kid)
{
	const struct req	*k;

	r->node->obs.branch_wins[kid->branch]++;
	TAILQ_FOREACH(k, &r->kids, sibling)
		r->node->obs.cancels++;
}

/* A child ended: decide for the parent by the parent's kind. */
static void
req_child_done(struct req *kid, uint32_t status, const void *payload,
    size_t len, void *arg)
{
	struct req	*r = arg;
	bool		 retry;

	if (kid->reached)
		r->reached = true;
	if (status != BALTIC_OK) {
		r->last_status = status;
		free(r->last_err);
		r->last_err = strndup(payload != NULL ? payload : "", len);
	}
	switch (r->node->kind) {
	case NODE_OR:
		retry = status != BALTIC_OK && or_passes(status,
		    kid->reached, r->op->idempotent);
		if (retry) {
			/* (a branch an elastic pool let go is past the end) */
			if (kid->branch < r->node->obs.nbranches)
				r->node->obs.branch_passed[kid->branch]++;
			log_debug("%s: or: retrying after: %.*s",
			    r->farm->name, (int)len, (const char *)payload);
			or_next(r);
		} else
			req_finish(r, status, payload, len);
		break;
	case NODE_PAR:
		if (status == BALTIC_OK) {
			if (r->node->u.comb.hedge != NULL)
				par_hedge_sample(r->node, kid);
			par_count_win(r, kid);
			req_finish(r, status, payload, len);
		} else if (par_hedged(r->node) &&
		    r->tried < r->node->u.comb.n) {
			r->running--;
			par_hedge_next(r);	/* a failure does not wait */
		} else if (--r->running == 0)
			req_finishf(r, status, "par: all %zu branches failed; "
			    "last: %.*s", r->node->u.comb.n, (int)len,
			    (const char *)payload);
		break;
	case NODE_REF:
		req_finish(r, status, payload, len);
		break;
	default:
		fatalx("%s: unsupported parent kind %d", __func__,
		    r->node->kind);
	}
}

/*
 * Take back what the request itself still has out (a CALL on a channel,
 * an HTTP request): when a deadline ends it, the late answer must find
 * nothing to write to.
 */
static void
req_stop_own(struct req *r)
{
	switch (r->node->kind) {
	case NODE_VM:
	case NODE_REMOTE:
		r->node->ops->cancel(r->node, r);
		break;
	default:
		break;
	}
}

static void
req_unlink(struct req *r)
{
	struct req	*kid;

	req_stop_own(r);
	r->finished = true;
	while ((kid = TAILQ_FIRST(&r->kids)) != NULL)
		req_cancel(kid);
	if (r->started && r->node->outstanding > 0)
		r->node->outstanding--;
	if (r->parent != NULL)
		TAILQ_REMOVE(&r->parent->kids, r, sibling);
	if (r->timer != NULL)
		evtimer_del(r->timer);
	if (r->hedge_ev != NULL)
		evtimer_del(r->hedge_ev);
}

/* Count r's end at its node and, for a root, where it entered: an
 * answer with its status (ended), else a cancel. */
static void
req_count_end(struct req *r, bool ended, uint32_t status)
{
	uint64_t	us = 0;
	size_t		i;

	if (ended) {
		us = obs_now_us(r->farm->d->base);
		us = us > r->start_us ? us - r->start_us : 0;
	}
	for (i = 0; i < 2; i++) {
		if (r->obs_at[i] == NULL)
			continue;
		if (ended)
			obs_end(r->obs_at[i], status, us);
		else
			obs_cancel(r->obs_at[i]);
	}
	if (!r->started)
		return;
	if (ended)
		obs_end(&r->node->obs.c, status, us);
	else
		obs_cancel(&r->node->obs.c);
}

/* Free a finished request, or leave it to req_release if it is held. */
static void
req_free(struct req *r)
{
	if (r->hold > 0)
		return;
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->hedge_ev != NULL)
		event_free(r->hedge_ev);
	if (r->argbuf != NULL)
		proto_lendbuf_release(NULL, 0, r->argbuf);
	free(r->last_err);
	free(r->tried_more);
	free(r);
}

void
req_release(struct req *r)
{
	if (--r->hold == 0 && r->finished)
		req_free(r);
}

/*
 * End a request with its one answer: cancel what is still running below
 * it, tell whoever waits, free it.  A second call is ignored.
 */
void
req_finish(struct req *r, uint32_t status, const void *payload, size_t len)
{
	if (r->finished)
		return;
	req_count_end(r, true, status);
	req_unlink(r);
	if (r->parent == NULL && status != BALTIC_OK)
		r->farm->errors++;
	r->done(r, status, payload, len, r->done_arg);
	req_free(r);
}

void
req_finishf(struct req *r, uint32_t status, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	size_t	 len;

	va_start(ap, fmt);
	msg = vstrf(&len, fmt, ap);
	va_end(ap);
	req_finish(r, status, msg, len);
	free(msg);
}

/* Stop a request that is no longer wanted; nobody is told. */
void
req_cancel(struct req *r)
{
	if (r->finished)
		return;
	req_count_end(r, false, 0);
	req_unlink(r);
	req_free(r);
}
