/*
 * fuzz-ctl.c: the control requests balticd accepts on its socket
 * (toolstack/daemon/control-req.c), a line from whoever reached it.
 *
 * Input: the line (a NUL in it ends it, as for balticd's readln).
 *
 * A request that parses is a JSON object whose "cmd" is a command of
 * ctl.h, with every key that command needs a string, names within
 * CTL_NAME_MAX, a timeout (if any) of 1 to CTL_TIMEOUT_MAX_MS and a
 * boolean "dryrun" (if any); one that does not says why, in one line.
 */
#include <stdbool.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "fuzz.h"
#include "ctl.h"
#include "daemon/control.h"
#include "util/util.h"

static const char *const cmds[] = { CTL_CMD_CREATE, CTL_CMD_LIST,
	CTL_CMD_CALL, CTL_CMD_SET, CTL_CMD_DESTROY, CTL_CMD_CUT,
	CTL_CMD_PASTE, CTL_CMD_APPLY, CTL_CMD_STATS };

/* The string keys cmd needs, NULL-ended. */
static const char *const *
needs(const char *cmd)
{
	static const char *const create[] = { CTL_K_PATH, CTL_K_TEXT, NULL };
	static const char *const call[] = { CTL_K_FARM, CTL_K_IFACE,
	    CTL_K_OP, NULL };
	static const char *const set[] = { CTL_K_FARM, CTL_K_REF, CTL_K_EXPR,
	    NULL };
	static const char *const part[] = { CTL_K_FARM, CTL_K_INSTANCE,
	    CTL_K_FILE, NULL };
	static const char *const farm[] = { CTL_K_FARM, NULL };
	static const char *const none[] = { NULL };

	if (strcmp(cmd, CTL_CMD_CREATE) == 0 ||
	    strcmp(cmd, CTL_CMD_APPLY) == 0)
		return create;
	if (strcmp(cmd, CTL_CMD_CALL) == 0)
		return call;
	if (strcmp(cmd, CTL_CMD_SET) == 0)
		return set;
	if (strcmp(cmd, CTL_CMD_CUT) == 0 || strcmp(cmd, CTL_CMD_PASTE) == 0)
		return part;
	if (strcmp(cmd, CTL_CMD_DESTROY) == 0)
		return farm;
	return none;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const	*k;
	const char		*cmd, *s;
	const char		*tpath[] = { CTL_K_TIMEOUT, NULL };
	const char		*dpath[] = { CTL_K_DRYRUN, NULL };
	yajl_val		 rq, v;
	char			*line, why[256];
	size_t			 i;
	bool			 known = false;

	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	why[0] = '\0';
	rq = ctl_req_parse(line, &cmd, why, sizeof why);
	free(line);
	if (rq == NULL) {
		FUZZ_CHECK(cmd == NULL);
		FUZZ_CHECK(why[0] != '\0' && strchr(why, '\n') == NULL);
		return 0;
	}
	FUZZ_CHECK(YAJL_IS_OBJECT(rq));
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (cmd == cmds[i] || strcmp(cmd, cmds[i]) == 0)
			known = true;
	FUZZ_CHECK(known);
	FUZZ_CHECK(strcmp(json_str(rq, CTL_K_CMD), cmd) == 0);
	for (k = needs(cmd); *k != NULL; k++)
		FUZZ_CHECK(json_str(rq, *k) != NULL);
	if ((s = json_str(rq, CTL_K_FARM)) != NULL)
		FUZZ_CHECK(strlen(s) <= CTL_NAME_MAX);
	if ((v = yajl_tree_get(rq, tpath, yajl_t_any)) != NULL)
		FUZZ_CHECK(YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 1 &&
		    YAJL_GET_INTEGER(v) <= CTL_TIMEOUT_MAX_MS);
	if ((v = yajl_tree_get(rq, dpath, yajl_t_any)) != NULL)
		FUZZ_CHECK(YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v));
	yajl_tree_free(rq);
	return 0;
}
