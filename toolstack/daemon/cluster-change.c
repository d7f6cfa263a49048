/*
 * cluster-change.c: the changes to a running farm that a cluster keeps
 * in the farm's record, so that every host makes them and a host that
 * joins or restarts finds them there.  `baltic set FARM REF EXPR` puts
 * the ref's new text in the record's "refs" (record.h), in one
 * compare-and-swap against the revision read; every host, this one
 * too, rewires the ref when it sees that record (cluster_sync_refs).
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd.h"
#include "ctl.h"
#include "daemon/cluster-int.h"
#include "daemon/cluster.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

/* A `baltic set` in a cluster: its record on the way to etcd. */
struct cluster_set {
	struct ctl	*c;
	char		*farm;
	char		*ref;
	char		*value;		/* the record, as put */
	size_t		 len;
};

bool
cluster_sync_refs(struct farm_run *f, const struct cfarm *r)
{
	struct farm_binding	*b;
	const char		*want, *now;
	char			*err = NULL;
	bool			 changed = false;
	size_t			 i;

	for (i = 0; i < f->farm->nbindings; i++) {
		b = &f->farm->bindings[i];
		if (b->expr->kind != FARM_E_REF)
			continue;
		want = cfarm_ref(r, b->name);
		now = f->bind_nodes[i]->u.ref.text;
		if (want == NULL ? now == NULL :
		    now != NULL && strcmp(want, now) == 0)
			continue;
		/* Checked by the host that set it, against this same
		 * source: one that fails here was not written by us. */
		if (ctl_rewire(f, b->name, want, &err) == -1) {
			log_warnx("cluster: farm %s: ref %s: %s; left as it "
			    "is here", f->name, b->name, err != NULL ? err :
			    "rejected");
			free(err);
			err = NULL;
			continue;
		}
		changed = true;
	}
	return changed;
}

/* The record is in (or not).  In, it is this host's at once, unless
 * the watch brought it or a later one already: the ref is rewired
 * here before the answer, as without a cluster. */
static void
cluster_set_done(const struct etcd_result *res, void *arg)
{
	struct cluster_set	*cs = arg;
	struct ctl		*c = cs->c;
	struct cluster		*cl = c->d->cluster;
	struct cfarm		*r;

	if (res->rc != ETCD_OK)
		ctl_etcd_error(c, res, "ref", cs->ref, "set", res->rc ==
		    ETCD_UNKNOWN ? "or maybe it was: see baltic list -l" :
		    NULL);
	else if (!res->succeeded)
		ctl_error(c, BALTIC_EXIT_FAIL, "ref %s not set: farm %s "
		    "changed meanwhile; try again", cs->ref, cs->farm);
	else {
		if ((r = cluster_farm(cl, cs->farm)) != NULL &&
		    r->mod_rev < res->revision) {
			cluster_key_put(cl, cs->farm, cs->value, cs->len,
			    res->revision);
			cluster_sync(cl, cs->farm, cluster_farm(cl, cs->farm));
		}
		ctl_ok(c, "rewired");
	}
	ctl_unref(c);
	free(cs->farm);
	free(cs->ref);
	free(cs->value);
	free(cs);
}

void
cluster_set(struct ctl *c, const char *farm, const char *ref,
    const char *text)
{
	struct cluster		*cl = c->d->cluster;
	struct cluster_set	*cs;
	struct cfarm		*r;
	char			*k;

	if (!cl->joined) {
		ctl_error(c, BALTIC_EXIT_FAIL, "cluster: not joined yet (is "
		    "etcd reachable?); ref %s not set", ref);
		return;
	}
	/* Here but not (yet, or any more) in the cache: being created or
	 * destroyed. */
	if ((r = cluster_farm(cl, farm)) == NULL) {
		ctl_error(c, BALTIC_EXIT_FAIL, "farm %s has no record in the "
		    "cluster now; ref %s not set", farm, ref);
		return;
	}
	/* What every host's cfarm_parse takes: no more (record.h). */
	if (strlen(text) > RECORD_REF_TEXT_MAX || (cfarm_ref(r, ref) == NULL &&
	    r->nrefs >= RECORD_REFS_MAX)) {
		ctl_error(c, BALTIC_EXIT_FAIL, "ref %s: more than a cluster's "
		    "record holds", ref);
		return;
	}
	if (c->dryrun) {
		ctl_ok(c, "dry run");
		return;
	}
	if ((cs = calloc(1, sizeof *cs)) == NULL ||
	    (cs->farm = strdup(farm)) == NULL ||
	    (cs->ref = strdup(ref)) == NULL ||
	    (cs->value = cfarm_value_with(r, NULL, ref, text, &cs->len)) ==
	    NULL || asprintf(&k, "%sfarms/%s", cl->prefix, farm) == -1)
		fatal("%s", __func__);
	cs->c = c;
	c->refs++;
	if (etcd_txn_cas(cl->etcd, k, strlen(k), r->mod_rev, cs->value,
	    cs->len, 0, cluster_set_done, cs) == NULL)
		fatal("%s", __func__);
	free(k);
}
