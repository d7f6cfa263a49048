/*
 * baltic.c: main() and the command table of the `baltic` tool, after
 * xl's xl_cmdtable.c and tmux's cmd_table[].  A command is found by its
 * exact name first, else by a unique prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/baltic.h"
#include "log.h"

int	baltic_dryrun;
int	baltic_json;

const struct cmd_entry cmd_table[] = {
	{ "help", cmd_help, 0,
	  "show the commands, or one command's usage", "[COMMAND]" },
	{ "check", cmd_check, 0,
	  "check farm files; print every error as file:line:col",
	  "[-q] FILE..." },
	{ "compile", cmd_compile, CMD_DRYRUN,
	  "translate a farm into xl domain configs (or --json: the graph)",
	  "[--json] [-o DIR] [-f FARM] FILE" },
	{ "create", cmd_create, CMD_MODIFIES | CMD_DRYRUN | CMD_DAEMON | CMD_JSON,
	  "start a farm: create its partitions, wire them, serve exports",
	  "[--json] [-q] [-f FARM] FILE" },
	{ "apply", cmd_apply, CMD_MODIFIES | CMD_DRYRUN | CMD_DAEMON | CMD_JSON,
	  "reconcile a running farm with its edited file (creates it if "
	  "not running)", "[--json] [-q] [-f FARM] FILE" },
	{ "list", cmd_list, CMD_DAEMON,
	  "list farms and partitions", "[-l] [--json] [FARM]" },
	{ "top", cmd_top, CMD_DAEMON,
	  "show farms, bindings and partitions live, in the style of xentop",
	  "[-b] [-d SECONDS] [-n ITERATIONS] [--json] [FARM]" },
	{ "call", cmd_call, CMD_DAEMON,
	  "call an operation of a farm's export", "[-t MS] FARM IFACE.OP [ARG]" },
	{ "set", cmd_set, CMD_MODIFIES | CMD_DAEMON | CMD_JSON,
	  "rewire a ref to a new, type-checked target",
	  "[--json] FARM REF EXPR" },
	{ "destroy", cmd_destroy, CMD_MODIFIES | CMD_DAEMON | CMD_JSON,
	  "destroy a farm and everything it created", "[--json] FARM" },
	{ "cut", cmd_cut, CMD_MODIFIES | CMD_DAEMON | CMD_JSON,
	  "take a partition out of the farm and suspend it to FILE "
	  "(local backend: pause the process)", "[--json] FARM INSTANCE FILE" },
	{ "paste", cmd_paste, CMD_MODIFIES | CMD_DAEMON | CMD_JSON,
	  "restore a cut partition from FILE and put it back in the farm "
	  "(local backend: resume the process)", "[--json] FARM INSTANCE FILE" },
	{ "move", cmd_move, CMD_MODIFIES | CMD_DAEMON | CMD_JSON,
	  "run a partition on another host of the cluster (the new one "
	  "starts, the old one drains)", "[--json] FARM INSTANCE HOST" },
	{ NULL, NULL, 0, NULL, NULL }
};

static void
usage_all(FILE *f)
{
	const struct cmd_entry	*c;

	fprintf(f, "usage: baltic [-v] [-N] COMMAND [ARGS]\n\n"
	    "  -v  more messages    -N  dry run (commands that allow it)\n\n"
	    "commands:\n");
	for (c = cmd_table; c->name != NULL; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->help);
	fprintf(f, "\n'baltic help COMMAND' or 'baltic COMMAND -h' for more.\n");
}

static const struct cmd_entry *
cmd_find(const char *name, int *ambiguous_r)
{
	const struct cmd_entry	*c, *found = NULL;
	size_t			 len = strlen(name);

	*ambiguous_r = 0;
	for (c = cmd_table; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
		if (strncmp(c->name, name, len) == 0) {
			if (found != NULL)
				*ambiguous_r = 1;
			found = c;
		}
	}
	return *ambiguous_r ? NULL : found;
}

static void
usage_one(FILE *f, const struct cmd_entry *c)
{
	fprintf(f, "usage: baltic %s %s\n  %s\n", c->name, c->usage, c->help);
}

int
cmd_usage(const char *name)
{
	int			 amb;
	const struct cmd_entry	*c = cmd_find(name, &amb);

	if (c == NULL)
		usage_all(stderr);
	else
		usage_one(stderr, c);
	return BALTIC_EXIT_USAGE;
}

/* help [COMMAND]: asked for, so to stdout; an unknown command is a bad
 * command line. */
int
cmd_help(int argc, char **argv)
{
	int			 amb;
	const struct cmd_entry	*c;

	if (argc < 2) {
		usage_all(stdout);
		return BALTIC_EXIT_OK;
	}
	if (argc > 2 || (c = cmd_find(argv[1], &amb)) == NULL) {
		fprintf(stderr, "baltic: %s command '%s'\n",
		    argc == 2 && amb ? "ambiguous" : "unknown", argv[1]);
		usage_all(stderr);
		return BALTIC_EXIT_USAGE;
	}
	usage_one(stdout, c);
	return BALTIC_EXIT_OK;
}

/*
 * The options main() handles for every command, before a "--": -h and
 * --help print the command's usage to stdout; --json, for a CMD_JSON
 * command, is taken out of argv.  1 if the usage was printed.
 */
static int
common_opts(const struct cmd_entry *c, int *argc, char **argv)
{
	int	i, j;

	for (i = j = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage_one(stdout, c);
			return 1;
		}
		if ((c->flags & CMD_JSON) && strcmp(argv[i], "--json") == 0) {
			baltic_json = 1;
			continue;
		}
		argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return 0;
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*c;
	int			 ch, verbose = 0, amb;

	while ((ch = getopt(argc, argv, "+hvN")) != -1) {
		switch (ch) {
		case 'v':
			verbose++;
			break;
		case 'N':
			baltic_dryrun = 1;
			break;
		case 'h':
			usage_all(stdout);
			return BALTIC_EXIT_OK;
		default:
			usage_all(stderr);
			return BALTIC_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	log_init("baltic", verbose);
	if (argc < 1) {
		usage_all(stderr);
		return BALTIC_EXIT_USAGE;
	}
	c = cmd_find(argv[0], &amb);
	if (c == NULL) {
		fprintf(stderr, "baltic: %s command '%s'\n",
		    amb ? "ambiguous" : "unknown", argv[0]);
		return BALTIC_EXIT_USAGE;
	}
	if (baltic_dryrun && !(c->flags & CMD_DRYRUN)) {
		fprintf(stderr, "baltic: %s has no dry run (-N)\n", c->name);
		return BALTIC_EXIT_USAGE;
	}
	if (common_opts(c, &argc, argv))
		return BALTIC_EXIT_OK;
	optind = 0;	/* commands parse their own flags from argv[0] */
	return c->exec(argc, argv);
}
