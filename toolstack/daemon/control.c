/*
 * control.c: balticd's control socket, which the `baltic` tool talks to;
 * the protocol is ctl.h.  The socket is mode 0600: only root (the owner)
 * may drive the farm.  Here: the connections, their one request each,
 * the JSON answers and the table of commands; the commands themselves
 * are control-farm.c and control-part.c (control.h).
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ctl.h"
#include "daemon/cluster.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

void
gstr(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

void
gkv(yajl_gen g, const char *k, const char *v)
{
	gstr(g, k);
	if (v == NULL)
		yajl_gen_null(g);
	else
		gstr(g, v);
}

void
gki(yajl_gen g, const char *k, long long v)
{
	gstr(g, k);
	yajl_gen_integer(g, v);
}

void
ctl_send_gen(struct ctl *c, yajl_gen g)
{
	const unsigned char	*buf;
	size_t			 len;

	yajl_gen_get_buf(g, &buf, &len);
	if (!c->gone) {
		bufferevent_write(c->bev, buf, len);
		bufferevent_write(c->bev, "\n", 1);
	}
	yajl_gen_free(g);
}

yajl_gen
ctl_gen(void)
{
	yajl_gen	g;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		fatalx("yajl_gen_alloc");
	yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	return g;
}

void
ctl_progress(struct ctl *c, const char *fmt, ...)
{
	yajl_gen	 g = ctl_gen();
	va_list		 ap;
	char		*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	yajl_gen_map_open(g);
	gkv(g, CTL_K_PROGRESS, msg != NULL ? msg : "?");
	yajl_gen_map_close(g);
	free(msg);
	ctl_send_gen(c, g);
}

/* The final answer: an error.  Every error goes out through here. */
void
ctl_error(struct ctl *c, int exitcode, const char *fmt, ...)
{
	yajl_gen	 g = ctl_gen();
	va_list		 ap;
	char		*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	yajl_gen_map_open(g);
	gstr(g, CTL_K_OK);
	yajl_gen_bool(g, 0);
	gki(g, CTL_K_EXIT, exitcode);
	gkv(g, CTL_K_ERROR, msg != NULL ? msg : "out of memory");
	yajl_gen_map_close(g);
	free(msg);
	c->answered = true;
	ctl_send_gen(c, g);
}

/* The final answer: success, with an optional message. */
void
ctl_ok(struct ctl *c, const char *msg)
{
	yajl_gen	g = ctl_gen();

	yajl_gen_map_open(g);
	gstr(g, CTL_K_OK);
	yajl_gen_bool(g, 1);
	if (msg != NULL)
		gkv(g, CTL_K_MESSAGE, msg);
	yajl_gen_map_close(g);
	c->answered = true;
	ctl_send_gen(c, g);
}

struct farm_run *
ctl_find_farm(struct ctl *c, const char *name)
{
	struct farm_run	*f;

	if ((f = farm_run_find(c->d, name)) == NULL)
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "no farm named %s", name);
	return f;
}

/* ---- connections ------------------------------------------------------- */

static const struct {
	const char	*name;
	void		(*fn)(struct ctl *, yajl_val);
	bool		  cluster;	/* taken by a balticd in a cluster */
} ctl_cmds[] = {
	{ CTL_CMD_CREATE,	ctl_create,	true },
	{ CTL_CMD_LIST,	ctl_list,	true },
	{ CTL_CMD_STATS,	ctl_stats,	true },
	{ CTL_CMD_CALL,	ctl_call,	true },
	{ CTL_CMD_SET,	ctl_set,	true },
	{ CTL_CMD_DESTROY,	ctl_destroy,	true },
	{ CTL_CMD_CUT,	ctl_cut,	false },
	{ CTL_CMD_PASTE,	ctl_paste,	false },
	{ CTL_CMD_APPLY,	ctl_apply,	false },
	{ CTL_CMD_MOVE,	ctl_move,	true },
};

void
ctl_unref(struct ctl *c)
{
	if (--c->refs > 0)
		return;
	if (c->tick != NULL)
		event_free(c->tick);
	free(c->file);
	bufferevent_free(c->bev);
	free(c);
}

static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct ctl	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line, ebuf[256];
	const char	*cmd;
	yajl_val	 rq;
	size_t		 i, len;

	if (c->denied) {	/* answered already: read, and dropped */
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (c->answered || c->refs > 1)
		return;		/* one request per connection */
	if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) == NULL) {
		if (evbuffer_get_length(in) > CTL_REQUEST_MAX) {
			ctl_error(c, BALTIC_EXIT_USAGE, "request too long");
			bufferevent_disable(bev, EV_READ);
		}
		return;
	}
	bufferevent_disable(bev, EV_READ);
	if ((rq = ctl_req_parse(line, &cmd, ebuf, sizeof ebuf)) == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "bad request: %s", ebuf);
		goto out;
	}
	c->dryrun = json_true(rq, CTL_K_DRYRUN);
	for (i = 0; i < sizeof ctl_cmds / sizeof ctl_cmds[0]; i++)
		if (strcmp(cmd, ctl_cmds[i].name) == 0)
			break;
	if (i == sizeof ctl_cmds / sizeof ctl_cmds[0])
		ctl_error(c, BALTIC_EXIT_USAGE, "unknown command %s", cmd);
	else if (!ctl_cmds[i].cluster && cluster_refuses(c, cmd))
		;	/* said why */
	else
		ctl_cmds[i].fn(c, rq);
out:
	yajl_tree_free(rq);
	free(line);
}

static void
ctl_write(struct bufferevent *bev, void *arg)
{
	struct ctl	*c = arg;

	/* Answered and flushed: this connection's request is over (a
	 * refused peer's once it hangs up: its request may be on the way). */
	if (c->answered && c->refs == 1 && !c->denied) {
		c->gone = true;
		ctl_unref(c);
	}
}

static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl	*c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		if (c->gone)
			return;
		c->gone = true;
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		ctl_unref(c);
	}
}

/* Is gid among the n groups? */
static bool
gid_in(gid_t gid, const gid_t *groups, size_t n)
{
	while (n-- > 0)
		if (groups[n] == gid)
			return true;
	return false;
}

/*
 * May the peer on fd drive balticd?  Root may, and so may a member of
 * the group CTL_GROUP (primary or supplementary, as the kernel saw the
 * peer at connect: SO_PEERCRED, SO_PEERGROUPS); with no such group, root
 * only.  This holds on top of the socket's mode, so a socket made
 * reachable by mistake still refuses everyone else.  0, or -1 with the
 * reason in why.
 */
static int
ctl_peer_check(int fd, char *why, size_t size)
{
	struct ucred	 cr;
	struct group	*gr;
	gid_t		 few[64], *groups = few;
	socklen_t	 len = sizeof cr;
	bool		 member = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1) {
		snprintf(why, size, "cannot tell who connected: %s",
		    strerror(errno));
		return -1;
	}
	if (cr.uid == 0)
		return 0;
	if ((gr = getgrnam(CTL_GROUP)) != NULL) {
		member = cr.gid == gr->gr_gid;
		len = sizeof few;
		if (!member && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS,
		    groups, &len) == -1 && errno == ERANGE &&
		    (groups = malloc(len)) != NULL &&
		    getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) ==
		    -1)
			len = 0;
		if (!member && groups != NULL)
			member = gid_in(gr->gr_gid, groups,
			    len / sizeof groups[0]);
		if (groups != few)
			free(groups);
		if (member)
			return 0;
	}
	snprintf(why, size, "not allowed to drive balticd: uid %u is not "
	    "root%s", (unsigned)cr.uid, gr != NULL ? " and not in group "
	    CTL_GROUP : " (there is no group " CTL_GROUP ")");
	return -1;
}

/* A refused peer is told why, at once, and let go when it hangs up or
 * after CTL_DENIED_MS. */
static void
ctl_deny(struct ctl *c, const char *why)
{
	struct timeval	tv = { CTL_DENIED_MS / 1000, 0 };

	log_info("control: refused: %s", why);
	c->denied = true;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	ctl_error(c, BALTIC_EXIT_DENIED, "%s", why);
}

static void
ctl_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct daemon	*d = arg;
	struct ctl	*c;
	char		 why[160];
	int		 fd, allowed;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK))
	    == -1)
		return;
	allowed = ctl_peer_check(fd, why, sizeof why) == 0;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return;
	}
	c->d = d;
	c->refs = 1;
	c->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, ctl_read, ctl_write, ctl_event, c);
	bufferevent_enable(c->bev, EV_READ);
	if (!allowed)
		ctl_deny(c, why);
}

/*
 * With a group CTL_GROUP, its members may reach the socket: the socket
 * is the group's, mode 0660, and so is the run directory, mode 0710
 * (they may pass through it, not list it).  Without, both stay root's.
 */
static void
control_share(struct daemon *d, const char *path)
{
	struct group	*gr;

	if ((gr = getgrnam(CTL_GROUP)) == NULL)
		return;
	if (chown(path, (uid_t)-1, gr->gr_gid) == -1 ||
	    chmod(path, 0660) == -1 ||
	    chown(d->run_dir, (uid_t)-1, gr->gr_gid) == -1 ||
	    chmod(d->run_dir, 0710) == -1)
		log_warn("control socket: cannot share it with group %s",
		    CTL_GROUP);
}

int
control_listen(struct daemon *d, const char *path)
{
	char	*err = NULL;
	int	 fd;

	if ((fd = unix_listen(path, 16, &err)) == -1) {
		log_warnx("control socket: %s", err != NULL ? err : path);
		free(err);
		return -1;
	}
	control_share(d, path);
	d->ctl_fd = fd;
	d->ctl_ev = event_new(d->base, fd, EV_READ | EV_PERSIST, ctl_accept, d);
	if (d->ctl_ev == NULL || event_add(d->ctl_ev, NULL) == -1)
		return -1;
	return 0;
}

void
control_close(struct daemon *d)
{
	if (d->ctl_ev != NULL)
		event_free(d->ctl_ev);
	d->ctl_ev = NULL;
	if (d->ctl_fd != -1)
		close(d->ctl_fd);
	d->ctl_fd = -1;
}
