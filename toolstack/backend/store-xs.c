/*
 * store-xs.c: the xen backend's state store, xenstore.  A key
 * "farms/eop/source" is the node /local/domain/0/baltic/farms/eop/source;
 * the subtree is dom0's only (permissions n0: owner dom0, nothing for
 * anyone else).  It exists while it holds something: the first put makes
 * /local/domain/0/baltic, the del of the last key removes it.  Every change is one transaction, retried on EAGAIN, so
 * a reader sees the old value or the new.
 *
 * A xenstore value is at most about 4 KiB; a larger one (a big farm's
 * source) is kept as chunks below its node, whose own value then says
 * how many: "\001chunks <n> <len>".  Values are written and read whole.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "backend/backend.h"
#include "backend/xen-xs-txn.h"
#include "daemon/daemon.h"
#include "log.h"

#define XS_ROOT		"/local/domain/0/baltic"
#define SX_PATH_MAX	512		/* a key's whole path */
#define XS_CHUNK	2048		/* bytes per chunk node */
#define XS_CHUNK_MARK	"\001chunks "

struct store_xs {
	struct xs_handle	*xs;
};

/* Keys are relative xenstore paths of the characters xenstore takes. */
static bool
key_ok(const char *key)
{
	const char	*s;

	if (key[0] == '\0' || key[0] == '/' || strstr(key, "//") != NULL ||
	    key[strlen(key) - 1] == '/')
		return false;
	for (s = key; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '/' || *s == '@'))
			return false;
	return true;
}

/* n0: dom0 owns it, no other domain may read or write. */
static bool
xs_dom0_only(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	struct xs_permissions	perm = { .id = 0, .perms = XS_PERM_NONE };

	return xs_set_permissions(xs, t, path, &perm, 1);
}

/* Connect to xenstore; nothing is written until the first put. */
static int
sx_open(struct daemon *d, void **ctx_r, char **err_r)
{
	struct store_xs		*s = NULL;
	int			 rc = -1;

	if ((s = calloc(1, sizeof *s)) == NULL)
		fatal("%s", __func__);
	if ((s->xs = xs_open(0)) == NULL) {
		if (asprintf(err_r, "xs_open: %s: is this a Xen dom0 with "
		    "xenstored running?", strerror(errno)) == -1)
			*err_r = NULL;
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		if (s->xs != NULL)
			xs_close(s->xs);
		free(s);
		return -1;
	}
	*ctx_r = s;
	return 0;
}

static void
sx_close(void *ctx)
{
	struct store_xs	*s = ctx;

	if (s == NULL)
		return;
	if (s->xs != NULL)
		xs_close(s->xs);
	free(s);
}

/* One write of a value, whole or in chunks, inside transaction t. */
static bool
sx_put_t(struct xs_handle *xs, xs_transaction_t t, const char *path,
    const char *val, size_t len)
{
	char	 sub[600], mark[64];
	size_t	 n, i, off;

	xs_rm(xs, t, path);		/* old chunks, if any */
	if (!xs_mkdir(xs, t, XS_ROOT) || !xs_dom0_only(xs, t, XS_ROOT))
		return false;
	if (len <= XS_CHUNK)
		return xs_write(xs, t, path, val, (unsigned)len) &&
		    xs_dom0_only(xs, t, path);
	n = (len + XS_CHUNK - 1) / XS_CHUNK;
	snprintf(mark, sizeof mark, XS_CHUNK_MARK "%zu %zu", n, len);
	if (!xs_write(xs, t, path, mark, (unsigned)strlen(mark)) ||
	    !xs_dom0_only(xs, t, path))
		return false;
	for (i = 0, off = 0; i < n; i++, off += XS_CHUNK) {
		snprintf(sub, sizeof sub, "%s/chunk-%zu", path, i);
		if (!xs_write(xs, t, sub, val + off, (unsigned)(len - off <
		    XS_CHUNK ? len - off : XS_CHUNK)) ||
		    !xs_dom0_only(xs, t, sub))
			return false;
	}
	return true;
}

/* What sx_put writes, for its transaction. */
struct sx_put_arg {
	const char	*path;
	const void	*val;
	size_t		 len;
};

static int
sx_put_txn(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct sx_put_arg	*a = arg;

	return sx_put_t(xs, t, a->path, a->val, a->len) ? 0 : -1;
}

/*
 * The xenstore path of key into path (SX_PATH_MAX bytes), with room left
 * over for what the caller appends (a chunk's suffix): 0, or -1 for a
 * bad key or one too long.
 */
static int
sx_path(const char *key, char *path, size_t room)
{
	return key_ok(key) && (size_t)snprintf(path, SX_PATH_MAX, "%s/%s",
	    XS_ROOT, key) < SX_PATH_MAX - room ? 0 : -1;
}

/* Replace key's value, in one transaction; 0 or -1. */
static int
sx_put(void *ctx, const char *key, const void *val, size_t len)
{
	struct store_xs		*s = ctx;
	struct sx_put_arg	 a = { .val = val, .len = len };
	char			 path[SX_PATH_MAX];

	if (sx_path(key, path, 32) == -1)
		return -1;
	a.path = path;
	return xen_xs_txn(s->xs, sx_put_txn, &a);
}

/* Read a value (reassembling chunks) inside t; malloc'd, NUL-ended. */
static char *
sx_get_t(struct xs_handle *xs, xs_transaction_t t, const char *path,
    size_t *len_r)
{
	char		*v = NULL, *c = NULL, *buf = NULL, sub[600];
	unsigned int	 len, clen;
	size_t		 n, total, i, off = 0;

	if ((v = xs_read(xs, t, path, &len)) == NULL)
		goto out;
	if (len < strlen(XS_CHUNK_MARK) || memcmp(v, XS_CHUNK_MARK,
	    strlen(XS_CHUNK_MARK)) != 0) {
		*len_r = len;
		buf = v;
		v = NULL;
		goto out;
	}
	if (sscanf(v + strlen(XS_CHUNK_MARK), "%zu %zu", &n, &total) != 2 ||
	    total > n * XS_CHUNK || (buf = malloc(total + 1)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof sub, "%s/chunk-%zu", path, i);
		if ((c = xs_read(xs, t, sub, &clen)) == NULL ||
		    clen > total - off) {
			free(buf);
			buf = NULL;
			goto out;
		}
		memcpy(buf + off, c, clen);
		off += clen;
		free(c);
		c = NULL;
	}
	if (off != total) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[total] = '\0';
	*len_r = total;
out:
	free(c);
	free(v);
	return buf;
}

/* sx_get's read: the path, and the value of its latest try. */
struct sx_get_arg {
	const char	*path;
	char		*v;	/* NULL: absent or unreadable */
	size_t		*len_r;
};

static int
sx_get_txn(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct sx_get_arg	*a = arg;

	free(a->v);	/* an earlier try's, read before a concurrent change */
	a->v = sx_get_t(xs, t, a->path, a->len_r);
	/* Committed even if absent: a lost race reads again. */
	return 0;
}

/* key's value, whole (chunks joined), read in one transaction. */
static int
sx_get(void *ctx, const char *key, char **val_r, size_t *len_r)
{
	struct store_xs		*s = ctx;
	struct sx_get_arg	 a = { .v = NULL, .len_r = len_r };
	char			 path[SX_PATH_MAX];

	if (sx_path(key, path, 32) == -1)
		return -1;
	a.path = path;
	if (xen_xs_txn(s->xs, sx_get_txn, &a) == -1 || a.v == NULL) {
		free(a.v);
		return -1;
	}
	*val_r = a.v;
	return 0;
}

/*
 * After a removal, remove the parents it left empty, up to and with the
 * root: the last farm destroyed leaves no node behind.
 */
static void
sx_prune(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	char		 dir[512], *slash, **names, *val;
	unsigned int	 n, len;

	snprintf(dir, sizeof dir, "%s", path);
	while ((slash = strrchr(dir, '/')) != NULL &&
	    (size_t)(slash - dir) >= strlen(XS_ROOT)) {
		*slash = '\0';
		if ((names = xs_directory(xs, t, dir, &n)) == NULL)
			return;
		free(names);
		if (n > 0 || (val = xs_read(xs, t, dir, &len)) == NULL)
			return;
		free(val);
		if (len > 0 || !xs_rm(xs, t, dir))
			return;
	}
}

/* Inside t: remove path (arg) and the parents it leaves empty. */
static int
sx_del_txn(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	const char	*path = arg;

	if (!xs_rm(xs, t, path) && errno != ENOENT)
		return -1;
	sx_prune(xs, t, path);
	return 0;
}

/* Remove key and everything below it; absent is not an error. */
static int
sx_del(void *ctx, const char *key)
{
	struct store_xs		*s = ctx;
	char			 path[SX_PATH_MAX];

	if (sx_path(key, path, 0) == -1)
		return -1;
	return xen_xs_txn(s->xs, sx_del_txn, path);
}

/* The names directly below prefix; none if it is absent. */
static int
sx_list(void *ctx, const char *prefix, char ***names_r, size_t *n_r)
{
	struct store_xs	*s = ctx;
	char		 path[SX_PATH_MAX], **dir = NULL, **v = NULL;
	unsigned int	 n = 0, i;

	*names_r = NULL;
	*n_r = 0;
	if (sx_path(prefix, path, 0) == -1)
		return -1;
	/* One request: a consistent listing without a transaction. */
	if ((dir = xs_directory(s->xs, XBT_NULL, path, &n)) == NULL)
		return errno == ENOENT ? 0 : -1;
	if (n > 0 && (v = calloc(n, sizeof *v)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++)
		if ((v[i] = strdup(dir[i])) == NULL)
			fatal("%s", __func__);
	free(dir);	/* one allocation holds the array and the strings */
	*names_r = v;
	*n_r = n;
	return 0;
}

const struct store_ops store_xs = {
	.name = "xs",
	.open = sx_open,
	.close = sx_close,
	.put = sx_put,
	.get = sx_get,
	.del = sx_del,
	.list = sx_list,
};
