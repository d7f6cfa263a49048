/*
 * cluster.h: balticd as one host of a cluster (balticd(8), CLUSTER).
 * The cluster's state is in etcd (cluster/etcd.h), under one prefix
 * ("/baltic/" unless --cluster-prefix says otherwise):
 *
 *   hosts/NAME	{"addr":"IP:PORT","capacity_mb":N,"labels":["L",...]}
 *		under NAME's lease: the key goes when the host stops
 *		renewing it (CLUSTER_LEASE_TTL_S)
 *   farms/NAME	{"source":TEXT,"path":FILE,"place":{"INSTANCE":"HOST",...},
 *		"mem_mb":{"INSTANCE":N,...},"refs":{"REF":EXPR,...}}
 *		the farm as created, where each instance runs, the
 *		memory each takes there, and the refs `baltic set` has
 *		pointed elsewhere (none: as the source defines them)
 *
 * Every change is one etcd transaction on one key: a create puts a
 * farm's key only if there is none; a new placement replaces it only
 * if its revision is still the one the decision was made from, so two
 * hosts never both act on one decision.  Each balticd watches the
 * prefix and makes its own farms like the records: it runs the graph
 * of every farm, starts the partitions placed on it and reaches the
 * others over the link to their host (edge/peer.c).  The data path
 * never waits for etcd: without etcd, calls go on; creates and
 * destroys are refused with a clear error.
 */
#ifndef BALTIC_DAEMON_CLUSTER_H
#define BALTIC_DAEMON_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

struct ctl;
struct daemon;
struct farm;
struct farm_file;
struct farm_instance;
struct farm_run;
struct part;

#define CLUSTER_PREFIX		"/baltic/"
#define CLUSTER_LEASE_TTL_S	3	/* a dead host's partitions move
					 * within about this, plus a tick
					 * (--cluster-ttl) */
#define CLUSTER_LEASE_TTL_MAX_S	300
#define CLUSTER_TICK_MS		1000	/* keepalive; joining again */
#define CLUSTER_FREE_TICKS	10	/* the free memory looked at */
#define CLUSTER_FREE_STEP_MB	32	/* a change that is told */
#define CLUSTER_FENCE_EARLY_MS	1000	/* no renewal for the lease's TTL
					 * less this, no other host heard:
					 * cut off (cluster.c) */
#define CLUSTER_ETCD_TIMEOUT_MS	5000	/* one etcd request, failovers in */
#define CLUSTER_CAPACITY_MB	4096	/* a backend that cannot tell */
#define CLUSTER_NOWHERE		"-"	/* no host: not a host's name */

struct cluster_opts {
	const char	*etcd;		/* client URLs, comma-separated */
	const char	*labels;	/* comma-separated, or NULL */
	const char	*prefix;	/* NULL: CLUSTER_PREFIX */
	long long	 capacity_mb;	/* 0: CLUSTER_CAPACITY_MB */
	int		 lease_ttl_s;	/* 0: CLUSTER_LEASE_TTL_S */
	/* The cluster's certificate, key and CA (the links'), also for
	 * https:// etcd URLs: etcd must show a certificate of that CA
	 * naming its IP, and gets ours. */
	const char	*cert, *key, *ca;
};

/* Joins (from the loop: the farms are restored once etcd has said what
 * they are).  -1 with *err_r (caller frees) on bad options. */
int		 cluster_open(struct daemon *, const struct cluster_opts *,
		    char **err_r);
void		 cluster_close(struct daemon *);

/* The commands that change the cluster's farms (control-farm.c): the
 * record first, then the farm here, as `baltic create` and `destroy`
 * do without a cluster.  create takes file. */
void		 cluster_create(struct ctl *, const char *path,
		    const char *text, struct farm_file *, struct farm *);
void		 cluster_destroy(struct ctl *, const char *farm);
/* `baltic set` of a ref that checks here: the farm's record with the
 * ref set to text (cluster-change.c); every host rewires it from
 * there. */
void		 cluster_set(struct ctl *, const char *farm, const char *ref,
		    const char *text);
/* A create that failed here: the record goes, and the farm with it
 * on the other hosts (best effort: said if etcd does not take it). */
void		 cluster_abandon(struct daemon *, const char *farm);
/* The commands a cluster does not take yet: an error sent, true. */
bool		 cluster_refuses(struct ctl *, const char *cmd);

/* Where the farm's record places a partition of inst: NULL here, else
 * the host's name (malloc'd). */
char		*cluster_place_of(struct farm_run *, struct farm_instance *);

#endif /* BALTIC_DAEMON_CLUSTER_H */
