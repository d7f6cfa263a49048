/*
 * daemon.h: balticd's run-time model.
 *
 * A checked farm (farm.h) becomes a graph of nodes: one per vm instance
 * (a partition), or, par, ref and remote.  A call enters at an export
 * (HTTP, `baltic call`) or from a guest calling one of its imports, and
 * becomes a tree of requests: the root at the entry, one child per branch
 * tried.  Every request ends exactly once, through req_finish(), with a
 * result or an error that names where it failed.
 */
#ifndef BALTIC_DAEMON_H
#define BALTIC_DAEMON_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/obs/obs.h"
#include "farm/farm.h"
#include "util/idmap.h"
#include "proto.h"

struct event;
struct event_base;
struct evhttp;
struct evhttp_request;
struct export_conn;
struct export_srv;
struct chan;
struct daemon;
struct farm_run;
struct ctl;
struct remote_pool;
struct node;
struct part;
struct req;
struct apply;
struct pool;
struct peers;
struct cluster;

#define BALTIC_DEFAULT_TIMEOUT_MS	10000
#define BALTIC_PING_MS			500	/* health check period */
/* The partitions are pinged a slice at a time, each slice every period:
 * a thousand partitions do not all answer in one burst. */
#define BALTIC_PING_SLICES		10
#define BALTIC_PING_MISSES		4	/* then taken out of rotation */

/* ---- nodes ------------------------------------------------------------ */

struct hedge_est;

enum node_kind { NODE_VM, NODE_OR, NODE_PAR, NODE_REF, NODE_REMOTE };

/*
 * What the router needs of a leaf node (a partition's, a remote's): the
 * graph sets it from the daemon's edges (struct daemon's vm_ops and
 * remote_ops), so that the router knows no partition and no HTTP.
 */
struct node_ops {
	bool	(*live)(const struct node *);	/* takes calls now */
	bool	(*coming)(const struct node *);	/* will soon: calls wait */
	void	(*send)(struct node *, struct req *);	/* may finish r */
	void	(*cancel)(struct node *, struct req *);	/* what r has out */
	void	(*dispose)(struct node *);		/* or NULL */
};

struct node {
	enum node_kind		 kind;
	const struct node_ops	*ops;		/* NODE_VM, NODE_REMOTE */
	struct farm_run		*farm;
	struct farm_expr	*expr;		/* what it was built from */
	union {
		struct part	*part;			/* NODE_VM */
		struct {				/* NODE_OR, NODE_PAR */
			enum farm_policy  policy;
			struct node	**v;
			size_t		  n;
			unsigned	  next;		/* round robin */
			/* par: `hedge MS` (0: none), or `hedge pN`'s
			 * estimate (hedge.h; NULL: none) */
			unsigned	  hedge_ms;
			struct hedge_est *hedge;
		} comb;
		struct {				/* NODE_REF */
			struct node	 *target;
			char		 *text;		/* as last set */
		} ref;
		struct {				/* NODE_REMOTE */
			char		 *url;
			char		 *host;
			char		 *path;		/* no trailing / */
			int		  port;
			struct remote_pool *pool; /* remote.c */
		} remote;
	} u;
	unsigned		 outstanding;	/* requests in flight here */
	unsigned		 outstanding_max; /* the most at once, ever */
	struct obs_node		 obs;		/* its counters (obs.h) */
	TAILQ_ENTRY(node)	 entry;		/* the farm's, for freeing */
};

/* ---- partitions ------------------------------------------------------- */

enum part_state {
	PART_STARTING,		/* created, channel not up yet */
	PART_READY,		/* channel up, answering pings */
	PART_UNHEALTHY,		/* missed pings: out of rotation */
	PART_CUT,		/* cut out of the farm */
	PART_DEAD,		/* gone; restarted per on_crash */
};
const char	*part_state_name(enum part_state);

struct part {
	char			*name;		/* the instance's name, or, for
						 * one that replaced another
						 * (apply), NAME.N */
	char			*host;		/* NULL or d->host_name: runs
						 * here; else on that host,
						 * reached over its link
						 * (peer.c), and in its farm's
						 * peer_parts, not parts */
	struct farm_run		*farm;
	struct farm_instance	*inst;		/* in farm->file */
	struct node		*node;
	struct node		**wire_nodes;	/* by wire of inst->vm */
	enum part_state		 state;
	struct chan		*chan;
	uint32_t		 next_id;
	struct idmap		 pend;		/* our calls: id -> req */
	struct idmap		 cancelled;	/* id -> expiry (s) */
	struct idmap		 gcalls;	/* guest's calls: id -> req */
	struct idmap		 adopted;	/* an earlier balticd's calls:
						 * id -> struct adopted */
	TAILQ_HEAD(, req)	 waiting;	/* for the channel to come up */
	size_t			 nwaiting;
	unsigned		 ping_missed;
	uint64_t		 ping_nonce;
	bool			 answered;	/* a call since its last ping
						 * tick: no ping needed */
	uint64_t		 calls_served, calls_failed;
	struct obs_calls	 obs_gcalls;	/* its guest's calls */
	unsigned		 restarts;
	unsigned		 crashes;	/* since crash_since_us */
	uint64_t		 crash_since_us;
	unsigned		 generation;	/* replacements in a row */
	char			*replaced;	/* what it replaced, and why */
	bool			 announced;	/* create: "ready" said */
	bool			 staged;	/* made by an apply not yet
						 * done: not the farm's yet */
	bool			 retired;	/* apply took it out: drains,
						 * then destroyed, never
						 * restarted */
	struct event		*restart_ev;	/* on_crash restart */
	struct ctl		*cutting;	/* the `baltic cut` of it in
						 * progress: told if the farm
						 * goes first */
	bool			 making;	/* the backend makes it, placed
						 * here by the cluster: calls
						 * wait (part_coming) */
	bool			 fenced;	/* stopped: this host was cut
						 * off from the cluster
						 * (cluster_fence) */
	struct part_image	*image;		/* a move's image on its way
						 * from or to this host
						 * (cluster-image.c) */
	char			*why;		/* last reason for ill health */
	/* backend's: */
	pid_t			 pid;		/* local: agent; xen: 0 */
	int			 domid;		/* xen: domain id; local: -1 */
	void			*bdata;
	TAILQ_ENTRY(part)	 entry;
};

/* ---- farms ------------------------------------------------------------ */

struct farm_run_export {
	struct farm_export	*fe;
	struct node		*node;
	struct export_srv	*srv;		/* NULL if no `at` */
	struct obs_calls	 obs;		/* calls that entered here */
};

struct farm_run {
	char			*name;
	struct daemon		*d;
	struct farm_file	*file;		/* owns the syntax tree */
	struct farm		*farm;
	char			*source;	/* the text it was created from */
	size_t			 sourcelen;
	struct node		**bind_nodes;	/* by binding index */
	TAILQ_HEAD(, node)	 nodes;
	TAILQ_HEAD(part_list, part) parts;	/* those that run here */
	struct part_list	 peer_parts;	/* on other hosts (peer.c) */
	struct farm_run_export		*exports;
	size_t			 nexports;
	/* Partitions an apply took out (draining, then destroyed), and the
	 * files of earlier definitions: nodes built from them may still
	 * carry calls, so both live as long as the farm. */
	struct part_list	 retired;
	struct farm_file	**old_files;
	size_t			 nold_files;
	struct farm_run_export	**old_exports;	/* arrays of those */
	size_t			 nold_exports;
	/* While a graph is built for another definition (apply): the
	 * partition of each of its instances, else NULL (f->parts). */
	struct part		**build_parts;
	struct apply		*applying;	/* apply.c: the one under way */
	struct event		*drain_ev;	/* apply.c: retired ones */
	struct pool		**pools;	/* elastic.c: elastic ors */
	size_t			 npools;
	struct event		*pool_ev;
	struct farm_expr	**set_exprs;	/* parsed by `baltic set` */
	size_t			 nset_exprs;
	char			*path;		/* farm file, for images */
	uint64_t		 calls, errors;
	struct obs_calls	 obs_export;	/* root calls, by origin: */
	struct obs_calls	 obs_guest;	/* an export, or a guest */
	bool			 dying;
	uint64_t		 restored_us;	/* re-attach began; 0: done */
	/* Told when one of its partitions becomes ready or dies (the
	 * create waiting for them, control-farm.c). */
	void			(*part_changed)(struct farm_run *);
	struct ctl		*creating;	/* control-farm.c: the create
						 * waiting for it */
	TAILQ_ENTRY(farm_run)	 entry;
};

/* ---- requests --------------------------------------------------------- */

/* How a request ends: status, payload (result or error text). */
typedef void (*req_done_cb)(struct req *, uint32_t status,
    const void *payload, size_t len, void *arg);

struct req {
	struct farm_run		*farm;
	struct node		*node;
	struct farm_iface	*iface;
	struct farm_op		*op;
	struct req		*parent;
	TAILQ_HEAD(, req)	 kids;
	TAILQ_ENTRY(req)	 sibling;
	/* The argument, shared by the whole tree; owned by the root, and
	 * counted: a channel may still hold it by reference (req_lend). */
	const uint8_t		*arg;
	size_t			 arglen;
	struct proto_lendbuf	*argbuf;
	uint64_t		 deadline_us;	/* monotonic */
	struct event		*timer;		/* root; an `or` branch's share */
	req_done_cb		 done;
	void			*done_arg;
	/* per node kind: */
	size_t			 tried;		/* or: branches tried */
	uint64_t		 tried_mask;	/* or: which (first 64) */
	uint64_t		*tried_more;	/* or: which (the rest) */
	unsigned		 running;	/* par: children in flight */
	struct event		*hedge_ev;	/* hedged par: the next branch
						 * goes when it fires; tried
						 * counts the branches sent */
	uint64_t		 hedge_us;	/* hedged par: its next branch
						 * not before (now_us); a
						 * branch of one: sent at */
	uint32_t		 last_status;
	char			*last_err;
	struct part		*part;		/* vm: where it was sent */
	uint32_t		 call_id;	/* vm: id on that channel */
	bool			 reached;	/* delivered to a guest */
	bool			 waiting;	/* vm: queued on part->waiting */
	TAILQ_ENTRY(req)	 wentry;
	struct evhttp_request	*hreq;		/* remote */
	bool			 finished;
	unsigned		 hold;		/* freed on release, not before */
	/* root: told before a call of the tree goes to a partition */
	void			(*progress)(struct req *, void *);
	void			*progress_arg;
	/* counted (obs.h): since start_us at its node; a root also in
	 * obs_at (its farm's and its entry's; NULL: none) */
	bool			 started;
	uint32_t		 branch;	/* or, par: its parent's branch */
	uint64_t		 start_us;
	struct obs_calls	*obs_at[2];
};

/* ---- the daemon ------------------------------------------------------- */

struct backend_ops;
struct evdns_base;
struct keep_client;
struct store_ops;

struct daemon {
	struct event_base		*base;
	const struct backend_ops	*backend;
	void				*bctx;
	const struct store_ops		*store;
	void				*sctx;
	char				*state_dir;
	char				*run_dir;
	char				*agent_path;	/* local backend */
	int				 lock_fd;	/* one balticd */
	int				 ctl_fd;
	struct event			*ctl_ev;
	struct event			*ping_ev;
	unsigned			 ping_tick;	/* the slice now */
	TAILQ_HEAD(, farm_run)		 farms;
	unsigned			 default_timeout_ms;
	unsigned			 create_timeout_ms;
	uint64_t			 started_us;
	char				*self_path;	/* to exec the keeper */
	/* Records a farm's state (daemon/state.c's farm_run_save), for
	 * the edges below the daemon. */
	int				(*save_farm)(struct farm_run *);
	/* Replaces a partition that crashes too often (apply.c's
	 * farm_run_replace). */
	void				(*replace_part)(struct part *);
	const struct node_ops		*vm_ops;	/* the edges, for */
	const struct node_ops		*remote_ops;	/* the graph */
	const struct node_ops		*peer_ops;	/* (peer.c) */
	/* A cluster (peer.c): this host's name, NULL if none (then every
	 * partition runs here), and the links to the other hosts. */
	char				*host_name;
	struct peers			*peers;
	struct keep_client		*keep;		/* keep/keep.h */
	TAILQ_HEAD(, adopted)		 adopted;	/* adopt.c */
	struct evdns_base		*dns;		/* remote.c: for */
	unsigned			 dns_refs;	/* host names */
	uint64_t			 keep_seq;	/* its keys */
	bool				 exiting;	/* leave the keeper be */
	struct evhttp			*metrics;	/* obs/obs-http.c */
	struct event			*journal_ev;	/* journal.c */
	TAILQ_HEAD(, export_conn)	 takes;		/* journal_flush */
	/* cluster.h: its membership in etcd (--cluster), NULL if none;
	 * this host's link address (--peer-listen), NULL if none. */
	char				*host_addr;
	struct cluster			*cluster;
};

/* ---- the keeper (keep.h) ---------------------------------------------- */

/* An export call whose client connection the keeper holds. */
struct kept_call {
	struct farm_run		*f;
	size_t			 export;	/* index in f->exports */
	int			 fd;		/* the client's connection */
	struct req		*r;		/* the root */
	char			 key[320];	/* "" until first kept */
	size_t			 reqlen;	/* request still unread */
	uint64_t		 reqhash;
};

/* router.c */
struct req	*req_new(struct farm_run *, struct node *, struct farm_iface *,
		    struct farm_op *, const void *arg, size_t arglen,
		    unsigned timeout_ms, req_done_cb, void *);
void		 req_start(struct req *);
void		 req_finish(struct req *, uint32_t status, const void *,
		    size_t);
void		 req_finishf(struct req *, uint32_t status, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 req_cancel(struct req *);
void		 req_release(struct req *);	/* drop a hold */
void		 req_progress(struct req *);
void		 req_walk(struct req *, void (*)(struct req *, void *), void *);
uint32_t	 req_remaining_ms(const struct req *);
/* req-arg.c: the shared argument.  req_lend: the loan of r's (filled
 * in l) to be in force (proto_lend) while it is sent, so that a large
 * one goes to the channel by reference; NULL if r has none. */
struct proto_lendbuf	*req_arg_new(const void *, size_t, const uint8_t **);
const struct proto_loan	*req_lend(const struct req *, struct proto_loan *);
bool		 node_live(const struct node *);
bool		 node_coming(const struct node *);
bool		 or_passes(uint32_t status, bool reached, bool idempotent);
uint64_t	 or_branch_deadline(struct node *, const struct req *, size_t,
		    uint64_t now);

/* partition.c */
struct part	*part_new(struct farm_run *, struct farm_instance *);
struct part	*part_new_named(struct farm_run *, struct farm_instance *,
		    const char *name);
void		 part_free(struct part *);
void		 part_attach(struct part *, struct chan *);
void		 part_detach(struct part *, const char *why);
void		 part_send(struct part *, struct req *);
void		 part_cancel(struct part *, struct req *);
void		 part_ping_all(struct daemon *);
void		 part_started(struct part *);
void		 part_died(struct part *, const char *why);
void		 part_restart_in(struct part *, unsigned ms);
bool		 part_coming(const struct part *);
extern const struct node_ops part_node_ops;
const struct chan_cbs *part_chan_cbs(void);

/*
 * edge/peer.c: the other hosts of a cluster, one TLS link each, by host
 * name.  peer_set makes a host known (or moves it to addr_port, "IP:PORT"):
 * its link is kept up from then on, dialed by the host whose name sorts
 * lower and accepted by the other, again with backoff when it drops;
 * our own name is ignored; -1 (said in the log) for a bad name or
 * address.  peer_forget drops the host and its link (calls in flight on
 * it fail).  peer_up: is its link up?  peer_init: 0, or -1 with *err_r
 * (caller frees).
 */
int		 peer_init(struct daemon *, const char *listen,
		    const char *cert, const char *key, const char *ca,
		    char **err_r);
void		 peer_fini(struct daemon *);
int		 peer_set(struct daemon *, const char *host,
		    const char *addr_port);
void		 peer_forget(struct daemon *, const char *host);
bool		 peer_up(struct daemon *, const char *host);
/* Has host said anything on its link within about a ping (one or two
 * seconds)? */
bool		 peer_heard(struct daemon *, const char *host);
/* The link to host if it is up, else NULL: for what is not a call (a
 * moved partition's image). */
struct chan	*peer_chan(struct daemon *, const char *host);
void		 peer_farm_gone(struct farm_run *);
/* With static peers, where a new partition of inst runs: NULL here,
 * else a host's name (malloc'd): its pin, `on "HOST"`. */
char		*peer_place(struct daemon *, const struct farm_instance *);
extern const struct node_ops peer_node_ops;

/*
 * cluster-image.c: a moved partition's suspended image, sent over the
 * link from the host it leaves to the host it goes to, where it is
 * restored.  part_image_leaves: p drains to be sent to host (true), or
 * cannot be (false: it is destroyed, as before).  part_image_send: p is
 * drained; suspend and send it.  part_image_await: p, moved here from
 * host, waits for its image instead of being started (true).
 * part_image_in: an IMAGE frame from host.  part_image_free: p goes.
 */
struct proto_image_view;
bool		 part_image_leaves(struct part *, const char *host);
void		 part_image_send(struct part *);
bool		 part_image_await(struct part *, const char *host);
void		 part_image_in(struct daemon *, const char *host,
		    const struct proto_image_view *);
void		 part_image_free(struct part *);

/* core/graph.c: a checked farm as a running graph */
struct farm_run	*graph_new(struct daemon *, struct farm_file *, struct farm *,
		    const char *path, const char *source, size_t len,
		    struct part *(*)(struct farm_run *,
		    struct farm_instance *));
void		 graph_free(struct farm_run *);
void		 graph_keep_file(struct farm_run *, struct farm_file *);
void		 graph_keep_exports(struct farm_run *, struct farm_run_export *);
struct farm_run	*farm_run_find(struct daemon *, const char *);
struct part	*farm_run_part(struct farm_run *, const char *);
bool		 part_runs_here(const struct part *);
struct part	*farm_run_retired(struct farm_run *, const char *);
struct node	*farm_run_build(struct farm_run *, struct farm_expr *);
struct node	*farm_run_part_node(struct farm_run *, struct part *,
		    struct farm_expr *);
int		 farm_run_set_ref(struct farm_run *, const char *ref,
		    const char *text, char **err_r);
/* As farm_run_set_ref, the graph left as it is: would it take text? */
int		 farm_run_check_ref(struct farm_run *, const char *ref,
		    const char *text, char **err_r);
/* The ref back to its definition's target: 0, or -1 if it is no ref. */
int		 farm_run_reset_ref(struct farm_run *, const char *ref);

/* obs/obs-graph.c: names for the counters; where a root call entered */
void		 obs_label_graph(struct farm_run *);
void		 req_from_export(struct req *, struct farm_run_export *);
void		 req_from_guest(struct req *, struct part *);
void		 obs_refused(struct farm_run *, struct farm_run_export *,
		    uint32_t status);

/* journal.c: where each export call stands, in the keeper.  Records
 * wait for the end of the loop turn (keep_set_batch); journal_flush
 * sends them, then takes the requests they protect off their sockets
 * (export_take_pending), and runs before any write to a partition. */
void		 journal_init(struct daemon *);
void		 journal_flush(void *daemon);
void		 journal_put(struct kept_call *);
void		 journal_del(struct kept_call *);

/* here.c: is an export served here?  Without a cluster, every one is;
 * in one, an export at an address on the host that has the address. */
bool		 export_here(struct daemon *, const struct farm_export *);
/* Is fe served by the host whose link address is host_addr (ip:port)? */
bool		 export_served_by(const char *host_addr,
		    const struct farm_export *);

/* adopt.c: export calls in flight when an earlier balticd died */
struct adopted;
void		 adopt_calls(struct daemon *);
void		 adopt_result(struct part *, uint32_t id, uint32_t status,
		    const void *, size_t);
void		 adopt_part_gone(struct part *, const char *why);
void		 adopt_farm_gone(struct farm_run *);

/* apply.c: partitions taken out, destroyed once drained */
void		 farm_run_drain(struct farm_run *);
void		 farm_run_replace(struct part *);

/* elastic.c: the pools of elastic ors */
void		 elastic_start(struct farm_run *);
void		 elastic_free(struct farm_run *);
const char	*elastic_pool(const struct farm_run *, size_t, size_t *size_r,
		    unsigned *min_r, unsigned *max_r, const char **why_r);

/* export.c: an export's HTTP server */
int		 export_bind(struct farm_run *, struct farm_run_export *,
		    char **err_r);
int		 export_start(struct farm_run *, struct farm_run_export *,
		    char **err_r);
void		 export_stop(struct farm_run_export *);
void		 export_move(struct farm_run_export *from,
		    struct farm_run_export *to);
int		 export_adopt_conn(struct daemon *, const char *key, int fd);
void		 export_settle(int fd, size_t reqlen, uint64_t reqhash);
void		 export_take_pending(struct daemon *);
void		 export_answer_adopted(struct daemon *, int fd, const char *key,
		    uint32_t status, const char *farm, const char *call,
		    const void *, size_t);

/* http.c: the remote client */
void		 http_remote_send(struct req *);
void		 http_remote_cancel(struct req *);
void		 http_remote_dispose(struct node *);
extern const struct node_ops remote_node_ops;

/* control.c */
int		 control_listen(struct daemon *, const char *path);
void		 control_close(struct daemon *);

/* lifecycle.c */
struct farm_run	*farm_run_new(struct daemon *, struct farm_file *,
		    struct farm *, const char *path, const char *source,
		    size_t len);
void		 farm_run_free(struct farm_run *);

/* state.c: farms written to the store before acted on */
int		 farm_run_save(struct farm_run *);
int		 farm_run_save_apply(struct farm_run *, const char *source,
		    size_t len, const char *path);
int		 farm_run_forget_apply(struct farm_run *);
int		 farm_run_forget(struct farm_run *);
int		 daemon_restore(struct daemon *);

uint64_t	 now_us(void);

#endif /* BALTIC_DAEMON_H */
