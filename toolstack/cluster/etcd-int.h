/*
 * etcd-int.h: what etcd.c (the transport: endpoints, requests, watch
 * streams) and etcd-json.c (the gateway's JSON: request bodies, replies
 * checked and decoded) share.  Not for the client's users.
 */
#ifndef BALTIC_ETCD_INT_H
#define BALTIC_ETCD_INT_H

#include <sys/queue.h>

#include <event2/http.h>

#include <stddef.h>
#include <stdint.h>

#include "cluster/etcd.h"

/* What a request is, which decides its path and how its reply is read. */
enum etcd_kind {
	ETCD_K_PUT,
	ETCD_K_RANGE,
	ETCD_K_DELETE,
	ETCD_K_TXN,
	ETCD_K_GRANT,
	ETCD_K_KEEPALIVE,
	ETCD_K_REVOKE,
};

/* Its path on the gateway ("/v3/kv/put"). */
const char	*etcd_kind_path(enum etcd_kind);

/*
 * A request body being built: etcd_body_* fill it with a malloc'd JSON
 * text and return 0, or -1 if out of memory.
 */
struct etcd_body {
	char	*text;		/* caller frees */
	size_t	 len;
};
struct etcd_body_args {
	const void	*key;
	size_t		 keylen;
	const void	*value;
	size_t		 valuelen;
	int		 prefix;
	int64_t		 lease;
	int64_t		 rev;	/* txn: the mod_revision compared (0: create) */
	int64_t		 num;	/* grant: TTL; keepalive, revoke: ID;
				 * watch: start revision */
};
int		 etcd_body(enum etcd_kind, const struct etcd_body_args *,
		    struct etcd_body *);
int		 etcd_body_watch(const struct etcd_body_args *,
		    struct etcd_body *);

/*
 * A decoded reply: the result handed to the callback and what it points
 * to.  _init before use, _dispose after (idempotent).
 */
struct etcd_reply {
	struct etcd_result	 res;
	char			 msg[256];	/* res.errmsg's text */
};
void		 etcd_reply_init(struct etcd_reply *);
void		 etcd_reply_dispose(struct etcd_reply *);

/*
 * Read an answer of kind with HTTP status code and body (untrusted: any
 * bytes, len bounded by the caller) into reply: res.rc ETCD_OK, or
 * ETCD_ERROR with etcd's message for a non-200 status, or ETCD_BADREPLY.
 */
void		 etcd_reply_parse(enum etcd_kind, int code,
		    const char *untrusted_body, size_t len, struct etcd_reply *);

/* One line of a watch stream, decoded. */
enum etcd_line_kind {
	ETCD_LINE_CREATED,	/* the watch is set up (header_rev) */
	ETCD_LINE_EVENTS,	/* events[nevents] */
	ETCD_LINE_PROGRESS,	/* nothing new (header_rev) */
	ETCD_LINE_END,		/* the stream ended: rc and msg */
};
struct etcd_line {
	enum etcd_line_kind	 kind;
	int64_t			 header_rev;
	struct etcd_event	*events;
	size_t			 nevents;
	enum etcd_rc		 rc;
	char			 msg[256];
};
void		 etcd_line_init(struct etcd_line *);
void		 etcd_line_dispose(struct etcd_line *);
/* Decode one line (without its '\n'); ETCD_LINE_END for garbage too. */
void		 etcd_line_parse(const char *untrusted_line, size_t len,
		    struct etcd_line *);

/* Padded standard base64: out must hold 4 * ((len + 2) / 3) + 1 bytes. */
size_t		 etcd_b64_encode(const void *in, size_t len, char *out);
/* Decode into out (3 * (len / 4) bytes at least) and NUL-terminate (one
 * more byte); the decoded length, or -1 if in is not padded base64. */
long		 etcd_b64_decode(const char *in, size_t len, char *out);


/* ---- the transport (etcd.c), shared with the watches (etcd-watch.c) ---- */

#define ETCD_WATCH_IDLE_S	900	/* progress_notify comes every 600 s */
#define ETCD_NO_ERR		(-1)	/* no evhttp error reported */
#define ETCD_ATTEMPT_MIN_MS	500	/* one member's share of a deadline */
#define ETCD_ELECTION_PAUSE_MS	250	/* between rounds of "no leader" */

struct etcd_ep {
	char	*host;
	int	 port;
	int	 tls;		/* https */
	char	 hostport[300];	/* Host: header */
};

struct etcd {
	struct event_base		*base;
	char				*local_ip;	/* NULL: any */
	etcd_tls_fn			 tls;		/* https endpoints' */
	void				*tls_arg;
	struct etcd_ep			 eps[ETCD_ENDPOINTS_MAX];
	size_t				 neps;
	size_t				 cur;		/* answered last */
	unsigned			 timeout_ms;
	TAILQ_HEAD(, etcd_op)		 ops;
	TAILQ_HEAD(, etcd_watch)	 watches;
};

/* A connection to member ep with no retries, replies of body_max bytes
 * at most, and timeout_ms per read or write (0: a watch's idle limit). */
struct evhttp_connection *etcd_conn_new(struct etcd *, size_t ep,
		    unsigned timeout_ms, size_t body_max);
/* POST body to path on evcon; 0, or -1 if out of memory.  chunk: the
 * body as it comes (NULL: all at once); error: evhttp's error, if any,
 * before done. */
int		 etcd_conn_post(struct evhttp_connection *,
		    const struct etcd_ep *, const char *path,
		    const struct etcd_body *,
		    void (*done)(struct evhttp_request *, void *),
		    void (*chunk)(struct evhttp_request *, void *),
		    void (*error)(enum evhttp_request_error, void *), void *arg);

#endif /* BALTIC_ETCD_INT_H */
