/*
 * store-dir.c: the local backend's state store, a directory.  A key is a
 * relative path; a put is write to a temporary file, fsync, rename, fsync
 * of the directory, so a crash leaves the old value or the new, never a
 * mix.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "daemon/daemon.h"
#include "log.h"

struct store_dir {
	char	*root;
};

static int
key_ok(const char *key)
{
	return key[0] != '\0' && key[0] != '/' && strstr(key, "..") == NULL;
}

static int
mkdirs(const char *path)
{
	char	buf[PATH_MAX], *s;

	if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
		return -1;
	for (s = buf + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(buf, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
sd_open(struct daemon *d, void **ctx_r, char **err_r)
{
	struct store_dir	*s;

	if (mkdirs(d->state_dir) == -1) {
		if (asprintf(err_r, "cannot create %s: %s", d->state_dir,
		    strerror(errno)) == -1)
			*err_r = NULL;
		return -1;
	}
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->root = strdup(d->state_dir)) == NULL)
		fatal("%s", __func__);
	*ctx_r = s;
	return 0;
}

static void
sd_close(void *ctx)
{
	struct store_dir	*s = ctx;

	if (s == NULL)
		return;
	free(s->root);
	free(s);
}

static int
sd_put(void *ctx, const char *key, const void *val, size_t len)
{
	struct store_dir	*s = ctx;
	char			 path[PATH_MAX], tmp[PATH_MAX + 8], dir[PATH_MAX];
	char			*slash;
	int			 fd = -1, dfd = -1, rc = -1;
	ssize_t			 r;
	size_t			 off = 0;

	if (!key_ok(key))
		return -1;
	snprintf(path, sizeof path, "%s/%s", s->root, key);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (mkdirs(dir) == -1)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600))
	    == -1)
		goto out;
	while (off < len) {
		if ((r = write(fd, (const char *)val + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		off += (size_t)r;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto out;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		fsync(dfd);
	rc = 0;
out:
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	if (dfd != -1)
		close(dfd);
	return rc;
}

static int
sd_get(void *ctx, const char *key, char **val_r, size_t *len_r)
{
	struct store_dir	*s = ctx;
	char			 path[PATH_MAX], *buf;
	FILE			*fp;
	long			 len;

	if (!key_ok(key))
		return -1;
	snprintf(path, sizeof path, "%s/%s", s->root, key);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	if (fseek(fp, 0, SEEK_END) == -1 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1 ||
	    (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(fp);
		return -1;
	}
	if (fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	buf[len] = '\0';
	*val_r = buf;
	*len_r = (size_t)len;
	return 0;
}

static int
rm_tree(const char *path)
{
	DIR		*dp;
	struct dirent	*de;
	char		 sub[PATH_MAX];

	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		rm_tree(sub);
	}
	closedir(dp);
	return rmdir(path);
}

static int
sd_del(void *ctx, const char *key)
{
	struct store_dir	*s = ctx;
	char			 path[PATH_MAX];

	if (!key_ok(key))
		return -1;
	snprintf(path, sizeof path, "%s/%s", s->root, key);
	return rm_tree(path);
}

static int
sd_list(void *ctx, const char *prefix, char ***names_r, size_t *n_r)
{
	struct store_dir	*s = ctx;
	char			 path[PATH_MAX], **v = NULL, **nv;
	DIR			*dp;
	struct dirent		*de;
	size_t			 n = 0;

	*names_r = NULL;
	*n_r = 0;
	snprintf(path, sizeof path, "%s/%s", s->root, prefix);
	if ((dp = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((nv = reallocarray(v, n + 1, sizeof *v)) == NULL)
			fatal("%s", __func__);
		v = nv;
		if ((v[n++] = strdup(de->d_name)) == NULL)
			fatal("%s", __func__);
	}
	closedir(dp);
	*names_r = v;
	*n_r = n;
	return 0;
}

const struct store_ops store_dir = {
	.name = "dir",
	.open = sd_open,
	.close = sd_close,
	.put = sd_put,
	.get = sd_get,
	.del = sd_del,
	.list = sd_list,
};
