/*
 * baltic.h: the `baltic` command line tool.  One file per command
 * (cmd-*.c), each registered by one row of cmd_table[] in baltic.c.
 */
#ifndef BALTIC_BALTIC_H
#define BALTIC_BALTIC_H

#include "ctl.h"		/* the exit codes */

#define CMD_MODIFIES	0x1	/* changes farm state */
#define CMD_DRYRUN	0x2	/* honours -N: say what it would do */
#define CMD_DAEMON	0x4	/* talks to balticd */
#define CMD_JSON	0x8	/* main() takes --json: the result as JSON */

struct cmd_entry {
	const char	*name;
	int		(*exec)(int argc, char **argv);
	int		 flags;
	const char	*help;		/* one line */
	const char	*usage;		/* after "baltic NAME " */
};

extern const struct cmd_entry	cmd_table[];
extern int			baltic_dryrun;	/* global -N */
extern int			baltic_json;	/* --json of a CMD_JSON */

/* A bad command line: "usage: baltic NAME USAGE" and help to stderr;
 * returns 2. */
int	cmd_usage(const char *name);

int	cmd_help(int, char **);
int	cmd_check(int, char **);
int	cmd_compile(int, char **);
int	cmd_create(int, char **);
int	cmd_apply(int, char **);
int	cmd_send_farm_file(const char *cmd, int, char **);
int	cmd_list(int, char **);
int	cmd_top(int, char **);
int	cmd_call(int, char **);
int	cmd_set(int, char **);
int	cmd_destroy(int, char **);
int	cmd_move(int, char **);
int	cmd_cut(int, char **);
int	cmd_paste(int, char **);

/* cut and paste: send cmd for FARM INSTANCE FILE (made absolute). */
int	cmd_partition(const char *cmd, int argc, char **argv);

#endif /* BALTIC_BALTIC_H */
