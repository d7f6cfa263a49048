/*
 * cmd-apply.c: baltic apply [--json] [-q] [-f FARM] FILE: reconcile a
 * running farm with its edited file (balticd prints the plan, then acts
 * on it; -N prints the plan only).
 */
#include "cli/baltic.h"
#include "cli/client.h"

int
cmd_apply(int argc, char **argv)
{
	return cmd_send_farm_file(CTL_CMD_APPLY, argc, argv);
}
