/*
 * cmd-check.c: `baltic check [-q] FILE...`.  Every problem of every file
 * in one run, as file:line:col on stderr; exit 1 if any file has an
 * error, 0 otherwise (warnings alone do not fail).  Silent on success
 * unless -v.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/baltic.h"
#include "farm/farm.h"
#include "log.h"

/* Print d to stderr; with quiet, its errors only. */
static void
print_diags(const struct farm_diags *d, int quiet)
{
	struct farm_diags	errs;
	size_t			i;

	if (!quiet) {
		farm_diags_print(d, stderr);
		return;
	}
	farm_diags_init(&errs);
	for (i = 0; i < d->n; i++) {
		if (d->v[i].severity == FARM_ERROR)
			farm_diag(&errs, &d->v[i].loc, FARM_ERROR, "%s",
			    d->v[i].msg);
	}
	farm_diags_print(&errs, stderr);
	farm_diags_dispose(&errs);
}

/* Check one file; returns its number of errors (1 if unreadable). */
static size_t
check_file(const char *path, int quiet)
{
	struct farm_file	*file;
	struct farm_diags	 d;
	size_t			 nerrors, i, ninst = 0;

	farm_diags_init(&d);
	errno = 0;
	file = farm_load(path, &d);
	if (file == NULL && d.nerrors == 0) {
		fprintf(stderr, "%s: %s\n", path,
		    errno != 0 ? strerror(errno) : "cannot be read");
		farm_diags_dispose(&d);
		return 1;
	}
	print_diags(&d, quiet);
	nerrors = file == NULL && d.nerrors == 0 ? 1 : d.nerrors;
	if (nerrors == 0 && log_verbose()) {
		for (i = 0; i < file->nfarms; i++)
			ninst += file->farms[i].ninstances;
		printf("%s: ok (%zu farm%s, %zu instance%s, %zu warning%s)\n",
		    path, file->nfarms, file->nfarms == 1 ? "" : "s", ninst,
		    ninst == 1 ? "" : "s", d.nwarnings,
		    d.nwarnings == 1 ? "" : "s");
	}
	if (file != NULL)
		farm_file_free(file);
	farm_diags_dispose(&d);
	return nerrors;
}

int
cmd_check(int argc, char **argv)
{
	int	ch, quiet = 0, i;
	size_t	nerrors = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "qh")) != -1) {
		switch (ch) {
		case 'q':
			quiet = 1;
			break;
		case 'h':
		default:
			return cmd_usage(argv[0]);
		}
	}
	if (optind >= argc)
		return cmd_usage(argv[0]);
	for (i = optind; i < argc; i++)
		nerrors += check_file(argv[i], quiet);
	return nerrors != 0 ? BALTIC_EXIT_FAIL : BALTIC_EXIT_OK;
}
