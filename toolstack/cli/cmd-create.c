/*
 * cmd-create.c: baltic create [--json] [-q] [-f FARM] FILE, and the
 * request every command that sends a farm file makes (apply too).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"

/* Read a whole file; NULL with a message on error.  Caller frees. */
static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 len = 0, n;
	char	 chunk[8192];

	if ((fp = fopen(path, "re")) == NULL) {
		client_fail(BALTIC_EXIT_FAIL, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		char *nb = realloc(buf, len + n + 1);

		if (nb == NULL) {
			free(buf);
			fclose(fp);
			return NULL;
		}
		buf = nb;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(fp);
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return NULL;
	buf[len] = '\0';
	if (strlen(buf) != len) {
		client_fail(BALTIC_EXIT_FAIL, "%s: contains a NUL byte", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Send cmd with the farm file of argv ([-q] [-f FARM] FILE): the file's
 * absolute path and its text.  A BALTIC_EXIT_* code. */
int
cmd_send_farm_file(const char *cmd, int argc, char **argv)
{
	const char	*farm = NULL;
	char		*text, abspath[PATH_MAX];
	yajl_gen	 g;
	int		 ch, quiet = 0;

	while ((ch = getopt(argc, argv, "f:q")) != -1) {
		switch (ch) {
		case 'f':
			farm = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			return cmd_usage(argv[0]);
		}
	}
	if (argc - optind != 1)
		return cmd_usage(argv[0]);
	if (realpath(argv[optind], abspath) == NULL)
		return client_fail(BALTIC_EXIT_NOTFOUND, "%s: %s",
		    argv[optind], strerror(errno));
	if ((text = slurp(abspath)) == NULL)
		return BALTIC_EXIT_FAIL;
	g = client_req(cmd);
	client_kv(g, CTL_K_PATH, abspath);
	client_kv(g, CTL_K_TEXT, text);
	if (farm != NULL)
		client_kv(g, CTL_K_FARM, farm);
	free(text);
	return client_run(g, quiet, NULL);
}

int
cmd_create(int argc, char **argv)
{
	return cmd_send_farm_file(CTL_CMD_CREATE, argc, argv);
}
