/*
 * graph.c: a checked farm as a running graph of nodes.  Nodes live as
 * long as the farm: a ref rewired by `baltic set` keeps its old target's
 * nodes, so calls in flight there finish where they started.  (Its
 * state in the store is daemon/state.c; its teardown daemon/lifecycle.c.)
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/core/hedge.h"
#include "log.h"
#include "util/util.h"

static struct node *
node_new(struct farm_run *f, enum node_kind kind, struct farm_expr *e)
{
	struct node	*n;

	if ((n = calloc(1, sizeof *n)) == NULL)
		fatal("%s", __func__);
	n->kind = kind;
	n->farm = f;
	n->expr = e;
	TAILQ_INSERT_TAIL(&f->nodes, n, entry);
	return n;
}

static void
node_free(struct node *n)
{
	if (n->ops != NULL && n->ops->dispose != NULL)
		n->ops->dispose(n);
	obs_node_dispose(&n->obs);
	switch (n->kind) {
	case NODE_OR:
	case NODE_PAR:
		free(n->u.comb.v);
		free(n->u.comb.hedge);
		break;
	case NODE_REF:
		free(n->u.ref.text);
		break;
	case NODE_REMOTE:
		free(n->u.remote.url);
		break;
	default:
		break;
	}
	free(n);
}

/* Does p run on this host (not on another of the cluster)? */
bool
part_runs_here(const struct part *p)
{
	const char	*here = p->farm->d->host_name;

	return p->host == NULL || here == NULL || strcmp(p->host, here) == 0;
}

/* The partition of inst, here or on another host; NULL if none. */
static struct part *
graph_inst_part(struct farm_run *f, const struct farm_instance *inst)
{
	struct part	*p;

	TAILQ_FOREACH(p, &f->parts, entry)
		if (p->inst == inst)
			return p;
	TAILQ_FOREACH(p, &f->peer_parts, entry)
		if (p->inst == inst)
			return p;
	return NULL;
}

/* A node for partition p, of vm expression e. */
struct node *
farm_run_part_node(struct farm_run *f, struct part *p, struct farm_expr *e)
{
	struct node	*n = node_new(f, NODE_VM, e);

	n->ops = part_runs_here(p) ? f->d->vm_ops : f->d->peer_ops;
	n->u.part = p;
	return n;
}

/* The node for a checked expression, built once. */
struct node *
farm_run_build(struct farm_run *f, struct farm_expr *e)
{
	struct node	*n;
	struct part	*p;
	size_t		 i, bi;

	switch (e->kind) {
	case FARM_E_NAME:
		bi = (size_t)(e->u.name.target - f->farm->bindings);
		if (f->bind_nodes[bi] == NULL)
			f->bind_nodes[bi] = farm_run_build(f,
			    e->u.name.target->expr);
		return f->bind_nodes[bi];
	case FARM_E_VM:
		if (f->build_parts != NULL)
			p = f->build_parts[e->u.vm.inst - f->farm->instances];
		else
			p = graph_inst_part(f, e->u.vm.inst);
		if (p == NULL)
			fatalx("%s: vm without instance", __func__);
		if (p->node == NULL)
			p->node = farm_run_part_node(f, p, e);
		return p->node;
	case FARM_E_OR:
	case FARM_E_PAR:
		n = node_new(f, e->kind == FARM_E_OR ? NODE_OR : NODE_PAR, e);
		n->u.comb.policy = e->u.comb.policy;
		n->u.comb.n = e->u.comb.nbranches;
		n->u.comb.hedge_ms = e->u.comb.hedge_ms;
		if (e->u.comb.hedge_pct > 0) {
			if ((n->u.comb.hedge = malloc(sizeof
			    *n->u.comb.hedge)) == NULL)
				fatal("%s", __func__);
			hedge_est_init(n->u.comb.hedge, e->u.comb.hedge_pct);
		}
		if ((n->u.comb.v = calloc(n->u.comb.n, sizeof *n->u.comb.v))
		    == NULL)
			fatal("%s", __func__);
		obs_node_init(&n->obs, n->u.comb.n);
		for (i = 0; i < n->u.comb.n; i++)
			n->u.comb.v[i] = farm_run_build(f,
			    e->u.comb.branches[i]);
		return n;
	case FARM_E_REF:
		n = node_new(f, NODE_REF, e);
		n->u.ref.target = farm_run_build(f, e->u.ref.target);
		return n;
	case FARM_E_REMOTE:
		n = node_new(f, NODE_REMOTE, e);
		n->ops = f->d->remote_ops;
		if ((n->u.remote.url = strdup(e->u.remote.url)) == NULL)
			fatal("%s", __func__);
		return n;
	default:
		fatalx("%s: unsupported expression kind %d", __func__,
		    e->kind);
	}
}

/*
 * The running form of checked farm farm of file (which the result owns
 * from now on), built over the partitions make_part makes for its
 * instances (made, not started).
 */
struct farm_run *
graph_new(struct daemon *d, struct farm_file *file, struct farm *farm,
    const char *path, const char *source, size_t len,
    struct part *(*make_part)(struct farm_run *, struct farm_instance *))
{
	struct farm_run	*f;
	struct part	*p;
	size_t		 i;

	if ((f = calloc(1, sizeof *f)) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&f->nodes);
	TAILQ_INIT(&f->parts);
	TAILQ_INIT(&f->peer_parts);
	TAILQ_INIT(&f->retired);
	f->d = d;
	f->file = file;
	f->farm = farm;
	if ((f->name = strdup(farm->name)) == NULL ||
	    (f->path = strdup(path)) == NULL ||
	    (f->source = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(f->source, source, len);
	f->source[len] = '\0';
	f->sourcelen = len;

	for (i = 0; i < farm->ninstances; i++) {
		if ((p = make_part(f, &farm->instances[i])) == NULL)
			fatal("%s", __func__);
		if (part_runs_here(p))
			TAILQ_INSERT_TAIL(&f->parts, p, entry);
		else
			TAILQ_INSERT_TAIL(&f->peer_parts, p, entry);
	}
	if ((f->bind_nodes = calloc(farm->nbindings + 1,
	    sizeof *f->bind_nodes)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < farm->nbindings; i++)
		if (f->bind_nodes[i] == NULL)
			f->bind_nodes[i] = farm_run_build(f,
			    farm->bindings[i].expr);
	TAILQ_FOREACH(p, &f->parts, entry) {
		struct farm_expr *vm = p->inst->vm;

		if ((p->wire_nodes = calloc(vm->u.vm.nwires + 1,
		    sizeof *p->wire_nodes)) == NULL)
			fatal("%s", __func__);
		for (i = 0; i < vm->u.vm.nwires; i++)
			p->wire_nodes[i] = farm_run_build(f,
			    vm->u.vm.wires[i].expr);
	}
	f->nexports = farm->nexports;
	if ((f->exports = calloc(f->nexports + 1, sizeof *f->exports)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < farm->nexports; i++) {
		struct farm_export *x = &farm->exports[i];

		f->exports[i].fe = x;
		f->exports[i].node = f->bind_nodes[x->binding_p -
		    farm->bindings];
	}
	obs_label_graph(f);
	return f;
}

/*
 * Free the graph of f (its nodes, the expressions `baltic set` parsed)
 * and f itself; its partitions, exports and adopted calls are gone.
 */
void
graph_free(struct farm_run *f)
{
	struct node	*n;
	size_t		 i;

	while ((n = TAILQ_FIRST(&f->nodes)) != NULL) {
		TAILQ_REMOVE(&f->nodes, n, entry);
		node_free(n);
	}
	for (i = 0; i < f->nset_exprs; i++)
		farm_expr_free(f->set_exprs[i]);
	free(f->set_exprs);
	for (i = 0; i < f->nold_files; i++)
		farm_file_free(f->old_files[i]);
	free(f->old_files);
	for (i = 0; i < f->nold_exports; i++)
		free(f->old_exports[i]);
	free(f->old_exports);
	free(f->exports);
	free(f->bind_nodes);
	farm_file_free(f->file);
	free(f->source);
	free(f->path);
	free(f->name);
	free(f);
}

/* Keep file, an earlier definition of f, as long as f: its nodes may
 * still carry calls. */
void
graph_keep_file(struct farm_run *f, struct farm_file *file)
{
	struct farm_file	**nv;

	if ((nv = reallocarray(f->old_files, f->nold_files + 1,
	    sizeof *nv)) == NULL)
		fatal("%s", __func__);
	f->old_files = nv;
	f->old_files[f->nold_files++] = file;
}

/* A partition an apply took out, still draining, by name; else NULL. */
struct part *
farm_run_retired(struct farm_run *f, const char *name)
{
	struct part	*p;

	TAILQ_FOREACH(p, &f->retired, entry)
		if (p->state != PART_DEAD && strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* Keep exports, an earlier definition's array, as long as f: the calls
 * in flight that entered there count at them. */
void
graph_keep_exports(struct farm_run *f, struct farm_run_export *exports)
{
	struct farm_run_export	**nv;

	if ((nv = reallocarray(f->old_exports, f->nold_exports + 1,
	    sizeof *nv)) == NULL)
		fatal("%s", __func__);
	f->old_exports = nv;
	f->old_exports[f->nold_exports++] = exports;
}

struct farm_run *
farm_run_find(struct daemon *d, const char *name)
{
	struct farm_run	*f;

	TAILQ_FOREACH(f, &d->farms, entry)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

struct part *
farm_run_part(struct farm_run *f, const char *name)
{
	struct part	*p;

	TAILQ_FOREACH(p, &f->parts, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	/* A replacement (NAME.N) answers to its instance's name too. */
	TAILQ_FOREACH(p, &f->parts, entry)
		if (p->inst != NULL && strcmp(p->inst->name, name) == 0)
			return p;
	return NULL;
}

/*
 * The expression text for ref (a binding of the form `ref e`), parsed
 * and type-checked against every interface the ref is used as; *b_r is
 * the binding.  The expression (caller frees), or NULL with *err_r
 * (caller frees).
 */
static struct farm_expr *
ref_check(struct farm_run *f, const char *ref, const char *text,
    struct farm_binding **b_r, char **err_r)
{
	struct farm_binding	 *b;
	struct farm_iface	**needs = NULL;
	struct farm_expr	 *e = NULL;
	struct farm_diags	  diags;
	size_t			  nneeds, i;

	farm_diags_init(&diags);
	*err_r = NULL;
	if ((b = farm_find_binding(f->farm, ref)) == NULL ||
	    b->expr->kind != FARM_E_REF) {
		if (asprintf(err_r, "farm %s has no ref named %s", f->name,
		    ref) == -1)
			*err_r = NULL;
		goto out;
	}
	*b_r = b;
	nneeds = farm_ref_needs(f->farm, b, &needs);
	e = farm_check_expr(f->file, f->farm, text, needs, nneeds, &diags);
	if (e == NULL || diags.nerrors > 0) {
		*err_r = farm_diags_str(&diags);
		if (*err_r == NULL)
			*err_r = strdup("expression does not check");
		goto fail;
	}
	if (farm_expr_refers_to(e, b)) {
		if (asprintf(err_r, "%s would route through itself", ref) == -1)
			*err_r = NULL;
		goto fail;
	}
	for (i = 0; i < nneeds; i++)
		log_debug("%s: ref %s needs %s", f->name, ref, needs[i]->name);
	goto out;
fail:
	if (e != NULL)
		farm_expr_free(e);
	e = NULL;
out:
	free(needs);
	farm_diags_dispose(&diags);
	return e;
}

int
farm_run_check_ref(struct farm_run *f, const char *ref, const char *text,
    char **err_r)
{
	struct farm_binding	*b;
	struct farm_expr	*e;

	if ((e = ref_check(f, ref, text, &b, err_r)) == NULL)
		return -1;
	farm_expr_free(e);
	return 0;
}

/* The ref of binding b points to the node of e now; text: what it was
 * set to (NULL: its definition). */
static void
ref_point(struct farm_run *f, struct farm_binding *b, struct node *target,
    const char *text)
{
	struct node	*n = f->bind_nodes[b - f->farm->bindings];

	n->u.ref.target = target;
	obs_label_graph(f);
	free(n->u.ref.text);
	n->u.ref.text = NULL;
	if (text != NULL && (n->u.ref.text = strdup(text)) == NULL)
		fatal("%s", __func__);
	log_info("%s: ref %s now points to %s", f->name, b->name,
	    text != NULL ? text : "its definition");
}

/*
 * Rewire ref (a binding of the form `ref e`) to the expression text,
 * type-checked against every interface the ref is used as.  Calls in
 * flight finish on the old target.  0, or -1 with *err_r (caller frees).
 */
int
farm_run_set_ref(struct farm_run *f, const char *ref, const char *text,
    char **err_r)
{
	struct farm_binding	 *b;
	struct farm_expr	 *e, **nv;

	if ((e = ref_check(f, ref, text, &b, err_r)) == NULL)
		return -1;
	if ((nv = reallocarray(f->set_exprs, f->nset_exprs + 1,
	    sizeof *nv)) == NULL)
		fatal("%s", __func__);
	f->set_exprs = nv;
	f->set_exprs[f->nset_exprs++] = e;
	ref_point(f, b, farm_run_build(f, e), text);
	return 0;
}

int
farm_run_reset_ref(struct farm_run *f, const char *ref)
{
	struct farm_binding	*b;

	if ((b = farm_find_binding(f->farm, ref)) == NULL ||
	    b->expr->kind != FARM_E_REF)
		return -1;
	/* Its vm nodes are the farm's own (built once); an or or a par
	 * in it is built anew, with counters from zero. */
	ref_point(f, b, farm_run_build(f, b->expr->u.ref.target), NULL);
	return 0;
}

