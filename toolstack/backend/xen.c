/*
 * xen.c: partitions as Xen domains, through libxl.
 *
 * libxl joins balticd's libevent loop through its osevent hooks, so
 * domain creation runs asynchronously beside every channel; the death
 * of a domain arrives as a libxl event.  xenstore carries the wiring:
 *
 *   /local/domain/<domid>/data/baltic/{farm,instance}
 *	written by us before the guest runs; the guest may read them,
 *	never write them (dom0 never reads them back either)
 *   /local/domain/<domid>/data/baltic/vchan/..., .../agent
 *	written by the agent: a vchan server, and "dom0 may connect"
 *   /local/domain/0/baltic/farms/<farm>/domains/<instance> = <domid>
 *	dom0 only: which domain runs the instance
 *
 * (xenstore-schema/paths.txt is the full list.)  We watch .../agent; when
 * it appears, or the agent offers a new vchan after its channel
 * dropped, we connect as the vchan client and hand the channel to the
 * partition.  Everything a guest wrote is untrusted_* until checked.
 *
 * This file holds the ops table, init and fini, destroy, reattach and
 * libxl's domain events; xen.h maps the others.
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "backend/backend.h"
#include "backend/xen-state.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

/* ---- logging ----------------------------------------------------------- */

static void
xen_log_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
    const char *context, const char *fmt, va_list ap)
{
	struct xen_logger	*l = (struct xen_logger *)lg;
	char			*msg = NULL;

	if (level < XTL_WARN && !(l->verbose && level >= XTL_INFO))
		return;
	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	if (errnoval >= 0)
		log_warnx("%s: %s: %s", context != NULL ? context : "libxl",
		    msg, strerror(errnoval));
	else if (level >= XTL_WARN)
		log_warnx("%s: %s", context != NULL ? context : "libxl", msg);
	else
		log_debug("%s: %s", context != NULL ? context : "libxl", msg);
	free(msg);
}

static void
xen_log_destroy(xentoollog_logger *lg)
{
}

/* ---- partitions by domain ---------------------------------------------- */

/* ---- domain events ----------------------------------------------------- */

/*
 * libxl reports a domain dead when one look at the domain list misses
 * it (libxl_domain.c, domain_death_xswatch_callback); under emulation
 * that look has come back short with every domain alive.  Ask again: a
 * domain that is there, not dying and not shut down, is watched anew
 * and kept.  True if so.
 */
static bool
xen_death_spurious(struct xen *x, struct part *p, uint32_t domid)
{
	struct xpart	*xp = p->bdata;
	libxl_dominfo	 info;
	bool		 alive;
	int		 rc;

	libxl_dominfo_init(&info);
	alive = libxl_domain_info(x->ctx, &info, domid) == 0 &&
	    !info.dying && !info.shutdown;
	libxl_dominfo_dispose(&info);
	if (!alive)
		return false;
	log_warnx("%s: libxl reported domain %u dead, but it runs: watching "
	    "it again", p->name, domid);
	if (xp->death != NULL)
		libxl_evdisable_domain_death(x->ctx, xp->death);
	if ((rc = libxl_evenable_domain_death(x->ctx, domid, 0, &xp->death))
	    != 0) {
		xp->death = NULL;
		log_warnx("%s: libxl: cannot watch domain %u: %d", p->name,
		    domid, rc);
	}
	return true;
}

/*
 * libxl's events (we own ev): a domain of ours shut down or died.  It is
 * destroyed (unless it crashed and its role preserves crashed domains),
 * forgotten, and reported with part_died(), which restarts it if the
 * role says so.
 */
static void
xen_event(void *user, libxl_event *ev)
{
	struct xen	*x = user;
	struct part	*p;
	struct xpart	*xp;
	const char	*reason;
	char		 why[128];
	bool		 keep;

	if ((p = xen_find(x, ev->domid)) == NULL ||
	    (xp = p->bdata) == NULL || xp->cut)
		goto out;
	switch (ev->type) {
	case LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN:
		reason = libxl_shutdown_reason_to_string(
		    ev->u.domain_shutdown.shutdown_reason);
		snprintf(why, sizeof why, "domain %u shut down (%s)",
		    ev->domid, reason != NULL ? reason : "?");
		/* A crashed domain is kept for a post-mortem if the role
		 * says on_crash preserve; any other is destroyed. */
		keep = ev->u.domain_shutdown.shutdown_reason ==
		    LIBXL_SHUTDOWN_REASON_CRASH &&
		    p->inst != NULL &&
		    p->inst->role->on_crash == FARM_CRASH_PRESERVE;
		xen_unwatch(x, xp);
		if (!keep)	/* part_died may restart it under its name */
			xen_destroy_dead(x, ev->domid, p->name);
		xen_forget(x, p);
		part_died(p, why);
		break;
	case LIBXL_EVENT_TYPE_DOMAIN_DEATH:
		if (xen_death_spurious(x, p, ev->domid))
			break;
		snprintf(why, sizeof why, "domain %u died", ev->domid);
		xen_forget(x, p);
		part_died(p, why);
		break;
	default:
		break;
	}
out:
	libxl_event_free(x->ctx, ev);
}

static void
xen_disaster(void *user, libxl_event_type type, const char *msg,
    int errnoval)
{
	/* No libxl call is allowed here: leave, the partitions run on. */
	fatalx("libxl: disaster (event type %d): %s: %s", (int)type, msg,
	    strerror(errnoval));
}

static const libxl_event_hooks xen_event_hooks = {
	.event_occurs_mask = (1ULL << LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN) |
	    (1ULL << LIBXL_EVENT_TYPE_DOMAIN_DEATH),
	.event_occurs = xen_event,
	.disaster = xen_disaster,
};

/* ---- init, fini -------------------------------------------------------- */

static void	xen_fini(void *);
static void	xen_sweep_dead(struct xen *);

/*
 * libxl in balticd's loop (osevent hooks, event callbacks), and a
 * xenstore handle whose watches the loop reads.  Fails with a clear
 * message off a dom0.
 */
static int
xen_init(struct daemon *d, void **ctx_r, char **err_r)
{
	struct xen	*x;
	char		*self = NULL;
	unsigned int	 len;
	int		 rc = -1;

	if ((x = calloc(1, sizeof *x)) == NULL)
		fatal("%s", __func__);
	x->d = d;
	TAILQ_INIT(&x->parts);
	x->logger.vtable.vmessage = xen_log_vmessage;
	x->logger.vtable.destroy = xen_log_destroy;
	x->logger.verbose = log_verbose() > 1;
	if (libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0, &x->logger.vtable)
	    != 0) {
		x->ctx = NULL;
		errf(err_r, "libxl_ctx_alloc failed: is this a Xen dom0?");
		goto out;
	}
	libxl_osevent_register_hooks(x->ctx, &xen_osevent_hooks, x);
	libxl_event_register_callbacks(x->ctx, &xen_event_hooks, x);
	if ((x->xs = xs_open(0)) == NULL) {
		errf(err_r, "xs_open: %s: is xenstored running?",
		    strerror(errno));
		goto out;
	}
	/* Our own domain, so that we never open a vchan to ourselves. */
	if ((self = xs_read(x->xs, XBT_NULL, "domid", &len)) != NULL)
		x->self_domid = atoi(self);
	x->xs_ev = event_new(d->base, xs_fileno(x->xs), EV_READ | EV_PERSIST,
	    xen_xs_cb, x);
	if (x->xs_ev == NULL || event_add(x->xs_ev, NULL) == -1) {
		errf(err_r, "cannot watch xenstore");
		goto out;
	}
	xen_sweep_dead(x);
	rc = 0;
out:
	free(self);
	if (rc == -1) {
		xen_fini(x);	/* no partition yet: what was opened */
		return -1;
	}
	*ctx_r = x;
	return 0;
}

/* balticd is stopping: domains run on; drop our hold on them. */
static void
xen_fini(void *ctx)
{
	struct xen	*x = ctx;
	struct xpart	*xp;

	if (x == NULL)
		return;
	while ((xp = TAILQ_FIRST(&x->parts)) != NULL) {
		TAILQ_REMOVE(&x->parts, xp, entry);
		if (xp->creating != NULL)
			xp->creating->p = NULL;
		if (xp->death != NULL)
			libxl_evdisable_domain_death(x->ctx, xp->death);
		if (xp->retry_ev != NULL)
			event_free(xp->retry_ev);
		free(xp->ring_ref);
		free(xp);
	}
	if (x->xs_ev != NULL)
		event_free(x->xs_ev);
	if (x->xs != NULL)
		xs_close(x->xs);
	if (x->ctx != NULL)
		libxl_ctx_free(x->ctx);
	free(x);
}

/* ---- destroy ----------------------------------------------------------- */

/* One domain being destroyed, and who waits for it. */
struct xdestroy {
	struct xen		*x;
	uint32_t		 domid;
	char			*name;
	int			 rc;
	backend_done_fn		*done;
	void			*arg;
};

/* The domain is gone, or libxl could not destroy it (from the loop). */
static void
xen_destroyed(evutil_socket_t fd, short what, void *arg)
{
	struct xdestroy	*xd = arg;
	char		 err[160];

	if (xd->rc != 0) {
		snprintf(err, sizeof err, "%s: cannot destroy domain %u: %d",
		    xd->name, xd->domid, xd->rc);
		log_warnx("%s", err);
	}
	if (xd->done != NULL)
		xd->done(xd->arg, xd->rc != 0 ? -1 : 0, xd->rc != 0 ? err :
		    NULL);
	free(xd->name);
	free(xd);
}

/* libxl's ao callback, maybe inside the initiating call: to the loop. */
static void
xen_destroyed_cb(libxl_ctx *ctx, int rc, void *arg)
{
	struct xdestroy	*xd = arg;

	xd->rc = rc;
	if (event_base_once(xd->x->d->base, -1, EV_TIMEOUT, xen_destroyed,
	    xd, NULL) == -1)
		fatalx("%s: event_base_once", __func__);
}

void
xen_destroy_domain(struct xen *x, uint32_t domid, const char *name,
    backend_done_fn *done, void *arg)
{
	struct xdestroy		*xd;
	libxl_asyncop_how	 how;
	int			 rc;

	if ((xd = calloc(1, sizeof *xd)) == NULL ||
	    (xd->name = strdup(name)) == NULL)
		fatal("%s", __func__);
	xd->x = x;
	xd->domid = domid;
	xd->done = done;
	xd->arg = arg;
	memset(&how, 0, sizeof how);
	how.callback = xen_destroyed_cb;
	how.u.for_callback = xd;
	if ((rc = libxl_domain_destroy(x->ctx, domid, &how)) != 0)
		xen_destroyed_cb(x->ctx, rc, xd);
}

void
xen_destroy_dead(struct xen *x, uint32_t domid, const char *name)
{
	char	dead[256];
	int	rc;

	snprintf(dead, sizeof dead, "%s" XEN_DEAD_TAG "%u", name, domid);
	if ((rc = libxl_domain_rename(x->ctx, domid, name, dead)) == 0) {
		log_notice("%s: dead domain %u destroyed as %s", name, domid,
		    dead);
		xen_destroy_domain(x, domid, dead, NULL, NULL);
		return;
	}
	log_warnx("%s: cannot rename dead domain %u (%d): destroyed now",
	    name, domid, rc);
	if (libxl_domain_destroy(x->ctx, domid, NULL) != 0)
		log_warnx("%s: cannot destroy domain %u", name, domid);
}

/* A name xen_destroy_dead gave: NAME XEN_DEAD_TAG DOMID, the tag's last
 * occurrence followed by digits to the end. */
static bool
xen_dead_name(const char *name)
{
	const char	*p = name, *q, *tag = NULL;

	while ((q = strstr(p, XEN_DEAD_TAG)) != NULL) {
		tag = q;
		p = q + 1;
	}
	if (tag == NULL || tag == name)
		return false;
	p = tag + strlen(XEN_DEAD_TAG);
	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/*
 * A balticd that stopped while it destroyed a dead domain left it under
 * its XEN_DEAD_TAG name, which no partition takes: destroyed at start.
 */
static void
xen_sweep_dead(struct xen *x)
{
	libxl_dominfo	*info;
	char		*name;
	int		 i, n;

	if ((info = libxl_list_domain(x->ctx, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		name = libxl_domid_to_name(x->ctx, info[i].domid);
		if (name != NULL && xen_dead_name(name)) {
			log_info("%s: left dead by an earlier balticd: "
			    "destroyed", name);
			xen_destroy_domain(x, info[i].domid, name, NULL, NULL);
		}
		free(name);
	}
	libxl_dominfo_list_free(info, n);
}

/*
 * Stop the domain for good and remove everything made for it.  A create
 * in flight is left to finish and then undone; a cut in flight ends with
 * the domain.  The partition is let go at once; libxl destroys the
 * domain in the loop's time and done hears when it is gone.  Idempotent.
 */
static void
xen_destroy(void *ctx, struct part *p, backend_done_fn *done, void *arg)
{
	struct xen	*x = ctx;
	struct xpart		*xp = p->bdata;
	char			*name = NULL;
	libxl_asyncop_how	 how;
	bool			 started = false;

	part_detach(p, "destroyed");
	if (xp == NULL)
		goto out;
	if (xp->creating != NULL) {
		/* libxl undoes an aborted create; one that ends anyway
		 * is destroyed by xen_create_finish. */
		memset(&how, 0, sizeof how);
		how.callback = xen_create_done;
		how.u.for_callback = xp->creating;
		libxl_ao_abort(x->ctx, &how);
		xp->creating->p = NULL;
		xp->creating = NULL;
	}
	if (xp->suspending != NULL) {
		xp->suspending->p = NULL;
		xp->suspending = NULL;
	}
	xen_unwatch(x, xp);
	/* Only the domain we made: a stale domid may be someone else's. */
	if (p->domid >= 0 && (name = libxl_domid_to_name(x->ctx,
	    (uint32_t)p->domid)) != NULL && strcmp(name, p->name) == 0) {
		xen_destroy_domain(x, (uint32_t)p->domid, p->name, done, arg);
		started = true;
	}
	xen_unwire(x, p);
	TAILQ_REMOVE(&x->parts, xp, entry);
	if (xp->retry_ev != NULL)
		event_free(xp->retry_ev);
	free(xp);
	p->bdata = NULL;
out:
	if (!started)
		backend_done_later(x->d->base, done, arg, 0, NULL);
	free(name);
	p->domid = -1;
	p->pid = 0;
	p->state = PART_DEAD;
}

/* ---- reattach ---------------------------------------------------------- */

/*
 * After a balticd restart: the domain the store names (or, if balticd
 * died before it recorded the domid, the one of the instance's name),
 * if it still runs as that name; then listen to it again.  The agent
 * offers a fresh vchan when its old channel drops.
 */
static int
xen_reattach(void *ctx, struct part *p, char **err_r)
{
	struct xen	*x = ctx;
	struct xpart	*xp;
	libxl_dominfo	 info;
	char		*name = NULL, *why = NULL;
	int		 domid = p->domid, rc = -1, r;

	libxl_dominfo_init(&info);
	if (domid < 0 && (domid = xen_domid_of(x, p->name)) < 0) {
		errf(err_r, "no domain named %s", p->name);
		goto out;
	}
	if ((r = libxl_domain_info(x->ctx, &info, (uint32_t)domid)) != 0) {
		errf(err_r, "domain %d is gone", domid);
		goto out;
	}
	if ((name = libxl_domid_to_name(x->ctx, (uint32_t)domid)) == NULL ||
	    strcmp(name, p->name) != 0) {
		errf(err_r, "domain %d is %s, not %s", domid,
		    name != NULL ? name : "nameless", p->name);
		goto out;
	}
	if (info.shutdown || info.dying) {
		errf(err_r, "domain %d is shutting down", domid);
		goto out;
	}
	xp = xpart_get(x, p);
	p->domid = domid;
	p->pid = 0;
	if (xen_started(x, p, info.paused, &why) == -1) {
		xen_unwatch(x, xp);
		errf(err_r, "%s", why != NULL ? why : "cannot listen to it");
		goto out;
	}
	rc = 0;
out:
	libxl_dominfo_dispose(&info);
	free(name);
	free(why);
	return rc;
}

/* A domain's CPU time and current memory, as xl list shows them. */
static int
xen_usage(void *ctx, const struct part *p, struct part_usage *u)
{
	struct xen	*x = ctx;
	libxl_dominfo	 info;
	int		 rc = -1;

	if (p->domid <= 0)
		return -1;
	libxl_dominfo_init(&info);
	if (libxl_domain_info(x->ctx, &info, (uint32_t)p->domid) == 0) {
		u->cpu_ns = info.cpu_time;
		u->memory_kb = info.current_memkb;
		rc = 0;
	}
	libxl_dominfo_dispose(&info);
	return rc;
}

/* Free memory for new domains, from the hypervisor's physinfo. */
static int
xen_free_mb(void *ctx, int64_t *mb_r)
{
	struct xen	*x = ctx;
	libxl_physinfo	 pi;
	int		 rc = -1;

	libxl_physinfo_init(&pi);
	if (libxl_get_physinfo(x->ctx, &pi) == 0) {
		*mb_r = (int64_t)(pi.free_pages * 4 / 1024);	/* 4 KiB */
		rc = 0;
	}
	libxl_physinfo_dispose(&pi);
	return rc;
}

const struct backend_ops backend_xen = {
	.name = "xen",
	.create_timeout_ms = 180000,
	.suspend_moves = true,
	.init = xen_init,
	.fini = xen_fini,
	.create = xen_create,
	.destroy = xen_destroy,
	.suspend = xen_suspend,
	.restore = xen_restore,
	.reattach = xen_reattach,
	.usage = xen_usage,
	.free_mb = xen_free_mb,
};
