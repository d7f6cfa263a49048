/*
 * farm-parse.c: the farm language parser's machinery (grammar in
 * baltic.farm(5)): the token cursor, syntax errors, and the recovery
 * from them.  The declarations are parsed in farm-parse-decl.c, the
 * expressions in farm-parse-expr.c.
 *
 * Recursive descent over the token array.  A syntax error is reported
 * once, then the parser skips to the end of the statement (newline or
 * ';' outside brackets, or the '}' closing the block) and goes on, so
 * one run reports every broken statement.  What was parsed of a broken
 * statement is kept, marked incomplete, so that the checker does not
 * cascade "unknown name" errors from it.
 */
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

struct farm_token *
farm_cur(struct farm_parser *p)
{
	return &p->toks.v[p->pos];
}

struct farm_token *
farm_peek(struct farm_parser *p, size_t ahead)
{
	size_t	i = p->pos + ahead;

	return &p->toks.v[i < p->toks.n ? i : p->toks.n - 1];
}

struct farm_token *
farm_next(struct farm_parser *p)
{
	struct farm_token	*t = farm_cur(p);

	if (t->kind != FT_EOF)
		p->pos++;
	return t;
}

void
farm_skip_nl(struct farm_parser *p)
{
	while (farm_cur(p)->kind == FT_NL)
		p->pos++;
}


char *
farm_tok_strdup(const struct farm_token *t)
{
	return farm_xstrndup(t->text, t->len);
}

/* Report "expected WHAT, found TOKEN" at the current token; returns -1. */
int
farm_expected(struct farm_parser *p, const char *what)
{
	struct farm_token	*t = farm_cur(p);
	char			 buf[128];

	farm_diag(p->d, &t->loc, FARM_ERROR, "expected %s, found %s", what,
	    farm_tok_describe(t, buf, sizeof buf));
	return -1;
}

int
farm_expect(struct farm_parser *p, enum farm_tok kind, const char *what)
{
	if (farm_cur(p)->kind != kind)
		return farm_expected(p, what);
	farm_next(p);
	return 0;
}

int
farm_expect_ident(struct farm_parser *p, const char *what,
    struct farm_token **t_r)
{
	if (farm_cur(p)->kind != FT_IDENT)
		return farm_expected(p, what);
	*t_r = farm_next(p);
	return 0;
}

static bool
at_end_of_statement(struct farm_parser *p)
{
	enum farm_tok	k = farm_cur(p)->kind;

	return k == FT_NL || k == FT_SEMI || k == FT_RBRACE || k == FT_EOF;
}

int
farm_expect_uint(struct farm_parser *p, const char *what, unsigned lo,
    unsigned hi, const char *unit, unsigned *v_r)
{
	struct farm_token	*t = farm_cur(p);
	char			 buf[64];

	snprintf(buf, sizeof buf, "a number after '%s'", what);
	if (farm_expect(p, FT_INT, buf) == -1)
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

/* After a statement: a newline, ';' or the block's '}' must follow. */
int
farm_end_statement(struct farm_parser *p, const char *what)
{
	char	buf[64];

	if (at_end_of_statement(p))
		return 0;
	snprintf(buf, sizeof buf, "';' or end of line after %s", what);
	return farm_expected(p, buf);
}

/* Does t begin an interface, role or farm? */
bool
farm_is_decl(const struct farm_token *t)
{
	return farm_tok_is(t, "interface") || farm_tok_is(t, "role") ||
	    farm_tok_is(t, "farm");
}

/* Does the token ahead of the current one start a statement? */
bool
farm_looks_like_statement(struct farm_parser *p, size_t ahead)
{
	struct farm_token	*n1 = farm_peek(p, ahead), *n2;

	n2 = farm_peek(p, ahead + 1);
	return (n1->kind == FT_IDENT && n2->kind == FT_EQ) ||
	    farm_tok_is(n1, "export") || farm_is_decl(n1);
}

/* Is the current token the first of its line? */
bool
farm_at_line_start(struct farm_parser *p)
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
void
farm_sync_statement(struct farm_parser *p, size_t start)
{
	struct farm_token	*t;
	int			 nest = 0;
	size_t			 i;

	if (p->resynced) {
		p->resynced = false;
		return;
	}
	/* A newline already read inside brackets, then a new statement. */
	if (p->pos > start && farm_at_line_start(p) &&
	    farm_looks_like_statement(p, 0))
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
		t = farm_cur(p);
		switch (t->kind) {
		case FT_EOF:
			return;
		case FT_NL:
		case FT_SEMI:
			if (nest <= 0) {
				farm_next(p);
				return;
			}
			if (t->kind == FT_NL &&
			    farm_looks_like_statement(p, 1)) {
				farm_next(p);
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
		farm_next(p);
	}
}

/*
 * Does a declaration begin here, left of the block opened at open?
 * Then that block's '}' was forgotten.  One indented in the block was
 * put there: farm_parse_block()'s item() rejects it.
 */
static bool
outdented_decl(struct farm_parser *p, const struct farm_loc *open)
{
	return farm_is_decl(farm_cur(p)) && farm_peek(p, 1)->kind == FT_IDENT &&
	    farm_at_line_start(p) && farm_cur(p)->loc.col <= open->col;
}

/*
 * Parse the items of a block whose '{' was just read, calling item()
 * for each; stops at the matching '}' (consumed).  Returns 0, or -1 if
 * the file ended first or the next declaration began, reported there
 * against what, opened at open.  The caller then goes on at that
 * declaration, not past it.
 */
int
farm_parse_block(struct farm_parser *p, const char *what,
    const struct farm_loc *open, int (*item)(struct farm_parser *, void *),
    void *arg)
{
	size_t	start;

	for (;;) {
		while (farm_cur(p)->kind == FT_NL ||
		    farm_cur(p)->kind == FT_SEMI)
			farm_next(p);
		if (farm_cur(p)->kind == FT_RBRACE) {
			farm_next(p);
			return 0;
		}
		if (farm_cur(p)->kind == FT_EOF || outdented_decl(p, open)) {
			farm_diag(p->d, &farm_cur(p)->loc, FARM_ERROR,
			    "missing '}' to close %s opened on line %u", what,
			    open->line);
			p->resynced = true;
			return -1;
		}
		start = p->pos;
		if (item(p, arg) == -1) {
			farm_sync_statement(p, start);
			if (p->pos == start)
				farm_next(p);	/* always make progress */
		}
	}
}
