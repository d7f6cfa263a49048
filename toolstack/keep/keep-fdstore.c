/*
 * keep-fdstore.c: what the keeper keeps, kept by systemd instead, in the
 * service's file descriptor store (sd_pid_notify_with_fds(3),
 * FDSTORE=1), when balticd runs as a Type=notify service (NOTIFY_SOCKET
 * set).  keep.c calls it in place of the keeper process; the entries are
 * the same (keep.h), so the rest of balticd cannot tell the two apart.
 *
 * An entry is up to two descriptors in the store, each under a name of
 * its own (FDNAME=): "d KEY" its descriptor, "v KEY" a memfd holding its
 * value; a ':' of the key (not allowed in a name) is written "%3A", a
 * '%' "%25".  PUT removes the old ones first (FDSTOREREMOVE=1), DEL
 * removes both.  At start systemd passes the store back (LISTEN_FDS,
 * LISTEN_FDNAMES): keep_fdstore_fetch pairs them into k->kept as the
 * keeper's LIST does.  Also the one place balticd tells systemd how it
 * stands (READY=1, STOPPING=1, STATUS=).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef BALTIC_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "keep/keep.h"
#include "log.h"

#define FDNAME_MAX	255	/* systemd's limit on FDNAME= */

#ifdef BALTIC_HAVE_SYSTEMD

/* "d KEY" or "v KEY", escaped, in buf (FDNAME_MAX + 1); 0, or -1 if too
 * long. */
static int
fdname(char kind, const char *key, char *buf)
{
	size_t	n = 0;

	buf[n++] = kind;
	buf[n++] = ' ';
	for (; *key != '\0'; key++) {
		if (n + 3 > FDNAME_MAX)
			return -1;
		if (*key == ':' || *key == '%')
			n += (size_t)sprintf(buf + n, "%%%02X",
			    (unsigned char)*key);
		else
			buf[n++] = *key;
	}
	buf[n] = '\0';
	return 0;
}

/* The key of a name fdname() made, in place; its kind, or 0 if it is
 * not one of ours. */
static char
fdname_key(char *name)
{
	char		 kind = name[0], *r, *w;
	unsigned	 c;

	if ((kind != 'd' && kind != 'v') || name[1] != ' ')
		return 0;
	for (r = name + 2, w = name; *r != '\0'; r++) {
		if (*r == '%' && sscanf(r + 1, "%2X", &c) == 1) {
			*w++ = (char)c;
			r += 2;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return kind;
}

static int
notify_fd(const char *verb, const char *name, int fd)
{
	char	msg[FDNAME_MAX + 64];
	int	r;

	snprintf(msg, sizeof msg, "%s\nFDNAME=%s", verb, name);
	r = fd == -1 ? sd_pid_notify(0, 0, msg) :
	    sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
	if (r <= 0) {
		log_warnx("fd store: %s %s: %s", verb, name,
		    r < 0 ? strerror(-r) : "no service manager");
		return -1;
	}
	return 0;
}

/* A memfd holding val: the descriptor, or -1. */
static int
value_fd(const void *val, size_t len)
{
	int	fd;

	if ((fd = memfd_create("baltic-keep", MFD_CLOEXEC)) == -1)
		return -1;
	if (write(fd, val, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

int
keep_fdstore_put(struct keep_client *k, const char *key, const void *val,
    size_t len, int fd)
{
	char	dname[FDNAME_MAX + 1], vname[FDNAME_MAX + 1];
	int	vfd, rc = 0;

	if (fdname('d', key, dname) == -1 || fdname('v', key, vname) == -1) {
		log_warnx("fd store: %s: key too long to keep", key);
		return -1;
	}
	if (fd != -1) {
		notify_fd("FDSTOREREMOVE=1", dname, -1);
		rc = notify_fd("FDSTORE=1", dname, fd);
	}
	notify_fd("FDSTOREREMOVE=1", vname, -1);
	if (len > 0) {
		if ((vfd = value_fd(val, len)) == -1) {
			log_warn("fd store: %s: memfd", key);
			return -1;
		}
		if (notify_fd("FDSTORE=1", vname, vfd) == -1)
			rc = -1;
		close(vfd);	/* systemd has its own */
	}
	return rc;
}

void
keep_fdstore_del(struct keep_client *k, const char *key)
{
	char	name[FDNAME_MAX + 1];

	if (fdname('d', key, name) == 0)
		notify_fd("FDSTOREREMOVE=1", name, -1);
	if (fdname('v', key, name) == 0)
		notify_fd("FDSTOREREMOVE=1", name, -1);
}

/* The entry of k->kept under key, made if new. */
static struct kept *
kept_get(struct keep_client *k, const char *key)
{
	struct kept	*e;

	TAILQ_FOREACH(e, &k->kept, entry)
		if (strcmp(e->key, key) == 0)
			return e;
	if ((e = calloc(1, sizeof *e)) == NULL ||
	    (e->key = strdup(key)) == NULL)
		fatal("%s", __func__);
	e->fd = -1;
	TAILQ_INSERT_TAIL(&k->kept, e, entry);
	return e;
}

/* A value memfd's bytes into e (the descriptor closed). */
static void
kept_value(struct kept *e, int fd)
{
	struct stat	st;

	if (fstat(fd, &st) == -1 || st.st_size > KEEP_MSG_MAX ||
	    (st.st_size > 0 && (e->val = malloc((size_t)st.st_size)) == NULL) ||
	    pread(fd, e->val, (size_t)st.st_size, 0) != st.st_size) {
		log_warnx("fd store: %s: value unreadable", e->key);
		free(e->val);
		e->val = NULL;
		st.st_size = 0;
	}
	e->len = (size_t)st.st_size;
	close(fd);
}

int
keep_fdstore_fetch(struct keep_client *k)
{
	char	**names = NULL;
	int	  n, i, fd;
	size_t	  kept = 0;

	if ((n = sd_listen_fds_with_names(1, &names)) <= 0)
		return n == 0 ? 0 : -1;
	for (i = 0; i < n; i++) {
		struct kept	*e;
		char		 kind = fdname_key(names[i]);

		fd = SD_LISTEN_FDS_START + i;
		if (kind == 0) {
			log_warnx("fd store: %s: not ours; closed", names[i]);
			close(fd);
		} else if (kind == 'd') {
			if ((e = kept_get(k, names[i]))->fd != -1)
				close(fd);	/* one descriptor a key */
			else {
				e->fd = fd;
				kept++;
			}
		} else if ((e = kept_get(k, names[i]))->val != NULL)
			close(fd);
		else
			kept_value(e, fd);
		free(names[i]);
	}
	free(names);
	log_info("fd store: %zu descriptors back from systemd", kept);
	return 0;
}

bool
keep_fdstore_use(void)
{
	const char	*s = getenv("NOTIFY_SOCKET");

	return s != NULL && *s != '\0';
}

void
keep_sd_notify(const char *state)
{
	if (keep_fdstore_use())
		sd_notify(0, state);
}

#else /* !BALTIC_HAVE_SYSTEMD: built without libsystemd, the keeper */

int
keep_fdstore_put(struct keep_client *k, const char *key, const void *val,
    size_t len, int fd)
{
	return -1;
}

void
keep_fdstore_del(struct keep_client *k, const char *key)
{
}

int
keep_fdstore_fetch(struct keep_client *k)
{
	return -1;
}

bool
keep_fdstore_use(void)
{
	return false;
}

void
keep_sd_notify(const char *state)
{
}

#endif
