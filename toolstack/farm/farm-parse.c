/*
 * farm-parse.c: the farm language's parser (grammar in baltic.farm(5)).
 *
 * Recursive descent over the token array.  A syntax error is reported
 * once, then the parser skips to the end of the statement (newline or
 * ';' outside brackets, or the '}' closing the block) and goes on, so
 * one run reports every broken statement.  What was parsed of a broken
 * statement is kept, marked incomplete, so that the checker does not
 * cascade "unknown name" errors from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "farm/farm-lex.h"

#define MEMORY_MIN	16
#define MEMORY_MAX	(1024 * 1024)
#define VCPUS_MAX	128
#define TIMEOUT_MAX	(24 * 3600 * 1000)
#define DEPTH_MAX	64

struct parser {
	const char		*file;
	struct farm_tokens	 toks;
	size_t			 pos;
	unsigned		 depth;		/* expression nesting */
	unsigned		 stmt_col;	/* column of the statement */
	bool			 resynced;	/* at a statement already */
	bool			 allow_vm;
	struct farm_diags	*d;
	struct farm_file	*ff;
};

static const char *reserved[] = {
	"vm", "or", "par", "ref", "remote", "export", NULL
};

static struct farm_token *
cur(struct parser *p)
{
	return &p->toks.v[p->pos];
}

static struct farm_token *
peek_at(struct parser *p, size_t ahead)
{
	size_t	i = p->pos + ahead;

	return &p->toks.v[i < p->toks.n ? i : p->toks.n - 1];
}

static struct farm_token *
next(struct parser *p)
{
	struct farm_token	*t = cur(p);

	if (t->kind != FT_EOF)
		p->pos++;
	return t;
}

static void
skip_nl(struct parser *p)
{
	while (cur(p)->kind == FT_NL)
		p->pos++;
}

static bool
is_reserved(const struct farm_token *t)
{
	const char	**r;

	for (r = reserved; *r != NULL; r++)
		if (farm_tok_is(t, *r))
			return true;
	return false;
}

static char *
tok_strdup(const struct farm_token *t)
{
	return farm_xstrndup(t->text, t->len);
}

/* Report "expected WHAT, found TOKEN" at the current token; returns -1. */
static int
expected(struct parser *p, const char *what)
{
	struct farm_token	*t = cur(p);
	char			 buf[128];

	farm_diag(p->d, &t->loc, FARM_ERROR, "expected %s, found %s", what,
	    farm_tok_describe(t, buf, sizeof buf));
	return -1;
}

static int
expect(struct parser *p, enum farm_tok kind, const char *what)
{
	if (cur(p)->kind != kind)
		return expected(p, what);
	next(p);
	return 0;
}

static int
expect_ident(struct parser *p, const char *what, struct farm_token **t_r)
{
	if (cur(p)->kind != FT_IDENT)
		return expected(p, what);
	*t_r = next(p);
	return 0;
}

static bool
at_end_of_statement(struct parser *p)
{
	enum farm_tok	k = cur(p)->kind;

	return k == FT_NL || k == FT_SEMI || k == FT_RBRACE || k == FT_EOF;
}

/* After a statement: a newline, ';' or the block's '}' must follow. */
static int
end_statement(struct parser *p, const char *what)
{
	char	buf[64];

	if (at_end_of_statement(p))
		return 0;
	snprintf(buf, sizeof buf, "';' or end of line after %s", what);
	return expected(p, buf);
}

/* Does t begin an interface, role or farm? */
static bool
is_decl(const struct farm_token *t)
{
	return farm_tok_is(t, "interface") || farm_tok_is(t, "role") ||
	    farm_tok_is(t, "farm");
}

/* Does the token ahead of the current one start a statement? */
static bool
looks_like_statement(struct parser *p, size_t ahead)
{
	struct farm_token	*n1 = peek_at(p, ahead), *n2;

	n2 = peek_at(p, ahead + 1);
	return (n1->kind == FT_IDENT && n2->kind == FT_EQ) ||
	    farm_tok_is(n1, "export") || is_decl(n1);
}

/* Is the current token the first of its line? */
static bool
at_line_start(struct parser *p)
{
	return p->pos > 0 && p->toks.v[p->pos - 1].kind == FT_NL;
}

/*
 * Skip the rest of a broken statement that began at token start: to a
 * newline or ';' outside brackets opened since start, or to a '}' that
 * closes the enclosing block (not consumed).  A newline inside brackets
 * followed by what looks like a new statement also ends it, so that a
 * missing ')' costs one statement, not the rest of the file.
 */
static void
sync_statement(struct parser *p, size_t start)
{
	struct farm_token	*t;
	int			 nest = 0;
	size_t			 i;

	if (p->resynced) {
		p->resynced = false;
		return;
	}
	/* A newline already read inside brackets, then a new statement. */
	if (p->pos > start && at_line_start(p) && looks_like_statement(p, 0))
		return;
	for (i = start; i < p->pos; i++) {
		switch (p->toks.v[i].kind) {
		case FT_LPAREN:
		case FT_LBRACE:
			nest++;
			break;
		case FT_RPAREN:
		case FT_RBRACE:
			nest--;
			break;
		default:
			break;
		}
	}
	for (;;) {
		t = cur(p);
		switch (t->kind) {
		case FT_EOF:
			return;
		case FT_NL:
		case FT_SEMI:
			if (nest <= 0) {
				next(p);
				return;
			}
			if (t->kind == FT_NL && looks_like_statement(p, 1)) {
				next(p);
				return;
			}
			break;
		case FT_LPAREN:
		case FT_LBRACE:
			nest++;
			break;
		case FT_RPAREN:
			nest--;
			break;
		case FT_RBRACE:
			if (nest <= 0)
				return;
			nest--;
			break;
		default:
			break;
		}
		next(p);
	}
}

/*
 * Does a declaration begin here, left of the block opened at open?
 * Then that block's '}' was forgotten.  One indented in the block was
 * put there: parse_block()'s item() rejects it.
 */
static bool
outdented_decl(struct parser *p, const struct farm_loc *open)
{
	return is_decl(cur(p)) && peek_at(p, 1)->kind == FT_IDENT &&
	    at_line_start(p) && cur(p)->loc.col <= open->col;
}

/*
 * Parse the items of a block whose '{' was just read, calling item()
 * for each; stops at the matching '}' (consumed).  Returns 0, or -1 if
 * the file ended first or the next declaration began, reported there
 * against what, opened at open.  The caller then goes on at that
 * declaration, not past it.
 */
static int
parse_block(struct parser *p, const char *what, const struct farm_loc *open,
    int (*item)(struct parser *, void *), void *arg)
{
	size_t	start;

	for (;;) {
		while (cur(p)->kind == FT_NL || cur(p)->kind == FT_SEMI)
			next(p);
		if (cur(p)->kind == FT_RBRACE) {
			next(p);
			return 0;
		}
		if (cur(p)->kind == FT_EOF || outdented_decl(p, open)) {
			farm_diag(p->d, &cur(p)->loc, FARM_ERROR,
			    "missing '}' to close %s opened on line %u", what,
			    open->line);
			p->resynced = true;
			return -1;
		}
		start = p->pos;
		if (item(p, arg) == -1) {
			sync_statement(p, start);
			if (p->pos == start)
				next(p);	/* always make progress */
		}
	}
}

/* ---- interfaces ------------------------------------------------------ */

static int
parse_type(struct parser *p, bool result, enum farm_vtype *t_r)
{
	static const struct {
		const char	*name;
		enum farm_vtype	 type;
	} types[] = {
		{ "string", FARM_T_STRING }, { "int", FARM_T_INT },
		{ "bool", FARM_T_BOOL }, { "bytes", FARM_T_BYTES },
		{ "void", FARM_T_VOID },
	};
	struct farm_token	*t;
	size_t			 i;

	if (expect_ident(p, "a type (string, int, bool or bytes)", &t) == -1)
		return -1;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (!farm_tok_is(t, types[i].name))
			continue;
		if (types[i].type == FARM_T_VOID && !result)
			break;
		*t_r = types[i].type;
		return 0;
	}
	farm_diag(p->d, &t->loc, FARM_ERROR, "unknown type '%.*s' (expected "
	    "string, int, bool or bytes%s)", (int)t->len, t->text,
	    result ? ", or no result" : "");
	*t_r = FARM_T_BYTES;
	return 0;
}

static int
parse_op(struct parser *p, void *arg)
{
	struct farm_iface	*iface = arg;
	struct farm_op		 op;
	struct farm_param	*pa;
	struct farm_token	*t;
	int			 rc = -1;

	memset(&op, 0, sizeof op);
	op.result = FARM_T_VOID;
	if (farm_tok_is(cur(p), "idempotent") &&
	    peek_at(p, 1)->kind == FT_IDENT) {
		next(p);
		op.idempotent = true;
	}
	if (expect_ident(p, "an operation name", &t) == -1)
		goto out;
	op.name = tok_strdup(t);
	op.loc = t->loc;
	if (expect(p, FT_LPAREN, "'(' after the operation name") == -1)
		goto out;
	skip_nl(p);
	while (cur(p)->kind != FT_RPAREN) {
		if (op.nparams > 0) {
			if (expect(p, FT_COMMA, "',' or ')'") == -1)
				goto out;
			skip_nl(p);
		}
		if (expect_ident(p, "a parameter name", &t) == -1)
			goto out;
		pa = FARM_PUSH(op.params, op.nparams);
		pa->name = tok_strdup(t);
		pa->loc = t->loc;
		pa->type = FARM_T_BYTES;
		if (expect(p, FT_COLON, "':' and a type after the parameter "
		    "name") == -1)
			goto out;
		if (parse_type(p, false, &pa->type) == -1)
			goto out;
		skip_nl(p);
	}
	next(p);
	if (cur(p)->kind == FT_ARROW) {
		next(p);
		if (parse_type(p, true, &op.result) == -1)
			goto out;
	}
	if (farm_tok_is(cur(p), "timeout")) {
		next(p);
		t = cur(p);
		if (expect(p, FT_INT, "a timeout in milliseconds") == -1)
			goto out;
		if (!t->bad && (t->num < 1 || t->num > TIMEOUT_MAX))
			farm_diag(p->d, &t->loc, FARM_ERROR, "timeout %.*s ms "
			    "is out of range (1 to %u)", (int)t->len, t->text,
			    TIMEOUT_MAX);
		else if (!t->bad)
			op.timeout_ms = t->num;
	}
	rc = end_statement(p, "an operation");
out:
	if (op.name == NULL)
		iface->incomplete = true;
	else {
		/* Keep a broken op: it exists, for the checker's sake. */
		*FARM_PUSH(iface->ops, iface->nops) = op;
	}
	return rc;
}

static int
parse_iface(struct parser *p)
{
	struct farm_iface	 iface;
	struct farm_token	*t, *kw = next(p);
	char			*what;
	int			 rc = -1;

	memset(&iface, 0, sizeof iface);
	if (expect_ident(p, "an interface name after 'interface'", &t) == -1)
		return -1;
	iface.name = tok_strdup(t);
	iface.loc = t->loc;
	if (expect(p, FT_LBRACE, "'{' after the interface name") == -1) {
		iface.incomplete = true;
		goto out;
	}
	what = farm_xasprintf("interface %s", iface.name);
	rc = parse_block(p, what, &kw->loc, parse_op, &iface);
	free(what);
out:
	*FARM_PUSH(p->ff->ifaces, p->ff->nifaces) = iface;
	return rc;
}

/* ---- roles ----------------------------------------------------------- */

struct role_ctx {
	struct farm_role	*role;
	struct farm_loc		 seen[7];	/* where each property was set */
};

static const char *role_props[] = {
	"image", "memory", "vcpus", "type", "on_crash", "exports", "imports",
	NULL
};

static int
parse_names(struct parser *p, struct farm_name **v, size_t *n)
{
	struct farm_token	*t;
	struct farm_name	*nm;

	for (;;) {
		if (expect_ident(p, "an interface name", &t) == -1)
			return -1;
		nm = FARM_PUSH(*v, *n);
		nm->name = tok_strdup(t);
		nm->loc = t->loc;
		if (cur(p)->kind != FT_COMMA)
			return 0;
		next(p);
		skip_nl(p);
	}
}

static int
parse_uint(struct parser *p, const char *what, unsigned lo, unsigned hi,
    const char *unit, unsigned *v_r)
{
	struct farm_token	*t = cur(p);
	char			 buf[64];

	snprintf(buf, sizeof buf, "a number after '%s'", what);
	if (expect(p, FT_INT, buf) == -1)
		return -1;
	if (t->bad)
		return 0;
	if (t->num < lo || t->num > hi) {
		farm_diag(p->d, &t->loc, FARM_ERROR, "%s %.*s%s is out of range "
		    "(%u to %u)", what, (int)t->len, t->text, unit, lo, hi);
		return 0;
	}
	*v_r = t->num;
	return 0;
}

static int
parse_role_prop(struct parser *p, void *arg)
{
	struct role_ctx		*rc = arg;
	struct farm_role	*r = rc->role;
	struct farm_token	*t = cur(p), *v;
	struct farm_file	*ff = p->ff;
	size_t			 i;

	for (i = 0; role_props[i] != NULL; i++)
		if (farm_tok_is(t, role_props[i]))
			break;
	if (role_props[i] == NULL) {
		r->incomplete = true;
		if (t->kind == FT_IDENT) {
			farm_diag(p->d, &t->loc, FARM_ERROR, "unknown role "
			    "property '%.*s' (expected image, memory, vcpus, "
			    "type, on_crash, exports or imports)",
			    (int)t->len, t->text);
			return -1;
		}
		return expected(p, "a role property");
	}
	if (rc->seen[i].line != 0)
		farm_diag(p->d, &t->loc, FARM_ERROR, "'%s' is set twice in "
		    "role '%s' (first on line %u)", role_props[i], r->name,
		    rc->seen[i].line);
	rc->seen[i] = t->loc;
	next(p);

	switch (i) {
	case 0:
		v = cur(p);
		if (expect(p, FT_STRING, "a quoted directory after 'image'")
		    == -1)
			goto broken;
		if (*v->str == '\0' && !v->bad) {
			farm_diag(p->d, &v->loc, FARM_ERROR,
			    "image path is empty");
			r->incomplete = true;
			break;
		}
		free(r->image);
		free(r->image_path);
		r->image = farm_xstrdup(v->str);
		if (*v->str == '/' || strcmp(ff->dir, ".") == 0)
			r->image_path = farm_xstrdup(v->str);
		else
			r->image_path = farm_xasprintf("%s/%s", ff->dir,
			    v->str);
		break;
	case 1:
		if (parse_uint(p, "memory", MEMORY_MIN, MEMORY_MAX, " MiB",
		    &r->memory) == -1)
			return -1;
		break;
	case 2:
		if (parse_uint(p, "vcpus", 1, VCPUS_MAX, "", &r->vcpus) == -1)
			return -1;
		break;
	case 3:
		v = cur(p);
		if (farm_tok_is(v, "pv"))
			r->type = FARM_DOM_PV;
		else if (farm_tok_is(v, "pvh"))
			r->type = FARM_DOM_PVH;
		else if (v->kind == FT_IDENT)
			farm_diag(p->d, &v->loc, FARM_ERROR, "unknown domain "
			    "type '%.*s' (expected pv or pvh)", (int)v->len,
			    v->text);
		else
			return expected(p, "pv or pvh after 'type'");
		next(p);
		break;
	case 4:
		v = cur(p);
		if (farm_tok_is(v, "restart"))
			r->on_crash = FARM_CRASH_RESTART;
		else if (farm_tok_is(v, "preserve"))
			r->on_crash = FARM_CRASH_PRESERVE;
		else if (farm_tok_is(v, "destroy"))
			r->on_crash = FARM_CRASH_DESTROY;
		else if (v->kind == FT_IDENT)
			farm_diag(p->d, &v->loc, FARM_ERROR, "unknown on_crash "
			    "action '%.*s' (expected restart, preserve or "
			    "destroy)", (int)v->len, v->text);
		else
			return expected(p, "restart, preserve or destroy "
			    "after 'on_crash'");
		next(p);
		break;
	case 5:
		if (parse_names(p, &r->exports, &r->nexports) == -1)
			goto broken;
		break;
	case 6:
		if (parse_names(p, &r->imports, &r->nimports) == -1)
			goto broken;
		break;
	}
	if (end_statement(p, "a role property") == -1)
		goto broken;
	return 0;
broken:
	r->incomplete = true;
	return -1;
}

static int
parse_role(struct parser *p)
{
	struct role_ctx		 ctx;
	struct farm_role	 role;
	struct farm_token	*t, *kw = next(p);
	char			*what;
	int			 rc = -1;

	memset(&ctx, 0, sizeof ctx);
	memset(&role, 0, sizeof role);
	role.memory = 128;
	role.vcpus = 1;
	role.type = FARM_DOM_PV;
	role.on_crash = FARM_CRASH_RESTART;
	if (expect_ident(p, "a role name after 'role'", &t) == -1)
		return -1;
	role.name = tok_strdup(t);
	role.loc = t->loc;
	ctx.role = &role;
	if (expect(p, FT_LBRACE, "'{' after the role name") == -1) {
		role.incomplete = true;
		goto out;
	}
	what = farm_xasprintf("role %s", role.name);
	rc = parse_block(p, what, &kw->loc, parse_role_prop, &ctx);
	free(what);
out:
	*FARM_PUSH(p->ff->roles, p->ff->nroles) = role;
	return rc;
}

/* ---- expressions ----------------------------------------------------- */

static struct farm_expr	*parse_expr(struct parser *);
static int		 parse_wire(struct parser *, struct farm_expr *);

static struct farm_expr *
new_expr(enum farm_expr_kind kind, const struct farm_loc *loc)
{
	struct farm_expr	*e;

	e = farm_xcalloc(1, sizeof *e);
	e->kind = kind;
	e->loc = *loc;
	return e;
}

/* Forget the diagnostics reported since there were n. */
static void
diags_truncate(struct farm_diags *d, size_t n)
{
	while (d->n > n) {
		d->n--;
		if (d->v[d->n].severity == FARM_ERROR)
			d->nerrors--;
		else
			d->nwarnings--;
		free(d->v[d->n].msg);
	}
}

/*
 * `Import = expr` items of a vm, separated by ',' or newlines; the '{'
 * at open was just read.  If the items fail to parse and one of them
 * began a line no more indented than the statement, the '}' was
 * forgotten: say so, and go back to that line as the next statement.
 */
static int
parse_wires(struct parser *p, struct farm_expr *e,
    const struct farm_loc *open)
{
	size_t	rewind = 0, ndiags = 0;

	for (;;) {
		skip_nl(p);
		if (cur(p)->kind == FT_RBRACE) {
			next(p);
			return 0;
		}
		if (rewind == 0 && at_line_start(p) &&
		    cur(p)->loc.col <= p->stmt_col) {
			rewind = p->pos;
			ndiags = p->d->n;
		}
		if (parse_wire(p, e) == 0)
			continue;
		if (rewind == 0)
			return -1;
		diags_truncate(p->d, ndiags);
		farm_diag(p->d, open, FARM_ERROR, "missing '}' to close the "
		    "wires of vm %s", e->u.vm.role);
		p->pos = rewind;
		p->resynced = true;
		return -1;
	}
}

/* One `Import = expr` wire, and the ',' that may follow it. */
static int
parse_wire(struct parser *p, struct farm_expr *e)
{
	struct farm_token	*t;
	struct farm_wire	*w;

	if (cur(p)->kind == FT_EOF)
		return expected(p, "'}'");
	if (expect_ident(p, "an imported interface name, or '}'", &t) == -1)
		return -1;
	w = FARM_PUSH(e->u.vm.wires, e->u.vm.nwires);
	w->import = tok_strdup(t);
	w->loc = t->loc;
	if (expect(p, FT_EQ, "'=' after the imported interface name") == -1)
		return -1;
	skip_nl(p);
	if ((w->expr = parse_expr(p)) == NULL)
		return -1;
	if (cur(p)->kind == FT_COMMA)
		next(p);
	else if (cur(p)->kind != FT_NL && cur(p)->kind != FT_RBRACE)
		return expected(p, "',', end of line or '}' after a wire");
	return 0;
}

static int
parse_branches(struct parser *p, struct farm_expr *e, const char *what)
{
	struct farm_expr	*b;
	struct farm_token	*open;
	char			 buf[64];

	snprintf(buf, sizeof buf, "'(' after '%s'", what);
	open = cur(p);
	if (expect(p, FT_LPAREN, buf) == -1)
		return -1;
	skip_nl(p);
	while (cur(p)->kind != FT_RPAREN) {
		if (e->u.comb.nbranches > 0 && at_line_start(p) &&
		    looks_like_statement(p, 0)) {
			farm_diag(p->d, &open->loc, FARM_ERROR, "missing ')' "
			    "to close %s(", what);
			p->resynced = true;
			return -1;
		}
		if (e->u.comb.nbranches > 0) {
			snprintf(buf, sizeof buf, "',' or ')' in %s(...)",
			    what);
			if (expect(p, FT_COMMA, buf) == -1)
				return -1;
			skip_nl(p);
			if (cur(p)->kind == FT_RPAREN)
				break;	/* a trailing comma is fine */
		}
		if ((b = parse_expr(p)) == NULL)
			return -1;
		*FARM_PUSH(e->u.comb.branches, e->u.comb.nbranches) = b;
		skip_nl(p);
	}
	next(p);
	return 0;
}

static struct farm_expr *
parse_primary(struct parser *p)
{
	static const char	*policies[] = {
		"random", "roundrobin", "leastout", "failover", NULL
	};
	struct farm_token	*t = cur(p), *v;
	struct farm_expr	*e = NULL;
	size_t			 i;

	if (t->kind == FT_LPAREN) {
		next(p);
		skip_nl(p);
		if ((e = parse_expr(p)) == NULL)
			return NULL;
		skip_nl(p);
		if (expect(p, FT_RPAREN, "')'") == -1)
			goto fail;
		return e;
	}
	if (t->kind != FT_IDENT) {
		expected(p, "an expression (a binding name, vm, or, par, ref "
		    "or remote)");
		return NULL;
	}
	next(p);
	if (farm_tok_is(t, "vm")) {
		e = new_expr(FARM_E_VM, &t->loc);
		if (!p->allow_vm) {
			farm_diag(p->d, &t->loc, FARM_ERROR, "'vm' cannot be "
			    "used here: a new instance needs 'baltic create'");
			goto fail;
		}
		if (expect_ident(p, "a role name after 'vm'", &v) == -1)
			goto fail;
		e->u.vm.role = tok_strdup(v);
		e->u.vm.role_loc = v->loc;
		if (cur(p)->kind == FT_LBRACE) {
			v = next(p);
			if (parse_wires(p, e, &v->loc) == -1)
				goto fail;
		}
	} else if (farm_tok_is(t, "or") || farm_tok_is(t, "par")) {
		e = new_expr(farm_tok_is(t, "or") ? FARM_E_OR : FARM_E_PAR,
		    &t->loc);
		v = cur(p);
		if (e->kind == FARM_E_OR && v->kind == FT_IDENT) {
			for (i = 0; policies[i] != NULL; i++)
				if (farm_tok_is(v, policies[i]))
					break;
			if (policies[i] != NULL)
				e->u.comb.policy = i;
			else
				farm_diag(p->d, &v->loc, FARM_ERROR, "unknown or "
				    "policy '%.*s' (expected random, "
				    "roundrobin, leastout or failover)",
				    (int)v->len, v->text);
			next(p);
		}
		if (parse_branches(p, e, e->kind == FARM_E_OR ? "or" : "par")
		    == -1)
			goto fail;
	} else if (farm_tok_is(t, "ref")) {
		e = new_expr(FARM_E_REF, &t->loc);
		if ((e->u.ref.target = parse_expr(p)) == NULL)
			goto fail;
	} else if (farm_tok_is(t, "remote")) {
		e = new_expr(FARM_E_REMOTE, &t->loc);
		if (expect_ident(p, "an interface name after 'remote'",
		    &v) == -1)
			goto fail;
		e->u.remote.iface = tok_strdup(v);
		e->u.remote.iface_loc = v->loc;
		v = cur(p);
		if (expect(p, FT_STRING, "a quoted URL (\"http://host:port\") "
		    "after the interface name") == -1)
			goto fail;
		e->u.remote.url = farm_xstrdup(v->str);
		e->u.remote.url_bad = v->bad;
		e->u.remote.url_loc = v->loc;
	} else if (farm_tok_is(t, "export")) {
		p->pos--;
		expected(p, "an expression");
		return NULL;
	} else {
		e = new_expr(FARM_E_NAME, &t->loc);
		e->u.name.name = tok_strdup(t);
	}
	return e;
fail:
	farm_expr_free(e);
	return NULL;
}

static struct farm_expr *
parse_expr(struct parser *p)
{
	struct farm_expr	*e;

	if (p->depth >= DEPTH_MAX) {
		farm_diag(p->d, &cur(p)->loc, FARM_ERROR, "expression nested "
		    "too deeply (more than %d levels)", DEPTH_MAX);
		return NULL;
	}
	p->depth++;
	e = parse_primary(p);
	p->depth--;
	return e;
}

/* ---- farms ----------------------------------------------------------- */

static int
parse_export(struct parser *p, struct farm *f)
{
	struct farm_export	 ex;
	struct farm_token	*t;
	int			 rc = -1;

	memset(&ex, 0, sizeof ex);
	next(p);
	if (expect_ident(p, "a binding name after 'export'", &t) == -1)
		goto out;
	ex.binding = tok_strdup(t);
	ex.loc = t->loc;
	if (expect(p, FT_DOT, "'.' and an interface name (export "
	    "binding.Interface)") == -1)
		goto out;
	if (expect_ident(p, "an interface name after '.'", &t) == -1)
		goto out;
	ex.iface = tok_strdup(t);
	ex.iface_loc = t->loc;
	if (farm_tok_is(cur(p), "at")) {
		next(p);
		t = cur(p);
		if (expect(p, FT_STRING, "a quoted \"host:port\" after 'at'")
		    == -1)
			goto out;
		ex.addr = farm_xstrdup(t->str);
		ex.addr_bad = t->bad;
		ex.addr_loc = t->loc;
	}
	rc = end_statement(p, "an export");
out:
	if (rc == 0)
		*FARM_PUSH(f->exports, f->nexports) = ex;
	else {
		free(ex.binding);
		free(ex.iface);
		free(ex.addr);
	}
	return rc;
}

static int
parse_farm_item(struct parser *p, void *arg)
{
	struct farm		*f = arg;
	struct farm_binding	*b;
	struct farm_token	*t = cur(p);

	p->stmt_col = t->loc.col;
	if (farm_tok_is(t, "export") && peek_at(p, 1)->kind != FT_EQ)
		return parse_export(p, f);
	if (t->kind != FT_IDENT || peek_at(p, 1)->kind != FT_EQ)
		return expected(p, "a binding (name = expression) or "
		    "'export'");
	if (is_reserved(t))
		farm_diag(p->d, &t->loc, FARM_ERROR, "'%.*s' is a reserved "
		    "word and cannot name a binding", (int)t->len, t->text);
	next(p);
	next(p);
	skip_nl(p);
	b = FARM_PUSH(f->bindings, f->nbindings);
	b->name = tok_strdup(t);
	b->loc = t->loc;
	if ((b->expr = parse_expr(p)) == NULL)
		return -1;
	return end_statement(p, "a binding");
}

static int
parse_farm_item_mark(struct parser *p, void *arg)
{
	struct farm	*f = arg;

	if (parse_farm_item(p, arg) == -1) {
		f->incomplete = true;
		return -1;
	}
	return 0;
}

static int
parse_farm(struct parser *p)
{
	struct farm		 f;
	struct farm_token	*t, *kw = next(p);
	char			*what;
	int			 rc = -1;

	memset(&f, 0, sizeof f);
	if (expect_ident(p, "a farm name after 'farm'", &t) == -1)
		return -1;
	f.name = tok_strdup(t);
	f.loc = t->loc;
	if (expect(p, FT_LBRACE, "'{' after the farm name") == -1) {
		f.incomplete = true;
		goto out;
	}
	what = farm_xasprintf("farm %s", f.name);
	rc = parse_block(p, what, &kw->loc, parse_farm_item_mark, &f);
	free(what);
	if (rc == -1)
		f.incomplete = true;
out:
	*FARM_PUSH(p->ff->farms, p->ff->nfarms) = f;
	return rc;
}

/* ---- entry points ---------------------------------------------------- */

static void
parse_file(struct parser *p)
{
	struct farm_token	*t;
	size_t			 start;
	int			 rc;

	for (;;) {
		while (cur(p)->kind == FT_NL || cur(p)->kind == FT_SEMI)
			next(p);
		t = cur(p);
		if (t->kind == FT_EOF)
			break;
		start = p->pos;
		if (farm_tok_is(t, "interface"))
			rc = parse_iface(p);
		else if (farm_tok_is(t, "role"))
			rc = parse_role(p);
		else if (farm_tok_is(t, "farm"))
			rc = parse_farm(p);
		else
			rc = expected(p, "'interface', 'role' or 'farm'");
		if (rc == -1) {
			/* Skip to the next interface, role or farm. */
			for (;;) {
				sync_statement(p, start);
				if (p->pos == start || cur(p)->kind == FT_RBRACE)
					next(p);
				while (cur(p)->kind == FT_NL ||
				    cur(p)->kind == FT_SEMI)
					next(p);
				t = cur(p);
				if (t->kind == FT_EOF || is_decl(t))
					break;
				start = p->pos;
			}
		}
	}
}

static char *
dir_of(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return farm_xstrdup(".");
	if (slash == path)
		return farm_xstrdup("/");
	return farm_xstrndup(path, slash - path);
}

struct farm_file *
farm_parse(const char *path, const char *text, size_t len,
    struct farm_diags *d)
{
	struct parser		 p;
	struct farm_file	*ff;

	ff = farm_xcalloc(1, sizeof *ff);
	ff->path = farm_xstrdup(path);
	ff->dir = dir_of(path);

	memset(&p, 0, sizeof p);
	p.file = ff->path;
	p.d = d;
	p.ff = ff;
	p.allow_vm = true;
	farm_lex(ff->path, text, len, &p.toks, d);
	parse_file(&p);
	farm_tokens_dispose(&p.toks);
	return ff;
}

struct farm_expr *
farm_parse_expr_text(const char *file, const char *text, size_t len,
    bool allow_vm, struct farm_diags *d)
{
	struct parser		 p;
	struct farm_expr	*e;

	memset(&p, 0, sizeof p);
	p.file = file;
	p.d = d;
	p.allow_vm = allow_vm;
	farm_lex(file, text, len, &p.toks, d);
	skip_nl(&p);
	if ((e = parse_expr(&p)) != NULL) {
		skip_nl(&p);
		if (cur(&p)->kind != FT_EOF) {
			expected(&p, "end of the expression");
			farm_expr_free(e);
			e = NULL;
		}
	}
	farm_tokens_dispose(&p.toks);
	return e;
}

struct farm_file *
farm_load(const char *path, struct farm_diags *d)
{
	struct farm_file	*ff = NULL;
	char			*buf = NULL;
	size_t			 len = 0, cap = 0;
	ssize_t			 r;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		farm_diag(d, NULL, FARM_ERROR, "cannot open %s: %s", path,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > 64 * 1024 * 1024) {
				farm_diag(d, NULL, FARM_ERROR, "%s: file too "
				    "large", path);
				goto out;
			}
			buf = farm_xreallocarray(buf, cap, 1);
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			farm_diag(d, NULL, FARM_ERROR, "cannot read %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += r;
	}
	ff = farm_parse(path, buf, len, d);
	farm_check(ff, d);
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return ff;
}
