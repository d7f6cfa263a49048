/* cmd-set.c: baltic set FARM REF EXPR... (the words of EXPR are joined) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"

int
cmd_set(int argc, char **argv)
{
	yajl_gen	 g;
	char		*expr = NULL;
	size_t		 len = 0, n;
	int		 i, rc;

	if (getopt(argc, argv, "") != -1 || argc - optind < 3)
		return cmd_usage(argv[0]);
	for (i = optind + 2; i < argc; i++) {
		n = strlen(argv[i]);
		if ((expr = realloc(expr, len + n + 2)) == NULL)
			return BALTIC_EXIT_FAIL;
		memcpy(expr + len, argv[i], n);
		len += n;
		expr[len++] = i + 1 < argc ? ' ' : '\0';
	}
	g = client_req(CTL_CMD_SET);
	client_kv(g, CTL_K_FARM, argv[optind]);
	client_kv(g, CTL_K_REF, argv[optind + 1]);
	client_kv(g, CTL_K_EXPR, expr);
	free(expr);
	rc = client_run(g, 0, NULL);
	return rc;
}
