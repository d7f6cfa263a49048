/*
 * farm-parse-expr.c: the farm language's expressions: binding names,
 * vm with its host pin and its wires, or/par with their branches, ref and remote; and
 * farm_parse_expr_text(), for an expression alone.
 */
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

#define DEPTH_MAX	64

static int		 parse_wire(struct farm_parser *, struct farm_expr *);

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
parse_wires(struct farm_parser *p, struct farm_expr *e,
    const struct farm_loc *open)
{
	size_t	rewind = 0, ndiags = 0;

	for (;;) {
		farm_skip_nl(p);
		if (farm_cur(p)->kind == FT_RBRACE) {
			farm_next(p);
			return 0;
		}
		if (rewind == 0 && farm_at_line_start(p) &&
		    farm_cur(p)->loc.col <= p->stmt_col) {
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
parse_wire(struct farm_parser *p, struct farm_expr *e)
{
	struct farm_token	*t;
	struct farm_wire	*w;

	if (farm_cur(p)->kind == FT_EOF)
		return farm_expected(p, "'}'");
	if (farm_expect_ident(p, "an imported interface name, or '}'",
	    &t) == -1)
		return -1;
	w = FARM_PUSH(e->u.vm.wires, e->u.vm.nwires);
	w->import = farm_tok_strdup(t);
	w->loc = t->loc;
	if (farm_expect(p, FT_EQ, "'=' after the imported interface name")
	    == -1)
		return -1;
	farm_skip_nl(p);
	if ((w->expr = farm_parse_expr_at(p)) == NULL)
		return -1;
	if (farm_cur(p)->kind == FT_COMMA)
		farm_next(p);
	else if (farm_cur(p)->kind != FT_NL && farm_cur(p)->kind != FT_RBRACE)
		return farm_expected(p, "',', end of line or '}' after a wire");
	return 0;
}

static int
parse_branches(struct farm_parser *p, struct farm_expr *e, const char *what)
{
	struct farm_expr	*b;
	struct farm_token	*open;
	char			 buf[64];

	snprintf(buf, sizeof buf, "'(' after '%s'", what);
	open = farm_cur(p);
	if (farm_expect(p, FT_LPAREN, buf) == -1)
		return -1;
	farm_skip_nl(p);
	while (farm_cur(p)->kind != FT_RPAREN) {
		if (e->u.comb.nbranches > 0 && farm_at_line_start(p) &&
		    farm_looks_like_statement(p, 0)) {
			farm_diag(p->d, &open->loc, FARM_ERROR, "missing ')' "
			    "to close %s(", what);
			p->resynced = true;
			return -1;
		}
		if (e->u.comb.nbranches > 0) {
			snprintf(buf, sizeof buf, "',' or ')' in %s(...)",
			    what);
			if (farm_expect(p, FT_COMMA, buf) == -1)
				return -1;
			farm_skip_nl(p);
			if (farm_cur(p)->kind == FT_RPAREN)
				break;	/* a trailing comma is fine */
		}
		if ((b = farm_parse_expr_at(p)) == NULL)
			return -1;
		*FARM_PUSH(e->u.comb.branches, e->u.comb.nbranches) = b;
		farm_skip_nl(p);
	}
	farm_next(p);
	return 0;
}

/* 'ca' "FILE" after a remote's URL: resolved against the farm file's
 * directory (an expression of `baltic set` has none: as given). */
static int
parse_remote_ca(struct farm_parser *p, struct farm_expr *e)
{
	struct farm_token	*v;

	e->u.remote.ca_loc = farm_next(p)->loc;
	v = farm_cur(p);
	if (farm_expect(p, FT_STRING, "a quoted file of CA certificates "
	    "after 'ca'") == -1)
		return -1;
	if (*v->str == '\0' && !v->bad)
		farm_diag(p->d, &v->loc, FARM_ERROR, "'ca' file is empty");
	else if (*v->str == '/' || p->ff == NULL ||
	    strcmp(p->ff->dir, ".") == 0)
		e->u.remote.ca = farm_xstrdup(v->str);
	else
		e->u.remote.ca = farm_xasprintf("%s/%s", p->ff->dir, v->str);
	return 0;
}

#define HOST_NAME_MAX_LEN	63

/*
 * Can s name a host or a host label: 1 to 63 bytes of letters, digits,
 * '.', '_' and '-', the first a letter or a digit?  The cluster's host
 * names and labels follow the same rule, so a pin that breaks it could
 * never match.  If not, why[] says which byte is at fault.
 */
static bool
host_name_ok(const char *s, char *why, size_t whylen)
{
	size_t		 i, len = strlen(s);
	unsigned char	 c;
	char		 shown[16];

	if (len == 0 || len > HOST_NAME_MAX_LEN) {
		snprintf(why, whylen, "%s", len == 0 ? "it is empty" :
		    "it is longer than 63 bytes");
		return false;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') ||
		    (i > 0 && (c == '.' || c == '_' || c == '-')))
			continue;
		if (c >= ' ' && c < 0x7f)
			snprintf(shown, sizeof shown, "'%c'", c);
		else
			snprintf(shown, sizeof shown, "byte 0x%02x", c);
		if (i == 0)
			snprintf(why, whylen, "it starts with %s, not a "
			    "letter or a digit", shown);
		else
			snprintf(why, whylen, "%s is not a letter, a digit, "
			    "'.', '_' or '-'", shown);
		return false;
	}
	return true;
}

/* `on "HOST"` after a vm's role: the host, or a host label, the
 * instance is pinned to; 'on' is the current token. */
static int
parse_vm_on(struct farm_parser *p, struct farm_expr *e)
{
	struct farm_token	*v;
	char			 why[96];

	farm_next(p);
	v = farm_cur(p);
	if (farm_expect(p, FT_STRING, "a quoted host name or host label "
	    "after 'on'") == -1)
		return -1;
	e->u.vm.on = farm_xstrdup(v->str);
	e->u.vm.on_loc = v->loc;
	if (!v->bad && !host_name_ok(v->str, why, sizeof why))
		farm_diag(p->d, &v->loc, FARM_ERROR, "bad host after 'on': "
		    "%s", why);
	return 0;
}

#define POOL_MAX	64	/* instances of an elastic or */
#define POOL_GROW_MAX	1000
#define POOL_IDLE_MAX	3600	/* seconds */

/* After an or's branches: `elastic MIN to MAX [grow G] [idle S]`. */
static int
parse_elastic(struct farm_parser *p, struct farm_expr *e)
{
	struct farm_token	*t;
	bool			 grow = false, idle = false;

	e->u.comb.pool_loc = farm_next(p)->loc;
	e->u.comb.pool_grow = 2;
	e->u.comb.pool_idle_s = 10;
	if (farm_expect_uint(p, "elastic", 1, POOL_MAX, "",
	    &e->u.comb.pool_min) == -1)
		return -1;
	if (!farm_tok_is(farm_cur(p), "to"))
		return farm_expected(p, "'to' and the largest size after the "
		    "smallest");
	farm_next(p);
	if (farm_expect_uint(p, "to", 1, POOL_MAX, "", &e->u.comb.pool_max)
	    == -1)
		return -1;
	for (;;) {
		t = farm_cur(p);
		if (farm_tok_is(t, "grow") && !grow) {
			farm_next(p);
			grow = true;
			if (farm_expect_uint(p, "grow", 1, POOL_GROW_MAX, "",
			    &e->u.comb.pool_grow) == -1)
				return -1;
		} else if (farm_tok_is(t, "idle") && !idle) {
			farm_next(p);
			idle = true;
			if (farm_expect_uint(p, "idle", 1, POOL_IDLE_MAX, " s",
			    &e->u.comb.pool_idle_s) == -1)
				return -1;
		} else
			return 0;
	}
}

#define HEDGE_MS_MAX	60000	/* a minute: longer is no hedge */
#define HEDGE_PCT_MIN	50
#define HEDGE_PCT_MAX	99

/* Before a par's branches: `hedge MS` or `hedge pN` (N from 50 to 99);
 * an or's is reported, and parsed to go on. */
static int
parse_hedge(struct farm_parser *p, struct farm_expr *e)
{
	struct farm_token	*t;
	unsigned		 n = 0;
	size_t			 i;

	e->u.comb.hedge_loc = farm_next(p)->loc;
	if (e->kind == FARM_E_OR)
		farm_diag(p->d, &e->u.comb.hedge_loc, FARM_ERROR, "'hedge' is "
		    "for par: an or sends a call to one branch at a time");
	t = farm_cur(p);
	if (t->kind == FT_INT)
		return farm_expect_uint(p, "hedge", 1, HEDGE_MS_MAX, " ms",
		    &e->u.comb.hedge_ms);
	if (t->kind != FT_IDENT || t->len < 2 || t->text[0] != 'p')
		return farm_expected(p, "a delay in milliseconds or a "
		    "percentile (p95) after 'hedge'");
	for (i = 1; i < t->len && n < 1000; i++) {
		if (t->text[i] < '0' || t->text[i] > '9')
			break;
		n = n * 10 + (unsigned)(t->text[i] - '0');
	}
	if (i < t->len || n < HEDGE_PCT_MIN || n > HEDGE_PCT_MAX)
		farm_diag(p->d, &t->loc, FARM_ERROR, "hedge percentile "
		    "'%.*s' is not one of p%u to p%u", (int)t->len, t->text,
		    HEDGE_PCT_MIN, HEDGE_PCT_MAX);
	else
		e->u.comb.hedge_pct = n;
	farm_next(p);
	return 0;
}

/* or [policy] (...) [elastic ...], par [hedge ...] (...): t is the
 * keyword, just read. */
static struct farm_expr *
parse_comb(struct farm_parser *p, struct farm_token *t)
{
	static const char	*policies[] = {
		"random", "roundrobin", "leastout", "failover", NULL
	};
	struct farm_token	*v;
	struct farm_expr	*e;
	size_t			 i;

	e = new_expr(farm_tok_is(t, "or") ? FARM_E_OR : FARM_E_PAR, &t->loc);
	v = farm_cur(p);
	if (e->kind == FARM_E_OR && v->kind == FT_IDENT &&
	    !farm_tok_is(v, "hedge")) {
		for (i = 0; policies[i] != NULL; i++)
			if (farm_tok_is(v, policies[i]))
				break;
		if (policies[i] != NULL)
			e->u.comb.policy = i;
		else
			farm_diag(p->d, &v->loc, FARM_ERROR, "unknown or "
			    "policy '%.*s' (expected random, roundrobin, "
			    "leastout or failover)", (int)v->len, v->text);
		farm_next(p);
	}
	if (farm_tok_is(farm_cur(p), "hedge") && parse_hedge(p, e) == -1)
		goto fail;
	if (parse_branches(p, e, e->kind == FARM_E_OR ? "or" : "par") == -1)
		goto fail;
	if (e->kind == FARM_E_OR && farm_tok_is(farm_cur(p), "elastic") &&
	    parse_elastic(p, e) == -1)
		goto fail;
	if (farm_tok_is(farm_cur(p), "hedge")) {
		farm_diag(p->d, &farm_cur(p)->loc, FARM_ERROR, "'hedge' goes "
		    "before the branches: par hedge MS (...)");
		goto fail;
	}
	return e;
fail:
	farm_expr_free(e);
	return NULL;
}

static struct farm_expr *
parse_primary(struct farm_parser *p)
{
	struct farm_token	*t = farm_cur(p), *v;
	struct farm_expr	*e = NULL;

	if (t->kind == FT_LPAREN) {
		farm_next(p);
		farm_skip_nl(p);
		if ((e = farm_parse_expr_at(p)) == NULL)
			return NULL;
		farm_skip_nl(p);
		if (farm_expect(p, FT_RPAREN, "')'") == -1)
			goto fail;
		return e;
	}
	if (t->kind != FT_IDENT) {
		farm_expected(p, "an expression (a binding name, vm, or, par, "
		    "ref or remote)");
		return NULL;
	}
	farm_next(p);
	if (farm_tok_is(t, "vm")) {
		e = new_expr(FARM_E_VM, &t->loc);
		if (!p->allow_vm) {
			farm_diag(p->d, &t->loc, FARM_ERROR, "'vm' cannot be "
			    "used here: a new instance needs 'baltic create'");
			goto fail;
		}
		if (farm_expect_ident(p, "a role name after 'vm'", &v) == -1)
			goto fail;
		e->u.vm.role = farm_tok_strdup(v);
		e->u.vm.role_loc = v->loc;
		if (farm_tok_is(farm_cur(p), "on") && parse_vm_on(p, e) == -1)
			goto fail;
		if (farm_cur(p)->kind == FT_LBRACE) {
			v = farm_next(p);
			if (parse_wires(p, e, &v->loc) == -1)
				goto fail;
		}
	} else if (farm_tok_is(t, "or") || farm_tok_is(t, "par")) {
		if ((e = parse_comb(p, t)) == NULL)
			return NULL;
	} else if (farm_tok_is(t, "ref")) {
		e = new_expr(FARM_E_REF, &t->loc);
		if ((e->u.ref.target = farm_parse_expr_at(p)) == NULL)
			goto fail;
	} else if (farm_tok_is(t, "remote")) {
		e = new_expr(FARM_E_REMOTE, &t->loc);
		if (farm_expect_ident(p, "an interface name after 'remote'",
		    &v) == -1)
			goto fail;
		e->u.remote.iface = farm_tok_strdup(v);
		e->u.remote.iface_loc = v->loc;
		v = farm_cur(p);
		if (farm_expect(p, FT_STRING, "a quoted URL "
		    "(\"http://host:port\") after the interface name") == -1)
			goto fail;
		e->u.remote.url = farm_xstrdup(v->str);
		e->u.remote.url_bad = v->bad;
		e->u.remote.url_loc = v->loc;
		if (farm_tok_is(farm_cur(p), "ca") &&
		    parse_remote_ca(p, e) == -1)
			goto fail;
	} else if (farm_tok_is(t, "export")) {
		p->pos--;
		farm_expected(p, "an expression");
		return NULL;
	} else {
		e = new_expr(FARM_E_NAME, &t->loc);
		e->u.name.name = farm_tok_strdup(t);
	}
	return e;
fail:
	farm_expr_free(e);
	return NULL;
}

struct farm_expr *
farm_parse_expr_at(struct farm_parser *p)
{
	struct farm_expr	*e;

	if (p->depth >= DEPTH_MAX) {
		farm_diag(p->d, &farm_cur(p)->loc, FARM_ERROR, "expression "
		    "nested too deeply (more than %d levels)", DEPTH_MAX);
		return NULL;
	}
	p->depth++;
	e = parse_primary(p);
	p->depth--;
	return e;
}

/* ---- entry point ----------------------------------------------------- */

struct farm_expr *
farm_parse_expr_text(const char *file, const char *text, size_t len,
    bool allow_vm, struct farm_diags *d)
{
	struct farm_parser		 p;
	struct farm_expr	*e;

	memset(&p, 0, sizeof p);
	p.file = file;
	p.d = d;
	p.allow_vm = allow_vm;
	farm_lex(file, text, len, &p.toks, d);
	farm_skip_nl(&p);
	if ((e = farm_parse_expr_at(&p)) != NULL) {
		farm_skip_nl(&p);
		if (farm_cur(&p)->kind != FT_EOF) {
			farm_expected(&p, "end of the expression");
			farm_expr_free(e);
			e = NULL;
		}
	}
	farm_tokens_dispose(&p.toks);
	return e;
}
