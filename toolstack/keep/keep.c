/*
 * keep.c: balticd's side of the descriptor keeper (keep.h).
 *
 * The keeper is started on the first descriptor worth keeping (an
 * export's listening socket) and found again by a restarted balticd,
 * which fetches its entries before it restores the farms.  Talking to it
 * is synchronous and bounded (KEEP_IO_TIMEOUT_MS): a PUT must be in the
 * keeper's socket before the call it protects goes out, so that a kill
 * -9 at any moment leaves the keeper with what it needs.  With
 * keep_set_batch, the PUTs and DELs of one loop turn go in one packet,
 * which the caller flushes before anything they protect happens (for
 * balticd: before a request leaves its socket, before a call goes to a
 * partition; journal.c).  If the keeper
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

#include "keep/keep.h"
#include "log.h"
#include "util/util.h"

#define KEEP_IO_TIMEOUT_MS	500

static int
keep_sockaddr(struct keep_client *k, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if ((size_t)snprintf(sun->sun_path, sizeof sun->sun_path, "%s/%s",
	    k->run_dir, KEEP_SOCK) >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Connect to a running keeper: 0, or -1 if there is none. */
static int
keep_connect(struct keep_client *k)
{
	struct sockaddr_un	sun;
	struct timeval		tv = { 0, KEEP_IO_TIMEOUT_MS * 1000 };
	int			fd;

	if (k->fd != -1)
		return 0;
	if (keep_sockaddr(k, &sun) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	k->fd = fd;
	return 0;
}

/*
 * Start a keeper: bind its socket here (so that connecting cannot race
 * its start), then fork twice (it must not be our child: it outlives us)
 * and exec this binary as `baltic-keeper -K PATH` with the socket as
 * descriptor 3, in a new session.
 */
static int
keep_spawn(struct keep_client *k)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	pid_t			 pid;
	int			 lfd, status, fd;
	char			*argv[] = { "baltic-keeper", "-K", NULL, NULL };

	if (k->self_path == NULL || keep_sockaddr(k, &sun) == -1)
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
	/* fork_child: no signal reaches balticd's handlers in the child
	 * before it execs (they would tell balticd's loop, through the
	 * pipe both share). */
	switch (pid = fork_child()) {
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
		execv(k->self_path, argv);
		_exit(127);
	default:
		close(lfd);
		waitpid(pid, &status, 0);
		break;
	}
	log_info("keeper started: %s", sun.sun_path);
	return keep_connect(k);
}

static void
keep_lost(struct keep_client *k)
{
	log_warn("keeper");
	close(k->fd);
	k->fd = -1;
}

/* Send one message, with fd unless -1, after what waits.  0, or -1. */
static int
keep_send(struct keep_client *k, uint32_t type, const char *key, const void *val,
    size_t len, int fd)
{
	if (keep_flush(k) == -1 || k->fd == -1)
		return -1;
	if (keep_msg_send(k->fd, type, key, val, len, fd) == -1) {
		if (errno == EMSGSIZE) {
			log_warnx("keeper: %s: too big to keep", key);
			return -1;
		}
		keep_lost(k);
		return -1;
	}
	return 0;
}

void
keep_set_batch(struct keep_client *k, void (*queued)(void *), void *arg)
{
	k->queued = queued;
	k->queued_arg = arg;
}

/* Send the packet that waits (one message alone as itself). */
int
keep_flush(struct keep_client *k)
{
	const uint8_t	*p;
	size_t		 n;
	int		 rc = 0;

	if (k->nbatch == 0)
		return 0;
	p = k->batch;
	n = k->batchlen;
	if (k->nbatch == 1) {	/* past the BATCH header and the length */
		p += KEEP_HDR_LEN + 4;
		n -= KEEP_HDR_LEN + 4;
	}
	k->nbatch = k->batchlen = 0;
	if (k->fd == -1 && keep_connect(k) == -1 && keep_spawn(k) == -1)
		return -1;
	if (send(k->fd, p, n, MSG_NOSIGNAL) != (ssize_t)n) {
		keep_lost(k);
		rc = -1;
	}
	return rc;
}

/* Queue a message in the packet that waits: 0, or -1 if it is not for a
 * batch (too big, or no memory: then it goes alone). */
static int
keep_queue(struct keep_client *k, uint32_t type, const char *key,
    const void *val, size_t len)
{
	size_t	need = 4 + KEEP_HDR_LEN + strlen(key) + len, n;

	if (k->queued == NULL || need > KEEP_MSG_MAX - KEEP_HDR_LEN)
		return -1;
	if (k->batch == NULL && (k->batch = malloc(KEEP_MSG_MAX)) == NULL)
		return -1;
	if (k->batchlen + need > KEEP_MSG_MAX && keep_flush(k) == -1)
		return -1;
	if (k->nbatch == 0)
		k->batchlen = keep_msg_encode(k->batch, KEEP_BATCH, NULL, NULL,
		    0);
	if ((n = keep_msg_encode(k->batch + k->batchlen + 4, type, key, val,
	    len)) == 0)
		return -1;
	proto_encode_le32(k->batch + k->batchlen, (uint32_t)n);
	k->batchlen += 4 + n;
	if (k->nbatch++ == 0)
		k->queued(k->queued_arg);
	return 0;
}

/* Keep fd (if not -1) and val under key, starting a keeper if needed. */
int
keep_put(struct keep_client *k, const char *key, const void *val, size_t len,
    int fd)
{
	if (k->exiting)
		return -1;
	if (k->fdstore)
		return keep_fdstore_put(k, key, val, len, fd);
	if (fd == -1 && keep_queue(k, KEEP_PUT, key, val, len) == 0)
		return 0;
	if (k->fd == -1 && keep_connect(k) == -1 && keep_spawn(k) == -1)
		return -1;
	return keep_send(k, KEEP_PUT, key, val, len, fd);
}

void
keep_del(struct keep_client *k, const char *key)
{
	if (k->exiting)
		return;
	if (k->fdstore)
		keep_fdstore_del(k, key);
	else if (keep_queue(k, KEEP_DEL, key, NULL, 0) == -1)
		keep_send(k, KEEP_DEL, key, NULL, 0, -1);
}

/* An entry and its descriptor (closed if still ours). */
void
keep_kept_free(struct kept *e)
{
	if (e->fd != -1)
		close(e->fd);
	free(e->key);
	free(e->val);
	free(e);
}

/*
 * At start: fetch every entry of a running keeper into k->kept (the
 * keeper keeps them too, until told otherwise).  0, or -1 if there is no
 * keeper or it would not answer.
 */
int
keep_fetch(struct keep_client *k)
{
	static uint8_t		 buf[KEEP_MSG_MAX];
	struct keep_msg_view	 m;
	struct kept		*e;
	const char		*why;
	ssize_t			 r;
	size_t			 n = 0, nfds, i;
	int			 fds[KEEP_FDS_MAX];
	bool			 cut;

	if (k->fdstore)
		return keep_fdstore_fetch(k);
	if (keep_connect(k) == -1)
		return -1;
	if (keep_send(k, KEEP_LIST, NULL, NULL, 0, -1) == -1)
		return -1;
	for (;;) {
		if ((r = keep_msg_recv(k->fd, buf, 0, fds, &nfds, &cut))
		    <= 0) {
			keep_lost(k);
			return -1;
		}
		if (cut || nfds > 1 ||
		    keep_msg_parse(buf, (size_t)r, &m, &why) == -1 ||
		    (m.type != KEEP_ENTRY && m.type != KEEP_END)) {
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			log_warnx("keeper: bad answer to LIST");
			keep_lost(k);
			return -1;
		}
		if (m.type == KEEP_END)
			break;
		if ((e = calloc(1, sizeof *e)) == NULL ||
		    (e->key = strdup(m.key)) == NULL ||
		    (m.vallen > 0 && (e->val = malloc(m.vallen)) == NULL))
			fatal("%s", __func__);
		if (m.vallen > 0)
			memcpy(e->val, m.val, m.vallen);
		e->len = m.vallen;
		e->fd = nfds == 1 ? fds[0] : -1;
		TAILQ_INSERT_TAIL(&k->kept, e, entry);
		n++;
	}
	log_info("keeper: %zu entries fetched", n);
	return 0;
}

/* The descriptor kept under key, now ours (-1 if none); the keeper keeps
 * its own copy. */
int
keep_take(struct keep_client *k, const char *key)
{
	struct kept	*e;
	int		 fd;

	TAILQ_FOREACH(e, &k->kept, entry) {
		if (strcmp(e->key, key) == 0) {
			TAILQ_REMOVE(&k->kept, e, entry);
			fd = e->fd;
			e->fd = -1;
			keep_kept_free(e);
			return fd;
		}
	}
	return -1;
}

/* An entry fetched at start and not taken yet, now the caller's (free
 * it with keep_kept_free), or NULL. */
struct kept *
keep_next_kept(struct keep_client *k)
{
	struct kept	*e;

	if ((e = TAILQ_FIRST(&k->kept)) != NULL)
		TAILQ_REMOVE(&k->kept, e, entry);
	return e;
}

/*
 * Done with the keeper: balticd stops (the entries stay for the next
 * one) or, if quit, its last farm is gone (the keeper is told to quit:
 * nothing to keep).
 */
void
keep_done(struct keep_client *k, bool quit)
{
	struct kept	*e;
	char		 c;

	keep_flush(k);
	free(k->batch);
	k->batch = NULL;
	k->queued = NULL;
	while ((e = TAILQ_FIRST(&k->kept)) != NULL) {
		TAILQ_REMOVE(&k->kept, e, entry);
		if (quit && k->fdstore)
			keep_fdstore_del(k, e->key);	/* nothing to keep */
		keep_kept_free(e);
	}
	if (quit && k->fd != -1 &&
	    keep_send(k, KEEP_QUIT, NULL, NULL, 0, -1) == 0) {
		/* Its socket is gone when it hangs up (bounded wait). */
		while (recv(k->fd, &c, 1, 0) > 0)
			;
		log_info("keeper: told to quit, nothing to keep");
	}
	if (k->fd != -1)
		close(k->fd);
	k->fd = -1;
}

void
keep_client_init(struct keep_client *k, const char *run_dir,
    const char *self_path)
{
	memset(k, 0, sizeof *k);
	k->fd = -1;
	k->run_dir = run_dir;
	k->self_path = self_path;
	k->fdstore = keep_fdstore_use();
	TAILQ_INIT(&k->kept);
}
