/*
 * control-req.c: a control request (ctl.h) checked before any command
 * sees it.  Whoever reached the socket sent it, so it is untrusted until
 * here: one JSON object whose "cmd" is a command of ctl.h, and whose keys
 * for that command have the types the command reads them as: the keys it
 * needs present, names at most CTL_NAME_MAX bytes, a timeout of 1 to
 * CTL_TIMEOUT_MAX_MS, "dryrun" a boolean.  Keys a command does not read
 * are ignored (ctl.h: each side ignores keys it does not know).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "ctl.h"
#include "daemon/control.h"
#include "util/util.h"

#define CTL_REQ_KEYS	4

/* What each command reads: string keys it needs, string keys it may
 * have; call may have a timeout too. */
static const struct {
	const char	*cmd;
	const char	*need[CTL_REQ_KEYS];
	const char	*may[CTL_REQ_KEYS];
} ctl_req_specs[] = {
	{ CTL_CMD_CREATE,	{ CTL_K_PATH, CTL_K_TEXT },	{ CTL_K_FARM } },
	{ CTL_CMD_APPLY,	{ CTL_K_PATH, CTL_K_TEXT },	{ CTL_K_FARM } },
	{ CTL_CMD_LIST,		{ NULL },			{ CTL_K_FARM } },
	{ CTL_CMD_STATS,	{ NULL },			{ CTL_K_FARM } },
	{ CTL_CMD_CALL,		{ CTL_K_FARM, CTL_K_IFACE, CTL_K_OP },
				{ CTL_K_ARG } },
	{ CTL_CMD_SET,		{ CTL_K_FARM, CTL_K_REF, CTL_K_EXPR },
				{ NULL } },
	{ CTL_CMD_DESTROY,	{ CTL_K_FARM },			{ NULL } },
	{ CTL_CMD_CUT,		{ CTL_K_FARM, CTL_K_INSTANCE, CTL_K_FILE },
				{ NULL } },
	{ CTL_CMD_PASTE,	{ CTL_K_FARM, CTL_K_INSTANCE, CTL_K_FILE },
				{ NULL } },
	{ CTL_CMD_MOVE,		{ CTL_K_FARM, CTL_K_INSTANCE, CTL_K_HOST },
				{ NULL } },
};

/* Keys that hold a name. */
static bool
ctl_req_is_name(const char *key)
{
	return strcmp(key, CTL_K_FARM) == 0 || strcmp(key, CTL_K_IFACE) == 0 ||
	    strcmp(key, CTL_K_OP) == 0 || strcmp(key, CTL_K_REF) == 0 ||
	    strcmp(key, CTL_K_INSTANCE) == 0 || strcmp(key, CTL_K_HOST) == 0;
}

/* rq's key, if needed or there: a string (a name within CTL_NAME_MAX).
 * 0, or -1 with why. */
static int
ctl_req_key(yajl_val rq, const char *cmd, const char *key, bool need,
    char *why, size_t size)
{
	const char	*path[] = { key, NULL };
	yajl_val	 v = yajl_tree_get(rq, path, yajl_t_any);

	if (v == NULL && !need)
		return 0;
	if (v == NULL || !YAJL_IS_STRING(v)) {
		snprintf(why, size, "%s: \"%s\" %s", cmd, key, v == NULL ?
		    "is missing" : "is not a string");
		return -1;
	}
	if (ctl_req_is_name(key) && strlen(v->u.string) > CTL_NAME_MAX) {
		snprintf(why, size, "%s: \"%s\" is longer than %d bytes", cmd,
		    key, CTL_NAME_MAX);
		return -1;
	}
	return 0;
}

/* "dryrun" and "timeout", wherever they are: of the right type. */
static int
ctl_req_common(yajl_val rq, const char *cmd, char *why, size_t size)
{
	const char	*dpath[] = { CTL_K_DRYRUN, NULL };
	const char	*tpath[] = { CTL_K_TIMEOUT, NULL };
	yajl_val	 d = yajl_tree_get(rq, dpath, yajl_t_any);
	yajl_val	 t = yajl_tree_get(rq, tpath, yajl_t_any);

	if (d != NULL && !YAJL_IS_TRUE(d) && !YAJL_IS_FALSE(d)) {
		snprintf(why, size, "%s: \"%s\" is not true or false", cmd,
		    CTL_K_DRYRUN);
		return -1;
	}
	if (t != NULL && (!YAJL_IS_INTEGER(t) || YAJL_GET_INTEGER(t) < 1 ||
	    YAJL_GET_INTEGER(t) > CTL_TIMEOUT_MAX_MS)) {
		snprintf(why, size, "%s: \"%s\" is not milliseconds from 1 to "
		    "%u", cmd, CTL_K_TIMEOUT, CTL_TIMEOUT_MAX_MS);
		return -1;
	}
	return 0;
}

/* "unknown command C", C cut at 64 bytes and any byte that is not
 * printable ASCII shown as '?': why is one line whatever a peer sent. */
static void
ctl_req_unknown(const char *cmd, char *why, size_t size)
{
	char	shown[65];
	size_t	i;

	for (i = 0; cmd[i] != '\0' && i < sizeof shown - 1; i++)
		shown[i] = (unsigned char)cmd[i] >= 0x20 &&
		    (unsigned char)cmd[i] < 0x7f ? cmd[i] : '?';
	shown[i] = '\0';
	snprintf(why, size, "unknown command %s", shown);
}

yajl_val
ctl_req_parse(const char *line, const char **cmd_r, char *why, size_t size)
{
	const char	*path[] = { CTL_K_CMD, NULL };
	yajl_val	 rq, cmd;
	size_t		 i, k;

	*cmd_r = NULL;
	if ((rq = yajl_tree_parse(line, why, size)) == NULL) {
		why[strcspn(why, "\n")] = '\0';	/* yajl's is several lines */
		return NULL;
	}
	if (!YAJL_IS_OBJECT(rq)) {
		snprintf(why, size, "not a JSON object");
		goto fail;
	}
	cmd = yajl_tree_get(rq, path, yajl_t_any);
	if (cmd == NULL || !YAJL_IS_STRING(cmd)) {
		snprintf(why, size, "\"%s\" %s", CTL_K_CMD, cmd == NULL ?
		    "is missing" : "is not a string");
		goto fail;
	}
	for (i = 0; i < sizeof ctl_req_specs / sizeof ctl_req_specs[0]; i++)
		if (strcmp(cmd->u.string, ctl_req_specs[i].cmd) == 0)
			break;
	if (i == sizeof ctl_req_specs / sizeof ctl_req_specs[0]) {
		ctl_req_unknown(cmd->u.string, why, size);
		goto fail;
	}
	if (ctl_req_common(rq, ctl_req_specs[i].cmd, why, size) == -1)
		goto fail;
	for (k = 0; k < CTL_REQ_KEYS; k++)
		if ((ctl_req_specs[i].need[k] != NULL && ctl_req_key(rq,
		    ctl_req_specs[i].cmd, ctl_req_specs[i].need[k], true, why,
		    size) == -1) || (ctl_req_specs[i].may[k] != NULL &&
		    ctl_req_key(rq, ctl_req_specs[i].cmd,
		    ctl_req_specs[i].may[k], false, why, size) == -1))
			goto fail;
	*cmd_r = ctl_req_specs[i].cmd;
	return rq;
fail:
	yajl_tree_free(rq);
	return NULL;
}
