/*
 * cmd-paste.c: baltic paste FARM INSTANCE FILE.  Restores a cut instance
 * from FILE (xen: as `xl restore`; local: the stopped process is
 * continued), re-attaches its channel and puts it back in routing.
 * Idempotent.
 */
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"

int
cmd_paste(int argc, char **argv)
{
	return cmd_partition(CTL_CMD_PASTE, argc, argv);
}
