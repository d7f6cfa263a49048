/*
 * elastic.c: the pools of elastic `or`s (`or (vm R) elastic MIN to MAX
 * grow G idle S`, baltic.farm(5)).
 *
 * A pool is the or's node: its branches are the partitions of its one
 * vm instance, the first created with the farm, the others here, named
 * INSTANCE.N.  Every POOL_SAMPLE_MS the calls outstanding at its
 * branches are sampled; every second (POOL_SAMPLES samples) the pool
 * grows by one partition when it is below MIN, or when the calls
 * outstanding per ready partition averaged G or more and none is still
 * starting; it shrinks by one when it is above MIN and has averaged
 * under half a call per partition for S seconds.  A partition the pool
 * lets go leaves the or at once (no new call reaches it), drains the
 * calls it has, and is destroyed (apply.c's farm_run_drain).
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "daemon/apply.h"
#include "daemon/daemon.h"
#include "daemon/obs/obs.h"
#include "log.h"

#define POOL_SAMPLE_MS	100
#define POOL_SAMPLES	10		/* a decision per second */

struct pool {
	struct node	*n;		/* the or */
	char		*name;		/* its binding, or its instance */
	uint64_t	 sum;		/* outstanding, this second's samples */
	unsigned	 nsamples;
	unsigned	 nready;	/* ready partitions, summed likewise */
	uint64_t	 idle_since_us;	/* 0: not idle */
	char		*why;		/* the last change, and why */
};

static const struct farm_expr *
pool_expr(const struct pool *pl)
{
	return pl->n->expr;
}

static void
pool_set_why(struct pool *pl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pool_set_why(struct pool *pl, const char *fmt, ...)
{
	va_list	ap;

	free(pl->why);
	va_start(ap, fmt);
	if (vasprintf(&pl->why, fmt, ap) == -1)
		pl->why = NULL;
	va_end(ap);
	log_info("%s: pool %s: %s", pl->n->farm->name, pl->name,
	    pl->why != NULL ? pl->why : "?");
}

/* One partition more, made like the first, wired like it. */
static void
pool_grow(struct pool *pl)
{
	struct farm_run	*f = pl->n->farm;
	struct daemon	*d = f->d;
	struct part	*first = pl->n->u.comb.v[0]->u.part, *p;
	struct node	**nv;
	char		*name, *err = NULL;
	size_t		 nw = first->inst->vm->u.vm.nwires;

	name = apply_fresh_name(f, first->inst);
	if ((p = part_new_named(f, first->inst, name)) == NULL ||
	    (p->wire_nodes = calloc(nw + 1, sizeof *p->wire_nodes)) == NULL ||
	    (nv = reallocarray(pl->n->u.comb.v, pl->n->u.comb.n + 1,
	    sizeof *nv)) == NULL)
		fatal("%s", __func__);
	free(name);
	memcpy(p->wire_nodes, first->wire_nodes, nw * sizeof *p->wire_nodes);
	p->node = farm_run_part_node(f, p, first->node->expr);
	TAILQ_INSERT_TAIL(&f->parts, p, entry);
	if (d->backend->create(d->bctx, p, &err) == -1) {
		log_warnx("%s: pool %s: %s: %s", f->name, pl->name, p->name,
		    err != NULL ? err : "cannot create");
		free(err);
		TAILQ_REMOVE(&f->parts, p, entry);
		p->retired = true;
		TAILQ_INSERT_TAIL(&f->retired, p, entry);
		return;
	}
	pl->n->u.comb.v = nv;
	nv[pl->n->u.comb.n++] = p->node;
	obs_node_resize(&pl->n->obs, pl->n->u.comb.n);
	obs_label_graph(f);
	farm_run_save(f);
}

/* One partition fewer: the last one leaves the or, drains, goes. */
static void
pool_shrink(struct pool *pl)
{
	struct farm_run	*f = pl->n->farm;
	struct part	*p = pl->n->u.comb.v[--pl->n->u.comb.n]->u.part;

	obs_node_resize(&pl->n->obs, pl->n->u.comb.n);
	TAILQ_REMOVE(&f->parts, p, entry);
	p->retired = true;
	TAILQ_INSERT_TAIL(&f->retired, p, entry);
	farm_run_save(f);
	farm_run_drain(f);
}

/* A second's samples: grow, shrink, or neither. */
static void
pool_decide(struct pool *pl, uint64_t now)
{
	const struct farm_expr	*e = pool_expr(pl);
	size_t			 i, n = pl->n->u.comb.n;
	bool			 starting = false;
	double			 avg;

	for (i = 0; i < n; i++)
		starting |= pl->n->u.comb.v[i]->u.part->state ==
		    PART_STARTING;
	avg = (double)pl->sum / (pl->nready > 0 ? pl->nready : 1);
	pl->sum = 0;
	pl->nsamples = pl->nready = 0;
	if (n < e->u.comb.pool_min) {
		pool_grow(pl);
		pool_set_why(pl, "grew to %zu: below its smallest size",
		    pl->n->u.comb.n);
	} else if (avg >= e->u.comb.pool_grow && n < e->u.comb.pool_max &&
	    !starting) {
		pool_grow(pl);
		pool_set_why(pl, "grew to %zu: %.1f calls outstanding per "
		    "partition over 1 s (grows at %u)", pl->n->u.comb.n, avg,
		    e->u.comb.pool_grow);
	} else if (avg < 0.5 && n > e->u.comb.pool_min) {
		if (pl->idle_since_us == 0)
			pl->idle_since_us = now;
		else if (now - pl->idle_since_us >=
		    e->u.comb.pool_idle_s * 1000000ULL) {
			pool_shrink(pl);
			pool_set_why(pl, "shrank to %zu: under half a call "
			    "outstanding per partition for %u s",
			    pl->n->u.comb.n, e->u.comb.pool_idle_s);
			pl->idle_since_us = now;
		}
		return;
	}
	pl->idle_since_us = 0;
}

static void
pool_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct farm_run	*f = arg;
	struct timeval	 tv = { 0, POOL_SAMPLE_MS * 1000 };
	struct pool	*pl;
	uint64_t	 now = now_us();
	size_t		 i, j;

	for (i = 0; i < f->npools; i++) {
		pl = f->pools[i];
		for (j = 0; j < pl->n->u.comb.n; j++) {
			pl->sum += pl->n->u.comb.v[j]->outstanding;
			pl->nready += pl->n->u.comb.v[j]->u.part->state ==
			    PART_READY;
		}
		if (++pl->nsamples == POOL_SAMPLES && !f->dying &&
		    f->applying == NULL)
			pool_decide(pl, now);
		else if (pl->nsamples >= POOL_SAMPLES)
			pl->sum = pl->nsamples = pl->nready = 0;
	}
	evtimer_add(f->pool_ev, &tv);
}

void
elastic_free(struct farm_run *f)
{
	size_t	i;

	for (i = 0; i < f->npools; i++) {
		free(f->pools[i]->name);
		free(f->pools[i]->why);
		free(f->pools[i]);
	}
	free(f->pools);
	f->pools = NULL;
	f->npools = 0;
	if (f->pool_ev != NULL)
		event_free(f->pool_ev);
	f->pool_ev = NULL;
}

/* The elastic ors reached from n, added to f's pools once each. */
static void
elastic_find(struct farm_run *f, struct node *n, const char *name)
{
	struct pool	*pl;
	size_t		 i;

	switch (n->kind) {
	case NODE_OR:
	case NODE_PAR:
		for (i = 0; i < n->u.comb.n; i++)
			elastic_find(f, n->u.comb.v[i], name);
		if (n->kind != NODE_OR || n->expr->u.comb.pool_max == 0 ||
		    n->u.comb.n == 0 || n->u.comb.v[0]->kind != NODE_VM)
			return;
		for (i = 0; i < f->npools; i++)
			if (f->pools[i]->n == n)
				return;
		if ((pl = calloc(1, sizeof *pl)) == NULL ||
		    (pl->name = strdup(name)) == NULL ||
		    (f->pools = reallocarray(f->pools, f->npools + 1,
		    sizeof *f->pools)) == NULL)
			fatal("%s", __func__);
		pl->n = n;
		f->pools[f->npools++] = pl;
		break;
	case NODE_REF:
		elastic_find(f, n->u.ref.target, name);
		break;
	default:
		break;
	}
}

/*
 * The pools of f's graph (again, after an apply), their ticks started;
 * a pool below its smallest size grows to it at once.
 */
void
elastic_start(struct farm_run *f)
{
	struct pool	*pl;
	size_t		 i;

	elastic_free(f);
	for (i = 0; i < f->farm->nbindings; i++)
		elastic_find(f, f->bind_nodes[i], f->farm->bindings[i].name);
	for (i = 0; i < f->npools; i++) {
		pl = f->pools[i];
		while (pl->n->u.comb.n < pool_expr(pl)->u.comb.pool_min) {
			pool_grow(pl);
			pool_set_why(pl, "grew to %zu: its smallest size",
			    pl->n->u.comb.n);
		}
	}
	if (f->npools > 0 && (f->pool_ev = evtimer_new(f->d->base, pool_tick,
	    f)) != NULL)
		event_active(f->pool_ev, EV_TIMEOUT, 0);
}

/* Pool i of f: its name, size and last change (for `baltic list`). */
const char *
elastic_pool(const struct farm_run *f, size_t i, size_t *size_r,
    unsigned *min_r, unsigned *max_r, const char **why_r)
{
	const struct pool	*pl = f->pools[i];

	*size_r = pl->n->u.comb.n;
	*min_r = pool_expr(pl)->u.comb.pool_min;
	*max_r = pool_expr(pl)->u.comb.pool_max;
	*why_r = pl->why;
	return pl->name;
}
