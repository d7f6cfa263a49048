/*
 * obs-graph.c: the names the counters of a farm's nodes go by, and
 * where a root call entered.
 *
 * A node bound to a name is known by it (`s = or(a, b)`: "s"); a
 * partition by its instance name.  A node with no name of its own is
 * named after where it sits: branch i of s is "s.i", the target a ref r
 * was created with "r.target", the one the n-th `baltic set` gave it
 * "r.setN".  Binding names have no dot (farm(5)), so no two nodes share
 * a name.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "daemon/daemon.h"
#include "daemon/obs/obs-walk.h"
#include "log.h"

static void	label_node(struct node *, const char *);

/* The name of a place below the node called at (caller frees). */
static char *
label_below(const char *at, const char *what, size_t i)
{
	char	*s;

	if (what != NULL ? asprintf(&s, "%s.%s", at, what) == -1 :
	    asprintf(&s, "%s.%zu", at, i) == -1)
		fatal("%s", __func__);
	return s;
}

/* What is below n without a name yet, named from n's; a ref's target
 * as what (NULL: "target"). */
static void
label_children(struct node *n, const char *what)
{
	char	*sub;
	size_t	 i;

	switch (n->kind) {
	case NODE_OR:
	case NODE_PAR:
		for (i = 0; i < n->u.comb.n; i++) {
			sub = label_below(n->obs.label, NULL, i);
			label_node(n->u.comb.v[i], sub);
			free(sub);
		}
		break;
	case NODE_REF:
		if (n->u.ref.target == NULL)
			break;
		sub = label_below(n->obs.label, what != NULL ? what :
		    "target", 0);
		label_node(n->u.ref.target, sub);
		free(sub);
		break;
	default:
		break;
	}
}

/* n (a partition: by its instance name) and what is below it, unless
 * it has a name already. */
static void
label_node(struct node *n, const char *label)
{
	if (n->obs.label != NULL)
		return;
	if (n->kind == NODE_VM)
		label = n->u.part->name;
	if ((n->obs.label = strdup(label)) == NULL)
		fatal("%s", __func__);
	label_children(n, NULL);
}

/*
 * Name every node of f not named yet: the bound ones by their binding,
 * then what lies below them, then partitions no binding reaches.  Run
 * when the graph is built and after each rewire: the ref's new target is
 * then "REF.setN" after the n-th `baltic set`.
 */
void
obs_label_graph(struct farm_run *f)
{
	struct node	*n;
	char		 what[32];
	size_t		 i;

	for (i = 0; i < f->farm->nbindings; i++) {
		n = f->bind_nodes[i];
		if (n->obs.label == NULL && n->kind != NODE_VM &&
		    (n->obs.label = strdup(f->farm->bindings[i].name)) == NULL)
			fatal("%s", __func__);
	}
	snprintf(what, sizeof what, "set%zu", f->nset_exprs);
	for (i = 0; i < f->farm->nbindings; i++)
		if (f->bind_nodes[i]->kind != NODE_VM)
			label_children(f->bind_nodes[i], f->nset_exprs > 0 ?
			    what : NULL);
	TAILQ_FOREACH(n, &f->nodes, entry)
		label_node(n, "?");	/* a VM: its own name */
}

/* A root call of f, about to start: counted from now in what, and in
 * where it entered (NULL: nowhere more). */
static void
req_entered(struct req *r, struct obs_calls *what, struct obs_calls *where)
{
	r->start_us = obs_now_us(r->farm->d->base);
	r->obs_at[0] = what;
	r->obs_at[1] = where;
	obs_begin(what);
	if (where != NULL)
		obs_begin(where);
}

/* r entered at export x (HTTP, `baltic call`, or adopted). */
void
req_from_export(struct req *r, struct farm_run_export *x)
{
	req_entered(r, &r->farm->obs_export, &x->obs);
}

/* r is a call p's guest made to one of its imports. */
void
req_from_guest(struct req *r, struct part *p)
{
	req_entered(r, &r->farm->obs_guest, &p->obs_gcalls);
}

/* A request at export x that started no call (a bad path, argument or
 * header), answered with status at once. */
void
obs_refused(struct farm_run *f, struct farm_run_export *x, uint32_t status)
{
	obs_begin(&f->obs_export);
	obs_end(&f->obs_export, status, 0);
	if (x != NULL) {
		obs_begin(&x->obs);
		obs_end(&x->obs, status, 0);
	}
}

const char *
obs_node_kind(const struct node *n)
{
	switch (n->kind) {
	case NODE_VM:
		return "vm";
	case NODE_OR:
		return "or";
	case NODE_PAR:
		return "par";
	case NODE_REF:
		return "ref";
	case NODE_REMOTE:
		return "remote";
	default:
		fatalx("%s: unsupported node kind %d", __func__, n->kind);
	}
}

int
obs_part_usage(struct daemon *d, const struct part *p, struct part_usage *u)
{
	if (d->backend->usage == NULL || p->state == PART_DEAD)
		return -1;
	return d->backend->usage(d->bctx, p, u);
}
