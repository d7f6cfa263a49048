/*
 * keeper.c: the descriptor keeper (keep.h), `baltic-keeper` in ps.
 *
 * balticd execs itself as `baltic-keeper -K PATH` in a session of its
 * own, handing it the listening socket (already bound, mode 0600) as
 * descriptor 3.  It holds nothing but that socket, its clients and the
 * entries it is given; no libevent, one poll loop.  It runs until QUIT
 * or SIGTERM, then closes everything and removes its socket.  Only
 * balticd's user can reach the socket; its messages are checked anyway.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keep/keep.h"
#include "log.h"

#define KEEPER_CLIENTS		8	/* balticd, and one that replaces it */
#define KEEPER_SEND_TIMEOUT_MS	1000

struct kentry {
	char	*key;
	uint8_t	*val;
	size_t	 vallen;
	int	 fd;		/* -1: none */
};

/* What the keeper holds. */
struct keeper {
	struct kentry	*entries;
	size_t		 nentries;
};

static volatile sig_atomic_t quit;	/* SIGTERM, SIGINT or QUIT */

static void
keeper_sig(int sig)
{
	quit = 1;
}

static void
kentry_dispose(struct kentry *e)
{
	if (e->fd != -1)
		close(e->fd);
	free(e->key);
	free(e->val);
}

static void
kentry_remove(struct keeper *k, size_t i)
{
	kentry_dispose(&k->entries[i]);
	k->entries[i] = k->entries[--k->nentries];
}

static struct kentry *
kentry_find(struct keeper *k, const char *key)
{
	size_t	i;

	for (i = 0; i < k->nentries; i++)
		if (strcmp(k->entries[i].key, key) == 0)
			return &k->entries[i];
	return NULL;
}

/* Store or replace; takes fd (closed on failure).  0, or -1. */
static int
keeper_put(struct keeper *k, const struct keep_msg_view *m, int fd)
{
	struct kentry	*e, *nv, ne = { NULL, NULL, 0, fd };

	if ((ne.key = strdup(m->key)) == NULL ||
	    (m->vallen > 0 && (ne.val = malloc(m->vallen)) == NULL))
		goto fail;
	if (m->vallen > 0)
		memcpy(ne.val, m->val, m->vallen);
	ne.vallen = m->vallen;
	if ((e = kentry_find(k, m->key)) != NULL) {
		/* A PUT without a descriptor updates the record only. */
		if (fd == -1) {
			ne.fd = e->fd;
			e->fd = -1;
		}
		kentry_dispose(e);
		*e = ne;
		return 0;
	}
	if (k->nentries == KEEP_ENTRIES_MAX) {
		log_warnx("keeper: full (%d entries); %s dropped",
		    KEEP_ENTRIES_MAX, m->key);
		goto fail;
	}
	if ((nv = reallocarray(k->entries, k->nentries + 1, sizeof *nv)) ==
	    NULL)
		goto fail;
	k->entries = nv;
	k->entries[k->nentries++] = ne;
	return 0;
fail:
	kentry_dispose(&ne);
	return -1;
}

static int
keeper_send(int cfd, uint32_t type, const struct kentry *e)
{
	if (e == NULL)
		return keep_msg_send(cfd, type, NULL, NULL, 0, -1);
	return keep_msg_send(cfd, type, e->key, e->val, e->vallen, e->fd);
}

/* A DEL: the entry goes, with its descriptor. */
static void
keeper_del(struct keeper *k, const char *key)
{
	size_t	i;

	for (i = 0; i < k->nentries; i++) {
		if (strcmp(k->entries[i].key, key) == 0) {
			kentry_remove(k, i);
			return;
		}
	}
}

/* A BATCH's messages, PUTs without a descriptor and DELs, in order: 0,
 * or -1 (the client is dropped; what came before stays). */
static int
keeper_batch(struct keeper *k, const struct keep_msg_view *b)
{
	struct keep_msg_view	 m;
	const uint8_t		*p = b->val, *msg;
	size_t			 left = b->vallen, len;
	const char		*why;
	int			 r;

	while ((r = keep_batch_next(&p, &left, &msg, &len)) == 1) {
		if (keep_msg_parse(msg, len, &m, &why) == -1) {
			log_warnx("keeper: in a batch: %s; client dropped",
			    why);
			return -1;
		}
		if (m.type == KEEP_PUT)
			keeper_put(k, &m, -1);
		else if (m.type == KEEP_DEL)
			keeper_del(k, m.key);
		else {
			log_warnx("keeper: message %u in a batch; client "
			    "dropped", m.type);
			return -1;
		}
	}
	if (r == -1)
		log_warnx("keeper: a batch cut short; client dropped");
	return r;
}

/*
 * One packet from a client: 1 when one was handled, 0 when none is
 * waiting, -1 to drop the client (a bad message, or EOF).  Descriptors
 * that come with a message we do not keep are closed.
 */
static int
keeper_read(struct keeper *k, int cfd)
{
	static uint8_t		 buf[KEEP_MSG_MAX];
	struct keep_msg_view	 m;
	const char		*why;
	ssize_t			 r;
	size_t			 i, nfds = 0;
	int			 fds[KEEP_FDS_MAX], rc = -1;
	bool			 cut;

	if ((r = keep_msg_recv(cfd, buf, MSG_DONTWAIT, fds, &nfds, &cut)) <= 0)
		return r == -1 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	if (cut) {
		log_warnx("keeper: message cut short; client dropped");
		goto out;
	}
	if (keep_msg_parse(buf, (size_t)r, &m, &why) == -1) {
		log_warnx("keeper: %s; client dropped", why);
		goto out;
	}
	if (nfds > 1 || (nfds == 1 && m.type != KEEP_PUT)) {
		log_warnx("keeper: descriptors where none belong; client "
		    "dropped");
		goto out;
	}
	/* Validated. */
	switch (m.type) {
	case KEEP_PUT:
		keeper_put(k, &m, nfds == 1 ? fds[0] : -1);
		nfds = 0;
		break;
	case KEEP_DEL:
		keeper_del(k, m.key);
		break;
	case KEEP_BATCH:	/* no descriptor: checked above */
		if (keeper_batch(k, &m) == -1)
			goto out;
		break;
	case KEEP_LIST:
		for (i = 0; i < k->nentries; i++)
			if (keeper_send(cfd, KEEP_ENTRY, &k->entries[i]) == -1)
				goto out;
		if (keeper_send(cfd, KEEP_END, NULL) == -1)
			goto out;
		break;
	case KEEP_QUIT:
		quit = 1;
		break;
	default:
		log_warnx("keeper: unexpected message %u; client dropped",
		    m.type);
		goto out;
	}
	rc = 1;
out:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return rc;
}

int
keeper_main(int lfd, const char *path)
{
	struct keeper	 k = { NULL, 0 };
	struct pollfd	 pfd[1 + KEEPER_CLIENTS];
	struct timeval	 tv = { KEEPER_SEND_TIMEOUT_MS / 1000,
			    (KEEPER_SEND_TIMEOUT_MS % 1000) * 1000 };
	struct sigaction sa;
	size_t		 n = 1, i;
	int		 cfd, r;

	log_init("baltic-keeper", 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = keeper_sig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	while (!quit) {
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("keeper: poll");
		}
		/*
		 * Oldest client first, all it has sent, even after it died:
		 * a killed balticd's last PUTs and DELs are taken before
		 * the next balticd's LIST.
		 */
		for (i = 1; i < n; ) {
			if (pfd[i].revents == 0) {
				i++;
				continue;
			}
			while ((r = keeper_read(&k, pfd[i].fd)) == 1 && !quit)
				;
			if (r == -1 || (pfd[i].revents & (POLLHUP | POLLERR))) {
				close(pfd[i].fd);
				memmove(&pfd[i], &pfd[i + 1],
				    (n - i - 1) * sizeof pfd[0]);
				n--;
			} else
				i++;
		}
		if (pfd[0].revents & POLLIN) {
			cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (cfd == -1)
				continue;
			if (n == 1 + KEEPER_CLIENTS) {
				close(cfd);
				continue;
			}
			setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
			pfd[n].fd = cfd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
	}
	unlink(path);
	for (i = 0; i < n; i++)
		close(pfd[i].fd);
	while (k.nentries > 0)
		kentry_remove(&k, 0);
	free(k.entries);
	return 0;
}
