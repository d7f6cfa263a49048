/*
 * cmd-move.c: baltic move FARM INSTANCE HOST -- in a cluster, the
 * instance's partition runs on HOST from now on (balticd(8), CLUSTER).
 * Idempotent: already there, nothing to do.
 */
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"

int
cmd_move(int argc, char **argv)
{
	yajl_gen	g;

	if (getopt(argc, argv, "") != -1 || argc - optind != 3)
		return cmd_usage(argv[0]);
	g = client_req(CTL_CMD_MOVE);
	client_kv(g, CTL_K_FARM, argv[optind]);
	client_kv(g, CTL_K_INSTANCE, argv[optind + 1]);
	client_kv(g, CTL_K_HOST, argv[optind + 2]);
	return client_run(g, 0, NULL);
}
