/*
 * farmcheck: load farm files and print their diagnostics exactly as
 * farm_diags_print() does; with -i, also each farm's instances.  Exit
 * status 1 if any file has an error, 2 on a usage error.  The driver
 * of tests/bad/run.sh.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "farm/farm.h"

int
main(int argc, char **argv)
{
	struct farm_diags	 d;
	struct farm_file	*ff;
	size_t			 i, j;
	int			 ch, rc = 0, instances = 0;

	while ((ch = getopt(argc, argv, "i")) != -1) {
		switch (ch) {
		case 'i':
			instances = 1;
			break;
		default:
			fprintf(stderr, "usage: farmcheck [-i] file...\n");
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		farm_diags_init(&d);
		ff = farm_load(argv[optind], &d);
		farm_diags_print(&d, stdout);
		if (d.nerrors != 0)
			rc = 1;
		for (i = 0; instances && ff != NULL && i < ff->nfarms; i++)
			for (j = 0; j < ff->farms[i].ninstances; j++)
				printf("%s %s\n", ff->farms[i].instances[j].name,
				    ff->farms[i].instances[j].role ?
				    ff->farms[i].instances[j].role->name : "?");
		farm_file_free(ff);
		farm_diags_dispose(&d);
	}
	return rc;
}
