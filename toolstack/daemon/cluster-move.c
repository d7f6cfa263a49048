/*
 * cluster-move.c: `baltic move FARM INSTANCE HOST` in a cluster: the
 * farm's record with the instance on HOST, one compare-and-swap against
 * the revision read; every host then follows the record (cluster-farm.c).
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd.h"
#include "cluster/place.h"
#include "ctl.h"
#include "daemon/cluster-int.h"
#include "daemon/cluster.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

struct cluster_move {
	struct ctl	*c;
	char		*inst;
	char		*host;
};

static void
cluster_moved(const struct etcd_result *res, void *arg)
{
	struct cluster_move	*mv = arg;

	if (res->rc != ETCD_OK)
		ctl_etcd_error(mv->c, res, NULL, mv->inst, "moved", NULL);
	else if (!res->succeeded)
		ctl_error(mv->c, BALTIC_EXIT_FAIL, "%s not moved: the farm's "
		    "placement changed meanwhile; try again", mv->inst);
	else
		ctl_ok(mv->c, "moved");
	ctl_unref(mv->c);
	free(mv->inst);
	free(mv->host);
	free(mv);
}

/* baltic move FARM INSTANCE HOST: the farm's record with the instance
 * on HOST, in one transaction against the revision read. */
void
ctl_move(struct ctl *c, yajl_val rq)
{
	struct cluster		*cl = c->d->cluster;
	const char		*fname = json_str(rq, CTL_K_FARM);
	const char		*iname = json_str(rq, CTL_K_INSTANCE);
	const char		*hname = json_str(rq, CTL_K_HOST);
	const struct farm_instance *inst = NULL;
	struct farm_run		*f;
	struct cfarm		*r;
	struct chost		*h;
	struct cluster_move	*mv;
	const char		**hosts;
	char			*v, *k;
	size_t			 i, len;

	if (cl == NULL) {
		ctl_error(c, BALTIC_EXIT_FAIL, "move: balticd is not in a "
		    "cluster (--cluster)");
		return;
	}
	if ((r = cluster_farm(cl, fname)) == NULL ||
	    (f = farm_run_find(c->d, fname)) == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "no farm named %s", fname);
		return;
	}
	for (i = 0; i < r->n; i++)
		if (strcmp(r->inst[i], iname) == 0)
			break;
	if (i == r->n ||
	    (inst = farm_instance_named(f->farm, iname)) == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "farm %s has no instance "
		    "%s", fname, iname);
		return;
	}
	if ((h = cluster_host(cl, hname)) == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "no live host named %s",
		    hname);
		return;
	}
	if (!place_matches(h->name, (const char *const *)h->labels,
	    h->nlabels, inst->on)) {
		ctl_error(c, BALTIC_EXIT_FAIL, "%s is pinned on \"%s\": host "
		    "%s does not match it", iname, inst->on, hname);
		return;
	}
	if (strcmp(r->host[i], hname) == 0) {
		ctl_ok(c, "already there");
		return;
	}
	if (c->dryrun) {
		ctl_ok(c, "dry run");
		return;
	}
	if ((hosts = calloc(r->n + 1, sizeof *hosts)) == NULL)
		fatal("%s", __func__);
	memcpy(hosts, r->host, r->n * sizeof *hosts);
	hosts[i] = hname;
	v = cfarm_value_with(r, hosts, NULL, NULL, &len);
	free(hosts);
	if (v == NULL || asprintf(&k, "%sfarms/%s", cl->prefix, fname) == -1 ||
	    (mv = calloc(1, sizeof *mv)) == NULL ||
	    (mv->inst = strdup(iname)) == NULL ||
	    (mv->host = strdup(hname)) == NULL)
		fatal("%s", __func__);
	mv->c = c;
	c->refs++;
	if (etcd_txn_cas(cl->etcd, k, strlen(k), r->mod_rev, v, len, 0,
	    cluster_moved, mv) == NULL)
		fatal("%s", __func__);
	free(k);
	free(v);
}

