/*
 * cmd-cut.c: baltic cut FARM INSTANCE FILE.  The instance is taken out
 * of routing, its calls drain, then it is suspended to FILE (xen: the
 * domain is saved as by `xl save`; local: the agent's process group is
 * stopped and FILE records it).  Idempotent.
 */
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"

int
cmd_cut(int argc, char **argv)
{
	return cmd_partition(CTL_CMD_CUT, argc, argv);
}
