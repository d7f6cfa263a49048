/* cmd-partition.c: what cut and paste share: FARM INSTANCE FILE. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"

/* Send cmd for FARM INSTANCE FILE, FILE made absolute for balticd. */
int
cmd_partition(const char *cmd, int argc, char **argv)
{
	yajl_gen	 g;
	char		 abspath[PATH_MAX], *slash, dir[PATH_MAX];

	if (getopt(argc, argv, "") != -1 || argc - optind != 3)
		return cmd_usage(argv[0]);
	snprintf(dir, sizeof dir, "%s", argv[optind + 2]);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	if (realpath(dir, abspath) == NULL)
		return client_fail(BALTIC_EXIT_NOTFOUND, "%s: %s", dir,
		    strerror(errno));
	snprintf(abspath + strlen(abspath), sizeof abspath - strlen(abspath),
	    "/%s", slash != NULL ? slash + 1 : argv[optind + 2]);
	g = client_req(cmd);
	client_kv(g, CTL_K_FARM, argv[optind]);
	client_kv(g, CTL_K_INSTANCE, argv[optind + 1]);
	client_kv(g, CTL_K_FILE, abspath);
	return client_run(g, 0, NULL);
}

