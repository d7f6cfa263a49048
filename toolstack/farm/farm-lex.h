/*
 * farm-lex.h: the farm language's tokens, and the helpers the farm-*.c
 * files share: the lexer's, the parser's and the checker's.  Internal
 * to libfarm: nothing outside toolstack/farm/farm-*.c includes it.
 */
#ifndef BALTIC_FARM_LEX_H
#define BALTIC_FARM_LEX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "farm/farm.h"

enum farm_tok {
	FT_EOF,
	FT_NL,			/* one or more newlines */
	FT_SEMI,
	FT_LBRACE,
	FT_RBRACE,
	FT_LPAREN,
	FT_RPAREN,
	FT_COMMA,
	FT_COLON,
	FT_DOT,
	FT_EQ,
	FT_ARROW,
	FT_IDENT,		/* keywords too: they are contextual */
	FT_STRING,
	FT_INT,
};

struct farm_token {
	enum farm_tok	 kind;
	struct farm_loc	 loc;
	const char	*text;		/* into the source */
	size_t		 len;
	char		*str;		/* FT_STRING: unescaped, owned */
	uint64_t	 num;		/* FT_INT */
	bool		 bad;		/* reported: bad FT_INT, open FT_STRING */
};

struct farm_tokens {
	struct farm_token	*v;
	size_t			 n, cap;
};

/*
 * Split text into tokens, always ending with FT_EOF.  Bad bytes and
 * strings are reported to d and skipped or repaired, so the parser sees
 * a plausible stream.  file is borrowed for the tokens' locations.
 */
void		 farm_lex(const char *file, const char *text, size_t len,
		    struct farm_tokens *, struct farm_diags *d);
void		 farm_tokens_dispose(struct farm_tokens *);
bool		 farm_tok_is(const struct farm_token *, const char *word);
/* "'name'", "string \"x\"", "end of line"...: for messages. */
const char	*farm_tok_describe(const struct farm_token *, char *buf,
		    size_t len);

/* Allocation that aborts on exhaustion: a farm file is small. */
void		*farm_xcalloc(size_t, size_t);
void		*farm_xreallocarray(void *, size_t, size_t);
char		*farm_xstrdup(const char *);
char		*farm_xstrndup(const char *, size_t);
char		*farm_xvasprintf(const char *, va_list)
		    __attribute__((format(printf, 1, 0)));
char		*farm_xasprintf(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* Grow a (v, n) array by one zeroed element; returns it. */
#define FARM_PUSH(v, n) \
	((v) = farm_xreallocarray((v), (n) + 1, sizeof *(v)), \
	 memset(&(v)[(n)], 0, sizeof *(v)), &(v)[(n)++])

/* ---- the parser: farm-parse*.c ------------------------------------- */

/* A parse in progress over one text's tokens. */
struct farm_parser {
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

/* The current token; FT_EOF at the end, never past it. */
struct farm_token	*farm_cur(struct farm_parser *);
/* The token ahead tokens after the current one, or the final FT_EOF. */
struct farm_token	*farm_peek(struct farm_parser *, size_t ahead);
/* Consume and return the current token (FT_EOF stays current). */
struct farm_token	*farm_next(struct farm_parser *);
/* Consume newline tokens. */
void		 farm_skip_nl(struct farm_parser *);
/* A token's text, as a new string. */
char		*farm_tok_strdup(const struct farm_token *);
/* Report "expected WHAT, found TOKEN" at the current token; returns -1. */
int		 farm_expected(struct farm_parser *, const char *what);
/* Consume a token of kind, else report what was expected; 0 or -1. */
int		 farm_expect(struct farm_parser *, enum farm_tok kind,
		    const char *what);
/* Consume a name into *t_r, else report what was expected; 0 or -1. */
int		 farm_expect_ident(struct farm_parser *, const char *what,
		    struct farm_token **t_r);
/* A number after what, from lo to hi (else reported, with unit, and
 * *v_r left as it was); 0, or -1 if there is no number. */
int		 farm_expect_uint(struct farm_parser *, const char *what,
		    unsigned lo, unsigned hi, const char *unit, unsigned *v_r);
/* After a statement: a newline, ';' or the block's '}' must follow. */
int		 farm_end_statement(struct farm_parser *, const char *what);
/* Does t begin an interface, role or farm? */
bool		 farm_is_decl(const struct farm_token *t);
/* Is the current token the first of its line? */
bool		 farm_at_line_start(struct farm_parser *);
/* Does the token ahead tokens on start a statement? */
bool		 farm_looks_like_statement(struct farm_parser *,
		    size_t ahead);
/* Skip the rest of a broken statement that began at token start. */
void		 farm_sync_statement(struct farm_parser *, size_t start);
/*
 * Call item() for each item of the block whose '{' (opening what, at
 * open) was just read, up to its '}'; 0, or -1 if the block was left
 * open (reported).
 */
int		 farm_parse_block(struct farm_parser *, const char *what,
		    const struct farm_loc *open,
		    int (*item)(struct farm_parser *, void *), void *arg);
/* One expression at the current token; NULL after a syntax error. */
struct farm_expr	*farm_parse_expr_at(struct farm_parser *);

/* Parse one expression (for farm_check_expr); NULL on syntax error. */
struct farm_expr	*farm_parse_expr_text(const char *file,
			    const char *text, size_t len, bool allow_vm,
			    struct farm_diags *d);

/* ---- the checker: farm-check.c, farm-resolve.c, farm-wire.c ---------- */

/* How deep a walk follows names through other names. */
#define FARM_WALK_DEPTH_MAX	256

/* A binding's state in a depth-first walk of its farm's bindings. */
enum farm_walk { FARM_W_NEW, FARM_W_BUSY, FARM_W_DONE };

struct farm_memo;

/* One run of the checker: over a file, or one expression of farm f. */
struct farm_ck {
	struct farm_file	*ff;
	struct farm_diags	*d;
	struct farm		*f;
	struct farm_memo	*memo;		/* per binding; NULL: no memo */
	unsigned		 depth;
	const struct farm_expr	**blamed;	/* or/par already reported */
	size_t			  nblamed;
};

/* The known name nearest a misspelt one, for "did you mean". */
struct farm_suggest {
	const char	*name;
	const char	*best;
	unsigned	 dist;
};

/* Start looking for the names near name (borrowed). */
void		 farm_suggest_init(struct farm_suggest *, const char *name);
/* Consider cand (borrowed until the last farm_suggest_str). */
void		 farm_suggest_try(struct farm_suggest *, const char *cand);
/* " (did you mean 'X'?)" or ""; static storage, one at a time. */
const char	*farm_suggest_str(const struct farm_suggest *);
/* The interface named name; NULL after reporting it unknown at loc. */
struct farm_iface	*farm_resolve_iface(struct farm_ck *, const char *name,
			    const struct farm_loc *loc);
/* The first role named name; NULL if there is none. */
struct farm_role	*farm_find_role(const struct farm_file *,
			    const char *name);
/* Resolve e's names in ck->f, counting the uses of its bindings. */
void		 farm_resolve_expr(struct farm_ck *, struct farm_expr *);
/* Report the bindings of ck->f (resolved) that refer to themselves. */
void		 farm_check_cycles(struct farm_ck *);
/* Does each use of ck->f's bindings (resolved) get what it needs? */
void		 farm_check_wiring(struct farm_ck *);

void		 farm_iface_dispose(struct farm_iface *);
void		 farm_role_dispose(struct farm_role *);
void		 farm_dispose(struct farm *);

#endif /* BALTIC_FARM_LEX_H */
