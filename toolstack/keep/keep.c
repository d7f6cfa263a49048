/*
 * keep.c: balticd's side of the descriptor keeper (keep.h).
 *
 * The keeper is started on the first descriptor worth keeping (an
 * export's listening socket) and found again by a restarted balticd,
 * which fetches its entries before it restores the farms.  Talking to it
 * is synchronous and bounded (KEEP_IO_TIMEOUT_MS): a PUT must be in the
 * keeper's socket before the call it protects goes out, so that a kill
 * -9 at any moment leaves the keeper with what it needs.  If the keeper
 * is gone, balticd goes on without one (and starts a new one on the
 * next PUT); nothing but a restart's seamlessness depends on it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "keep/keep.h"
#include "log.h"

#define KEEP_IO_TIMEOUT_MS	500

static int
keep_sockaddr(struct daemon *d, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if ((size_t)snprintf(sun->sun_path, sizeof sun->sun_path, "%s/%s",
	    d->run_dir, KEEP_SOCK) >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Connect to a running keeper: 0, or -1 if there is none. */
static int
keep_connect(struct daemon *d)
{
	struct sockaddr_un	sun;
	struct timeval		tv = { 0, KEEP_IO_TIMEOUT_MS * 1000 };
	int			fd;

	if (d->keep_fd != -1)
		return 0;
	if (keep_sockaddr(d, &sun) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	d->keep_fd = fd;
	return 0;
}

/*
 * Start a keeper: bind its socket here (so that connecting cannot race
 * its start), then fork twice (it must not be our child: it outlives us)
 * and exec this binary as `baltic-keeper -K PATH` with the socket as
 * descriptor 3, in a new session.
 */
static int
keep_spawn(struct daemon *d)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	pid_t			 pid;
	int			 lfd, status, fd;
	char			*argv[] = { "baltic-keeper", "-K", NULL, NULL };

	if (d->self_path == NULL || keep_sockaddr(d, &sun) == -1)
		return -1;
	if ((lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	unlink(sun.sun_path);
	old = umask(0077);
	if (bind(lfd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(lfd, 8) == -1) {
		umask(old);
		log_warn("keeper: %s", sun.sun_path);
		close(lfd);
		return -1;
	}
	umask(old);
	argv[2] = sun.sun_path;
	switch (pid = fork()) {
	case -1:
		log_warn("keeper: fork");
		close(lfd);
		unlink(sun.sun_path);
		return -1;
	case 0:
		setsid();
		if (fork() != 0)
			_exit(0);
		if (dup2(lfd, 3) == -1)
			_exit(127);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			if (fd > 3)
				close(fd);
		}
		closefrom(4);
		execv(d->self_path, argv);
		_exit(127);
	default:
		close(lfd);
		waitpid(pid, &status, 0);
		break;
	}
	log_info("keeper started: %s", sun.sun_path);
	return keep_connect(d);
}

static void
keep_lost(struct daemon *d)
{
	log_warn("keeper");
	close(d->keep_fd);
	d->keep_fd = -1;
}

/* Send one message, with fd unless -1.  0, or -1. */
static int
keep_send(struct daemon *d, uint32_t type, const char *key, const void *val,
    size_t len, int fd)
{
	if (d->keep_fd == -1)
		return -1;
	if (keep_msg_send(d->keep_fd, type, key, val, len, fd) == -1) {
		if (errno == EMSGSIZE) {
			log_warnx("keeper: %s: too big to keep", key);
			return -1;
		}
		keep_lost(d);
		return -1;
	}
	return 0;
}

/* Keep fd (if not -1) and val under key, starting a keeper if needed. */
int
keep_put(struct daemon *d, const char *key, const void *val, size_t len,
    int fd)
{
	if (d->exiting)
		return -1;
	if (d->keep_fd == -1 && keep_connect(d) == -1 && keep_spawn(d) == -1)
		return -1;
	return keep_send(d, KEEP_PUT, key, val, len, fd);
}

void
keep_del(struct daemon *d, const char *key)
{
	if (!d->exiting)
		keep_send(d, KEEP_DEL, key, NULL, 0, -1);
}

static void
kept_free(struct kept *k)
{
	if (k->fd != -1)
		close(k->fd);
	free(k->key);
	free(k->val);
	free(k);
}

/*
 * At start: fetch every entry of a running keeper into d->kept (the
 * keeper keeps them too, until told otherwise).  0, or -1 if there is no
 * keeper or it would not answer.
 */
int
keep_fetch(struct daemon *d)
{
	static uint8_t		 buf[KEEP_MSG_MAX];
	struct keep_msg_view	 m;
	struct kept		*k;
	const char		*why;
	ssize_t			 r;
	size_t			 n = 0, nfds, i;
	int			 fds[KEEP_FDS_MAX];
	bool			 cut;

	if (keep_connect(d) == -1)
		return -1;
	if (keep_send(d, KEEP_LIST, NULL, NULL, 0, -1) == -1)
		return -1;
	for (;;) {
		if ((r = keep_msg_recv(d->keep_fd, buf, 0, fds, &nfds, &cut))
		    <= 0) {
			keep_lost(d);
			return -1;
		}
		if (cut || nfds > 1 ||
		    keep_msg_parse(buf, (size_t)r, &m, &why) == -1 ||
		    (m.type != KEEP_ENTRY && m.type != KEEP_END)) {
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			log_warnx("keeper: bad answer to LIST");
			keep_lost(d);
			return -1;
		}
		if (m.type == KEEP_END)
			break;
		if ((k = calloc(1, sizeof *k)) == NULL ||
		    (k->key = strdup(m.key)) == NULL ||
		    (m.vallen > 0 && (k->val = malloc(m.vallen)) == NULL))
			fatal("%s", __func__);
		if (m.vallen > 0)
			memcpy(k->val, m.val, m.vallen);
		k->len = m.vallen;
		k->fd = nfds == 1 ? fds[0] : -1;
		TAILQ_INSERT_TAIL(&d->kept, k, entry);
		n++;
	}
	log_info("keeper: %zu entries fetched", n);
	return 0;
}

/* The descriptor kept under key, now ours (-1 if none); the keeper keeps
 * its own copy. */
int
keep_take(struct daemon *d, const char *key)
{
	struct kept	*k;
	int		 fd;

	TAILQ_FOREACH(k, &d->kept, entry) {
		if (strcmp(k->key, key) == 0) {
			TAILQ_REMOVE(&d->kept, k, entry);
			fd = k->fd;
			k->fd = -1;
			kept_free(k);
			return fd;
		}
	}
	return -1;
}

/*
 * balticd stops (d->exiting: the entries stay for the next one) or its
 * last farm is gone (the keeper is told to quit: nothing to keep).
 */
void
keep_done(struct daemon *d)
{
	struct kept	*k;
	char		 c;

	while ((k = TAILQ_FIRST(&d->kept)) != NULL) {
		TAILQ_REMOVE(&d->kept, k, entry);
		kept_free(k);
	}
	if (TAILQ_EMPTY(&d->farms) && d->keep_fd != -1 &&
	    keep_send(d, KEEP_QUIT, NULL, NULL, 0, -1) == 0) {
		/* Its socket is gone when it hangs up (bounded wait). */
		while (recv(d->keep_fd, &c, 1, 0) > 0)
			;
		log_info("keeper: told to quit, nothing to keep");
	}
	if (d->keep_fd != -1)
		close(d->keep_fd);
	d->keep_fd = -1;
}

/* ---- export calls ------------------------------------------------------ */

struct kcall_walk {
	struct keep_call	*kc;
	bool			 reached;
};

static void
kcall_walk_cb(struct req *r, void *arg)
{
	struct kcall_walk	*w = arg;
	struct keep_call	*kc = w->kc;

	if (r->reached)
		w->reached = true;
	if (r->node->kind != NODE_VM || r->part == NULL || r->waiting ||
	    r->call_id == 0)
		return;
	w->reached = true;
	if (kc->nattempts == KEEP_ATTEMPTS_MAX)
		return;
	snprintf(kc->attempts[kc->nattempts].inst,
	    sizeof kc->attempts[kc->nattempts].inst, "%s", r->part->name);
	kc->attempts[kc->nattempts++].id = r->call_id;
}

/*
 * Tell the keeper where the call stands: the partitions it has been sent
 * to (or is about to be), whether it may have reached a guest, and its
 * argument, with the client's connection the first time.
 */
void
kcall_put(struct kcall *c)
{
	struct daemon		*d = c->f->d;
	struct keep_call	 kc;
	struct kcall_walk	 w = { &kc, false };
	char			*rec;
	size_t			 len;
	bool			 first = c->key[0] == '\0';

	memset(&kc, 0, sizeof kc);
	snprintf(kc.farm, sizeof kc.farm, "%s", c->f->name);
	kc.export = (uint32_t)c->export;
	snprintf(kc.iface, sizeof kc.iface, "%s", c->r->iface->name);
	snprintf(kc.op, sizeof kc.op, "%s", c->r->op->name);
	kc.deadline_us = c->r->deadline_us;
	req_walk(c->r, kcall_walk_cb, &w);
	kc.reached = w.reached;
	kc.reqlen = c->reqlen;
	kc.reqhash = c->reqhash;
	kc.has_arg = true;
	kc.arg = c->r->arg;
	kc.arglen = c->r->arglen;
	if ((rec = keep_call_encode(&kc, &len)) == NULL)
		return;
	if (first)
		snprintf(c->key, sizeof c->key, "call %llx-%llx",
		    (unsigned long long)d->started_us,
		    (unsigned long long)++d->keep_seq);
	if (keep_put(d, c->key, rec, len, first ? c->fd : -1) == -1 && first)
		c->key[0] = '\0';
	free(rec);
}

/* The call is answered (or abandoned): the keeper may let it go. */
void
kcall_del(struct kcall *c)
{
	if (c->key[0] != '\0')
		keep_del(c->f->d, c->key);
	c->key[0] = '\0';
}
