/*
 * export-conn.h: an export's listening socket and client connections,
 * as export-conn.c keeps them (their life, and the answers written on
 * them) for export.c (listening, reading, the calls) above it.  The
 * daemon's interface to both is in daemon/daemon.h.
 */
#ifndef BALTIC_EXPORT_CONN_H
#define BALTIC_EXPORT_CONN_H

#include <sys/queue.h>

#include <event2/event.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon.h"

struct ssl_ctx_st;
struct ssl_st;

#define EXPORT_LINGER_MS	1000	/* for the client to close first */
#define EXPORT_CONNS_MAX	1024	/* per export; more wait */
#define EXPORT_ACCEPTS		64	/* per wakeup */
#define EXPORT_IDLE_MS		60000	/* for a request, or its next byte */
#define EXPORT_TIMEOUT_MAX_MS	(24u * 3600 * 1000)
#define EXPORT_BUF_MIN		4096

/* An export with an address: its listening socket and connections. */
struct export_srv {
	struct farm_run			*f;
	struct farm_run_export		*x;
	int				 lfd;
	struct event			*lev;
	bool				 listening; /* export_start */
	bool				 paused; /* at EXPORT_CONNS_MAX */
	size_t				 nconns;
	TAILQ_HEAD(, export_conn)	 conns;
	struct ssl_ctx_st		*tls;	 /* NULL: plain HTTP */
	/* An answer is written: wait for the connection's next request. */
	void				(*idle)(struct export_conn *);
};

enum conn_state {
	CONN_HANDSHAKE,		/* TLS: the client's handshake */
	CONN_READING,		/* for a request */
	CONN_CALLING,		/* its call runs */
	CONN_WRITING,		/* the answer */
	CONN_CLOSING,		/* answered: until the client closes */
};

/* A client's connection; srv is NULL for the answer to an adopted call. */
struct export_conn {
	struct export_srv	*srv;
	struct daemon		*d;
	int			 fd;
	struct ssl_st		*ssl;		/* TLS (export-tls.h), or NULL */
	enum conn_state		 state;
	struct event		*ev;
	char			*buf;		/* the request's bytes */
	size_t			 buflen, bufsize;
	bool			 taken;		/* buf is off the socket */
	bool			 unread;	/* the call's request is not */
	bool			 continued;	/* 100 Continue sent */
	bool			 keep_alive;
	bool			 recorded;	/* the keeper has a record */
	bool			 take_pending;	/* in d->takes */
	bool			 starting;	/* in export_request: its
						 * tail writes the answer */
	size_t			 reqtotal;	/* the request's bytes */
	struct evbuffer		*out;
	struct kept_call	 kc;		/* key "conn ...": kept */
	char			 call[2 * BALTIC_NAME_MAX + 2];
	TAILQ_ENTRY(export_conn) entry;
	TAILQ_ENTRY(export_conn) take_entry;
};

/* export-conn.c */
struct export_conn *conn_new(struct daemon *, struct export_srv *, int fd,
	    const char *key);
void	 conn_event_clear(struct export_conn *);
/* Watch c for what (and ms, if not 0), instead of what it waited for. */
void	 conn_event(struct export_conn *, short what, event_callback_fn,
	    unsigned ms);
/* Forget c; drop: the keeper lets it go too.  A call in flight is
 * cancelled. */
void	 conn_free(struct export_conn *, bool drop);
/* Read what the socket has, in place or off it: 0, or -1 (closed). */
int	 conn_fill(struct export_conn *);
/* Take n bytes read in place off the socket: 0, or -1. */
int	 conn_take(struct export_conn *, size_t n);
/* Answer with a call's status, its result or error text. */
void	 conn_answer_status(struct export_conn *, uint32_t status,
	    const char *farm, const void *, size_t);
/* Answer a request that starts no call. */
void	 conn_refuse(struct export_conn *, int code, uint32_t status,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* recv(2) and send(2), through TLS on a TLS connection, never blocking:
 * a count, 0 at the client's close (recv), or -1 with errno. */
ssize_t	 conn_recv(struct export_conn *, void *, size_t);
ssize_t	 conn_send(struct export_conn *, const void *, size_t);
/* Write what c->out holds; once written, the connection reads again. */
void	 conn_write(struct export_conn *);

#endif /* BALTIC_EXPORT_CONN_H */
