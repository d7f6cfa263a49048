/*
 * farm-wire.c: the wiring checks of a farm, once its names are
 * resolved: does each wire, export and branch get the interfaces it
 * is used as?  And farm_check_expr(), for one expression of a farm.
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

struct pset {
	struct farm_iface	**v;
	size_t			  n;
	bool			  incomplete;
};

struct farm_memo {
	int		state;		/* enum farm_walk */
	struct pset	ps;
};

static void
blame(struct farm_ck *ck, const struct farm_expr *e)
{
	*FARM_PUSH(ck->blamed, ck->nblamed) = e;
}

static bool
blamed(const struct farm_ck *ck, const struct farm_expr *e)
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

/* ---- what an expression provides --------------------------------------- */

static void	provides(struct farm_ck *, const struct farm_expr *,
		    struct pset *);

static void
provides_binding(struct farm_ck *ck, const struct farm_binding *b,
    struct pset *out)
{
	struct farm_memo	*m;
	size_t		 i;

	memset(out, 0, sizeof *out);
	if (ck->memo == NULL || ck->f == NULL || b < ck->f->bindings ||
	    b >= ck->f->bindings + ck->f->nbindings) {
		if (ck->depth >= FARM_WALK_DEPTH_MAX) {
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
	case FARM_W_BUSY:		/* a cycle: reported elsewhere */
		out->incomplete = true;
		return;
	case FARM_W_NEW:
		m->state = FARM_W_BUSY;
		provides(ck, b->expr, &m->ps);
		m->state = FARM_W_DONE;
		break;
	}
	pset_copy(out, &m->ps);
}

static void
provides(struct farm_ck *ck, const struct farm_expr *e, struct pset *out)
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
	struct farm_ck	ck;
	struct pset	ps;
	bool		yes;

	memset(&ck, 0, sizeof ck);
	provides(&ck, e, &ps);
	yes = pset_has(&ps, i);
	pset_dispose(&ps);
	return yes;
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
need(struct farm_ck *ck, const struct farm_expr *e, const struct farm_iface *i)
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
need_wires(struct farm_ck *ck, struct farm_expr *e)
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
check_common(struct farm_ck *ck, struct farm_expr *e)
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

/*
 * Plain HTTP is for loopback: an export on any other address is served
 * with 'tls', or says 'insecure' to show that plain HTTP is meant.
 */
static void
check_export_sec(struct farm_ck *ck, const struct farm_export *x)
{
	if (x->addr == NULL || x->addr_bad || x->tls || x->insecure ||
	    farm_addr_loopback(x->addr) != 0)
		return;
	farm_diag(ck->d, &x->addr_loc, FARM_ERROR, "export on \"%s\" is "
	    "not on loopback: serve it with tls cert \"FILE\" key \"FILE\", "
	    "or say 'insecure' for plain HTTP", x->addr);
}

static void
check_exports(struct farm_ck *ck)
{
	struct farm		*f = ck->f;
	struct farm_export	*x;
	struct farm_binding	*b;
	struct farm_suggest		 s;
	struct pset		 ps;
	const char		*why;
	char			*list;
	size_t			 i, j;

	for (i = 0; i < f->nexports; i++) {
		x = &f->exports[i];
		b = x->binding_p = farm_find_binding(f, x->binding);
		if (b == NULL) {
			farm_suggest_init(&s, x->binding);
			for (j = 0; j < f->nbindings; j++)
				farm_suggest_try(&s, f->bindings[j].name);
			farm_diag(ck->d, &x->loc, FARM_ERROR, "unknown binding "
			    "'%s' in farm '%s'%s", x->binding, f->name,
			    farm_suggest_str(&s));
		} else
			b->uses++;
		x->iface_p = farm_resolve_iface(ck, x->iface, &x->iface_loc);
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
		check_export_sec(ck, x);
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

	if (e == NULL || i == NULL || c->depth > FARM_WALK_DEPTH_MAX)
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

/* ---- the checks -------------------------------------------------------- */

/* Memoize what each binding of ck->f provides, for one run of checks. */
static void
memo_start(struct farm_ck *ck)
{
	ck->memo = farm_xcalloc(ck->f->nbindings, sizeof *ck->memo);
}

/* End the run memo_start() began, forgetting which or/par was blamed. */
static void
memo_end(struct farm_ck *ck)
{
	size_t	i;

	for (i = 0; i < ck->f->nbindings; i++)
		pset_dispose(&ck->memo[i].ps);
	free(ck->memo);
	ck->memo = NULL;
	free(ck->blamed);
	ck->blamed = NULL;
	ck->nblamed = 0;
}

void
farm_check_wiring(struct farm_ck *ck)
{
	struct farm	*f = ck->f;
	size_t		 i;

	memo_start(ck);
	check_exports(ck);
	for (i = 0; i < f->nbindings; i++)
		need_wires(ck, f->bindings[i].expr);
	for (i = 0; i < f->nbindings; i++)
		check_common(ck, f->bindings[i].expr);
	memo_end(ck);
}

struct farm_expr *
farm_check_expr(struct farm_file *file, struct farm *f, const char *text,
    struct farm_iface **needed, size_t nneeded, struct farm_diags *d)
{
	static const char	*where = "<set>";
	struct farm_expr	*e;
	struct farm_ck		 ck;
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
	farm_resolve_expr(&ck, e);
	for (i = 0; i < f->nbindings; i++)
		f->bindings[i].uses = uses[i];
	free(uses);
	memo_start(&ck);
	for (i = 0; i < nneeded; i++)
		need(&ck, e, needed[i]);
	check_common(&ck, e);
	memo_end(&ck);
	if (d->nerrors != before) {
		farm_expr_free(e);
		return NULL;
	}
	return e;
}
