/*
 * farmrt.c: a checked farm as a running graph of nodes, and its state in
 * the store.  Nodes live as long as the farm: a ref rewired by `baltic
 * set` keeps its old target's nodes, so calls in flight there finish
 * where they started.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

static struct node *
node_new(struct dfarm *f, enum node_kind kind, struct farm_expr *e)
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
	switch (n->kind) {
	case NODE_OR:
	case NODE_PAR:
		free(n->u.comb.v);
		break;
	case NODE_REF:
		free(n->u.ref.text);
		break;
	case NODE_REMOTE:
		http_remote_dispose(n);
		free(n->u.remote.url);
		break;
	default:
		break;
	}
	free(n);
}

/* The node for a checked expression, built once. */
struct node *
dfarm_build(struct dfarm *f, struct farm_expr *e)
{
	struct node	*n;
	struct part	*p;
	size_t		 i, bi;

	switch (e->kind) {
	case FARM_E_NAME:
		bi = (size_t)(e->u.name.target - f->farm->bindings);
		if (f->bind_nodes[bi] == NULL)
			f->bind_nodes[bi] = dfarm_build(f,
			    e->u.name.target->expr);
		return f->bind_nodes[bi];
	case FARM_E_VM:
		TAILQ_FOREACH(p, &f->parts, entry)
			if (p->inst == e->u.vm.inst)
				break;
		if (p == NULL)
			fatalx("%s: vm without instance", __func__);
		if (p->node == NULL) {
			p->node = node_new(f, NODE_VM, e);
			p->node->u.part = p;
		}
		return p->node;
	case FARM_E_OR:
	case FARM_E_PAR:
		n = node_new(f, e->kind == FARM_E_OR ? NODE_OR : NODE_PAR, e);
		n->u.comb.policy = e->u.comb.policy;
		n->u.comb.n = e->u.comb.nbranches;
		if ((n->u.comb.v = calloc(n->u.comb.n, sizeof *n->u.comb.v))
		    == NULL)
			fatal("%s", __func__);
		for (i = 0; i < n->u.comb.n; i++)
			n->u.comb.v[i] = dfarm_build(f, e->u.comb.branches[i]);
		return n;
	case FARM_E_REF:
		n = node_new(f, NODE_REF, e);
		n->u.ref.target = dfarm_build(f, e->u.ref.target);
		return n;
	case FARM_E_REMOTE:
		n = node_new(f, NODE_REMOTE, e);
		if ((n->u.remote.url = strdup(e->u.remote.url)) == NULL)
			fatal("%s", __func__);
		return n;
	default:
		fatalx("%s: unsupported expression kind %d", __func__,
		    e->kind);
	}
}

/*
 * The running form of checked farm f of file (which the result owns from
 * now on).  Partitions are made but not started.
 */
struct dfarm *
dfarm_new(struct daemon *d, struct farm_file *file, struct farm *farm,
    const char *path, const char *source, size_t len)
{
	struct dfarm	*f;
	struct part	*p;
	size_t		 i;

	if ((f = calloc(1, sizeof *f)) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&f->nodes);
	TAILQ_INIT(&f->parts);
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
		if ((p = part_new(f, &farm->instances[i])) == NULL)
			fatal("%s", __func__);
		TAILQ_INSERT_TAIL(&f->parts, p, entry);
	}
	if ((f->bind_nodes = calloc(farm->nbindings + 1,
	    sizeof *f->bind_nodes)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < farm->nbindings; i++)
		if (f->bind_nodes[i] == NULL)
			f->bind_nodes[i] = dfarm_build(f,
			    farm->bindings[i].expr);
	TAILQ_FOREACH(p, &f->parts, entry) {
		struct farm_expr *vm = p->inst->vm;

		if ((p->wire_nodes = calloc(vm->u.vm.nwires + 1,
		    sizeof *p->wire_nodes)) == NULL)
			fatal("%s", __func__);
		for (i = 0; i < vm->u.vm.nwires; i++)
			p->wire_nodes[i] = dfarm_build(f,
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
	return f;
}

/* Free a farm whose partitions are already destroyed. */
void
dfarm_free(struct dfarm *f)
{
	struct node	*n;
	struct part	*p;
	size_t		 i;

	if (f == NULL)
		return;
	adopt_farm_gone(f);
	for (i = 0; i < f->nexports; i++)
		export_stop(&f->exports[i]);
	while ((p = TAILQ_FIRST(&f->parts)) != NULL) {
		TAILQ_REMOVE(&f->parts, p, entry);
		if (p->bdata != NULL && f->d->backend->forget != NULL)
			f->d->backend->forget(f->d->bctx, p);
		part_free(p);
	}
	while ((n = TAILQ_FIRST(&f->nodes)) != NULL) {
		TAILQ_REMOVE(&f->nodes, n, entry);
		node_free(n);
	}
	for (i = 0; i < f->nset_exprs; i++)
		farm_expr_free(f->set_exprs[i]);
	free(f->set_exprs);
	free(f->exports);
	free(f->bind_nodes);
	farm_file_free(f->file);
	free(f->source);
	free(f->path);
	free(f->name);
	free(f);
}

struct dfarm *
dfarm_find(struct daemon *d, const char *name)
{
	struct dfarm	*f;

	TAILQ_FOREACH(f, &d->farms, entry)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

struct part *
dfarm_part(struct dfarm *f, const char *name)
{
	struct part	*p;

	TAILQ_FOREACH(p, &f->parts, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/*
 * Rewire ref (a binding of the form `ref e`) to the expression text,
 * type-checked against every interface the ref is used as.  Calls in
 * flight finish on the old target.  0, or -1 with *err_r (caller frees).
 */
int
dfarm_set_ref(struct dfarm *f, const char *ref, const char *text,
    char **err_r)
{
	struct farm_binding	 *b;
	struct farm_iface	**needs = NULL;
	struct farm_expr	 *e = NULL, **nv;
	struct farm_diags	  diags;
	struct node		 *n, *target;
	size_t			  nneeds, i;
	int			  rc = -1;

	farm_diags_init(&diags);
	*err_r = NULL;
	if ((b = farm_find_binding(f->farm, ref)) == NULL ||
	    b->expr->kind != FARM_E_REF) {
		if (asprintf(err_r, "farm %s has no ref named %s", f->name,
		    ref) == -1)
			*err_r = NULL;
		goto out;
	}
	n = f->bind_nodes[b - f->farm->bindings];
	nneeds = farm_ref_needs(f->farm, b, &needs);
	e = farm_check_expr(f->file, f->farm, text, needs, nneeds, &diags);
	if (e == NULL || diags.nerrors > 0) {
		*err_r = farm_diags_str(&diags);
		if (*err_r == NULL)
			*err_r = strdup("expression does not check");
		goto out;
	}
	if (farm_expr_refers_to(e, b)) {
		if (asprintf(err_r, "%s would route through itself", ref) == -1)
			*err_r = NULL;
		goto out;
	}
	if ((nv = reallocarray(f->set_exprs, f->nset_exprs + 1,
	    sizeof *nv)) == NULL)
		fatal("%s", __func__);
	f->set_exprs = nv;
	f->set_exprs[f->nset_exprs++] = e;
	target = dfarm_build(f, e);
	e = NULL;
	n->u.ref.target = target;
	free(n->u.ref.text);
	if ((n->u.ref.text = strdup(text)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < nneeds; i++)
		log_debug("%s: ref %s needs %s", f->name, ref, needs[i]->name);
	log_info("%s: ref %s now points to %s", f->name, ref, text);
	rc = 0;
out:
	if (e != NULL)
		farm_expr_free(e);
	free(needs);
	farm_diags_dispose(&diags);
	return rc;
}

/* ---- state ------------------------------------------------------------ */

static void
gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/*
 * Write the farm's state to the store: its source, the path it came
 * from, each partition's pid/domid/state, each ref's target.  Written
 * before the daemon acts on it, so a restarted balticd finds everything.
 */
int
dfarm_save(struct dfarm *f)
{
	struct daemon		*d = f->d;
	yajl_gen		 g;
	const unsigned char	*buf;
	size_t			 len, i;
	struct part		*p;
	char			 key[256];
	int			 rc = -1;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return -1;
	yajl_gen_map_open(g);
	gen_str(g, "path");
	gen_str(g, f->path);
	gen_str(g, "partitions");
	yajl_gen_map_open(g);
	TAILQ_FOREACH(p, &f->parts, entry) {
		gen_str(g, p->name);
		yajl_gen_map_open(g);
		gen_str(g, "pid");
		yajl_gen_integer(g, p->pid);
		gen_str(g, "domid");
		yajl_gen_integer(g, p->domid);
		gen_str(g, "cut");
		yajl_gen_bool(g, p->state == PART_CUT);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	gen_str(g, "refs");
	yajl_gen_map_open(g);
	for (i = 0; i < f->farm->nbindings; i++) {
		struct node *n = f->bind_nodes[i];

		if (n->kind == NODE_REF && n->u.ref.text != NULL) {
			gen_str(g, f->farm->bindings[i].name);
			gen_str(g, n->u.ref.text);
		}
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);

	snprintf(key, sizeof key, "farms/%s/source", f->name);
	if (d->store->put(d->sctx, key, f->source, f->sourcelen) == -1)
		goto out;
	snprintf(key, sizeof key, "farms/%s/state", f->name);
	if (d->store->put(d->sctx, key, buf, len) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		log_warn("%s: cannot write state", f->name);
	yajl_gen_free(g);
	return rc;
}

int
dfarm_forget(struct dfarm *f)
{
	char	key[256];

	snprintf(key, sizeof key, "farms/%s", f->name);
	return f->d->store->del(f->d->sctx, key);
}

/* Bring one stored farm back: its graph, refs and live partitions. */
static int
daemon_restore_farm(struct daemon *d, const char *name)
{
	char			 key[256], *src = NULL, *st = NULL, *err = NULL;
	size_t			 srclen, stlen, i;
	yajl_val		 tree = NULL, parts, refs, pv;
	struct farm_diags	 diags;
	struct farm_file	*file = NULL;
	struct farm		*farm;
	struct dfarm		*f;
	struct part		*p;
	const char		*path, *rpath[] = { "refs", NULL };
	const char		*ppath[] = { "partitions", NULL };
	char			 ebuf[256];
	int			 rc = -1;

	farm_diags_init(&diags);
	snprintf(key, sizeof key, "farms/%s/source", name);
	if (d->store->get(d->sctx, key, &src, &srclen) == -1)
		goto out;
	snprintf(key, sizeof key, "farms/%s/state", name);
	if (d->store->get(d->sctx, key, &st, &stlen) == -1)
		goto out;
	if ((tree = yajl_tree_parse(st, ebuf, sizeof ebuf)) == NULL ||
	    (path = json_str(tree, "path")) == NULL)
		goto out;
	file = farm_parse(path, src, srclen, &diags);
	if (farm_check(file, &diags) > 0 ||
	    (farm = farm_find_farm(file, name)) == NULL)
		goto out;
	f = dfarm_new(d, file, farm, path, src, srclen);
	file = NULL;
	f->restored_us = d->started_us;
	TAILQ_INSERT_TAIL(&d->farms, f, entry);
	if ((refs = yajl_tree_get(tree, rpath, yajl_t_object)) != NULL) {
		for (i = 0; i < refs->u.object.len; i++) {
			const char *t = YAJL_GET_STRING(refs->u.object.values[i]);

			if (t != NULL && dfarm_set_ref(f,
			    refs->u.object.keys[i], t, &err) == -1) {
				log_warnx("%s: ref %s: %s", name,
				    refs->u.object.keys[i], err);
				free(err);
				err = NULL;
			}
		}
	}
	parts = yajl_tree_get(tree, ppath, yajl_t_object);
	TAILQ_FOREACH(p, &f->parts, entry) {
		const char	*pp[] = { p->name, NULL };

		pv = parts != NULL ? yajl_tree_get(parts, pp, yajl_t_object) :
		    NULL;
		if (pv == NULL)
			continue;
		p->pid = (pid_t)json_int(pv, "pid", 0);
		p->domid = (int)json_int(pv, "domid", -1);
		if (json_true(pv, "cut")) {
			/* Cut: it waits for paste (local: a stopped
			 * process; xen: a saved image, no domain). */
			p->state = PART_CUT;
			if (d->backend->reattach(d->bctx, p, &err) == -1)
				free(err);
			err = NULL;
			log_info("%s: cut; waits for paste", p->name);
			continue;
		}
		if (d->backend->reattach(d->bctx, p, &err) == -1) {
			log_warnx("%s: cannot re-attach: %s", p->name,
			    err != NULL ? err : "gone");
			free(err);
			err = NULL;
			part_died(p, "not found after daemon restart");
		} else
			log_info("%s: re-attached", p->name);
	}
	for (i = 0; i < f->nexports; i++) {
		if (export_start(f, &f->exports[i], &err) == -1) {
			log_warnx("%s: %s", name, err);
			free(err);
			err = NULL;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		log_warnx("farm %s: stored state unusable; left alone", name);
	yajl_tree_free(tree);
	farm_file_free(file);
	farm_diags_dispose(&diags);
	free(src);
	free(st);
	return rc;
}

/*
 * At start: re-attach to every farm the store knows, with the listening
 * sockets and the calls in flight the keeper holds, if one runs.
 */
int
daemon_restore(struct daemon *d)
{
	char	**names = NULL;
	size_t	  n = 0, i;

	keep_fetch(d);
	if (d->store->list(d->sctx, "farms", &names, &n) == -1)
		n = 0;
	for (i = 0; i < n; i++) {
		if (dfarm_find(d, names[i]) == NULL)
			daemon_restore_farm(d, names[i]);
		free(names[i]);
	}
	free(names);
	adopt_calls(d);
	return 0;
}
