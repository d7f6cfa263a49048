/*
 * cmd-call.c: baltic call [-t MS] FARM IFACE.OP [ARG|-]
 * Calls an operation of one of the farm's exports, as an outside client
 * would; the result goes to stdout.  ARG "-" reads it from stdin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"
#include "util/util.h"

static char *
read_stdin(void)
{
	char	*buf = NULL;
	size_t	 len = 0, n;
	char	 chunk[8192];

	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		char *nb = realloc(buf, len + n + 1);

		if (nb == NULL) {
			free(buf);
			return NULL;
		}
		buf = nb;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	if (buf == NULL)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	return buf;
}

int
cmd_call(int argc, char **argv)
{
	yajl_gen	 g;
	yajl_val	 v = NULL;
	const char	*res;
	char		*iface, *op, *arg = NULL;
	long		 timeout = 0;
	int		 ch, rc;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			timeout = strtol(optarg, NULL, 10);
			if (timeout <= 0)
				return cmd_usage(argv[0]);
			break;
		default:
			return cmd_usage(argv[0]);
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		return cmd_usage(argv[0]);
	if ((iface = strdup(argv[optind + 1])) == NULL)
		return BALTIC_EXIT_FAIL;
	if ((op = strchr(iface, '.')) == NULL) {
		fprintf(stderr, "baltic: %s: expected IFACE.OP\n", iface);
		free(iface);
		return BALTIC_EXIT_USAGE;
	}
	*op++ = '\0';
	if (argc - optind == 3) {
		arg = strcmp(argv[optind + 2], "-") == 0 ? read_stdin() :
		    strdup(argv[optind + 2]);
		if (arg == NULL) {
			free(iface);
			return BALTIC_EXIT_FAIL;
		}
	}
	g = client_req(CTL_CMD_CALL);
	client_kv(g, CTL_K_FARM, argv[optind]);
	client_kv(g, CTL_K_IFACE, iface);
	client_kv(g, CTL_K_OP, op);
	client_kv(g, CTL_K_ARG, arg != NULL ? arg : "");
	if (timeout > 0)
		client_ki(g, CTL_K_TIMEOUT, timeout);
	rc = client_run(g, 1, &v);
	if (rc == BALTIC_EXIT_OK && (res = json_str(v, CTL_K_RESULT)) != NULL) {
		fputs(res, stdout);
		if (*res == '\0' || res[strlen(res) - 1] != '\n')
			putchar('\n');
	}
	yajl_tree_free(v);
	free(iface);
	free(arg);
	return rc;
}
