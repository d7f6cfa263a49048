/*
 * farm-lex.c: the farm language's lexer.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

struct lexer {
	const char		*file;
	const char		*p, *end;
	unsigned		 line, col;
	struct farm_tokens	*toks;
	struct farm_diags	*d;
};

static struct farm_loc
lex_loc(const struct lexer *lx)
{
	struct farm_loc	loc = { lx->file, lx->line, lx->col };

	return loc;
}

static void
lex_advance(struct lexer *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else
		lx->col++;
	lx->p++;
}

static struct farm_token *
lex_push(struct lexer *lx, enum farm_tok kind, struct farm_loc loc,
    const char *start)
{
	struct farm_tokens	*t = lx->toks;
	struct farm_token	*tok;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = farm_xreallocarray(t->v, t->cap, sizeof *t->v);
	}
	tok = &t->v[t->n++];
	memset(tok, 0, sizeof *tok);
	tok->kind = kind;
	tok->loc = loc;
	tok->text = start;
	tok->len = lx->p - start;
	return tok;
}

static int
is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/*
 * The string broken at nl was wrapped: the next line is one word ending
 * with its closing '"' (a URL's ':9090"').  Returns the end of that
 * line's part of the string, or NULL.
 */
static const char *
lex_string_wrapped(const struct lexer *lx, const char *nl)
{
	const char	*q = nl + 1, *word;

	while (q < lx->end && (*q == ' ' || *q == '\t'))
		q++;
	for (word = q; q < lx->end && *q != '"'; q++)
		if (isspace((unsigned char)*q) || *q == '#')
			return NULL;
	if (q == lx->end || q == word)
		return NULL;
	return q + 1;
}

/*
 * A string: "..." on one line, with \" \\ \n \t escapes.  An
 * unterminated string is cut at the first ';', ',' or '}' if there is
 * one, so that the rest of the line still parses; else it takes the rest
 * of the line, and its wrapped tail if any, so that no stray '"' starts
 * a second one.  Either way the token is bad: the parser and checker
 * say nothing more about its value.
 */
static void
lex_string(struct lexer *lx)
{
	struct farm_loc		 loc = lex_loc(lx);
	const char		*start = lx->p, *q, *limit = NULL;
	const char		*skip = NULL;
	struct farm_token	*tok;
	char			*buf;
	size_t			 n = 0;
	bool			 broken = false;
	int			 c;

	for (q = lx->p + 1; q < lx->end && *q != '\n' && *q != '"'; q++)
		if (*q == '\\' && q + 1 < lx->end && q[1] != '\n')
			q++;
	if (q == lx->end || *q == '\n') {
		farm_diag(lx->d, &loc, FARM_ERROR, "unterminated string "
		    "(a string ends with '\"' on the same line)");
		broken = true;
		limit = q;
		for (q = lx->p + 1; q < limit; q++)
			if (*q == ';' || *q == ',' || *q == '}') {
				limit = q;
				break;
			}
		if (limit < lx->end && *limit == '\n')
			skip = lex_string_wrapped(lx, limit);
	}
	if (limit == NULL)
		limit = lx->end;
	buf = farm_xcalloc(1, lx->end - lx->p + 1);
	lex_advance(lx);
	for (;;) {
		if (lx->p >= limit)
			break;
		c = (unsigned char)*lx->p;
		if (c == '"') {
			lex_advance(lx);
			break;
		}
		if (c == '\\' && lx->p + 1 < limit) {
			struct farm_loc	eloc = lex_loc(lx);

			lex_advance(lx);
			c = (unsigned char)*lx->p;
			switch (c) {
			case '"':
			case '\\':
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			default:
				farm_diag(lx->d, &eloc, FARM_ERROR,
				    "unknown escape '\\%c' in string "
				    "(known: \\\" \\\\ \\n \\t)",
				    isprint(c) ? c : '?');
				break;
			}
		} else if (c == '\0' || c == '\r' || c == '\t') {
			struct farm_loc	eloc = lex_loc(lx);

			farm_diag(lx->d, &eloc, FARM_ERROR,
			    "control character 0x%02x in string", c);
		}
		buf[n++] = c;
		lex_advance(lx);
	}
	while (skip != NULL && lx->p < skip)
		lex_advance(lx);
	tok = lex_push(lx, FT_STRING, loc, start);
	tok->str = buf;
	tok->bad = broken;
}

/* Keywords with a hyphen, each lexed as one word; nowhere else is '-'
 * part of a name. */
static const char *const hyphen_words[] = { "client-ca", NULL };

/* The length of the hyphenated keyword at lx->p, or 0. */
static size_t
hyphen_word(const struct lexer *lx)
{
	size_t	i, n;

	for (i = 0; hyphen_words[i] != NULL; i++) {
		n = strlen(hyphen_words[i]);
		if ((size_t)(lx->end - lx->p) >= n &&
		    memcmp(lx->p, hyphen_words[i], n) == 0 &&
		    (lx->p + n == lx->end ||
		    !is_ident_char((unsigned char)lx->p[n])))
			return n;
	}
	return 0;
}

/* A name; non-ASCII letters are reported but kept in it. */
static void
lex_ident(struct lexer *lx)
{
	struct farm_loc		 loc = lex_loc(lx);
	const char		*start = lx->p;
	struct farm_token	*tok;
	bool			 foreign = false;
	size_t			 hw = hyphen_word(lx);
	int			 c;

	while (hw-- > 0)
		lex_advance(lx);
	while (lx->p < lx->end) {
		c = (unsigned char)*lx->p;
		if (c >= 0x80)
			foreign = true;
		else if (!is_ident_char(c))
			break;
		lex_advance(lx);
	}
	tok = lex_push(lx, FT_IDENT, loc, start);
	if (foreign)
		farm_diag(lx->d, &loc, FARM_ERROR, "non-ASCII character in "
		    "name '%.*s' (names are ASCII letters, digits and '_')",
		    (int)tok->len, tok->text);
}

static void
lex_number(struct lexer *lx)
{
	struct farm_loc		 loc = lex_loc(lx);
	const char		*start = lx->p;
	struct farm_token	*tok;
	uint64_t		 v = 0;
	bool			 big = false, bad = false;
	int			 c;

	while (lx->p < lx->end && is_ident_char((unsigned char)*lx->p)) {
		c = (unsigned char)*lx->p;
		if (c < '0' || c > '9')
			bad = true;
		else if (v > (UINT64_MAX - (c - '0')) / 10)
			big = true;
		else
			v = v * 10 + (c - '0');
		lex_advance(lx);
	}
	tok = lex_push(lx, FT_INT, loc, start);
	tok->num = v;
	tok->bad = big || bad;
	if (bad)
		farm_diag(lx->d, &loc, FARM_ERROR, "malformed number '%.*s' "
		    "(write plain decimal digits)", (int)tok->len, tok->text);
	else if (big)
		farm_diag(lx->d, &loc, FARM_ERROR, "number '%.*s' is too "
		    "large", (int)tok->len, tok->text);
}

void
farm_lex(const char *file, const char *text, size_t len,
    struct farm_tokens *toks, struct farm_diags *d)
{
	struct lexer		 lx;
	struct farm_loc		 loc;
	const char		*start;
	enum farm_tok		 kind;
	int			 c;

	memset(toks, 0, sizeof *toks);
	lx.file = file;
	lx.p = text;
	lx.end = text + len;
	lx.line = lx.col = 1;
	lx.toks = toks;
	lx.d = d;

	while (lx.p < lx.end) {
		c = (unsigned char)*lx.p;
		loc = lex_loc(&lx);
		start = lx.p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
		    c == '\v') {
			lex_advance(&lx);
			continue;
		}
		if (c == '#') {
			while (lx.p < lx.end && *lx.p != '\n')
				lex_advance(&lx);
			continue;
		}
		if (c == '\n') {
			lex_advance(&lx);
			if (toks->n == 0 || toks->v[toks->n - 1].kind != FT_NL)
				lex_push(&lx, FT_NL, loc, start);
			continue;
		}
		if (c == '"') {
			lex_string(&lx);
			continue;
		}
		if (c >= '0' && c <= '9') {
			lex_number(&lx);
			continue;
		}
		if (is_ident_start(c)) {
			lex_ident(&lx);
			continue;
		}
		switch (c) {
		case ';':	kind = FT_SEMI;		break;
		case '{':	kind = FT_LBRACE;	break;
		case '}':	kind = FT_RBRACE;	break;
		case '(':	kind = FT_LPAREN;	break;
		case ')':	kind = FT_RPAREN;	break;
		case ',':	kind = FT_COMMA;	break;
		case ':':	kind = FT_COLON;	break;
		case '.':	kind = FT_DOT;		break;
		case '=':	kind = FT_EQ;		break;
		case '-':
			if (lx.p + 1 < lx.end && lx.p[1] == '>') {
				lex_advance(&lx);
				kind = FT_ARROW;
				break;
			}
			/* FALLTHROUGH */
		default:
			if (c >= 0x21 && c < 0x7f)
				farm_diag(d, &loc, FARM_ERROR,
				    "unexpected character '%c'", c);
			else
				farm_diag(d, &loc, FARM_ERROR,
				    "unexpected byte 0x%02x", c);
			lex_advance(&lx);
			/* Skip the rest of a UTF-8 sequence: one report. */
			while (lx.p < lx.end &&
			    ((unsigned char)*lx.p & 0xc0) == 0x80)
				lex_advance(&lx);
			continue;
		}
		lex_advance(&lx);
		lex_push(&lx, kind, loc, start);
	}
	lex_push(&lx, FT_EOF, lex_loc(&lx), lx.p);
}

void
farm_tokens_dispose(struct farm_tokens *toks)
{
	size_t	i;

	for (i = 0; i < toks->n; i++)
		free(toks->v[i].str);
	free(toks->v);
	memset(toks, 0, sizeof *toks);
}

bool
farm_tok_is(const struct farm_token *t, const char *word)
{
	return t->kind == FT_IDENT && strlen(word) == t->len &&
	    memcmp(t->text, word, t->len) == 0;
}

const char *
farm_tok_describe(const struct farm_token *t, char *buf, size_t len)
{
	switch (t->kind) {
	case FT_EOF:
		return "end of file";
	case FT_NL:
		return "end of line";
	case FT_STRING:
		snprintf(buf, len, "string \"%.*s\"%s",
		    (int)(strlen(t->str) > 30 ? 30 : strlen(t->str)),
		    t->str, strlen(t->str) > 30 ? "..." : "");
		return buf;
	case FT_INT:
		snprintf(buf, len, "number %.*s", (int)t->len, t->text);
		return buf;
	default:
		snprintf(buf, len, "'%.*s'",
		    (int)(t->len > 40 ? 40 : t->len), t->text);
		return buf;
	}
}
