/*
 * xen-cutpaste.c: cut and paste of a domain, as `xl save` and `xl
 * restore` do them.  A cut file is our header (farm, instance, domid,
 * the domain's xl config) and then libxl's save stream.
 */
#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>

#include "backend/backend.h"
#include "backend/xen-state.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

#define XEN_CUT_MAGIC		"baltic-xen-cut 1\n"
#define XEN_CUT_CONFIG_MAX	65536

/* One header line, read a byte at a time: the stream follows it. */
static int
read_line(int fd, char *buf, size_t size)
{
	size_t	n = 0;
	ssize_t	r;
	char	ch;

	while (n + 1 < size) {
		if ((r = read(fd, &ch, 1)) == -1 && errno == EINTR)
			continue;
		if (r != 1)
			return -1;
		if (ch == '\n') {
			buf[n] = '\0';
			return 0;
		}
		buf[n++] = ch;
	}
	return -1;
}

/* Monotonic milliseconds, for the log's account of a cut. */
static uint64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A cut failed: the domain runs on (resumed if it was suspended). */
static void
xen_cut_undo(struct xen *x, struct part *p, bool suspended)
{
	struct xpart	*xp = p->bdata;
	char		*why = NULL;

	if (suspended)
		libxl_domain_resume(x->ctx, (uint32_t)p->domid, 1, NULL);
	xp->cut = false;
	if (xen_started(x, p, false, &why) == -1) {
		log_warnx("%s: after a failed cut: %s", p->name,
		    why != NULL ? why : "?");
		free(why);
	}
	xen_agent_check(x, p);
}

/* The cut ended (in the loop): free the record, tell the caller. */
static void
xen_cut_end(struct xsuspend *xs, int rc, const char *err)
{
	backend_done_fn	*done = xs->done;
	void		*arg = xs->arg;
	struct xpart	*xp;

	if (xs->p != NULL && (xp = xs->p->bdata) != NULL)
		xp->suspending = NULL;
	close(xs->fd);
	if (rc == -1)
		unlink(xs->file);
	free(xs->file);
	free(xs);
	if (done != NULL)
		done(arg, rc, err);
}

/* libxl's ao callbacks may run inside the initiating call: each
 * records libxl's rc and goes on from the loop. */
static void
xen_cut_later(struct xsuspend *xs, int rc,
    void (*fn)(evutil_socket_t, short, void *))
{
	xs->rc = rc;
	if (event_base_once(xs->x->d->base, -1, EV_TIMEOUT, fn, xs, NULL)
	    == -1)
		fatalx("%s: event_base_once", __func__);
}

/* The saved domain is destroyed (arg: the xsuspend). */
static void
xen_cut_destroyed(evutil_socket_t fd, short what, void *arg)
{
	struct xsuspend	*xs = arg;
	struct part	*p = xs->p;
	int		 rc = xs->rc;

	if (rc != 0)
		log_warnx("%s: cannot destroy suspended domain %u: %d",
		    p != NULL ? p->name : "?", xs->domid, rc);
	if (p != NULL) {
		log_info("%s: domain %u saved to %s in %llu ms, destroyed in "
		    "%llu ms more", p->name, xs->domid, xs->file,
		    (unsigned long long)(xs->saved_ms - xs->t0_ms),
		    (unsigned long long)(mono_ms() - xs->saved_ms));
		xen_unwire(xs->x, p);
		p->domid = -1;
	}
	xen_cut_end(xs, 0, NULL);
}

static void
xen_cut_destroyed_cb(libxl_ctx *ctx, int rc, void *arg)
{
	xen_cut_later(arg, rc, xen_cut_destroyed);
}

/*
 * libxl saved the domain (arg: the xsuspend): make the file durable,
 * then destroy the domain, asynchronously too.  A failed save resumes
 * the domain, which runs on.
 */
static void
xen_cut_saved(evutil_socket_t fd, short what, void *arg)
{
	struct xsuspend		*xs = arg;
	struct xen		*x = xs->x;
	libxl_asyncop_how	 how;
	char			 err[128];
	int			 r, rc = xs->rc;

	xs->saved_ms = mono_ms();
	if (rc != 0 || fsync(xs->fd) == -1) {
		if (rc != 0)
			snprintf(err, sizeof err, "libxl: suspend of domain "
			    "%u failed: %d", xs->domid, rc);
		else
			snprintf(err, sizeof err, "%s: %s", xs->file,
			    strerror(errno));
		if (xs->p != NULL)
			xen_cut_undo(x, xs->p, rc == 0);
		xen_cut_end(xs, -1, err);
		return;
	}
	memset(&how, 0, sizeof how);
	how.callback = xen_cut_destroyed_cb;
	how.u.for_callback = xs;
	if ((r = libxl_domain_destroy(x->ctx, xs->domid, &how)) != 0)
		xen_cut_later(xs, r, xen_cut_destroyed);
}

static void
xen_cut_saved_cb(libxl_ctx *ctx, int rc, void *arg)
{
	xen_cut_later(arg, rc, xen_cut_saved);
}

/*
 * Cut, as `xl save` does it: FILE gets our header (farm, instance, the
 * domain's xl config, so that paste re-creates the same domain), then
 * libxl's save stream; the domain is then destroyed.  Asynchronous
 * (libxl's ao, in balticd's loop): the save takes seconds under
 * emulation, and the other partitions' calls go on meanwhile; done
 * hears how it ended.  The calls were drained before.
 */
int
xen_suspend(void *ctx, struct part *p, const char *file,
    backend_done_fn *done, void *arg, char **err_r)
{
	struct xen		*x = ctx;
	struct xpart		*xp = p->bdata;
	struct xcreate		*xc = NULL;
	struct xsuspend		*xs = NULL;
	libxl_asyncop_how	 how;
	char			*xl = NULL, *hdr = NULL;
	int			 fd = -1, rc = -1, r, hlen;

	if (xp == NULL || p->domid < 0 || xp->creating != NULL ||
	    xp->suspending != NULL)
		return errf(err_r, "%s has no running domain", p->name);
	if (xcreate_new(x, p, &xc, &xl, err_r) == -1)
		goto out;
	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600))
	    == -1) {
		errf(err_r, "%s: %s", file, strerror(errno));
		goto out;
	}
	if ((hlen = asprintf(&hdr, XEN_CUT_MAGIC "farm %s\ninstance %s\n"
	    "domid %d\nconfig %zu\n", p->farm->name, p->name, p->domid,
	    strlen(xl))) == -1)
		fatal("%s", __func__);
	if (write_all(fd, hdr, (size_t)hlen) == -1 ||
	    write_all(fd, xl, strlen(xl)) == -1) {
		errf(err_r, "%s: %s", file, strerror(errno));
		goto out;
	}
	if ((xs = calloc(1, sizeof *xs)) == NULL ||
	    (xs->file = strdup(file)) == NULL)
		fatal("%s", __func__);
	xs->x = x;
	xs->p = p;
	xs->domid = (uint32_t)p->domid;
	xs->fd = fd;
	xs->t0_ms = mono_ms();
	xs->done = done;
	xs->arg = arg;
	/* From here the domain is ours to stop: no reconnect, no death. */
	xp->cut = true;
	xen_unwatch(x, xp);
	part_detach(p, "cut");
	xp->suspending = xs;
	memset(&how, 0, sizeof how);
	how.callback = xen_cut_saved_cb;
	how.u.for_callback = xs;
	fd = -1;	/* the record's */
	if ((r = libxl_domain_suspend(x->ctx, xs->domid, xs->fd, 0, &how))
	    != 0) {
		errf(err_r, "libxl: suspend of domain %d failed: %d",
		    p->domid, r);
		xp->suspending = NULL;
		xen_cut_undo(x, p, false);
		close(xs->fd);
		unlink(xs->file);
		free(xs->file);
		free(xs);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1) {
		close(fd);
		unlink(file);
	}
	xcreate_free(xc);
	free(xl);
	free(hdr);
	return rc;
}

/*
 * Paste, as `xl restore`: check our header names this partition and the
 * same domain config the farm gives now, then restore from the stream
 * that follows.  The new domain is wired like a created one; its agent
 * publishes a fresh vchan and the channel comes back via part_attach.
 */
int
xen_restore(void *ctx, struct part *p, const char *file, char **err_r)
{
	struct xen		*x = ctx;
	struct xpart		*xp = xpart_get(x, p);
	struct xcreate		*xc = NULL;
	libxl_asyncop_how	 how;
	char			 line[256], want[256], *xl = NULL;
	char			*saved = NULL;
	size_t			 len = 0;
	ssize_t			 r;
	int			 fd = -1, rc = -1, lr, old;

	if (xp->creating != NULL)
		return errf(err_r, "%s is being created", p->name);
	if ((old = xen_domid_of(x, p->name)) >= 0)
		return errf(err_r, "a domain named %s already exists "
		    "(domid %d)", p->name, old);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return errf(err_r, "%s: %s", file, strerror(errno));
	lr = read_line(fd, line, sizeof line);
	if (lr == -1 || strcmp(line, "baltic-xen-cut 1") != 0) {
		errf(err_r, "%s: not a xen cut", file);
		goto out;
	}
	snprintf(want, sizeof want, "farm %s", p->farm->name);
	if (read_line(fd, line, sizeof line) == -1 || strcmp(line, want)) {
		errf(err_r, "%s: not a cut of farm %s", file, p->farm->name);
		goto out;
	}
	snprintf(want, sizeof want, "instance %s", p->name);
	if (read_line(fd, line, sizeof line) == -1 || strcmp(line, want)) {
		errf(err_r, "%s: not a cut of %s", file, p->name);
		goto out;
	}
	if (read_line(fd, line, sizeof line) == -1 ||
	    strncmp(line, "domid ", 6) != 0 ||
	    read_line(fd, line, sizeof line) == -1 ||
	    sscanf(line, "config %zu", &len) != 1 ||
	    len > XEN_CUT_CONFIG_MAX) {
		errf(err_r, "%s: bad header", file);
		goto out;
	}
	if ((saved = calloc(1, len + 1)) == NULL)
		fatal("%s", __func__);
	if ((r = read(fd, saved, len)) != (ssize_t)len) {
		errf(err_r, "%s: short header", file);
		goto out;
	}
	if (xcreate_new(x, p, &xc, &xl, err_r) == -1)
		goto out;
	if (strcmp(xl, saved) != 0) {
		errf(err_r, "%s: the domain config of %s changed since the "
		    "cut", file, p->name);
		goto out;
	}
	xc->restore_fd = fd;
	fd = -1;
	if ((xc->restore_file = strdup(file)) == NULL)
		fatal("%s", __func__);
	xc->params.checkpointed_stream = LIBXL_CHECKPOINTED_STREAM_NONE;
	xc->params.stream_version = 2;	/* libxl_domain_suspend's */
	memset(&how, 0, sizeof how);
	how.callback = xen_create_done;
	how.u.for_callback = xc;
	xp->creating = xc;
	if ((lr = libxl_domain_create_restore(x->ctx, &xc->dc, &xc->domid,
	    xc->restore_fd, -1, &xc->params, &how, NULL)) != 0) {
		xp->creating = NULL;
		errf(err_r, "libxl: restore failed: %d", lr);
		goto out;
	}
	xc = NULL;	/* xen_create_finish frees it */
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	xcreate_free(xc);
	free(saved);
	free(xl);
	return rc;
}
