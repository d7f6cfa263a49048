/*
 * backend-xen.c: partitions as Xen domains, through libxl.
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
 */
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <libxenvchan.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "backend/backend.h"
#include "chan.h"
#include "chan-vchan.h"
#include "daemon/daemon.h"
#include "log.h"
#include "compile/translate.h"
#include "util/util.h"

#define XEN_DOM0_ROOT		"/local/domain/0/baltic"
#define XEN_CONNECT_TRIES	25	/* vchan connect attempts per offer */
#define XEN_CONNECT_RETRY_MS	200
#define XEN_XS_TRIES		16	/* transaction retries on EAGAIN */
#define XEN_CUT_MAGIC		"baltic-xen-cut 1\n"
#define XEN_CUT_CONFIG_MAX	65536

struct xen;

/* libxl's messages, into balticd's log. */
struct xen_logger {
	xentoollog_logger	 vtable;
	int			 verbose;
};

/* One create or restore in flight; outlives its partition if need be. */
struct xcreate {
	struct xen			*x;
	struct part			*p;	/* NULL once destroyed */
	libxl_domain_config		 dc;
	libxl_domain_restore_params	 params;
	uint32_t			 domid;
	int				 rc;
	int				 restore_fd;	/* -1: create */
	char				*restore_file;
};

/* Per partition (p->bdata). */
struct xpart {
	struct xen		*x;
	struct part		*p;
	libxl_evgen_domain_death *death;
	bool			 watching;
	char			 watch_path[128];
	char			 token[32];
	char			*ring_ref;	/* the offer we connected to */
	struct event		*retry_ev;
	unsigned		 tries;
	struct xcreate		*creating;
	bool			 cut;		/* suspended: do not connect */
	TAILQ_ENTRY(xpart)	 entry;
};

struct xen {
	struct daemon		*d;
	struct xen_logger	 logger;
	libxl_ctx		*ctx;
	struct xs_handle	*xs;
	struct event		*xs_ev;
	int			 self_domid;
	TAILQ_HEAD(, xpart)	 parts;
};

/* libxl's registrations in our loop. */
struct xfd {
	struct xen	*x;
	struct event	*ev;
	int		 fd;
	short		 events;	/* poll(2) bits */
	bool		 regular;	/* a file: epoll refuses it */
	void		*for_libxl;
};

struct xtimeout {
	struct xen	*x;
	struct event	*ev;
	void		*for_libxl;
};

static void	xen_agent_check(struct xen *, struct part *);

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

/* ---- libxl in our libevent loop (libxl_osevent_hooks) ------------------ */

static short
poll_to_ev(short events)
{
	short	what = 0;

	if (events & (POLLIN | POLLPRI))
		what |= EV_READ;
	if (events & POLLOUT)
		what |= EV_WRITE;
	return what;
}

static void
xen_fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xfd	*f = arg;
	short		 revents = 0;

	if (what & EV_READ)
		revents |= f->events & (POLLIN | POLLPRI);
	if (what & EV_WRITE)
		revents |= POLLOUT;
	libxl_osevent_occurred_fd(f->x->ctx, f->for_libxl, f->fd, f->events,
	    revents);
}

/*
 * A regular file (a restore's stream) is always ready, as poll(2) says,
 * but epoll will not watch one: report it ready on every loop turn while
 * libxl wants it.
 */
static const struct timeval xen_file_soon = { 0, 1 };

static void
xen_file_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xfd	*f = arg;

	/* Re-armed first: libxl may modify or free f in the call. */
	evtimer_add(f->ev, &xen_file_soon);
	libxl_osevent_occurred_fd(f->x->ctx, f->for_libxl, f->fd, f->events,
	    f->events & (POLLIN | POLLOUT));
}

/* (Re)arm f for events; with events 0 it stays registered, silent. */
static int
xfd_arm(struct xfd *f, short events)
{

	if (f->ev != NULL) {
		event_free(f->ev);
		f->ev = NULL;
	}
	f->events = events;
	if (poll_to_ev(events) == 0)
		return 0;
	if (f->regular) {
		f->ev = evtimer_new(f->x->d->base, xen_file_cb, f);
		if (f->ev == NULL || evtimer_add(f->ev, &xen_file_soon) == -1)
			return ERROR_OSEVENT_REG_FAIL;
		return 0;
	}
	f->ev = event_new(f->x->d->base, f->fd, poll_to_ev(events) |
	    EV_PERSIST, xen_fd_cb, f);
	if (f->ev == NULL || event_add(f->ev, NULL) == -1)
		return ERROR_OSEVENT_REG_FAIL;
	return 0;
}

static int
xen_fd_register(void *user, int fd, void **reg_r, short events,
    void *for_libxl)
{
	struct xfd	*f;
	struct stat	 st;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return ERROR_OSEVENT_REG_FAIL;
	f->x = user;
	f->fd = fd;
	f->for_libxl = for_libxl;
	f->regular = fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) ||
	    S_ISDIR(st.st_mode));
	if (xfd_arm(f, events) != 0) {
		if (f->ev != NULL)
			event_free(f->ev);
		free(f);
		return ERROR_OSEVENT_REG_FAIL;
	}
	*reg_r = f;
	return 0;
}

static int
xen_fd_modify(void *user, int fd, void **reg_update, short events)
{
	return xfd_arm(*reg_update, events);
}

static void
xen_fd_deregister(void *user, int fd, void *reg)
{
	struct xfd	*f = reg;

	if (f->ev != NULL)
		event_free(f->ev);
	free(f);
}

/* The timeout has fired: libxl takes it as deregistered. */
static void
xen_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xtimeout	*t = arg;
	struct xen	*x = t->x;
	void		*for_libxl = t->for_libxl;

	event_free(t->ev);
	free(t);
	libxl_osevent_occurred_timeout(x->ctx, for_libxl);
}

/* From an absolute gettimeofday() time to a libevent delay (>= 0). */
static struct timeval
abs_to_rel(struct timeval abs)
{
	struct timeval	now, rel = { 0, 0 };

	gettimeofday(&now, NULL);
	if (timercmp(&abs, &now, >))
		timersub(&abs, &now, &rel);
	return rel;
}

static int
xen_timeout_register(void *user, void **reg_r, struct timeval abs,
    void *for_libxl)
{
	struct xtimeout	*t;
	struct timeval	 rel = abs_to_rel(abs);

	if ((t = calloc(1, sizeof *t)) == NULL)
		return ERROR_OSEVENT_REG_FAIL;
	t->x = user;
	t->for_libxl = for_libxl;
	t->ev = evtimer_new(t->x->d->base, xen_timeout_cb, t);
	if (t->ev == NULL || evtimer_add(t->ev, &rel) == -1) {
		if (t->ev != NULL)
			event_free(t->ev);
		free(t);
		return ERROR_OSEVENT_REG_FAIL;
	}
	*reg_r = t;
	return 0;
}

/*
 * libxl only ever passes abs = {0,0}: "fire as soon as possible".
 * Re-adding the timer with no delay replaces the pending one, so it
 * fires once, from the loop, never from inside libxl.
 */
static int
xen_timeout_modify(void *user, void **reg_update, struct timeval abs)
{
	struct xtimeout	*t = *reg_update;
	struct timeval	 rel = { 0, 0 };

	if (abs.tv_sec != 0 || abs.tv_usec != 0)
		rel = abs_to_rel(abs);
	if (evtimer_add(t->ev, &rel) == -1)
		return ERROR_OSEVENT_REG_FAIL;
	return 0;
}

static void
xen_timeout_deregister(void *user, void *reg)
{
	struct xtimeout	*t = reg;

	event_free(t->ev);
	free(t);
}

static const libxl_osevent_hooks xen_osevent_hooks = {
	.fd_register = xen_fd_register,
	.fd_modify = xen_fd_modify,
	.fd_deregister = xen_fd_deregister,
	.timeout_register = xen_timeout_register,
	.timeout_modify = xen_timeout_modify,
	.timeout_deregister = xen_timeout_deregister,
};

/* ---- partitions by domain ---------------------------------------------- */

/* The partition running as domain domid; NULL if none of ours. */
static struct part *
xen_find(struct xen *x, uint32_t domid)
{
	struct xpart	*xp;

	TAILQ_FOREACH(xp, &x->parts, entry)
		if (xp->p != NULL && xp->p->domid == (int)domid)
			return xp->p;
	return NULL;
}

/* p's backend data, made on first use; freed by xen_destroy. */
static struct xpart *
xpart_get(struct xen *x, struct part *p)
{
	struct xpart	*xp = p->bdata;

	if (xp == NULL) {
		if ((xp = calloc(1, sizeof *xp)) == NULL)
			fatal("%s", __func__);
		xp->x = x;
		xp->p = p;
		TAILQ_INSERT_TAIL(&x->parts, xp, entry);
		p->bdata = xp;
	}
	return xp;
}

/* ---- xenstore: wiring, watch ------------------------------------------- */

/*
 * Write what the guest (and a restarted balticd) needs, in one
 * transaction: the guest's data/baltic directory, owned by the guest so
 * that its agent can publish below it; farm and instance, owned by dom0
 * and readable by the guest only; dom0's record of the domain.
 */
static int
xen_wire(struct xen *x, struct part *p)
{
	struct xs_permissions	 guest_dir[1], ro[2], dom0[1];
	char			 base[128], node[192], state[512], id[16];
	xs_transaction_t	 t;
	int			 i;

	guest_dir[0].id = (unsigned)p->domid;
	guest_dir[0].perms = XS_PERM_NONE;
	ro[0].id = 0;
	ro[0].perms = XS_PERM_NONE;
	ro[1].id = (unsigned)p->domid;
	ro[1].perms = XS_PERM_READ;
	dom0[0].id = 0;
	dom0[0].perms = XS_PERM_NONE;
	snprintf(base, sizeof base, "/local/domain/%d/data/baltic", p->domid);
	snprintf(state, sizeof state, XEN_DOM0_ROOT "/farms/%s/domains/%s",
	    p->farm->name, p->name);
	snprintf(id, sizeof id, "%d", p->domid);
	for (i = 0; i < XEN_XS_TRIES; i++) {
		if ((t = xs_transaction_start(x->xs)) == XBT_NULL)
			return -1;
		if (!xs_mkdir(x->xs, t, base) ||
		    !xs_set_permissions(x->xs, t, base, guest_dir, 1))
			goto abort;
		snprintf(node, sizeof node, "%s/farm", base);
		if (!xs_write(x->xs, t, node, p->farm->name,
		    strlen(p->farm->name)) ||
		    !xs_set_permissions(x->xs, t, node, ro, 2))
			goto abort;
		snprintf(node, sizeof node, "%s/instance", base);
		if (!xs_write(x->xs, t, node, p->name, strlen(p->name)) ||
		    !xs_set_permissions(x->xs, t, node, ro, 2))
			goto abort;
		if (!xs_write(x->xs, t, state, id, strlen(id)) ||
		    !xs_set_permissions(x->xs, t, state, dom0, 1))
			goto abort;
		if (xs_transaction_end(x->xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return -1;
		continue;
abort:
		xs_transaction_end(x->xs, t, true);
		return -1;
	}
	return -1;
}

/* Remove the guest's baltic nodes and dom0's record; absent is fine. */
static void
xen_unwire(struct xen *x, struct part *p)
{
	char			 base[128], state[512];
	xs_transaction_t	 t;
	int			 i;

	snprintf(state, sizeof state, XEN_DOM0_ROOT "/farms/%s/domains/%s",
	    p->farm->name, p->name);
	base[0] = '\0';
	if (p->domid >= 0)
		snprintf(base, sizeof base, "/local/domain/%d/data/baltic",
		    p->domid);
	for (i = 0; i < XEN_XS_TRIES; i++) {
		if ((t = xs_transaction_start(x->xs)) == XBT_NULL)
			break;
		if (base[0] != '\0')
			xs_rm(x->xs, t, base);
		xs_rm(x->xs, t, state);
		if (xs_transaction_end(x->xs, t, false) || errno != EAGAIN)
			break;
	}
}

static void
xen_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xpart	*xp = arg;

	xen_agent_check(xp->x, xp->p);
}

/* Try the agent's offer again in XEN_CONNECT_RETRY_MS. */
static void
xen_retry(struct xpart *xp)
{
	struct timeval	tv = { 0, XEN_CONNECT_RETRY_MS * 1000 };

	if (xp->retry_ev == NULL &&
	    (xp->retry_ev = evtimer_new(xp->x->d->base, xen_retry_cb, xp))
	    == NULL)
		fatalx("%s: evtimer_new", __func__);
	evtimer_add(xp->retry_ev, &tv);
}

/*
 * The agent's node changed.  If it offers a vchan we are not already
 * connected to, connect as its client and give the partition the
 * channel; if the connect fails, try again a few times.
 */
static void
xen_agent_check(struct xen *x, struct part *p)
{
	struct xpart		*xp = p->bdata;
	struct libxenvchan	*v;
	struct chan		*c;
	char			 path[192], *untrusted_agent = NULL;
	char			*untrusted_ring = NULL;
	unsigned int		 len;

	if (xp == NULL || xp->cut || p->domid < 0 || xp->creating != NULL)
		return;
	snprintf(path, sizeof path, "/local/domain/%d/data/baltic/agent",
	    p->domid);
	if ((untrusted_agent = xs_read(x->xs, XBT_NULL, path, &len)) == NULL)
		goto out;	/* no offer (yet, or withdrawn) */
	snprintf(path, sizeof path, "/local/domain/%d/data/baltic/vchan/"
	    "ring-ref", p->domid);
	if ((untrusted_ring = xs_read(x->xs, XBT_NULL, path, &len)) == NULL)
		goto out;
	/*
	 * Only compared, never parsed: libxenvchan reads the offer.  The
	 * same ring-ref while we hold a channel is the offer we are on: a
	 * guest cannot grant that ref anew while we still map it (Xen keeps
	 * a mapped grant busy), so a new offer always has a new ref.
	 */
	if (p->chan != NULL && xp->ring_ref != NULL &&
	    strcmp(xp->ring_ref, untrusted_ring) == 0)
		goto out;	/* the offer we are on */
	snprintf(path, sizeof path, "/local/domain/%d/data/baltic/vchan",
	    p->domid);
	v = chan_vchan_client(&x->logger.vtable, x->self_domid, p->domid,
	    path);
	if (v == NULL) {
		if (++xp->tries < XEN_CONNECT_TRIES)
			xen_retry(xp);
		else
			log_warnx("%s: cannot connect to the vchan of domain "
			    "%d: %s", p->name, p->domid, strerror(errno));
		goto out;
	}
	xp->tries = 0;
	free(xp->ring_ref);
	xp->ring_ref = untrusted_ring;
	untrusted_ring = NULL;
	if ((c = chan_new(x->d->base, &chan_vchan_transport, v,
	    part_chan_cbs(), p)) == NULL) {
		log_warnx("%s: cannot start a channel", p->name);
		goto out;
	}
	log_debug("%s: vchan to domain %d connected", p->name, p->domid);
	part_attach(p, c);
out:
	free(untrusted_agent);
	free(untrusted_ring);
}

/* xenstore's fd: every fired watch, until none is left.  The token
 * "baltic:<domid>" names the domain; its path is not trusted. */
static void
xen_xs_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xen	*x = arg;
	struct part	*p;
	char		**vec;
	unsigned long	 domid;
	char		*end;

	while ((vec = xs_check_watch(x->xs)) != NULL) {
		if (strncmp(vec[XS_WATCH_TOKEN], "baltic:", 7) == 0) {
			domid = strtoul(vec[XS_WATCH_TOKEN] + 7, &end, 10);
			if (*end == '\0' && (p = xen_find(x, (uint32_t)domid))
			    != NULL)
				xen_agent_check(x, p);
		}
		free(vec);
	}
	if (errno != EAGAIN)
		log_warn("xenstore: watch");
}

/* Watch the agent's node of p's domain; it fires once at once. */
static int
xen_watch(struct xen *x, struct part *p)
{
	struct xpart	*xp = p->bdata;

	if (xp->watching)
		return 0;
	snprintf(xp->watch_path, sizeof xp->watch_path,
	    "/local/domain/%d/data/baltic/agent", p->domid);
	snprintf(xp->token, sizeof xp->token, "baltic:%d", p->domid);
	if (!xs_watch(x->xs, xp->watch_path, xp->token))
		return -1;
	xp->watching = true;
	return 0;
}

/* Stop listening to the domain: watch, retries, death events. */
static void
xen_unwatch(struct xen *x, struct xpart *xp)
{
	if (xp->watching) {
		xs_unwatch(x->xs, xp->watch_path, xp->token);
		xp->watching = false;
	}
	if (xp->retry_ev != NULL)
		evtimer_del(xp->retry_ev);
	xp->tries = 0;
	if (xp->death != NULL) {
		libxl_evdisable_domain_death(x->ctx, xp->death);
		xp->death = NULL;
	}
	free(xp->ring_ref);
	xp->ring_ref = NULL;
}

/* ---- domain events ----------------------------------------------------- */

/* Forget the domain: it is gone, or going. */
static void
xen_forget(struct xen *x, struct part *p)
{
	struct xpart	*xp = p->bdata;

	xen_unwatch(x, xp);
	xen_unwire(x, p);
	p->domid = -1;
}

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
		    p->inst->role->on_crash == FARM_CRASH_PRESERVE;
		xen_unwatch(x, xp);
		if (!keep && libxl_domain_destroy(x->ctx, ev->domid, NULL)
		    != 0)
			log_warnx("%s: cannot destroy domain %u", p->name,
			    ev->domid);
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
	rc = 0;
out:
	free(self);
	if (rc == -1) {
		if (x->xs_ev != NULL)
			event_free(x->xs_ev);
		if (x->xs != NULL)
			xs_close(x->xs);
		if (x->ctx != NULL)
			libxl_ctx_free(x->ctx);
		free(x);
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

/* ---- create, restore --------------------------------------------------- */

/* Free an xcreate and what it holds; NULL is fine. */
static void
xcreate_free(struct xcreate *xc)
{
	if (xc == NULL)
		return;
	libxl_domain_config_dispose(&xc->dc);
	libxl_domain_restore_params_dispose(&xc->params);
	if (xc->restore_fd != -1)
		close(xc->restore_fd);
	free(xc->restore_file);
	free(xc);
}

/*
 * The domain exists: wire it, listen to it, and let it run if it is
 * paused (libxl leaves a new domain paused).  0, or -1 with *why_r; the
 * caller undoes.
 */
static int
xen_started(struct xen *x, struct part *p, bool unpause, char **why_r)
{
	struct xpart	*xp = p->bdata;
	int		 rc;

	if (xen_wire(x, p) == -1)
		return errf(why_r, "xenstore: cannot write the wiring of "
		    "domain %d: %s", p->domid, strerror(errno));
	if ((rc = libxl_evenable_domain_death(x->ctx, (uint32_t)p->domid, 0,
	    &xp->death)) != 0) {
		xp->death = NULL;
		return errf(why_r, "libxl: cannot watch domain %d: %d",
		    p->domid, rc);
	}
	if (xen_watch(x, p) == -1)
		return errf(why_r, "xenstore: cannot watch %s: %s",
		    xp->watch_path, strerror(errno));
	if (unpause && (rc = libxl_domain_unpause(x->ctx,
	    (uint32_t)p->domid, NULL)) != 0)
		return errf(why_r, "libxl: cannot unpause domain %d: %d",
		    p->domid, rc);
	return 0;
}

/* Outside libxl (from the loop): the create or restore is over. */
static void
xen_create_finish(evutil_socket_t fd, short what, void *arg)
{
	struct xcreate	*xc = arg;
	struct xen	*x = xc->x;
	struct part	*p = xc->p;
	struct xpart	*xp;
	char		*why = NULL;
	const char	*op = xc->restore_fd != -1 ? "restore" : "create";

	if (p == NULL) {
		/* Destroyed while being created: undo. */
		if (xc->rc == 0)
			libxl_domain_destroy(x->ctx, xc->domid, NULL);
		goto out;
	}
	xp = p->bdata;
	xp->creating = NULL;
	if (xc->rc != 0) {
		if (asprintf(&why, "libxl: %s failed: %d", op, xc->rc) == -1)
			why = NULL;
		part_died(p, why != NULL ? why : op);
		goto out;
	}
	p->domid = (int)xc->domid;
	xp->cut = false;
	if (xen_started(x, p, true, &why) == -1) {
		xen_unwatch(x, xp);
		libxl_domain_destroy(x->ctx, xc->domid, NULL);
		xen_forget(x, p);
		part_died(p, why != NULL ? why : "cannot start the domain");
		goto out;
	}
	log_info("%s: domain %d %s", p->name, p->domid,
	    xc->restore_fd != -1 ? "restored" : "created");
	if (xc->restore_file != NULL)
		unlink(xc->restore_file);
	dfarm_save(p->farm);
	xen_agent_check(x, p);	/* the watch fires too; harmless */
out:
	free(why);
	xcreate_free(xc);
}

/* libxl's ao callback; may run inside the initiating call. */
static void
xen_create_done(libxl_ctx *ctx, int rc, void *arg)
{
	struct xcreate	*xc = arg;

	xc->rc = rc;
	if (event_base_once(xc->x->d->base, -1, EV_TIMEOUT, xen_create_finish,
	    xc, NULL) == -1)
		fatalx("%s: event_base_once", __func__);
}

/* A new xcreate for p with its libxl config, or -1 with *err_r. */
static int
xcreate_new(struct xen *x, struct part *p, struct xcreate **xc_r,
    char **xl_r, char **err_r)
{
	struct domcfg	 dc;
	struct xcreate	*xc = NULL;
	int		 rc = -1, r;

	domcfg_init(&dc);
	if ((xc = calloc(1, sizeof *xc)) == NULL)
		fatal("%s", __func__);
	xc->x = x;
	xc->p = p;
	xc->restore_fd = -1;
	libxl_domain_config_init(&xc->dc);
	libxl_domain_restore_params_init(&xc->params);
	if (translate_instance(p->farm->file, p->farm->farm, p->inst, &dc)
	    == -1) {
		errf(err_r, "cannot translate %s into a domain", p->name);
		goto out;
	}
	if ((r = domcfg_to_libxl(x->ctx, &dc, &xc->dc)) != 0) {
		errf(err_r, "libxl config for %s: error %d", p->name, r);
		goto out;
	}
	if (xl_r != NULL && (*xl_r = domcfg_xl_string(&dc)) == NULL) {
		errf(err_r, "out of memory");
		goto out;
	}
	rc = 0;
out:
	domcfg_dispose(&dc);
	if (rc == -1) {
		xcreate_free(xc);
		xc = NULL;
	}
	*xc_r = xc;
	return rc;
}

/* Is a domain of this name already running?  Its domid, or -1. */
static int
xen_domid_of(struct xen *x, const char *name)
{
	uint32_t	domid;

	if (libxl_name_to_domid(x->ctx, name, &domid) != 0)
		return -1;
	return (int)domid;
}

/*
 * Start creating p's domain (translate_instance, domcfg_to_libxl,
 * libxl_domain_create_new, asynchronous); xen_create_finish wires and
 * unpauses it.  0 once started; a later failure comes as part_died.
 */
static int
xen_create(void *ctx, struct part *p, char **err_r)
{
	struct xen		*x = ctx;
	struct xpart		*xp = xpart_get(x, p);
	struct xcreate		*xc = NULL;
	libxl_asyncop_how	 how;
	int			 rc, old;

	if (xp->creating != NULL)
		return errf(err_r, "%s is already being created", p->name);
	if ((old = xen_domid_of(x, p->name)) >= 0)
		return errf(err_r, "a domain named %s already exists "
		    "(domid %d)", p->name, old);
	if (xcreate_new(x, p, &xc, NULL, err_r) == -1)
		return -1;
	memset(&how, 0, sizeof how);
	how.callback = xen_create_done;
	how.u.for_callback = xc;
	xp->creating = xc;
	xp->cut = false;
	p->pid = 0;
	if ((rc = libxl_domain_create_new(x->ctx, &xc->dc, &xc->domid, &how,
	    NULL)) != 0) {
		xp->creating = NULL;
		xcreate_free(xc);
		return errf(err_r, "libxl: create failed: %d", rc);
	}
	return 0;
}

/*
 * Stop the domain for good and remove everything made for it.  A create
 * in flight is left to finish and then undone.  Idempotent.
 */
static void
xen_destroy(void *ctx, struct part *p)
{
	struct xen	*x = ctx;
	struct xpart		*xp = p->bdata;
	char			*name = NULL;
	libxl_asyncop_how	 how;

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
	xen_unwatch(x, xp);
	/* Only the domain we made: a stale domid may be someone else's. */
	if (p->domid >= 0 && (name = libxl_domid_to_name(x->ctx,
	    (uint32_t)p->domid)) != NULL && strcmp(name, p->name) == 0 &&
	    libxl_domain_destroy(x->ctx, (uint32_t)p->domid, NULL) != 0)
		log_warnx("%s: cannot destroy domain %d", p->name, p->domid);
	xen_unwire(x, p);
	TAILQ_REMOVE(&x->parts, xp, entry);
	if (xp->retry_ev != NULL)
		event_free(xp->retry_ev);
	free(xp);
	p->bdata = NULL;
out:
	free(name);
	p->domid = -1;
	p->pid = 0;
	p->state = PART_DEAD;
}

/* ---- cut, paste -------------------------------------------------------- */

/* write(2) all of buf, or -1. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*s = buf;
	ssize_t		 r;

	while (len > 0) {
		if ((r = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += r;
		len -= (size_t)r;
	}
	return 0;
}

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

/*
 * Cut, as `xl save` does it: FILE gets our header (farm, instance, the
 * domain's xl config, so that paste re-creates the same domain), then
 * libxl's save stream; the domain is then destroyed.  Synchronous: cut
 * is an administrator's operation, and the calls were drained before.
 */
static int
xen_suspend(void *ctx, struct part *p, const char *file, char **err_r)
{
	struct xen	*x = ctx;
	struct xpart	*xp = p->bdata;
	struct xcreate	*xc = NULL;
	char		*xl = NULL, *hdr = NULL;
	int		 fd = -1, rc = -1, r, hlen;

	if (xp == NULL || p->domid < 0 || xp->creating != NULL)
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
	/* From here the domain is ours to stop: no reconnect, no death. */
	xp->cut = true;
	xen_unwatch(x, xp);
	part_detach(p, "cut");
	if ((r = libxl_domain_suspend(x->ctx, (uint32_t)p->domid, fd, 0,
	    NULL)) != 0 || fsync(fd) == -1) {
		if (r != 0)
			errf(err_r, "libxl: suspend of domain %d failed: %d",
			    p->domid, r);
		else
			errf(err_r, "%s: %s", file, strerror(errno));
		xen_cut_undo(x, p, r == 0);
		goto out;
	}
	if (libxl_domain_destroy(x->ctx, (uint32_t)p->domid, NULL) != 0)
		log_warnx("%s: cannot destroy suspended domain %d", p->name,
		    p->domid);
	log_info("%s: domain %d saved to %s", p->name, p->domid, file);
	xen_unwire(x, p);
	p->domid = -1;
	rc = 0;
out:
	if (fd != -1) {
		close(fd);
		if (rc == -1)
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
static int
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

const struct backend_ops backend_xen = {
	.name = "xen",
	.create_timeout_ms = 180000,
	.init = xen_init,
	.fini = xen_fini,
	.create = xen_create,
	.destroy = xen_destroy,
	.suspend = xen_suspend,
	.restore = xen_restore,
	.reattach = xen_reattach,
};
