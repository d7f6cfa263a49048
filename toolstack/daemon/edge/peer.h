/*
 * peer.h: what peer.c (the calls over a link, the daemon's API) and
 * peer-link.c (the links themselves: dial, accept, TLS, reconnect)
 * share.  One struct peer per known host of the cluster, one link to
 * it at most: the host whose name sorts lower dials, the other accepts,
 * so that two hosts never race to open two links.
 */
#ifndef BALTIC_PEER_H
#define BALTIC_PEER_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>

#include "util/idmap.h"

struct chan;
struct daemon;
struct event;
struct ssl_ctx_st;
struct ssl_st;

#define PEER_HANDSHAKE_MS	5000	/* connect + TLS, either end */
#define PEER_BACKOFF_MIN_MS	100	/* first retry after a failure */
#define PEER_BACKOFF_MAX_MS	5000
#define PEER_CANCELLED_TTL_S	30	/* a late RESULT is excused */
#define PEER_PING_MS		1000	/* a link's health check */
#define PEER_PING_MISSES	3	/* silent that many: link lost */

enum peer_state {
	PEER_IDLE,		/* no link: waits to dial again, or to be
				 * dialed */
	PEER_DIALING,		/* connect and TLS handshake under way */
	PEER_HELLO,		/* TLS up, waiting for the peer's HELLO */
	PEER_UP,
};

struct peer {
	struct peers		*ps;
	char			*host;
	char			*addr;		/* "IP:PORT" as given */
	struct sockaddr_storage	 sa;
	int			 salen;
	bool			 dials;		/* we dial it (lower name) */
	enum peer_state		 state;
	int			 fd;		/* PEER_DIALING */
	struct ssl_st		*ssl;		/* PEER_DIALING */
	struct event		*ev;		/* PEER_DIALING: its I/O */
	struct event		*retry;		/* PEER_IDLE: dial again */
	unsigned		 backoff_ms;
	unsigned		 silent;	/* pings unanswered in a row */
	struct chan		*chan;		/* PEER_HELLO, PEER_UP */
	uint32_t		 next_id;
	struct idmap		 out;		/* our calls: id -> req */
	struct idmap		 cancelled;	/* ours: id -> expiry (s) */
	struct idmap		 in;		/* its calls: id -> req */
	char			*why;		/* why it is not up */
	TAILQ_ENTRY(peer)	 entry;
};

struct peer_acc;

struct peers {
	struct daemon		*d;
	struct ssl_ctx_st	*server, *client;
	int			 lfd;		/* -1: no --peer-listen */
	struct event		*lev;
	struct event		*ping_ev;
	TAILQ_HEAD(, peer)	 list;
	TAILQ_HEAD(, peer_acc)	 accepting;	/* handshakes under way */
};

/* peer-link.c */
int		 peer_link_listen(struct peers *, const char *addr,
		    char **err_r);
void		 peer_link_stop(struct peers *);
void		 peer_link_dial(struct peer *);
void		 peer_link_close(struct peer *);
void		 peer_link_lost(struct peer *, const char *why);
struct chan_cbs;
struct event_base;
struct chan	*peer_link_chan(struct event_base *, int fd, struct ssl_st *,
		    const struct chan_cbs *, void *arg);
int		 peer_parse_addr(const char *addr, struct sockaddr_storage *,
		    int *len_r);

/* peer.c */
struct peer	*peer_find(struct peers *, const char *host);
void		 peer_attach(struct peer *, int fd, struct ssl_st *);
void		 peer_fail_calls(struct peer *, const char *why);
void		 peer_set_why(struct peer *, const char *why);

#endif /* BALTIC_PEER_H */
