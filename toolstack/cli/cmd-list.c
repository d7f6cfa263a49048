/*
 * cmd-list.c: baltic list [-l] [--json] [FARM]
 * One line per farm; -l adds its partitions (OUT: calls in flight there
 * now, MAX: the most ever at once), refs and exports; --json prints what
 * balticd knows as JSON for scripts.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"
#include "util/util.h"

static yajl_val
get(yajl_val v, const char *k, yajl_type t)
{
	const char	*path[] = { k, NULL };

	return yajl_tree_get(v, path, t);
}

static const char *
str(yajl_val v, const char *k)
{
	const char	*s = json_str(v, k);

	return s != NULL ? s : "-";
}

static void
print_farm(yajl_val f, int longfmt)
{
	yajl_val	parts = get(f, CTL_K_PARTITIONS, yajl_t_array);
	yajl_val	refs = get(f, CTL_K_REFS, yajl_t_array);
	yajl_val	exps = get(f, CTL_K_EXPORTS, yajl_t_array);
	yajl_val	pools = get(f, CTL_K_POOLS, yajl_t_array);
	size_t		i, n = parts != NULL ? parts->u.array.len : 0, ready = 0;
	bool		hostcol = false;

	for (i = 0; i < n; i++)
		if (strcmp(str(parts->u.array.values[i], CTL_K_STATE), "ready")
		    == 0)
			ready++;
	printf("%-16s %-7s %5zu/%-5zu %10lld %8lld\n", str(f, CTL_K_NAME),
	    str(f, CTL_K_BACKEND), ready, n, json_int(f, CTL_K_CALLS, 0),
	    json_int(f, CTL_K_ERRORS, 0));
	if (!longfmt)
		return;
	/* In a cluster, where each partition runs: a HOST column. */
	for (i = 0; i < n; i++)
		if (json_str(parts->u.array.values[i], CTL_K_HOST) != NULL)
			hostcol = true;
	printf("  %-24s %-18s %-9s ", "INSTANCE", "ROLE", "STATE");
	if (hostcol)
		printf("%-12s ", "HOST");
	printf("%7s %5s %8s %6s %4s %4s\n", "PID", "DOMID", "SERVED", "FAILED",
	    "OUT", "MAX");
	for (i = 0; i < n; i++) {
		yajl_val p = parts->u.array.values[i];

		printf("  %-24s %-18s %-9s ", str(p, CTL_K_NAME),
		    str(p, CTL_K_ROLE), str(p, CTL_K_STATE));
		if (hostcol)
			printf("%-12s ", str(p, CTL_K_HOST));
		printf("%7lld %5lld %8lld %6lld %4lld %4lld",
		    json_int(p, CTL_K_PID, 0), json_int(p, CTL_K_DOMID, 0),
		    json_int(p, CTL_K_SERVED, 0), json_int(p, CTL_K_FAILED, 0),
		    json_int(p, CTL_K_OUTSTANDING, 0),
		    json_int(p, CTL_K_OUTSTANDING_MAX, 0));
		if (json_str(p, CTL_K_WHY) != NULL)
			printf("  (%s)", json_str(p, CTL_K_WHY));
		if (json_int(p, CTL_K_RESTARTS, 0) > 0)
			printf("  restarted %lld times",
			    json_int(p, CTL_K_RESTARTS, 0));
		if (json_str(p, CTL_K_REPLACED) != NULL)
			printf("  replaces %s", json_str(p, CTL_K_REPLACED));
		putchar('\n');
	}
	for (i = 0; refs != NULL && i < refs->u.array.len; i++)
		printf("  ref %s -> %s\n", str(refs->u.array.values[i], CTL_K_NAME),
		    str(refs->u.array.values[i], CTL_K_TARGET));
	for (i = 0; pools != NULL && i < pools->u.array.len; i++) {
		yajl_val x = pools->u.array.values[i];

		printf("  pool %s: %lld (%lld to %lld)", str(x, CTL_K_NAME),
		    json_int(x, CTL_K_SIZE, 0), json_int(x, CTL_K_MIN, 0),
		    json_int(x, CTL_K_MAX, 0));
		if (json_str(x, CTL_K_WHY) != NULL)
			printf(", %s", json_str(x, CTL_K_WHY));
		putchar('\n');
	}
	for (i = 0; exps != NULL && i < exps->u.array.len; i++) {
		yajl_val x = exps->u.array.values[i];

		printf("  export %s.%s", str(x, CTL_K_BINDING),
		    str(x, CTL_K_INTERFACE));
		if (json_str(x, CTL_K_ADDR) != NULL)
			printf(" at %s", str(x, CTL_K_ADDR));
		putchar('\n');
	}
}

int
cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "long", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	yajl_gen		 g;
	yajl_val		 v = NULL, farms;
	const unsigned char	*buf;
	size_t			 len, i;
	int			 ch, json = 0, longfmt = 0, rc;

	while ((ch = getopt_long(argc, argv, "jl", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'l':
			longfmt = 1;
			break;
		default:
			return cmd_usage(argv[0]);
		}
	}
	if (argc - optind > 1)
		return cmd_usage(argv[0]);
	g = client_req(CTL_CMD_LIST);
	if (argc - optind == 1)
		client_kv(g, CTL_K_FARM, argv[optind]);
	if ((rc = client_run(g, 1, &v)) != BALTIC_EXIT_OK)
		goto out;
	farms = get(v, CTL_K_FARMS, yajl_t_array);
	if (json) {
		g = yajl_gen_alloc(NULL);
		yajl_gen_config(g, yajl_gen_beautify, 1);
		if (farms != NULL)
			client_gen_val(g, farms);
		else {
			yajl_gen_array_open(g);
			yajl_gen_array_close(g);
		}
		yajl_gen_get_buf(g, &buf, &len);
		fwrite(buf, 1, len, stdout);
		yajl_gen_free(g);
		goto out;
	}
	printf("%-16s %-7s %11s %10s %8s\n", "FARM", "BACKEND", "PARTITIONS",
	    "CALLS", "ERRORS");
	for (i = 0; farms != NULL && i < farms->u.array.len; i++)
		print_farm(farms->u.array.values[i], longfmt);
out:
	yajl_tree_free(v);
	return rc;
}
