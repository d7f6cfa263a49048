/*
 * fuzz-farm.c: the farm language front end on arbitrary text.
 *
 * farm_parse, then farm_check, print the diagnostics, free everything.
 * The promise under test (farm.h): any input gives
 * diagnostics, never a crash, a leak or a read past the text (which is
 * not NUL-terminated here, as farm_parse allows).  A farm that checks
 * with no error is also rendered back (farm_expr_str) and its refs asked
 * for their interfaces, the entry points `baltic set` and `list` use.
 */
#include <sys/types.h>

#include <string.h>

#include "farm/farm.h"
#include "fuzz.h"

static FILE	*devnull;

/* The diagnostics are printed through stdio as ever, but end here rather
 * than in write(2) to /dev/null: a syscall or two less per input. */
static ssize_t
discard(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	(void)buf;
	return (ssize_t)len;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const cookie_io_functions_t	io = { .write = discard };

	(void)argc;
	(void)argv;
	devnull = fopencookie(NULL, "w", io);
	return 0;
}

static void
check_clean(struct farm_file *ff)
{
	struct farm_iface	**needs;
	struct farm		 *f;
	char			 *s;
	size_t			  i, j, n;

	for (i = 0; i < ff->nfarms; i++) {
		f = &ff->farms[i];
		FUZZ_CHECK(farm_find_farm(ff, f->name) != NULL);
		for (j = 0; j < f->nbindings; j++) {
			FUZZ_CHECK(f->bindings[j].expr != NULL);
			s = farm_expr_str(f->bindings[j].expr);
			FUZZ_CHECK(s != NULL && *s != '\0');
			free(s);
			if (f->bindings[j].expr->kind != FARM_E_REF)
				continue;
			needs = NULL;
			n = farm_ref_needs(f, &f->bindings[j], &needs);
			FUZZ_CHECK(n == 0 || needs != NULL);
			free(needs);
		}
		for (j = 0; j < f->nexports; j++)
			FUZZ_CHECK(f->exports[j].binding_p != NULL &&
			    f->exports[j].iface_p != NULL);
		for (j = 0; j < f->ninstances; j++)
			FUZZ_CHECK(f->instances[j].name != NULL &&
			    f->instances[j].role != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct farm_diags	 d;
	struct farm_file	*ff;
	size_t			 i, nerr;

	if (devnull == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	farm_diags_init(&d);
	ff = farm_parse("fuzz.farm", (const char *)data, size, &d);
	FUZZ_CHECK(ff != NULL);
	nerr = farm_check(ff, &d);
	FUZZ_CHECK(nerr <= d.nerrors);
	for (i = 0; i < d.n; i++) {
		FUZZ_CHECK(d.v[i].msg != NULL && d.v[i].msg[0] != '\0');
	}
	if (devnull != NULL)
		farm_diags_print(&d, devnull);
	if (d.nerrors == 0)
		check_clean(ff);
	farm_file_free(ff);
	farm_diags_dispose(&d);
	return 0;
}
