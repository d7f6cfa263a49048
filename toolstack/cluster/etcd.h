/*
 * etcd.h: an asynchronous client of etcd's v3 JSON gateway (etcd 3.4,
 * /v3/ over HTTP/1.1) for a libevent loop.  Nothing here blocks: every
 * operation returns at once and reports through its callback, called
 * from the loop, never from inside the call that started it.
 *
 * Endpoints are the members' client URLs ("http://127.0.1.1:2379").  A
 * request goes to the member that answered last; on a refused
 * connection or a 503 it goes to the next one, each member tried once.
 * Every request has a deadline: when it passes, the result is
 * ETCD_UNKNOWN (the request may or may not have been applied).
 *
 * Keys and values are byte strings (base64 on the wire); int64 fields
 * (revisions, lease IDs) stay int64_t from the wire to the caller.  All
 * etcd sends is checked (shape, sizes, base64, integers) before use:
 * garbage gives ETCD_BADREPLY, never a crash.
 */
#ifndef BALTIC_ETCD_H
#define BALTIC_ETCD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

#define ETCD_ENDPOINTS_MAX	16
#define ETCD_KEY_MAX		(4 * 1024)	/* bytes of a key */
#define ETCD_VALUE_MAX		(1024 * 1024)	/* etcd refuses 1.5 MB requests */
#define ETCD_REPLY_MAX		(8 * 1024 * 1024)	/* bytes of a unary reply */
#define ETCD_LINE_MAX		(8 * 1024 * 1024)	/* bytes of one watch line */
#define ETCD_KVS_MAX		100000	/* kvs of one reply, events of one line */

enum etcd_rc {
	ETCD_OK = 0,		/* done; a txn's compare may still have failed */
	ETCD_UNKNOWN,		/* timed out or cut mid-reply: maybe applied */
	ETCD_UNAVAILABLE,	/* no member took it (refused, 503): not applied */
	ETCD_ERROR,		/* etcd refused it (400, 404: a dead lease...) */
	ETCD_BADREPLY,		/* etcd's answer made no sense, or was over
				 * ETCD_REPLY_MAX (not retried elsewhere) */
	ETCD_COMPACTED,		/* a watch's start revision is compacted away */
	ETCD_EOF,		/* a watch's stream ended */
};

/* Its name, "unknown" for ETCD_UNKNOWN... (a static string). */
const char	*etcd_rc_str(enum etcd_rc);
/* "NAME" or "NAME: errmsg", for a message: into buf, returned. */
const char	*etcd_why(enum etcd_rc, const char *errmsg, char *buf,
		    size_t size);

/* A key-value as etcd reports it.  key and value point into the result
 * (NUL-terminated for convenience, but binary: use the lengths). */
struct etcd_kv {
	const char	*key;
	size_t		 keylen;
	const char	*value;		/* NULL in a DELETE event */
	size_t		 valuelen;
	int64_t		 create_revision;
	int64_t		 mod_revision;
	int64_t		 version;
	int64_t		 lease;
};

/*
 * What an operation got.  Valid only during the callback.  errmsg is
 * etcd's own message (rc ETCD_ERROR) or ours; revision is the store's
 * revision from the reply's header (0 if none).
 */
struct etcd_result {
	enum etcd_rc	 rc;
	int		 http_code;	/* 0 if no HTTP answer */
	const char	*errmsg;	/* NULL when rc is ETCD_OK */
	int64_t		 revision;
	/* range, and a txn's failure branch: the current kvs */
	struct etcd_kv	*kvs;
	size_t		 nkvs;
	int64_t		 count;
	int		 more;
	/* txn: did the compare hold? */
	int		 succeeded;
	/* deleterange */
	int64_t		 deleted;
	/* lease grant and keepalive: its ID and TTL (TTL 0: lease dead) */
	int64_t		 lease_id;
	int64_t		 ttl;
};

struct etcd;
struct etcd_op;
struct etcd_watch;

typedef void	(*etcd_cb)(const struct etcd_result *, void *arg);

/*
 * A client of the cluster whose members serve the given URLs (http://
 * only, an IP address and port, no path: a name would need a blocking
 * lookup).  timeout_ms bounds each request from its start to its
 * answer, failovers included.  NULL with *err_r set
 * (caller frees; err_r may be NULL) on a bad URL or no memory.
 */
struct etcd	*etcd_new(struct event_base *, const char *const *urls,
		    size_t nurls, unsigned timeout_ms, char **err_r);
/* Connections from now on leave from this IP address (a host's own, so
 * that a firewall can tell hosts apart); 0, or -1 if out of memory. */
int		 etcd_set_local_ip(struct etcd *, const char *ip);
/*
 * https:// endpoints: each connection to one runs over the bufferevent
 * that tls(arg, base, ip) makes (TLS, whose server must show a
 * certificate naming ip: the caller's, which owns the keys).  Without
 * it, such an endpoint never connects.  etcd_tls: has any endpoint
 * https?
 */
struct bufferevent;
typedef struct bufferevent *(*etcd_tls_fn)(void *arg, struct event_base *,
		    const char *ip);
void		 etcd_set_tls(struct etcd *, etcd_tls_fn, void *arg);
int		 etcd_tls(const struct etcd *);
/* Cancels every operation and watch in flight (no callback is called).
 * Not from inside one of the client's callbacks. */
void		 etcd_free(struct etcd *);

/*
 * The operations.  Each returns a handle valid until its callback
 * returns or etcd_op_cancel, or NULL if out of memory or arguments too
 * long (no callback then).
 *
 * range and delete take prefix != 0 for every key starting with key.
 * put and the txns attach the key to lease unless lease is 0.
 * txn_create puts key only if it does not exist (create_revision 0);
 * txn_cas puts it only if its mod_revision is still mod_revision.
 * Either reports succeeded, and when the compare failed, the key's
 * current value in kvs (nkvs 0 if it is gone).
 */
struct etcd_op	*etcd_put(struct etcd *, const void *key, size_t keylen,
		    const void *value, size_t valuelen, int64_t lease,
		    etcd_cb, void *arg);
struct etcd_op	*etcd_range(struct etcd *, const void *key, size_t keylen,
		    int prefix, etcd_cb, void *arg);
struct etcd_op	*etcd_delete(struct etcd *, const void *key, size_t keylen,
		    int prefix, etcd_cb, void *arg);
struct etcd_op	*etcd_txn_create(struct etcd *, const void *key,
		    size_t keylen, const void *value, size_t valuelen,
		    int64_t lease, etcd_cb, void *arg);
struct etcd_op	*etcd_txn_cas(struct etcd *, const void *key, size_t keylen,
		    int64_t mod_revision, const void *value, size_t valuelen,
		    int64_t lease, etcd_cb, void *arg);
/* A lease of ttl seconds (etcd makes 0 and 1 into 2). */
struct etcd_op	*etcd_lease_grant(struct etcd *, int64_t ttl, etcd_cb,
		    void *arg);
/* One keepalive; result ttl 0 means the lease has expired. */
struct etcd_op	*etcd_lease_keepalive(struct etcd *, int64_t id, etcd_cb,
		    void *arg);
struct etcd_op	*etcd_lease_revoke(struct etcd *, int64_t id, etcd_cb,
		    void *arg);
/* Its callback will not be called. */
void		 etcd_op_cancel(struct etcd_op *);

/* One event of a watch: ETCD_EV_DELETE carries no value. */
enum etcd_ev_type { ETCD_EV_PUT, ETCD_EV_DELETE };
struct etcd_event {
	enum etcd_ev_type	 type;
	struct etcd_kv		 kv;
};

/* Events as they come, in revision order; valid during the call. */
typedef void	(*etcd_watch_cb)(const struct etcd_event *, size_t nevents,
		    void *arg);
/*
 * The watch ended (rc, and errmsg saying why); next_rev is one past the
 * last revision delivered (or the start revision), the revision to
 * watch again from.  The watch is freed once this returns.
 */
typedef void	(*etcd_watch_end_cb)(enum etcd_rc, const char *errmsg,
		    int64_t next_rev, void *arg);

/*
 * Watch every key starting with prefix (prefixlen 0: every key) from
 * start_rev (0: from now), on a connection of its own.  NULL if out of
 * memory.  Once set up a watch has no deadline (an idle one is silent
 * but for etcd's progress notifications).  Its connection's body limit
 * is 64 * ETCD_LINE_MAX: a stream that reaches it ends the watch, to be
 * watched again from next_rev.
 */
struct etcd_watch *etcd_watch(struct etcd *, const void *prefix,
		    size_t prefixlen, int64_t start_rev, etcd_watch_cb,
		    etcd_watch_end_cb, void *arg);
/* Closes its connection; no callback is called after. */
void		 etcd_watch_cancel(struct etcd_watch *);

#endif /* BALTIC_ETCD_H */
