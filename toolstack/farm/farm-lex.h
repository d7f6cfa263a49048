/*
 * farm-lex.h: the farm language's tokens, and the helpers the farm-*.c
 * files share.  Internal to libfarm: nothing outside toolstack/farm-*.c
 * includes it.
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

/* Parse one expression (for farm_parse_expr); NULL on syntax error. */
struct farm_expr	*farm_parse_expr_text(const char *file,
			    const char *text, size_t len, bool allow_vm,
			    struct farm_diags *d);

void		 farm_iface_dispose(struct farm_iface *);
void		 farm_role_dispose(struct farm_role *);
void		 farm_dispose(struct farm *);

#endif /* BALTIC_FARM_LEX_H */
