/*
 * cluster-int.h: what cluster.c (membership, the records) and
 * cluster-farm.c (the farms made like the records) share.
 */
#ifndef BALTIC_DAEMON_CLUSTER_INT_H
#define BALTIC_DAEMON_CLUSTER_INT_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "cluster/record.h"
#include "daemon/cluster.h"

struct daemon;
struct etcd;
struct etcd_op;
struct etcd_watch;
struct event;
struct ssl_ctx_st;
struct cluster_create;
struct ctl;
struct etcd_result;
struct farm;
struct farm_instance;
struct farm_run;

struct cluster {
	struct daemon		*d;
	struct etcd		*etcd;
	struct ssl_ctx_st	*tls;		/* https etcd URLs: TLS */
	char			*prefix;
	size_t			 prefixlen;
	char			**labels;
	size_t			 nlabels;
	int64_t			 capacity_mb;
	bool			 capacity_live;	/* the backend's free memory,
						 * sampled again and again */
	unsigned		 ticks;
	int64_t			 lease;		/* 0: none yet, or expired */
	struct etcd_op		*op;		/* the join's, the lease's */
	struct event		*tick;
	struct etcd_watch	*watch;
	int64_t			 next_rev;	/* to watch from */
	bool			 joined;	/* the farms are loaded */
	bool			 restored;	/* daemon_restore is done */
	bool			 registered;	/* hosts/ has us */
	uint64_t		 renewed_ms;	/* the lease last renewed */
	int			 lease_ttl_s;
	bool			 fenced;	/* cut off: our partitions
						 * are stopped */
	TAILQ_HEAD(, chost)	 hosts;
	TAILQ_HEAD(, cfarm)	 farms;
	/* `baltic create`s waiting for their transaction */
	TAILQ_HEAD(, cluster_create) creates;
};

/* No renewal that long, no other host heard: cut off (cluster.c). */
static inline unsigned
cluster_fence_ms(const struct cluster *cl)
{
	return (unsigned)cl->lease_ttl_s * 1000 - CLUSTER_FENCE_EARLY_MS;
}

/* cluster.c */
struct cfarm	*cluster_farm(struct cluster *, const char *name);
struct chost	*cluster_host(struct cluster *, const char *name);
void		 cluster_key_put(struct cluster *, const char *name,
		    const char *value, size_t len, int64_t rev);
/* Where the instances of farm (its inst/host arrays, n of them) run
 * now: cur (may be NULL) says where they ran, kept where that host is
 * still alive.  0 with *host_r (n names into the cache, caller frees
 * the array), or -1 with *err_r (caller frees). */
int		 cluster_place(struct cluster *, const struct cfarm *cur,
		    const char *farm, char *const *inst, const char *const *on,
		    const int64_t *mem_mb, size_t n, const char ***host_r,
		    char **err_r);

/* cluster-change.c */
/* f's refs made like r's "refs" (a ref it does not name: as f's source
 * defines it): true if one was rewired. */
bool		 cluster_sync_refs(struct farm_run *, const struct cfarm *r);

/* cluster-farm.c */
/* The farm here made like its record (created, partitions started or
 * let go), or ended when the record is gone (r NULL). */
void		 cluster_sync(struct cluster *, const char *name,
		    struct cfarm *r);
/* The farms whose partitions ran on a host that is gone: placed again,
 * a transaction each. */
void		 cluster_replace(struct cluster *);
/* Cut off (no lease renewed, no other host heard): the partitions here
 * are stopped, since the others place them again; and, once the records
 * are read afresh, those still placed here started again. */
void		 cluster_fence(struct cluster *);
void		 cluster_unfence(struct cluster *);
/* p, placed here, started by the backend (a failure is its death). */
struct part;
void		 cluster_start_part(struct part *);
/* The instance of farm called name, or NULL. */
const struct farm_instance *farm_instance_named(const struct farm *,
		    const char *name);
/* A change etcd did not take, answered: "cluster: etcd: WHY; [KIND ]NAME
 * not DONE (HINT)", the hint by default that changes wait for etcd's
 * quorum. */
void		 ctl_etcd_error(struct ctl *, const struct etcd_result *,
		    const char *kind, const char *name, const char *done,
		    const char *hint);

#endif /* BALTIC_DAEMON_CLUSTER_INT_H */
