/*
 * farm-mem.c: libfarm's allocation helpers, which abort on exhaustion (a
 * farm file is small; a library that cannot allocate a few bytes has
 * nothing useful left to say).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

static void __attribute__((noreturn))
farm_nomem(void)
{
	fputs("libfarm: out of memory\n", stderr);
	abort();
}

void *
farm_xcalloc(size_t n, size_t sz)
{
	void	*p;

	if ((p = calloc(n ? n : 1, sz ? sz : 1)) == NULL)
		farm_nomem();
	return p;
}

void *
farm_xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > SIZE_MAX / sz)
		farm_nomem();
	if ((p = realloc(p, n * sz != 0 ? n * sz : 1)) == NULL)
		farm_nomem();
	return p;
}

char *
farm_xstrndup(const char *s, size_t len)
{
	char	*p;

	p = farm_xcalloc(1, len + 1);
	memcpy(p, s, len);
	return p;
}

char *
farm_xstrdup(const char *s)
{
	return farm_xstrndup(s, strlen(s));
}

/*
 * Caller frees.  Every diagnostic comes here: one formatting pass into a
 * stack buffer and one exact allocation for the usual short message (not
 * two passes, nor vasprintf's allocate-then-shrink).
 */
char *
farm_xvasprintf(const char *fmt, va_list ap)
{
	char	 buf[256], *p;
	va_list	 aq;
	int	 n;

	va_copy(aq, ap);
	n = vsnprintf(buf, sizeof buf, fmt, aq);
	va_end(aq);
	if (n < 0)
		farm_nomem();
	p = farm_xcalloc(1, (size_t)n + 1);
	if ((size_t)n < sizeof buf)
		memcpy(p, buf, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
farm_xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = farm_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}
