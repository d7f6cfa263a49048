/*
 * farm-check.c: name resolution and the wiring checks of a farm file.
 *
 * What an expression provides is a set of interfaces: a vm its role's
 * exports, a remote its interface, or/par what every branch provides, a
 * name or ref what its target provides.  A set is "incomplete" when an
 * earlier error (an unknown name, a cycle, a syntax error) hid part of
 * it; checks against an incomplete set are skipped, so one mistake is
 * reported once, where it was made.
 */
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

#define BINDINGS_MAX	1024
#define WALK_DEPTH_MAX	256

struct pset {
	struct farm_iface	**v;
	size_t			  n;
	bool			  incomplete;
};

enum { M_NEW, M_BUSY, M_DONE };

struct memo {
	int		state;
	struct pset	ps;
};

struct ck {
	struct farm_file	*ff;
	struct farm_diags	*d;
	struct farm		*f;
	struct memo		*memo;		/* per binding; NULL: no memo */
	unsigned		 depth;
	const struct farm_expr	**blamed;	/* or/par already reported */
	size_t			  nblamed;
};

static void
blame(struct ck *ck, const struct farm_expr *e)
{
	*FARM_PUSH(ck->blamed, ck->nblamed) = e;
}

static bool
blamed(const struct ck *ck, const struct farm_expr *e)
{
	size_t	i;

	for (i = 0; i < ck->nblamed; i++)
		if (ck->blamed[i] == e)
			return true;
	return false;
}

static void
pset_add(struct pset *s, struct farm_iface *i)
{
	size_t	j;

	for (j = 0; j < s->n; j++)
		if (s->v[j] == i)
			return;
	*FARM_PUSH(s->v, s->n) = i;
}

static bool
pset_has(const struct pset *s, const struct farm_iface *i)
{
	size_t	j;

	for (j = 0; j < s->n; j++)
		if (s->v[j] == i)
			return true;
	return false;
}

/*
 * Complete, yet empty: only an or/par whose branches share no interface
 * provides that, and it is reported where it is written (check_common(),
 * or need() branch by branch).  What uses it reports nothing more.
 */
static bool
pset_void(const struct pset *s)
{
	return !s->incomplete && s->n == 0;
}

static void
pset_dispose(struct pset *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

static void
pset_copy(struct pset *dst, const struct pset *src)
{
	size_t	j;

	memset(dst, 0, sizeof *dst);
	dst->incomplete = src->incomplete;
	for (j = 0; j < src->n; j++)
		pset_add(dst, src->v[j]);
}

/* "IA", "IA and IB", "IA, IB and IC"; caller frees. */
static char *
pset_str(const struct pset *s)
{
	char	*buf = NULL, *t;
	size_t	 j;

	for (j = 0; j < s->n; j++) {
		t = farm_xasprintf("%s%s%s", buf ? buf : "",
		    j == 0 ? "" : (j + 1 == s->n ? " and " : ", "),
		    s->v[j]->name);
		free(buf);
		buf = t;
	}
	return buf ? buf : farm_xstrdup("");
}

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

struct suggest {
	const char	*name;
	const char	*best;
	unsigned	 dist;
};

static void
suggest_init(struct suggest *s, const char *name)
{
	s->name = name;
	s->best = NULL;
	/* Distance allowed, plus one: no guess at very short names. */
	s->dist = strlen(name) <= 2 ? 1 : strlen(name) <= 4 ? 2 : 3;
}

static void
suggest_try(struct suggest *s, const char *cand)
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
static const char *
suggest_str(const struct suggest *s)
{
	static char	buf[128];

	if (s->best == NULL)
		return "";
	snprintf(buf, sizeof buf, " (did you mean '%.80s'?)", s->best);
	return buf;
}

static struct farm_iface *
resolve_iface(struct ck *ck, const char *name, const struct farm_loc *loc)
{
	struct farm_iface	*i;
	struct suggest		 s;
	size_t			 j;

	if ((i = farm_find_iface(ck->ff, name)) != NULL)
		return i;
	suggest_init(&s, name);
	for (j = 0; j < ck->ff->nifaces; j++)
		suggest_try(&s, ck->ff->ifaces[j].name);
	farm_diag(ck->d, loc, FARM_ERROR, "unknown interface '%s'%s", name,
	    suggest_str(&s));
	return NULL;
}

/* ---- interfaces and roles ---------------------------------------------- */

static void
check_ifaces(struct ck *ck)
{
	struct farm_file	*ff = ck->ff;
	struct farm_iface	*i, *first;
	struct farm_op		*op;
	size_t			 j, k, l, m;

	for (j = 0; j < ff->nifaces; j++) {
		i = &ff->ifaces[j];
		first = farm_find_iface(ff, i->name);
		if (first != i)
			farm_diag(ck->d, &i->loc, FARM_ERROR, "interface '%s' "
			    "is already defined on line %u", i->name,
			    first->loc.line);
		if (i->nops == 0 && !i->incomplete)
			farm_diag(ck->d, &i->loc, FARM_WARNING, "interface "
			    "'%s' declares no operation", i->name);
		for (k = 0; k < i->nops; k++) {
			op = &i->ops[k];
			if (op->name == NULL)
				continue;
			for (l = 0; l < k; l++)
				if (i->ops[l].name &&
				    strcmp(i->ops[l].name, op->name) == 0)
					break;
			if (l < k)
				farm_diag(ck->d, &op->loc, FARM_ERROR,
				    "operation '%s' is already defined in "
				    "interface '%s' on line %u", op->name,
				    i->name, i->ops[l].loc.line);
			for (l = 0; l < op->nparams; l++) {
				for (m = 0; m < l; m++)
					if (strcmp(op->params[m].name,
					    op->params[l].name) == 0)
						break;
				if (m < l)
					farm_diag(ck->d, &op->params[l].loc,
					    FARM_ERROR, "parameter '%s' of "
					    "'%s' is already declared on line "
					    "%u", op->params[l].name, op->name,
					    op->params[m].loc.line);
			}
		}
	}
}

static void
check_names(struct ck *ck, struct farm_role *r, struct farm_name *v,
    size_t n, const char *what)
{
	size_t	j, k;

	for (j = 0; j < n; j++) {
		v[j].iface = resolve_iface(ck, v[j].name, &v[j].loc);
		if (v[j].iface == NULL)
			r->incomplete = true;
		for (k = 0; k < j; k++)
			if (strcmp(v[k].name, v[j].name) == 0)
				break;
		if (k < j)
			farm_diag(ck->d, &v[j].loc, FARM_ERROR, "'%s' is "
			    "listed twice in the %s of role '%s' (first on "
			    "line %u)", v[j].name, what, r->name,
			    v[k].loc.line);
	}
}

static struct farm_role *
find_role(const struct farm_file *ff, const char *name)
{
	size_t	j;

	for (j = 0; j < ff->nroles; j++)
		if (strcmp(ff->roles[j].name, name) == 0)
			return &ff->roles[j];
	return NULL;
}

static void
check_roles(struct ck *ck)
{
	struct farm_file	*ff = ck->ff;
	struct farm_role	*r, *first;
	size_t			 j;

	for (j = 0; j < ff->nroles; j++) {
		r = &ff->roles[j];
		first = find_role(ff, r->name);
		if (first != r)
			farm_diag(ck->d, &r->loc, FARM_ERROR, "role '%s' is "
			    "already defined on line %u", r->name,
			    first->loc.line);
		check_names(ck, r, r->exports, r->nexports, "exports");
		check_names(ck, r, r->imports, r->nimports, "imports");
		if (r->incomplete)
			continue;
		if (r->image == NULL)
			farm_diag(ck->d, &r->loc, FARM_ERROR, "role '%s' has "
			    "no image (add: image \"directory\")", r->name);
		if (r->nexports == 0)
			farm_diag(ck->d, &r->loc, FARM_ERROR, "role '%s' "
			    "exports no interface: nothing could call its "
			    "instances", r->name);
	}
}

/* ---- what an expression provides --------------------------------------- */

static void	provides(struct ck *, const struct farm_expr *, struct pset *);

static void
provides_binding(struct ck *ck, const struct farm_binding *b,
    struct pset *out)
{
	struct memo	*m;
	size_t		 i;

	memset(out, 0, sizeof *out);
	if (ck->memo == NULL || ck->f == NULL || b < ck->f->bindings ||
	    b >= ck->f->bindings + ck->f->nbindings) {
		if (ck->depth >= WALK_DEPTH_MAX) {
			out->incomplete = true;
			return;
		}
		ck->depth++;
		provides(ck, b->expr, out);
		ck->depth--;
		return;
	}
	i = b - ck->f->bindings;
	m = &ck->memo[i];
	switch (m->state) {
	case M_BUSY:			/* a cycle: reported elsewhere */
		out->incomplete = true;
		return;
	case M_NEW:
		m->state = M_BUSY;
		provides(ck, b->expr, &m->ps);
		m->state = M_DONE;
		break;
	}
	pset_copy(out, &m->ps);
}

static void
provides(struct ck *ck, const struct farm_expr *e, struct pset *out)
{
	struct farm_role	*r;
	struct pset		 acc, br;
	bool			 any = false;
	size_t			 i, j;

	memset(out, 0, sizeof *out);
	if (e == NULL) {
		out->incomplete = true;
		return;
	}
	switch (e->kind) {
	case FARM_E_NAME:
		if (e->u.name.target == NULL)
			out->incomplete = true;
		else
			provides_binding(ck, e->u.name.target, out);
		break;
	case FARM_E_VM:
		r = e->u.vm.role_p;
		if (r == NULL || r->incomplete || r->nexports == 0) {
			out->incomplete = true;
			break;
		}
		for (i = 0; i < r->nexports; i++)
			if (r->exports[i].iface != NULL)
				pset_add(out, r->exports[i].iface);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		/* An incomplete or void branch is a wildcard. */
		memset(&acc, 0, sizeof acc);
		for (i = 0; i < e->u.comb.nbranches; i++) {
			provides(ck, e->u.comb.branches[i], &br);
			if (br.incomplete || pset_void(&br)) {
				acc.incomplete = true;
				pset_dispose(&br);
				continue;
			}
			if (!any) {
				for (j = 0; j < br.n; j++)
					pset_add(&acc, br.v[j]);
				any = true;
			} else {
				for (j = 0; j < acc.n; )
					if (!pset_has(&br, acc.v[j]))
						acc.v[j] = acc.v[--acc.n];
					else
						j++;
			}
			pset_dispose(&br);
		}
		if (!any)
			acc.incomplete = true;
		*out = acc;
		break;
	case FARM_E_REF:
		provides(ck, e->u.ref.target, out);
		break;
	case FARM_E_REMOTE:
		if (e->u.remote.iface_p == NULL)
			out->incomplete = true;
		else
			pset_add(out, e->u.remote.iface_p);
		break;
	}
}

bool
farm_expr_provides(const struct farm_expr *e, const struct farm_iface *i)
{
	struct ck	ck;
	struct pset	ps;
	bool		yes;

	memset(&ck, 0, sizeof ck);
	provides(&ck, e, &ps);
	yes = pset_has(&ps, i);
	pset_dispose(&ps);
	return yes;
}

/* ---- resolving a farm's names ------------------------------------------ */

static void
unknown_binding(struct ck *ck, const struct farm_expr *e)
{
	const char	*name = e->u.name.name;
	struct suggest	 s;
	size_t		 j;

	if (find_role(ck->ff, name) != NULL) {
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
	suggest_init(&s, name);
	for (j = 0; j < ck->f->nbindings; j++)
		suggest_try(&s, ck->f->bindings[j].name);
	farm_diag(ck->d, &e->loc, FARM_ERROR, "unknown binding '%s' in farm "
	    "'%s'%s", name, ck->f->name, suggest_str(&s));
}

static void
check_url(struct ck *ck, const char *url, const struct farm_loc *loc)
{
	const char	*why;

	if (farm_parse_url(url, NULL, NULL, NULL, &why) == -1)
		farm_diag(ck->d, loc, FARM_ERROR, "bad URL \"%s\": %s "
		    "(expected \"http://host:port[/path]\")", url, why);
}

static void
resolve_vm(struct ck *ck, struct farm_expr *e)
{
	struct farm_role	*r;
	struct farm_wire	*w;
	struct suggest		 s;
	size_t			 i, j;
	bool			 bound, unknown = false;

	r = e->u.vm.role_p = find_role(ck->ff, e->u.vm.role);
	if (r == NULL) {
		suggest_init(&s, e->u.vm.role);
		for (i = 0; i < ck->ff->nroles; i++)
			suggest_try(&s, ck->ff->roles[i].name);
		farm_diag(ck->d, &e->u.vm.role_loc, FARM_ERROR, "unknown role "
		    "'%s'%s", e->u.vm.role, suggest_str(&s));
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
		w->iface = resolve_iface(ck, w->import, &w->loc);
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

static void
resolve_expr(struct ck *ck, struct farm_expr *e)
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
			resolve_expr(ck, e->u.vm.wires[i].expr);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		what = e->kind == FARM_E_OR ? "or" : "par";
		if (e->u.comb.nbranches == 0)
			farm_diag(ck->d, &e->loc, FARM_ERROR, "%s() has no "
			    "branch (it needs at least two)", what);
		else if (e->u.comb.nbranches == 1)
			farm_diag(ck->d, &e->loc, FARM_WARNING, "%s with a "
			    "single branch is just that branch", what);
		for (i = 0; i < e->u.comb.nbranches; i++)
			resolve_expr(ck, e->u.comb.branches[i]);
		break;
	case FARM_E_REF:
		resolve_expr(ck, e->u.ref.target);
		break;
	case FARM_E_REMOTE:
		e->u.remote.iface_p = resolve_iface(ck, e->u.remote.iface,
		    &e->u.remote.iface_loc);
		if (!e->u.remote.url_bad)
			check_url(ck, e->u.remote.url, &e->u.remote.url_loc);
		break;
	}
}

/* ---- cycles ------------------------------------------------------------ */

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
	struct ck	*ck;
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

	if (c->color[t] == M_NEW) {
		cycle_visit(c, t);
		return;
	}
	if (c->color[t] != M_BUSY || c->reported[t])
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
	c->color[b] = M_BUSY;
	c->stack[c->nstack++] = b;
	route_names(c->ck->f->bindings[b].expr, cycle_edge, c);
	c->nstack--;
	c->color[b] = M_DONE;
}

static void
check_cycles(struct ck *ck)
{
	struct cyc	c;
	size_t		i;

	c.ck = ck;
	c.color = farm_xcalloc(ck->f->nbindings, sizeof *c.color);
	c.stack = farm_xcalloc(ck->f->nbindings, sizeof *c.stack);
	c.reported = farm_xcalloc(ck->f->nbindings, sizeof *c.reported);
	c.nstack = 0;
	for (i = 0; i < ck->f->nbindings; i++)
		if (c.color[i] == M_NEW)
			cycle_visit(&c, i);
	free(c.color);
	free(c.stack);
	free(c.reported);
}

/* ---- does each use get what it needs? ---------------------------------- */

/* A short name of e for messages: 'x', 'vm R', 'remote I', 'or(...)'. */
static char *
expr_short(const struct farm_expr *e)
{
	switch (e->kind) {
	case FARM_E_NAME:
		return farm_xasprintf("'%s'", e->u.name.name);
	case FARM_E_VM:
		return farm_xasprintf("vm %s", e->u.vm.role);
	case FARM_E_OR:
		return farm_xstrdup("or(...)");
	case FARM_E_PAR:
		return farm_xstrdup("par(...)");
	case FARM_E_REF:
		return farm_xstrdup("ref(...)");
	case FARM_E_REMOTE:
		return farm_xasprintf("remote %s", e->u.remote.iface);
	}
	return farm_xstrdup("?");
}

/* e is wired to an import of interface i: report if it cannot serve. */
static void
need(struct ck *ck, const struct farm_expr *e, const struct farm_iface *i)
{
	struct pset	 ps;
	char		*what, *list;
	const char	*comb;
	size_t		 j;

	if (e == NULL)
		return;
	provides(ck, e, &ps);
	if (ps.incomplete || pset_has(&ps, i))
		goto out;
	switch (e->kind) {
	case FARM_E_OR:
	case FARM_E_PAR:
		comb = e->kind == FARM_E_OR ? "or" : "par";
		blame(ck, e);
		for (j = 0; j < e->u.comb.nbranches; j++) {
			struct farm_expr	*b = e->u.comb.branches[j];
			struct pset		 bp;

			provides(ck, b, &bp);
			if (!bp.incomplete && !pset_has(&bp, i)) {
				what = expr_short(b);
				list = pset_str(&bp);
				farm_diag(ck->d, &b->loc, FARM_ERROR, "branch %zu "
				    "of %s, %s, does not provide %s (it provides "
				    "only %s)", j + 1, comb, what, i->name, list);
				free(what);
				free(list);
			}
			pset_dispose(&bp);
		}
		break;
	case FARM_E_REF:
		need(ck, e->u.ref.target, i);
		break;
	default:
		if (pset_void(&ps))
			break;
		what = expr_short(e);
		list = pset_str(&ps);
		farm_diag(ck->d, &e->loc, FARM_ERROR, "%s is bound to %s but "
		    "provides only %s", what, i->name, list);
		free(what);
		free(list);
		break;
	}
out:
	pset_dispose(&ps);
}

static void
need_wires(struct ck *ck, struct farm_expr *e)
{
	struct farm_wire	*w;
	size_t			 i;

	if (e == NULL)
		return;
	switch (e->kind) {
	case FARM_E_VM:
		for (i = 0; i < e->u.vm.nwires; i++) {
			w = &e->u.vm.wires[i];
			if (w->iface != NULL)
				need(ck, w->expr, w->iface);
			need_wires(ck, w->expr);
		}
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		for (i = 0; i < e->u.comb.nbranches; i++)
			need_wires(ck, e->u.comb.branches[i]);
		break;
	case FARM_E_REF:
		need_wires(ck, e->u.ref.target);
		break;
	default:
		break;
	}
}

/* or/par whose branches share no interface can serve nothing. */
static void
check_common(struct ck *ck, struct farm_expr *e)
{
	struct pset	ps;
	size_t		i;

	if (e == NULL)
		return;
	switch (e->kind) {
	case FARM_E_VM:
		for (i = 0; i < e->u.vm.nwires; i++)
			check_common(ck, e->u.vm.wires[i].expr);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		for (i = 0; i < e->u.comb.nbranches; i++)
			check_common(ck, e->u.comb.branches[i]);
		if (e->u.comb.nbranches < 2)
			break;
		if (blamed(ck, e))
			break;
		provides(ck, e, &ps);
		if (pset_void(&ps))
			farm_diag(ck->d, &e->loc, FARM_ERROR, "the branches of "
			    "%s provide no common interface",
			    e->kind == FARM_E_OR ? "or" : "par");
		pset_dispose(&ps);
		break;
	case FARM_E_REF:
		check_common(ck, e->u.ref.target);
		break;
	default:
		break;
	}
}

static void
check_exports(struct ck *ck)
{
	struct farm		*f = ck->f;
	struct farm_export	*x;
	struct farm_binding	*b;
	struct suggest		 s;
	struct pset		 ps;
	const char		*why;
	char			*list;
	size_t			 i, j;

	for (i = 0; i < f->nexports; i++) {
		x = &f->exports[i];
		b = x->binding_p = farm_find_binding(f, x->binding);
		if (b == NULL) {
			suggest_init(&s, x->binding);
			for (j = 0; j < f->nbindings; j++)
				suggest_try(&s, f->bindings[j].name);
			farm_diag(ck->d, &x->loc, FARM_ERROR, "unknown binding "
			    "'%s' in farm '%s'%s", x->binding, f->name,
			    suggest_str(&s));
		} else
			b->uses++;
		x->iface_p = resolve_iface(ck, x->iface, &x->iface_loc);
		for (j = 0; j < i; j++)
			if (strcmp(f->exports[j].iface, x->iface) == 0)
				break;
		if (j < i)
			farm_diag(ck->d, &x->iface_loc, FARM_ERROR, "%s is "
			    "already exported by farm '%s' on line %u",
			    x->iface, f->name, f->exports[j].loc.line);
		if (x->addr != NULL && !x->addr_bad) {
			if (farm_parse_addr(x->addr, NULL, NULL, &why) == -1)
				farm_diag(ck->d, &x->addr_loc, FARM_ERROR,
				    "bad address \"%s\": %s (expected "
				    "\"host:port\")", x->addr, why);
			for (j = 0; j < i; j++)
				if (f->exports[j].addr != NULL &&
				    strcmp(f->exports[j].addr, x->addr) == 0)
					break;
			if (j < i)
				farm_diag(ck->d, &x->addr_loc, FARM_ERROR,
				    "address \"%s\" is already used by the "
				    "export on line %u", x->addr,
				    f->exports[j].loc.line);
		}
		if (b == NULL || x->iface_p == NULL)
			continue;
		provides(ck, b->expr, &ps);
		if (!ps.incomplete && !pset_has(&ps, x->iface_p) &&
		    b->expr != NULL && (b->expr->kind == FARM_E_OR ||
		    b->expr->kind == FARM_E_PAR || b->expr->kind == FARM_E_REF))
			need(ck, b->expr, x->iface_p);
		else if (!ps.incomplete && !pset_has(&ps, x->iface_p) &&
		    !pset_void(&ps)) {
			list = pset_str(&ps);
			farm_diag(ck->d, &x->iface_loc, FARM_ERROR, "cannot "
			    "export %s.%s: '%s' provides only %s", x->binding,
			    x->iface, x->binding, list);
			free(list);
		}
		pset_dispose(&ps);
	}
}

/* ---- instances --------------------------------------------------------- */

static void
each_vm(struct farm_expr *e, void (*fn)(struct farm_expr *, void *),
    void *arg)
{
	size_t	i;

	if (e == NULL)
		return;
	switch (e->kind) {
	case FARM_E_VM:
		fn(e, arg);
		for (i = 0; i < e->u.vm.nwires; i++)
			each_vm(e->u.vm.wires[i].expr, fn, arg);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		for (i = 0; i < e->u.comb.nbranches; i++)
			each_vm(e->u.comb.branches[i], fn, arg);
		break;
	case FARM_E_REF:
		each_vm(e->u.ref.target, fn, arg);
		break;
	default:
		break;
	}
}

static void
count_vm(struct farm_expr *e, void *arg)
{
	(*(size_t *)arg)++;
}

struct inst_ctx {
	struct farm		*f;
	struct farm_binding	*b;
	size_t			 nvm, n;
};

static void
add_instance(struct farm_expr *e, void *arg)
{
	struct inst_ctx		*c = arg;
	struct farm_instance	*in = &c->f->instances[c->f->ninstances++];

	c->n++;
	in->binding = c->b;
	in->vm = e;
	in->role = e->u.vm.role_p;
	if (c->nvm == 1) {
		in->index = 0;
		in->name = farm_xasprintf("%s-%s", c->f->name, c->b->name);
	} else {
		in->index = c->n;
		in->name = farm_xasprintf("%s-%s-%zu", c->f->name, c->b->name,
		    c->n);
	}
	e->u.vm.inst = in;
}

static void
make_instances(struct farm *f)
{
	struct inst_ctx	c;
	size_t		i, total = 0;

	for (i = 0; i < f->ninstances; i++)
		free(f->instances[i].name);
	free(f->instances);
	f->instances = NULL;
	f->ninstances = 0;
	for (i = 0; i < f->nbindings; i++)
		each_vm(f->bindings[i].expr, count_vm, &total);
	if (total == 0)
		return;
	f->instances = farm_xcalloc(total, sizeof *f->instances);
	for (i = 0; i < f->nbindings; i++) {
		c.f = f;
		c.b = &f->bindings[i];
		c.nvm = c.n = 0;
		each_vm(c.b->expr, count_vm, &c.nvm);
		each_vm(c.b->expr, add_instance, &c);
	}
}

/* ---- farms ------------------------------------------------------------- */

static void
check_farm(struct ck *ck, struct farm *f)
{
	struct farm_binding	*b, *first;
	size_t			 i;

	ck->f = f;
	if (f->nbindings > BINDINGS_MAX) {
		farm_diag(ck->d, &f->loc, FARM_ERROR, "farm '%s' has %zu "
		    "bindings (at most %d)", f->name, f->nbindings,
		    BINDINGS_MAX);
		return;
	}
	for (i = 0; i < f->nbindings; i++) {
		b = &f->bindings[i];
		b->uses = 0;
		first = farm_find_binding(f, b->name);
		if (first != b)
			farm_diag(ck->d, &b->loc, FARM_ERROR, "binding '%s' is "
			    "already defined on line %u", b->name,
			    first->loc.line);
	}
	for (i = 0; i < f->nbindings; i++)
		resolve_expr(ck, f->bindings[i].expr);
	check_cycles(ck);
	ck->memo = farm_xcalloc(f->nbindings, sizeof *ck->memo);
	check_exports(ck);
	for (i = 0; i < f->nbindings; i++)
		need_wires(ck, f->bindings[i].expr);
	for (i = 0; i < f->nbindings; i++)
		check_common(ck, f->bindings[i].expr);
	for (i = 0; i < f->nbindings; i++)
		pset_dispose(&ck->memo[i].ps);
	free(ck->memo);
	ck->memo = NULL;
	free(ck->blamed);
	ck->blamed = NULL;
	ck->nblamed = 0;
	/* After a syntax error, a use may have been lost: no warnings. */
	for (i = 0; i < f->nbindings && !f->incomplete; i++) {
		b = &f->bindings[i];
		if (b->uses == 0 && farm_find_binding(f, b->name) == b)
			farm_diag(ck->d, &b->loc, FARM_WARNING, "binding '%s' "
			    "is never used nor exported", b->name);
	}
	if (f->nexports == 0 && !f->incomplete)
		farm_diag(ck->d, &f->loc, FARM_WARNING, "farm '%s' exports "
		    "nothing: no outside client can call it", f->name);
	make_instances(f);
	ck->f = NULL;
}

size_t
farm_check(struct farm_file *ff, struct farm_diags *d)
{
	struct ck	ck;
	size_t		before = d->nerrors, i;

	memset(&ck, 0, sizeof ck);
	ck.ff = ff;
	ck.d = d;
	check_ifaces(&ck);
	check_roles(&ck);
	for (i = 0; i < ff->nfarms; i++) {
		if (farm_find_farm(ff, ff->farms[i].name) != &ff->farms[i])
			farm_diag(d, &ff->farms[i].loc, FARM_ERROR, "farm '%s' "
			    "is already defined on line %u", ff->farms[i].name,
			    farm_find_farm(ff, ff->farms[i].name)->loc.line);
		check_farm(&ck, &ff->farms[i]);
	}
	return d->nerrors - before;
}

/* ---- run-time helpers -------------------------------------------------- */

struct needs_ctx {
	const struct farm_binding	 *b;
	struct farm_iface		**v;
	size_t				  n;
	unsigned			  depth;
};

/* Propagate "e is used as i" down through names, or/par and refs. */
static void
needs_walk(struct needs_ctx *c, const struct farm_expr *e,
    struct farm_iface *i)
{
	size_t	j;

	if (e == NULL || i == NULL || c->depth > WALK_DEPTH_MAX)
		return;
	c->depth++;
	switch (e->kind) {
	case FARM_E_NAME:
		if (e->u.name.target == c->b) {
			for (j = 0; j < c->n; j++)
				if (c->v[j] == i)
					break;
			if (j == c->n)
				*FARM_PUSH(c->v, c->n) = i;
		} else if (e->u.name.target != NULL)
			needs_walk(c, e->u.name.target->expr, i);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		for (j = 0; j < e->u.comb.nbranches; j++)
			needs_walk(c, e->u.comb.branches[j], i);
		break;
	case FARM_E_REF:
		needs_walk(c, e->u.ref.target, i);
		break;
	default:
		break;
	}
	c->depth--;
}

static void
needs_wires(struct needs_ctx *c, const struct farm_expr *e)
{
	size_t	j;

	if (e == NULL)
		return;
	switch (e->kind) {
	case FARM_E_VM:
		for (j = 0; j < e->u.vm.nwires; j++) {
			needs_walk(c, e->u.vm.wires[j].expr,
			    e->u.vm.wires[j].iface);
			needs_wires(c, e->u.vm.wires[j].expr);
		}
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		for (j = 0; j < e->u.comb.nbranches; j++)
			needs_wires(c, e->u.comb.branches[j]);
		break;
	case FARM_E_REF:
		needs_wires(c, e->u.ref.target);
		break;
	default:
		break;
	}
}

size_t
farm_ref_needs(const struct farm *f, const struct farm_binding *b,
    struct farm_iface ***v_r)
{
	struct needs_ctx	c;
	struct farm_expr	e;
	size_t			i;

	memset(&c, 0, sizeof c);
	c.b = b;
	for (i = 0; i < f->nbindings; i++)
		needs_wires(&c, f->bindings[i].expr);
	for (i = 0; i < f->nexports; i++) {
		if (f->exports[i].binding_p == NULL)
			continue;
		memset(&e, 0, sizeof e);
		e.kind = FARM_E_NAME;
		e.u.name.name = f->exports[i].binding;
		e.u.name.target = f->exports[i].binding_p;
		needs_walk(&c, &e, f->exports[i].iface_p);
	}
	*v_r = c.v;
	return c.n;
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

	if (c->found || c->depth > WALK_DEPTH_MAX)
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

struct farm_expr *
farm_parse_expr(struct farm_file *file, struct farm *f, const char *text,
    struct farm_iface **needed, size_t nneeded, struct farm_diags *d)
{
	static const char	*where = "<set>";
	struct farm_expr	*e;
	struct ck		 ck;
	size_t			 before = d->nerrors, i;
	unsigned		*uses;

	if ((e = farm_parse_expr_text(where, text, strlen(text), false,
	    d)) == NULL)
		return NULL;
	memset(&ck, 0, sizeof ck);
	ck.ff = file;
	ck.d = d;
	ck.f = f;
	/* Resolving counts uses: the farm itself must not change. */
	uses = farm_xcalloc(f->nbindings, sizeof *uses);
	for (i = 0; i < f->nbindings; i++)
		uses[i] = f->bindings[i].uses;
	resolve_expr(&ck, e);
	for (i = 0; i < f->nbindings; i++)
		f->bindings[i].uses = uses[i];
	free(uses);
	ck.memo = farm_xcalloc(f->nbindings, sizeof *ck.memo);
	for (i = 0; i < nneeded; i++)
		need(&ck, e, needed[i]);
	check_common(&ck, e);
	for (i = 0; i < f->nbindings; i++)
		pset_dispose(&ck.memo[i].ps);
	free(ck.memo);
	free(ck.blamed);
	if (d->nerrors != before) {
		farm_expr_free(e);
		return NULL;
	}
	return e;
}
