/*
 * farm-resolve.c: name resolution for the checker.  Each name is
 * looked up, and an unknown one reported with the nearest known name
 * as a suggestion; a vm's wires are matched with its role's imports;
 * bindings that refer to themselves through names are reported.
 */
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

/* ---- suggestions ------------------------------------------------------- */

#define EDIT_NAME_MAX	64	/* longer names get no suggestion */

static unsigned
edit_distance(const char *a, const char *b)
{
	size_t		 la = strlen(a), lb = strlen(b), i, j;
	unsigned	 row[EDIT_NAME_MAX + 1], prev, tmp, best;

	if (la > EDIT_NAME_MAX || lb > EDIT_NAME_MAX)
		return 100;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

void
farm_suggest_init(struct farm_suggest *s, const char *name)
{
	s->name = name;
	s->best = NULL;
	/* Distance allowed, plus one: no guess at very short names. */
	s->dist = strlen(name) <= 2 ? 1 : strlen(name) <= 4 ? 2 : 3;
}

void
farm_suggest_try(struct farm_suggest *s, const char *cand)
{
	size_t		la = strlen(s->name), lb = strlen(cand);
	unsigned	d;

	/* The distance is at least the difference in length. */
	if ((la > lb ? la - lb : lb - la) >= s->dist)
		return;
	d = edit_distance(s->name, cand);
	if (d < s->dist) {
		s->dist = d;
		s->best = cand;
	}
}

/* " (did you mean 'X'?)" or ""; static storage, one at a time. */
const char *
farm_suggest_str(const struct farm_suggest *s)
{
	static char	buf[128];

	if (s->best == NULL)
		return "";
	snprintf(buf, sizeof buf, " (did you mean '%.80s'?)", s->best);
	return buf;
}

struct farm_iface *
farm_resolve_iface(struct farm_ck *ck, const char *name,
    const struct farm_loc *loc)
{
	struct farm_iface	*i;
	struct farm_suggest		 s;
	size_t			 j;

	if ((i = farm_find_iface(ck->ff, name)) != NULL)
		return i;
	farm_suggest_init(&s, name);
	for (j = 0; j < ck->ff->nifaces; j++)
		farm_suggest_try(&s, ck->ff->ifaces[j].name);
	farm_diag(ck->d, loc, FARM_ERROR, "unknown interface '%s'%s", name,
	    farm_suggest_str(&s));
	return NULL;
}

struct farm_role *
farm_find_role(const struct farm_file *ff, const char *name)
{
	size_t	j;

	for (j = 0; j < ff->nroles; j++)
		if (strcmp(ff->roles[j].name, name) == 0)
			return &ff->roles[j];
	return NULL;
}

/* ---- resolving a farm's names ------------------------------------------ */

static void
unknown_binding(struct farm_ck *ck, const struct farm_expr *e)
{
	const char	*name = e->u.name.name;
	struct farm_suggest	 s;
	size_t		 j;

	if (farm_find_role(ck->ff, name) != NULL) {
		farm_diag(ck->d, &e->loc, FARM_ERROR, "'%s' is a role, not a "
		    "binding (write 'vm %s' for an instance of it)", name,
		    name);
		return;
	}
	if (farm_find_iface(ck->ff, name) != NULL) {
		farm_diag(ck->d, &e->loc, FARM_ERROR, "'%s' is an interface, "
		    "not a binding of farm '%s'", name, ck->f->name);
		return;
	}
	farm_suggest_init(&s, name);
	for (j = 0; j < ck->f->nbindings; j++)
		farm_suggest_try(&s, ck->f->bindings[j].name);
	farm_diag(ck->d, &e->loc, FARM_ERROR, "unknown binding '%s' in farm "
	    "'%s'%s", name, ck->f->name, farm_suggest_str(&s));
}

static void
check_url(struct farm_ck *ck, const char *url,
    const struct farm_loc *loc)
{
	const char	*why;

	if (farm_parse_url(url, NULL, NULL, NULL, &why) == -1)
		farm_diag(ck->d, loc, FARM_ERROR, "bad URL \"%s\": %s "
		    "(expected \"http[s]://host:port[/path]\")", url, why);
}

static void
resolve_vm(struct farm_ck *ck, struct farm_expr *e)
{
	struct farm_role	*r;
	struct farm_wire	*w;
	struct farm_suggest		 s;
	size_t			 i, j;
	bool			 bound, unknown = false;

	r = e->u.vm.role_p = farm_find_role(ck->ff, e->u.vm.role);
	if (r == NULL) {
		farm_suggest_init(&s, e->u.vm.role);
		for (i = 0; i < ck->ff->nroles; i++)
			farm_suggest_try(&s, ck->ff->roles[i].name);
		farm_diag(ck->d, &e->u.vm.role_loc, FARM_ERROR, "unknown role "
		    "'%s'%s", e->u.vm.role, farm_suggest_str(&s));
	}
	for (i = 0; i < e->u.vm.nwires; i++) {
		w = &e->u.vm.wires[i];
		for (j = 0; j < i; j++)
			if (strcmp(e->u.vm.wires[j].import, w->import) == 0)
				break;
		if (j < i)
			farm_diag(ck->d, &w->loc, FARM_ERROR, "import '%s' is "
			    "wired twice (first on line %u)", w->import,
			    e->u.vm.wires[j].loc.line);
		w->iface = farm_resolve_iface(ck, w->import, &w->loc);
		if (w->iface == NULL)
			unknown = true;
		if (w->iface == NULL || r == NULL || r->incomplete)
			continue;
		for (j = 0; j < r->nimports; j++)
			if (r->imports[j].iface == w->iface)
				break;
		if (j == r->nimports) {
			farm_diag(ck->d, &w->loc, FARM_ERROR, "role '%s' does "
			    "not import %s, so it cannot be wired", r->name,
			    w->import);
			w->iface = NULL;	/* no further check */
		}
	}
	/* A misspelt wire was meant for an import: not unbound as well. */
	if (r == NULL || r->incomplete || unknown)
		return;
	for (j = 0; j < r->nimports; j++) {
		if (r->imports[j].iface == NULL)
			continue;
		for (i = 0; i < j; i++)
			if (r->imports[i].iface == r->imports[j].iface)
				break;
		if (i < j)
			continue;
		bound = false;
		for (i = 0; i < e->u.vm.nwires; i++)
			if (e->u.vm.wires[i].iface == r->imports[j].iface)
				bound = true;
		if (!bound)
			farm_diag(ck->d, &e->loc, FARM_ERROR, "vm %s leaves "
			    "import %s unbound (add { %s = ... })", r->name,
			    r->imports[j].name, r->imports[j].name);
	}
}

void
farm_resolve_expr(struct farm_ck *ck, struct farm_expr *e)
{
	const char	*what;
	size_t		 i;

	if (e == NULL)
		return;
	switch (e->kind) {
	case FARM_E_NAME:
		e->u.name.target = farm_find_binding(ck->f, e->u.name.name);
		if (e->u.name.target == NULL)
			unknown_binding(ck, e);
		else
			e->u.name.target->uses++;
		break;
	case FARM_E_VM:
		resolve_vm(ck, e);
		for (i = 0; i < e->u.vm.nwires; i++)
			farm_resolve_expr(ck, e->u.vm.wires[i].expr);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		what = e->kind == FARM_E_OR ? "or" : "par";
		if (e->u.comb.pool_loc.line != 0) {	/* elastic */
			if (e->u.comb.nbranches != 1 ||
			    e->u.comb.branches[0]->kind != FARM_E_VM)
				farm_diag(ck->d, &e->u.comb.pool_loc,
				    FARM_ERROR, "an elastic or needs one vm "
				    "branch: the instance its pool is made of");
			if (e->u.comb.pool_max > 0 &&
			    e->u.comb.pool_min > e->u.comb.pool_max)
				farm_diag(ck->d, &e->u.comb.pool_loc,
				    FARM_ERROR, "elastic %u to %u: the smallest "
				    "size is larger than the largest",
				    e->u.comb.pool_min, e->u.comb.pool_max);
		} else if (e->u.comb.hedge_loc.line != 0 &&
		    e->u.comb.nbranches == 1)
			farm_diag(ck->d, &e->u.comb.hedge_loc, FARM_ERROR,
			    "a hedged par needs two branches or more: there "
			    "is nothing to hedge with");
		else if (e->u.comb.nbranches == 0)
			farm_diag(ck->d, &e->loc, FARM_ERROR, "%s() has no "
			    "branch (it needs at least two)", what);
		else if (e->u.comb.nbranches == 1)
			farm_diag(ck->d, &e->loc, FARM_WARNING, "%s with a "
			    "single branch is just that branch", what);
		for (i = 0; i < e->u.comb.nbranches; i++)
			farm_resolve_expr(ck, e->u.comb.branches[i]);
		break;
	case FARM_E_REF:
		farm_resolve_expr(ck, e->u.ref.target);
		break;
	case FARM_E_REMOTE:
		e->u.remote.iface_p = farm_resolve_iface(ck, e->u.remote.iface,
		    &e->u.remote.iface_loc);
		if (!e->u.remote.url_bad)
			check_url(ck, e->u.remote.url, &e->u.remote.url_loc);
		if (e->u.remote.ca != NULL &&
		    strncmp(e->u.remote.url, "https://", 8) != 0)
			farm_diag(ck->d, &e->u.remote.ca_loc, FARM_ERROR, "'ca' "
			    "is for an https:// URL");
		break;
	}
}

/* ---- cycles, and what refers to what ----------------------------------- */

/* Call fn for each binding e routes to without crossing a vm. */
static void
route_names(struct farm_expr *e, void (*fn)(struct farm_expr *, void *),
    void *arg)
{
	size_t	i;

	if (e == NULL)
		return;
	switch (e->kind) {
	case FARM_E_NAME:
		if (e->u.name.target != NULL)
			fn(e, arg);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		for (i = 0; i < e->u.comb.nbranches; i++)
			route_names(e->u.comb.branches[i], fn, arg);
		break;
	case FARM_E_REF:
		route_names(e->u.ref.target, fn, arg);
		break;
	case FARM_E_VM:
	case FARM_E_REMOTE:
		break;
	}
}

struct cyc {
	struct farm_ck	*ck;
	int		*color;
	bool		*reported;
	size_t		*stack;
	size_t		 nstack;
};

static void	cycle_visit(struct cyc *, size_t);

static void
cycle_edge(struct farm_expr *e, void *arg)
{
	struct cyc	*c = arg;
	struct farm	*f = c->ck->f;
	size_t		 t = e->u.name.target - f->bindings, i, k;
	char		*path, *tmp;

	if (c->color[t] == FARM_W_NEW) {
		cycle_visit(c, t);
		return;
	}
	if (c->color[t] != FARM_W_BUSY || c->reported[t])
		return;
	c->reported[t] = true;
	for (i = 0; c->stack[i] != t; i++)
		;
	if (i + 1 == c->nstack) {
		farm_diag(c->ck->d, &f->bindings[t].loc, FARM_ERROR, "binding "
		    "'%s' refers to itself", f->bindings[t].name);
		return;
	}
	/* The path, with its middle elided when long. */
	path = farm_xstrdup(f->bindings[t].name);
	for (k = i + 1; k <= c->nstack; k++) {
		if (c->nstack - i > 8 && k == i + 4) {
			tmp = farm_xasprintf("%s -> ...", path);
			k = c->nstack - 3;
		} else
			tmp = farm_xasprintf("%s -> %s", path,
			    f->bindings[k < c->nstack ? c->stack[k] : t].name);
		free(path);
		path = tmp;
	}
	farm_diag(c->ck->d, &f->bindings[t].loc, FARM_ERROR, "binding '%s' "
	    "refers to itself (%s)", f->bindings[t].name, path);
	free(path);
}

static void
cycle_visit(struct cyc *c, size_t b)
{
	c->color[b] = FARM_W_BUSY;
	c->stack[c->nstack++] = b;
	route_names(c->ck->f->bindings[b].expr, cycle_edge, c);
	c->nstack--;
	c->color[b] = FARM_W_DONE;
}

void
farm_check_cycles(struct farm_ck *ck)
{
	struct cyc	c;
	size_t		i;

	c.ck = ck;
	c.color = farm_xcalloc(ck->f->nbindings, sizeof *c.color);
	c.stack = farm_xcalloc(ck->f->nbindings, sizeof *c.stack);
	c.reported = farm_xcalloc(ck->f->nbindings, sizeof *c.reported);
	c.nstack = 0;
	for (i = 0; i < ck->f->nbindings; i++)
		if (c.color[i] == FARM_W_NEW)
			cycle_visit(&c, i);
	free(c.color);
	free(c.stack);
	free(c.reported);
}

struct refers_ctx {
	const struct farm_binding	*b;
	bool				 found;
	unsigned			 depth;
};

static void
refers_edge(struct farm_expr *e, void *arg)
{
	struct refers_ctx	*c = arg;

	if (c->found || c->depth > FARM_WALK_DEPTH_MAX)
		return;
	if (e->u.name.target == c->b) {
		c->found = true;
		return;
	}
	c->depth++;
	route_names(e->u.name.target->expr, refers_edge, c);
	c->depth--;
}

bool
farm_expr_refers_to(const struct farm_expr *e, const struct farm_binding *b)
{
	struct refers_ctx	c;

	memset(&c, 0, sizeof c);
	c.b = b;
	route_names((struct farm_expr *)e, refers_edge, &c);
	return c.found;
}
