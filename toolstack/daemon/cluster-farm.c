/*
 * cluster-farm.c: the farms of this host made like the cluster's records
 * (cluster.h).  Every host runs the graph of every farm; a partition
 * placed here is started here, one placed elsewhere is reached over the
 * link to its host.  When a record places a partition somewhere else,
 * the graph follows: one that leaves this host takes no new calls,
 * drains the ones it has and is destroyed; one that comes here is
 * started.  A host that is gone has its instances placed again by
 * whichever live host's transaction comes first (cluster_replace).
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "cluster/etcd.h"
#include "cluster/place.h"
#include "ctl.h"
#include "daemon/apply.h"
#include "daemon/cluster-int.h"
#include "daemon/cluster.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

/* A `baltic create` in a cluster: its record on the way to etcd. */
struct cluster_create {
	TAILQ_ENTRY(cluster_create) entry;	/* cl->creates */
	struct ctl		*c;
	struct farm_file	*file;
	struct farm		*farm;
	char			*path;
	char			*text;
	char			**inst;
	const char		**host;
	int64_t			*mem;
	size_t			 n;
	char			*value;		/* the record, as put */
	size_t			 valuelen;
	bool			 pending;	/* on cl->creates */
};

/* A change etcd did not take, answered: "cluster: etcd: WHY; [KIND ]NAME
 * not DONE (HINT)", the hint by default that changes wait for etcd's
 * quorum. */
void
ctl_etcd_error(struct ctl *c, const struct etcd_result *res,
    const char *kind, const char *name, const char *done, const char *hint)
{
	char	why[256];

	ctl_error(c, BALTIC_EXIT_FAIL, "cluster: etcd: %s; %s%s%s not %s (%s)",
	    etcd_why(res->rc, res->errmsg, why, sizeof why),
	    kind != NULL ? kind : "", kind != NULL ? " " : "", name, done,
	    hint != NULL ? hint : "changes wait for etcd's quorum");
}

/* ---- partitions, here and elsewhere ---------------------------------- */

/* p now runs on host (NULL or ours: here): its list and its node's ops
 * follow.  Not for a partition running here (part_leave). */
static void
part_move(struct part *p, const char *host)
{
	struct farm_run	*f = p->farm;
	struct daemon	*d = f->d;
	bool		 was = part_runs_here(p), now;

	free(p->host);
	p->host = NULL;
	if (host != NULL && strcmp(host, d->host_name) != 0 &&
	    (p->host = strdup(host)) == NULL)
		fatal("%s", __func__);
	now = part_runs_here(p);
	if (was != now) {
		TAILQ_REMOVE(was ? &f->parts : &f->peer_parts, p, entry);
		TAILQ_INSERT_TAIL(now ? &f->parts : &f->peer_parts, p, entry);
		p->state = PART_STARTING;
	}
	if (p->node != NULL)
		p->node->ops = now ? d->vm_ops : d->peer_ops;
}

char *
cluster_place_of(struct farm_run *f, struct farm_instance *inst)
{
	struct daemon	*d = f->d;
	const char	*h;
	char		*host = NULL;

	/* A record that names no host for it (not one of ours): it runs
	 * nowhere, rather than on every host at once. */
	h = cfarm_host(cluster_farm(d->cluster, f->name), inst->name);
	if (h == NULL)
		h = CLUSTER_NOWHERE;
	if (strcmp(h, d->host_name) != 0 && (host = strdup(h)) == NULL)
		fatal("%s", __func__);
	return host;
}

void
cluster_start_part(struct part *p)
{
	struct daemon	*d = p->farm->d;
	char		*err = NULL;

	p->making = true;
	if (d->backend->create(d->bctx, p, &err) == -1) {
		log_warnx("%s: %s", p->name, err != NULL ? err :
		    "cannot create");
		part_died(p, err != NULL ? err : "cannot create");
		free(err);
	} else
		log_info("%s: created here (cluster)", p->name);
}

void
cluster_fence(struct cluster *cl)
{
	struct daemon	*d = cl->d;
	struct farm_run	*f;
	struct part	*p;
	unsigned	 n = 0;

	if (cl->fenced)
		return;
	cl->fenced = true;
	TAILQ_FOREACH(f, &d->farms, entry)
		TAILQ_FOREACH(p, &f->parts, entry) {
			if (p->fenced || (p->pid <= 0 && p->domid < 0 &&
			    p->image == NULL && !p->making))
				continue;
			part_image_free(p);
			d->backend->destroy(d->bctx, p, NULL, NULL);
			p->making = false;
			p->state = PART_DEAD;
			p->fenced = true;
			free(p->why);
			if ((p->why = strdup("fenced: this host was cut off "
			    "from the cluster")) == NULL)
				fatal("%s", __func__);
			n++;
		}
	log_warnx("cluster: no lease renewed for %u ms and no other host "
	    "heard: cut off; %u partitions here stopped (fenced), as the "
	    "others place them again", cluster_fence_ms(cl), n);
}

void
cluster_unfence(struct cluster *cl)
{
	struct daemon	*d = cl->d;
	struct farm_run	*f;
	struct part	*p;

	if (!cl->fenced)
		return;
	cl->fenced = false;
	log_notice("cluster: back in the cluster; what is still placed here "
	    "starts again");
	TAILQ_FOREACH(f, &d->farms, entry)
		TAILQ_FOREACH(p, &f->parts, entry) {
			if (!p->fenced)
				continue;
			p->fenced = false;
			p->state = PART_STARTING;
			cluster_start_part(p);
		}
}

/* The partitions placed here that do not run yet, nor wait for their
 * image: started. */
static void
cluster_start_parts(struct farm_run *f)
{
	struct part	*p;

	TAILQ_FOREACH(p, &f->parts, entry) {
		if (p->state != PART_STARTING || p->image != NULL ||
		    p->pid > 0 || p->domid >= 0 || p->chan != NULL ||
		    p->bdata != NULL)
			continue;
		cluster_start_part(p);
	}
}

/* p leaves this host for host: a stand-in reached over the link takes
 * its place in the graph; p drains and is destroyed (apply.c). */
static void
part_leave(struct part *p, const char *host)
{
	struct farm_run	*f = p->farm;
	struct part	*np;

	if ((np = part_new_named(f, p->inst, p->name)) == NULL)
		fatal("%s", __func__);
	if ((np->node = p->node) != NULL)
		np->node->u.part = np;
	p->node = NULL;
	np->wire_nodes = p->wire_nodes;
	p->wire_nodes = NULL;
	if ((np->host = strdup(host)) == NULL)
		fatal("%s", __func__);
	TAILQ_INSERT_TAIL(&f->peer_parts, np, entry);
	if (np->node != NULL)
		np->node->ops = f->d->peer_ops;
	TAILQ_REMOVE(&f->parts, p, entry);
	p->retired = true;
	TAILQ_INSERT_TAIL(&f->retired, p, entry);
	if (part_image_leaves(p, host))
		log_notice("%s: placed on %s; drains here, then its image "
		    "goes there", p->name, host);
	else
		log_notice("%s: placed on %s; drains here, then goes",
		    p->name, host);
	farm_run_drain(f);
}

/* The farm here, new, from its record; NULL if its source is unusable
 * here (said). */
static struct farm_run *
cluster_farm_new(struct cluster *cl, const struct cfarm *r)
{
	struct daemon		*d = cl->d;
	struct farm_diags	 diags;
	struct farm_file	*file;
	struct farm		*farm;
	struct farm_run		*f = NULL;
	char			*err = NULL;
	size_t			 i;

	farm_diags_init(&diags);
	file = farm_parse(r->path, r->source, strlen(r->source), &diags);
	if (farm_check(file, &diags) > 0 ||
	    (farm = farm_find_farm(file, r->name)) == NULL) {
		log_warnx("cluster: farm %s: its definition does not check "
		    "here; not run on %s", r->name, d->host_name);
		farm_file_free(file);
		farm_diags_dispose(&diags);
		return NULL;
	}
	farm_diags_dispose(&diags);
	f = farm_run_new(d, file, farm, r->path, r->source, strlen(r->source));
	TAILQ_INSERT_TAIL(&d->farms, f, entry);
	farm_run_save(f);
	for (i = 0; i < f->nexports; i++)
		if (export_start(f, &f->exports[i], &err) == -1) {
			log_warnx("%s: %s", f->name, err);
			free(err);
			err = NULL;
		}
	log_notice("cluster: farm %s runs here too", f->name);
	return f;
}

/* The partitions of one of f's lists where r places them: true if one
 * moved. */
static bool
cluster_sync_parts(struct farm_run *f, const struct cfarm *r,
    struct part_list *list)
{
	struct part	*p, *pn;
	const char	*want, *now;
	char		*from;
	bool		 changed = false;

	for (p = TAILQ_FIRST(list); p != NULL; p = pn) {
		pn = TAILQ_NEXT(p, entry);
		if ((want = cfarm_host(r, p->inst->name)) == NULL)
			continue;
		now = p->host != NULL ? p->host : f->d->host_name;
		if (strcmp(want, now) == 0)
			continue;
		changed = true;
		if (part_runs_here(p))
			part_leave(p, want);
		else {
			log_notice("%s: now on %s (was %s)", p->name, want,
			    now);
			if ((from = strdup(now)) == NULL)
				fatal("%s", __func__);
			part_move(p, want);
			if (part_runs_here(p))
				part_image_await(p, from);
			free(from);
		}
	}
	return changed;
}

void
cluster_sync(struct cluster *cl, const char *name, struct cfarm *r)
{
	struct daemon	*d = cl->d;
	struct farm_run		*f, *fn;
	struct cluster_create	*cc;
	bool			 changed;

	if (name == NULL) {
		/* Farms here that the cluster does not have: stale. */
		for (f = TAILQ_FIRST(&d->farms); f != NULL; f = fn) {
			fn = TAILQ_NEXT(f, entry);
			if (cluster_farm(cl, f->name) == NULL) {
				log_notice("cluster: farm %s is not the "
				    "cluster's: destroyed here", f->name);
				farm_teardown(f, NULL, NULL);
			}
		}
		return;
	}
	TAILQ_FOREACH(cc, &cl->creates, entry)
		if (strcmp(cc->farm->name, name) == 0)
			return;		/* cluster_created makes it */
	f = farm_run_find(d, name);
	if (r == NULL) {
		if (f != NULL && f->creating == NULL) {
			log_notice("cluster: farm %s destroyed", name);
			farm_teardown(f, NULL, NULL);
		}
		return;
	}
	r->replacing = false;
	if (f == NULL && (f = cluster_farm_new(cl, r)) == NULL)
		return;
	if (strcmp(f->source, r->source) != 0) {
		log_warnx("cluster: farm %s has another definition in the "
		    "cluster; left as it is here", name);
		return;
	}
	changed = cluster_sync_parts(f, r, &f->parts);
	changed |= cluster_sync_parts(f, r, &f->peer_parts);
	changed |= cluster_sync_refs(f, r);
	cluster_start_parts(f);
	if (changed)
		farm_run_save(f);
}

/* ---- placing again --------------------------------------------------- */

struct cluster_replacing {
	struct cluster	*cl;
	char		*name;
};

/* The transaction's answer.  Unless it went through (the watch brings
 * the new record, and the farm follows it), the farm may be placed
 * again at the next tick: a timeout may have lost it. */
static void
cluster_replaced(const struct etcd_result *res, void *arg)
{
	struct cluster_replacing	*rp = arg;
	struct cfarm			*r;
	const char			*name = rp->name;

	if ((res->rc != ETCD_OK || !res->succeeded) &&
	    (r = cluster_farm(rp->cl, name)) != NULL)
		r->replacing = false;
	if (res->rc != ETCD_OK)
		log_warnx("cluster: farm %s: new placement: %s", name,
		    etcd_rc_str(res->rc));
	else if (!res->succeeded)
		log_info("cluster: farm %s: another host placed it first",
		    name);
	else
		log_notice("cluster: farm %s placed again", name);
	free(rp->name);
	free(rp);
}

/* r's instances on hosts that are gone: placed again, in one
 * transaction against the revision they were read at. */
static void
cluster_replace_farm(struct cluster *cl, struct cfarm *r)
{
	struct farm_run		*f = farm_run_find(cl->d, r->name);
	const char		**hosts = NULL, **on;
	char			*err = NULL, *v, *k;
	struct cluster_replacing *rp;
	size_t			 i, len, klen;
	const struct farm_instance *inst;

	for (i = 0; i < r->n; i++)
		if (cluster_host(cl, r->host[i]) == NULL)
			break;
	if (i == r->n || r->replacing)
		return;
	if ((on = calloc(r->n + 1, sizeof *on)) == NULL)
		fatal("%s", __func__);
	for (i = 0; f != NULL && i < r->n; i++)
		if ((inst = farm_instance_named(f->farm, r->inst[i])) != NULL)
			on[i] = inst->on;
	if (cluster_place(cl, r, r->name, r->inst, on, r->mem, r->n, &hosts,
	    &err) == -1) {
		log_warnx("cluster: farm %s cannot be placed again: %s",
		    r->name, err);
		goto out;
	}
	if ((v = cfarm_value_with(r, hosts, NULL, NULL, &len)) == NULL)
		fatal("%s", __func__);
	k = NULL;
	if (asprintf(&k, "%sfarms/%s", cl->prefix, r->name) == -1 ||
	    (rp = calloc(1, sizeof *rp)) == NULL ||
	    (rp->name = strdup(r->name)) == NULL)
		fatal("%s", __func__);
	rp->cl = cl;
	klen = strlen(k);
	r->replacing = true;
	if (etcd_txn_cas(cl->etcd, k, klen, r->mod_rev, v, len, 0,
	    cluster_replaced, rp) == NULL)
		fatal("%s", __func__);
	free(k);
	free(v);
out:
	free(err);
	free(hosts);
	free(on);
}

void
cluster_replace(struct cluster *cl)
{
	struct cfarm	*r;

	TAILQ_FOREACH(r, &cl->farms, entry)
		cluster_replace_farm(cl, r);
}

/* ---- the commands ----------------------------------------------------- */

/* Has e an elastic pool (grown on one host: not yet for a cluster)? */
static bool
expr_elastic(const struct farm_expr *e)
{
	size_t	i;

	if (e == NULL)
		return false;
	switch (e->kind) {
	case FARM_E_OR:
	case FARM_E_PAR:
		if (e->kind == FARM_E_OR && e->u.comb.pool_max > 0)
			return true;
		for (i = 0; i < e->u.comb.nbranches; i++)
			if (expr_elastic(e->u.comb.branches[i]))
				return true;
		return false;
	case FARM_E_VM:
		for (i = 0; i < e->u.vm.nwires; i++)
			if (expr_elastic(e->u.vm.wires[i].expr))
				return true;
		return false;
	case FARM_E_REF:
		return expr_elastic(e->u.ref.target);
	default:
		return false;
	}
}

/* The instance of f called name, or NULL. */
const struct farm_instance *
farm_instance_named(const struct farm *farm, const char *name)
{
	size_t	i;

	for (i = 0; i < farm->ninstances; i++)
		if (strcmp(farm->instances[i].name, name) == 0)
			return &farm->instances[i];
	return NULL;
}


static void
cluster_create_free(struct cluster_create *cc)
{
	size_t	i;

	if (cc->pending)
		TAILQ_REMOVE(&cc->c->d->cluster->creates, cc, entry);
	farm_file_free(cc->file);
	free(cc->path);
	free(cc->text);
	for (i = 0; i < cc->n; i++)
		free(cc->inst[i]);
	free(cc->inst);
	free(cc->host);
	free(cc->mem);
	free(cc->value);
	ctl_unref(cc->c);
	free(cc);
}

/* The record is in (or not): the farm made here as without a cluster,
 * its partitions placed elsewhere reached over the links. */
static void
cluster_created(const struct etcd_result *res, void *arg)
{
	struct cluster_create	*cc = arg;
	struct ctl		*c = cc->c;
	struct cluster		*cl = c->d->cluster;
	struct cfarm		*r;
	const char		*src;

	if (res->rc != ETCD_OK) {
		ctl_etcd_error(c, res, "farm", cc->farm->name, "created",
		    res->rc == ETCD_UNKNOWN ? "or maybe it was: see baltic "
		    "list" : NULL);
		goto out;
	}
	if (!res->succeeded) {
		src = NULL;
		if ((r = cluster_farm(cl, cc->farm->name)) != NULL)
			src = r->source;
		if (src != NULL && strcmp(src, cc->text) == 0)
			ctl_ok(c, "already running");
		else
			ctl_error(c, BALTIC_EXIT_FAIL, "farm %s is already "
			    "in the cluster from another definition; destroy "
			    "it first", cc->farm->name);
		goto out;
	}
	/* The cache has it before the farm is made: its partitions take
	 * their hosts from it (cluster_part_new). */
	cluster_key_put(cl, cc->farm->name, cc->value, cc->valuelen,
	    res->revision);
	ctl_create_farm(c, cc->path, cc->text, cc->file, cc->farm);
	cc->file = NULL;
out:
	cluster_create_free(cc);
}

/* Each export served by a host of the cluster: at a wildcard address,
 * or at the IP of a host's link.  One elsewhere (127.0.0.1) would be
 * listed and served by none.  0, or -1 said to c. */
static int
cluster_exports_served(struct ctl *c, struct cluster *cl,
    const struct farm *farm)
{
	const struct farm_export	*fe;
	struct chost			*h;
	size_t				 i;

	for (i = 0; i < farm->nexports; i++) {
		fe = &farm->exports[i];
		TAILQ_FOREACH(h, &cl->hosts, entry)
			if (h->addr != NULL && export_served_by(h->addr, fe))
				break;
		if (h != NULL)
			continue;
		ctl_error(c, BALTIC_EXIT_FAIL, "%s:%u:%u: error: export "
		    "%s.%s at %s: no host of the cluster has that address "
		    "(its --peer-listen); use one that has, or 0.0.0.0 for "
		    "every host; farm %s not created", fe->addr_loc.file,
		    fe->addr_loc.line, fe->addr_loc.col, fe->binding,
		    fe->iface, fe->addr, farm->name);
		return -1;
	}
	return 0;
}

void
cluster_create(struct ctl *c, const char *path, const char *text,
    struct farm_file *file, struct farm *farm)
{
	struct cluster		*cl = c->d->cluster;
	struct cluster_create	*cc;
	const char		**on = NULL;
	char			*err = NULL, *k = NULL;
	size_t			 i;

	if (!cl->joined) {
		ctl_error(c, BALTIC_EXIT_FAIL, "cluster: not joined yet (is "
		    "etcd reachable?); farm %s not created", farm->name);
		farm_file_free(file);
		return;
	}
	for (i = 0; i < farm->nbindings; i++)
		if (expr_elastic(farm->bindings[i].expr)) {
			ctl_error(c, BALTIC_EXIT_FAIL, "farm %s: elastic pools "
			    "are not yet supported in a cluster", farm->name);
			farm_file_free(file);
			return;
		}
	if (cluster_exports_served(c, cl, farm) == -1 ||
	    ctl_check_roles(c, farm) == -1) {
		farm_file_free(file);
		return;
	}
	if ((cc = calloc(1, sizeof *cc)) == NULL ||
	    (cc->path = strdup(path)) == NULL ||
	    (cc->text = strdup(text)) == NULL ||
	    (cc->inst = calloc(farm->ninstances + 1, sizeof *cc->inst)) ==
	    NULL || (cc->mem = calloc(farm->ninstances + 1, sizeof *cc->mem))
	    == NULL || (on = calloc(farm->ninstances + 1, sizeof *on)) == NULL)
		fatal("%s", __func__);
	cc->c = c;
	c->refs++;
	cc->file = file;
	cc->farm = farm;
	cc->n = farm->ninstances;
	for (i = 0; i < cc->n; i++) {
		if ((cc->inst[i] = strdup(farm->instances[i].name)) == NULL)
			fatal("%s", __func__);
		cc->mem[i] = farm->instances[i].role->memory;
		on[i] = farm->instances[i].on;
	}
	if (cluster_place(cl, NULL, farm->name, cc->inst, on, cc->mem, cc->n,
	    &cc->host, &err) == -1) {
		ctl_error(c, BALTIC_EXIT_FAIL, "farm %s: %s; not created",
		    farm->name, err);
		goto fail;
	}
	if (c->dryrun) {
		for (i = 0; i < cc->n; i++)
			ctl_progress(c, "%s: on %s", cc->inst[i], cc->host[i]);
		ctl_ok(c, "dry run");
		goto fail;
	}
	if ((cc->value = cfarm_value(text, path, cc->inst, cc->host, cc->mem,
	    cc->n, &cc->valuelen)) == NULL || asprintf(&k, "%sfarms/%s",
	    cl->prefix, farm->name) == -1)
		fatal("%s", __func__);
	if (etcd_txn_create(cl->etcd, k, strlen(k), cc->value, cc->valuelen,
	    0, cluster_created, cc) == NULL)
		fatal("%s", __func__);
	/* The watch may bring the record back before the transaction's
	 * answer: the create makes the farm, not the watch. */
	TAILQ_INSERT_TAIL(&cl->creates, cc, entry);
	cc->pending = true;
	goto out;
fail:
	cluster_create_free(cc);
out:
	free(err);
	free(on);
	free(k);
}

struct cluster_destroy {
	struct ctl	*c;
	char		*name;
};

static void
cluster_destroyed(const struct etcd_result *res, void *arg)
{
	struct cluster_destroy	*cd = arg;
	struct ctl		*c = cd->c;

	if (res->rc != ETCD_OK)
		ctl_etcd_error(c, res, "farm", cd->name, "destroyed", NULL);
	else
		ctl_destroy_here(c, cd->name);
	ctl_unref(c);
	free(cd->name);
	free(cd);
}

void
cluster_destroy(struct ctl *c, const char *name)
{
	struct cluster		*cl = c->d->cluster;
	struct cluster_destroy	*cd;
	char			*k;

	if ((cd = calloc(1, sizeof *cd)) == NULL ||
	    (cd->name = strdup(name)) == NULL ||
	    asprintf(&k, "%sfarms/%s", cl->prefix, name) == -1)
		fatal("%s", __func__);
	cd->c = c;
	c->refs++;
	if (etcd_delete(cl->etcd, k, strlen(k), 0, cluster_destroyed, cd) ==
	    NULL)
		fatal("%s", __func__);
	free(k);
}

static void
cluster_abandoned(const struct etcd_result *res, void *arg)
{
	char	*name = arg;

	if (res->rc != ETCD_OK)
		log_warnx("cluster: farm %s: its record stays (%s): destroy "
		    "it again", name, etcd_rc_str(res->rc));
	free(name);
}

void
cluster_abandon(struct daemon *d, const char *farm)
{
	struct cluster	*cl = d->cluster;
	char		*k, *name;

	if (cl == NULL)
		return;
	if (asprintf(&k, "%sfarms/%s", cl->prefix, farm) == -1 ||
	    (name = strdup(farm)) == NULL)
		fatal("%s", __func__);
	if (etcd_delete(cl->etcd, k, strlen(k), 0, cluster_abandoned, name)
	    == NULL)
		fatal("%s", __func__);
	free(k);
}

bool
cluster_refuses(struct ctl *c, const char *cmd)
{
	if (c->d->cluster == NULL)
		return false;
	ctl_error(c, BALTIC_EXIT_FAIL, "%s: not yet supported when balticd "
	    "runs in a cluster (--cluster)", cmd);
	return true;
}
