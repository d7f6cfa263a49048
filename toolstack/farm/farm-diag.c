/*
 * farm-diag.c: the list of problems found in a farm file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

void
farm_diags_init(struct farm_diags *d)
{
	memset(d, 0, sizeof *d);
}

void
farm_diags_dispose(struct farm_diags *d)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	memset(d, 0, sizeof *d);
}

/* Record one problem; loc may be NULL for a problem with no place. */
void
farm_diag(struct farm_diags *d, const struct farm_loc *loc,
    enum farm_severity sev, const char *fmt, ...)
{
	struct farm_diag	*g;
	va_list			 ap;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = farm_xreallocarray(d->v, d->cap, sizeof *d->v);
	}
	g = &d->v[d->n++];
	memset(g, 0, sizeof *g);
	if (loc != NULL)
		g->loc = *loc;
	g->severity = sev;
	va_start(ap, fmt);
	g->msg = farm_xvasprintf(fmt, ap);
	va_end(ap);
	if (sev == FARM_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct farm_diag	*x = *(const struct farm_diag * const *)a;
	const struct farm_diag	*y = *(const struct farm_diag * const *)b;
	int			 c;

	/* Mostly the same pointer: no strcmp per comparison then. */
	if (x->loc.file != y->loc.file) {
		c = strcmp(x->loc.file ? x->loc.file : "",
		    y->loc.file ? y->loc.file : "");
		if (c != 0)
			return c;
	}
	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	if (x->loc.col != y->loc.col)
		return x->loc.col < y->loc.col ? -1 : 1;
	return x < y ? -1 : (x > y);	/* stable: the order of finding */
}

void
farm_diags_print(const struct farm_diags *d, FILE *fp)
{
	const struct farm_diag	**v;
	const struct farm_diag	 *g;
	const char		 *sev;
	size_t			  i;

	if (d->n == 0)
		return;
	v = farm_xcalloc(d->n, sizeof *v);
	for (i = 0; i < d->n; i++)
		v[i] = &d->v[i];
	qsort(v, d->n, sizeof *v, diag_cmp);
	for (i = 0; i < d->n; i++) {
		g = v[i];
		sev = g->severity == FARM_ERROR ? "error" : "warning";
		if (g->loc.file == NULL)
			fprintf(fp, "%s: %s\n", sev, g->msg);
		else if (g->loc.line == 0)
			fprintf(fp, "%s: %s: %s\n", g->loc.file, sev, g->msg);
		else
			fprintf(fp, "%s:%u:%u: %s: %s\n", g->loc.file,
			    g->loc.line, g->loc.col, sev, g->msg);
	}
	free(v);
}

char *
farm_diags_str(const struct farm_diags *d)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	farm_diags_print(d, fp);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
