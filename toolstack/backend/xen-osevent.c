/*
 * xen-osevent.c: libxl in balticd's libevent loop.  libxl registers the
 * fds and timeouts it waits on through these hooks (libxl_osevent_hooks)
 * and the loop tells libxl when one is ready.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <event2/event.h>

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>

#include <libxl.h>

#include "backend/xen-state.h"
#include "daemon/daemon.h"

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

const libxl_osevent_hooks xen_osevent_hooks = {
	.fd_register = xen_fd_register,
	.fd_modify = xen_fd_modify,
	.fd_deregister = xen_fd_deregister,
	.timeout_register = xen_timeout_register,
	.timeout_modify = xen_timeout_modify,
	.timeout_deregister = xen_timeout_deregister,
};
