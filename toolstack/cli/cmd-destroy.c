/* cmd-destroy.c: baltic destroy FARM -- idempotent: no farm, no error. */
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"

int
cmd_destroy(int argc, char **argv)
{
	yajl_gen	g;

	if (getopt(argc, argv, "") != -1 || argc - optind != 1)
		return cmd_usage(argv[0]);
	g = client_req(CTL_CMD_DESTROY);
	client_kv(g, CTL_K_FARM, argv[optind]);
	return client_run(g, 0, NULL);
}
