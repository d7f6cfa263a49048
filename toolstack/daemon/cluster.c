/*
 * cluster.c: this balticd as a host of the cluster (cluster.h): its
 * lease and its record, kept alive every tick; the records of the hosts
 * and the farms, loaded once and then followed by a watch of the
 * prefix; where instances run (cluster_place).  What it learns, the
 * farms here follow (cluster-farm.c).
 *
 * Everything in etcd was written by some balticd, but it is read as
 * untrusted: a record that does not parse, or names what cannot be, is
 * logged and left out, never a crash.
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"
#include "cluster/etcd.h"
#include "cluster/record.h"
#include "cluster/place.h"
#include "daemon/cluster-int.h"
#include "daemon/cluster.h"
#include "daemon/daemon.h"
#include "daemon/edge/export-tls.h"
#include "log.h"
#include "util/util.h"

static void	cluster_tick(evutil_socket_t, short, void *);
static void	cluster_watch(struct cluster *);

/* ---- the records ------------------------------------------------------- */

struct chost *
cluster_host(struct cluster *cl, const char *name)
{
	struct chost	*h;

	TAILQ_FOREACH(h, &cl->hosts, entry)
		if (strcmp(h->name, name) == 0)
			return h;
	return NULL;
}

struct cfarm *
cluster_farm(struct cluster *cl, const char *name)
{
	struct cfarm	*r;

	TAILQ_FOREACH(r, &cl->farms, entry)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

/* A record we wrote ourselves, in the cache before the watch brings it
 * back (the farm made at once takes its placement from it). */
void
cluster_key_put(struct cluster *cl, const char *name, const char *v,
    size_t len, int64_t rev)
{
	struct cfarm	*r, *old;

	if ((r = cfarm_parse(name, v, len, rev)) == NULL)
		return;
	if ((old = cluster_farm(cl, name)) != NULL) {
		TAILQ_REMOVE(&cl->farms, old, entry);
		cfarm_free(old);
	}
	TAILQ_INSERT_TAIL(&cl->farms, r, entry);
}

/*
 * One key of the prefix, put (val not NULL) or deleted: the cache
 * follows, and the farms, links and placements after it.  Keys outside
 * hosts/ and farms/, or with a bad name, are left alone.
 */
static void
cluster_key(struct cluster *cl, const char *key, size_t keylen,
    const char *val, size_t len, int64_t rev)
{
	char		 name[128];
	struct chost	*h;
	struct cfarm	*r, *old;
	const char	*k;
	size_t		 klen;
	bool		 hosts;

	if (keylen < cl->prefixlen || memcmp(key, cl->prefix, cl->prefixlen))
		return;
	k = key + cl->prefixlen;
	klen = keylen - cl->prefixlen;
	if (klen > 6 && memcmp(k, "hosts/", 6) == 0)
		hosts = true;
	else if (klen > 6 && memcmp(k, "farms/", 6) == 0)
		hosts = false;
	else
		return;
	if (!record_name_ok(k + 6, klen - 6))
		return;
	memcpy(name, k + 6, klen - 6);
	name[klen - 6] = '\0';
	if (hosts) {
		if ((h = cluster_host(cl, name)) != NULL) {
			TAILQ_REMOVE(&cl->hosts, h, entry);
			chost_free(h);
		}
		h = val != NULL ? chost_parse(name, val, len) : NULL;
		if (h != NULL)
			TAILQ_INSERT_TAIL(&cl->hosts, h, entry);
		if (strcmp(name, cl->d->host_name) == 0) {
			cl->registered = h != NULL;
			return;
		}
		if (h != NULL)
			peer_set(cl->d, name, h->addr);	/* says refusals */
		else {
			log_notice("cluster: host %s is gone", name);
			peer_forget(cl->d, name);
		}
		if (cl->joined && h == NULL)
			cluster_replace(cl);
		return;
	}
	old = cluster_farm(cl, name);
	r = val != NULL ? cfarm_parse(name, val, len, rev) : NULL;
	if (old != NULL) {
		TAILQ_REMOVE(&cl->farms, old, entry);
		cfarm_free(old);
	}
	if (r != NULL)
		TAILQ_INSERT_TAIL(&cl->farms, r, entry);
	if (cl->joined)
		cluster_sync(cl, name, r);
}

/* ---- placement --------------------------------------------------------- */

int
cluster_place(struct cluster *cl, const struct cfarm *cur, const char *farm,
    char *const *inst, const char *const *on, const int64_t *mem_mb,
    size_t n, const char ***host_r, char **err_r)
{
	struct place_host	*hv = NULL;
	struct place_item	*iv = NULL;
	struct chost		*h;
	struct cfarm		*r;
	const char		*where;
	size_t			 nh = 0, i, j;
	int			 rc = -1;

	*host_r = NULL;
	TAILQ_FOREACH(h, &cl->hosts, entry)
		nh++;
	if (nh == 0)
		return errf(err_r, "no host of the cluster is alive");
	if ((hv = calloc(nh, sizeof *hv)) == NULL ||
	    (iv = calloc(n + 1, sizeof *iv)) == NULL ||
	    (*host_r = calloc(n + 1, sizeof **host_r)) == NULL)
		fatal("%s", __func__);
	/* Free memory: the capacity less every instance placed there,
	 * this farm's that stay included (place.h). */
	i = 0;
	TAILQ_FOREACH(h, &cl->hosts, entry) {
		hv[i].name = h->name;
		hv[i].labels = (const char *const *)h->labels;
		hv[i].nlabels = h->nlabels;
		hv[i].free_mb = h->capacity_mb;
		TAILQ_FOREACH(r, &cl->farms, entry) {
			if (strcmp(r->name, farm) == 0)
				continue;
			for (j = 0; j < r->n; j++)
				if (strcmp(r->host[j], h->name) == 0)
					hv[i].free_mb -= r->mem[j];
		}
		i++;
	}
	for (i = 0; i < n; i++) {
		iv[i].name = inst[i];
		iv[i].on = on[i];
		iv[i].mem_mb = mem_mb[i];
		where = cfarm_host(cur, inst[i]);
		if (where != NULL && cluster_host(cl, where) != NULL) {
			iv[i].cur = where;
			for (j = 0; j < nh; j++)
				if (strcmp(hv[j].name, where) == 0)
					hv[j].free_mb -= mem_mb[i];
		}
	}
	rc = place(hv, nh, iv, n, *host_r, err_r);
	if (rc == -1) {
		free(*host_r);
		*host_r = NULL;
	}
	free(hv);
	free(iv);
	return rc;
}

/* ---- joining, and staying -------------------------------------------- */

static char *
cluster_key_of(struct cluster *cl, const char *dir, const char *name,
    size_t *len_r)
{
	char	*k;

	if (asprintf(&k, "%s%s/%s", cl->prefix, dir, name) == -1)
		fatal("%s", __func__);
	*len_r = strlen(k);
	return k;
}

/* The first look at the prefix: the cache, then the farms here made
 * like it, then the watch from the next revision. */
static void
cluster_loaded(const struct etcd_result *res, void *arg)
{
	struct cluster	*cl = arg;
	struct cfarm	*r;
	struct chost	*h;
	char		**was = NULL, why[256];
	size_t		 i, nwas = 0;

	cl->op = NULL;
	if (res->rc != ETCD_OK) {
		log_warnx("cluster: cannot read %s: %s", cl->prefix,
		    etcd_why(res->rc, res->errmsg, why, sizeof why));
		return;		/* the next tick tries again */
	}
	/* Joined before (the watch fell behind a compaction): the cache
	 * starts again from what etcd has now. */
	while ((h = TAILQ_FIRST(&cl->hosts)) != NULL) {
		TAILQ_REMOVE(&cl->hosts, h, entry);
		if ((was = reallocarray(was, nwas + 1, sizeof *was)) == NULL)
			fatal("%s", __func__);
		was[nwas++] = h->name;
		h->name = NULL;
		chost_free(h);
	}
	while ((r = TAILQ_FIRST(&cl->farms)) != NULL) {
		TAILQ_REMOVE(&cl->farms, r, entry);
		cfarm_free(r);
	}
	for (i = 0; i < res->nkvs; i++)
		cluster_key(cl, res->kvs[i].key, res->kvs[i].keylen,
		    res->kvs[i].value, res->kvs[i].valuelen,
		    res->kvs[i].mod_revision);
	for (i = 0; i < nwas; i++)
		if (cluster_host(cl, was[i]) == NULL &&
		    strcmp(was[i], cl->d->host_name) != 0)
			peer_forget(cl->d, was[i]);
	record_free_names(was, nwas);
	cl->joined = true;
	cl->next_rev = res->revision + 1;
	log_notice("cluster: joined as %s at revision %lld", cl->d->host_name,
	    (long long)res->revision);
	if (!cl->restored)	/* the farms of the store, once */
		daemon_restore(cl->d);
	cl->restored = true;
	TAILQ_FOREACH(r, &cl->farms, entry)
		cluster_sync(cl, r->name, r);
	cluster_sync(cl, NULL, NULL);	/* farms here with no record */
	cluster_unfence(cl);
	cluster_replace(cl);
	cluster_watch(cl);
}

static void
cluster_registered(const struct etcd_result *res, void *arg)
{
	struct cluster	*cl = arg;
	char		 why[256];

	cl->op = NULL;
	if (res->rc != ETCD_OK) {
		log_warnx("cluster: cannot register: %s", etcd_why(res->rc,
		    res->errmsg, why, sizeof why));
		/*
		 * etcd refused the put: its lease is gone ("requested lease
		 * not found").  A host cut off for longer than its TTL
		 * learns it here, not from a keepalive: its keepalives
		 * timed out, and once fenced it only registers.  The next
		 * tick grants a new lease.
		 */
		if (res->rc == ETCD_ERROR) {
			cl->lease = 0;
			cl->registered = false;
		}
		return;
	}
	cl->registered = true;
	if (cl->joined)
		return;
	if ((cl->op = etcd_range(cl->etcd, cl->prefix, cl->prefixlen, 1,
	    cluster_loaded, cl)) == NULL)
		fatal("%s", __func__);
}

/* Our record, under the lease. */
static void
cluster_register(struct cluster *cl)
{
	size_t	 len, klen;
	char	*k, *v;

	if ((v = chost_value(cl->d->host_addr, cl->capacity_mb, cl->labels,
	    cl->nlabels, &len)) == NULL)
		fatal("%s", __func__);
	k = cluster_key_of(cl, "hosts", cl->d->host_name, &klen);
	if ((cl->op = etcd_put(cl->etcd, k, klen, v, len, cl->lease,
	    cluster_registered, cl)) == NULL)
		fatal("%s", __func__);
	free(k);
	free(v);
}

static void
cluster_leased(const struct etcd_result *res, void *arg)
{
	struct cluster	*cl = arg;
	bool		 grant = cl->lease == 0;
	char		 why[256];

	cl->op = NULL;
	if (res->rc != ETCD_OK) {
		log_warnx("cluster: lease %s: %s", grant ? "grant" :
		    "keepalive", etcd_why(res->rc, res->errmsg, why,
		    sizeof why));
		return;
	}
	if (res->ttl <= 0) {
		/* Expired: the others have placed our partitions again;
		 * we register anew and follow what the records say. */
		log_warnx("cluster: our lease expired; registering again");
		cl->lease = 0;
		cl->registered = false;
		return;
	}
	cl->renewed_ms = now_us() / 1000;
	if (grant) {
		cl->lease = res->lease_id;
		cluster_register(cl);
	}
}

/*
 * Cut off?  Our lease not renewed for its TTL less a second, so it
 * lapses in etcd within a second and the others place our partitions
 * again; and no other host heard on its link, so it is not etcd alone
 * that is gone (its quorum lost: then nobody places anything, and the
 * partitions here go on serving).  Then the partitions here stop,
 * before their copies start elsewhere: a guest never runs on two hosts
 * at once.  The watch goes too: once the lease is back, the records are
 * read afresh (cluster_loaded), and what they still place here starts
 * again.
 */
static bool
cluster_cut_off(struct cluster *cl)
{
	struct chost	*h;
	bool		 others = false;

	if (!cl->joined || cl->renewed_ms == 0 ||
	    now_us() / 1000 - cl->renewed_ms < cluster_fence_ms(cl))
		return false;
	TAILQ_FOREACH(h, &cl->hosts, entry) {
		if (strcmp(h->name, cl->d->host_name) == 0)
			continue;
		if (peer_heard(cl->d, h->name))
			return false;
		others = true;
	}
	return others;		/* alone in the cluster: nobody takes over */
}

/*
 * What this host offers, measured again (xen: the hypervisor's free
 * memory, which other domains than ours also take): the free memory now
 * plus what our running partitions hold, since placement counts those
 * against the offer from the records.  A change of CLUSTER_FREE_STEP_MB
 * or more is put in our record.
 */
static void
cluster_capacity(struct cluster *cl)
{
	struct daemon	*d = cl->d;
	struct farm_run	*f;
	struct part	*p;
	int64_t		 mb, diff;

	if (!cl->capacity_live || !cl->registered ||
	    d->backend->free_mb(d->bctx, &mb) == -1)
		return;
	TAILQ_FOREACH(f, &d->farms, entry)
		TAILQ_FOREACH(p, &f->parts, entry)
			if ((p->pid > 0 || p->domid >= 0) && p->inst != NULL)
				mb += p->inst->role->memory;
	diff = mb - cl->capacity_mb;
	if (diff < CLUSTER_FREE_STEP_MB && diff > -CLUSTER_FREE_STEP_MB)
		return;
	log_info("cluster: %s offers %lld MiB now (was %lld)",
	    d->host_name, (long long)mb, (long long)cl->capacity_mb);
	cl->capacity_mb = mb;
	cl->registered = false;		/* the record put again */
}

/* Every tick: the lease renewed, or the join carried on. */
static void
cluster_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct cluster	*cl = arg;
	struct timeval	 tv = { CLUSTER_TICK_MS / 1000,
			    CLUSTER_TICK_MS % 1000 * 1000 };

	evtimer_add(cl->tick, &tv);
	if (cluster_cut_off(cl)) {
		cluster_fence(cl);
		etcd_watch_cancel(cl->watch);
		cl->watch = NULL;
		cl->joined = false;
	}
	if (++cl->ticks % CLUSTER_FREE_TICKS == 0)
		cluster_capacity(cl);
	if (cl->op != NULL)
		return;		/* one at a time; the last is not over */
	if (cl->lease == 0)
		cl->op = etcd_lease_grant(cl->etcd, cl->lease_ttl_s,
		    cluster_leased, cl);
	else if (!cl->registered || !cl->joined)
		cluster_register(cl);
	else
		cl->op = etcd_lease_keepalive(cl->etcd, cl->lease,
		    cluster_leased, cl);
	if (cl->joined && cl->watch == NULL)
		cluster_watch(cl);
	if (cl->joined)
		cluster_replace(cl);	/* a dead host's, not yet placed */
}

static void
cluster_events(const struct etcd_event *ev, size_t n, void *arg)
{
	struct cluster	*cl = arg;
	size_t		 i;

	for (i = 0; i < n; i++)
		cluster_key(cl, ev[i].kv.key, ev[i].kv.keylen,
		    ev[i].type == ETCD_EV_PUT ? ev[i].kv.value : NULL,
		    ev[i].kv.valuelen, ev[i].kv.mod_revision);
}

/* The watch ended: again from where it stopped, at the next tick; if
 * that revision is compacted away, everything is loaded again. */
static void
cluster_watch_end(enum etcd_rc rc, const char *errmsg, int64_t next_rev,
    void *arg)
{
	struct cluster	*cl = arg;
	char		 why[256];

	cl->watch = NULL;
	log_info("cluster: watch ended (%s)",
	    etcd_why(rc, errmsg, why, sizeof why));
	cl->next_rev = next_rev;
	if (rc == ETCD_COMPACTED)
		cl->joined = false;
}

static void
cluster_watch(struct cluster *cl)
{
	if ((cl->watch = etcd_watch(cl->etcd, cl->prefix, cl->prefixlen,
	    cl->next_rev, cluster_events, cluster_watch_end, cl)) == NULL)
		fatal("%s", __func__);
}

/* An https etcd member's connection: TLS with the cluster's certificate,
 * the member's checked against the cluster's CA and its IP. */
static struct bufferevent *
cluster_tls_bev(void *arg, struct event_base *base, const char *ip)
{
	struct cluster	*cl = arg;

	return tls_bev_client(cl->tls, base, ip, true);
}

int
cluster_open(struct daemon *d, const struct cluster_opts *o, char **err_r)
{
	struct cluster	*cl;
	char		**urls = NULL, *s, *tok, *save = NULL;
	size_t		 nurls = 0;

	if (d->host_name == NULL)	/* checked by balticd.c if given */
		return errf(err_r, "cluster: --host NAME needed");
	if (d->host_addr == NULL)
		return errf(err_r, "cluster: --peer-listen IP:PORT needed");
	if ((cl = calloc(1, sizeof *cl)) == NULL)
		fatal("%s", __func__);
	cl->d = d;
	TAILQ_INIT(&cl->hosts);
	TAILQ_INIT(&cl->farms);
	TAILQ_INIT(&cl->creates);
	cl->prefix = strdup(o->prefix != NULL ? o->prefix : CLUSTER_PREFIX);
	cl->prefixlen = strlen(cl->prefix);
	cl->lease_ttl_s = o->lease_ttl_s > 0 ? o->lease_ttl_s :
	    CLUSTER_LEASE_TTL_S;
	/* What the host has free when it joins (xen: the hypervisor's free
	 * memory), unless --capacity says otherwise. */
	cl->capacity_mb = o->capacity_mb;
	if (cl->capacity_mb <= 0 && (d->backend->free_mb == NULL ||
	    d->backend->free_mb(d->bctx, &cl->capacity_mb) == -1))
		cl->capacity_mb = CLUSTER_CAPACITY_MB;
	else if (o->capacity_mb <= 0)
		cl->capacity_live = true;
	if (o->labels != NULL &&
	    record_split_names(o->labels, &cl->labels, &cl->nlabels, err_r) == -1)
		goto fail;
	if ((s = strdup(o->etcd)) == NULL)
		fatal("%s", __func__);
	for (tok = strtok_r(s, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		if ((urls = reallocarray(urls, nurls + 1, sizeof *urls))
		    == NULL || (urls[nurls++] = strdup(tok)) == NULL)
			fatal("%s", __func__);
	free(s);
	cl->etcd = etcd_new(d->base, (const char *const *)urls, nurls,
	    CLUSTER_ETCD_TIMEOUT_MS, err_r);
	record_free_names(urls, nurls);
	if (cl->etcd == NULL)
		goto fail;
	/* From this host's own address (its link's IP, no brackets). */
	if ((s = strdup(d->host_addr)) == NULL)
		fatal("%s", __func__);
	if ((tok = strrchr(s, ':')) != NULL)
		*tok = '\0';
	if (s[0] != '[' && etcd_set_local_ip(cl->etcd, s) == -1)
		fatal("%s", __func__);
	free(s);
	if (etcd_tls(cl->etcd)) {
		if (o->cert == NULL || o->key == NULL || o->ca == NULL) {
			errf(err_r, "cluster: an https etcd URL needs "
			    "--cluster-cert, --cluster-key and --cluster-ca");
			goto fail;
		}
		if ((cl->tls = tls_link_ctx_new(o->cert, o->key, o->ca, false,
		    err_r)) == NULL)
			goto fail;
		etcd_set_tls(cl->etcd, cluster_tls_bev, cl);
	}
	if ((cl->tick = evtimer_new(d->base, cluster_tick, cl)) == NULL)
		fatal("%s", __func__);
	d->cluster = cl;
	event_active(cl->tick, EV_TIMEOUT, 0);
	return 0;
fail:
	etcd_free(cl->etcd);
	record_free_names(cl->labels, cl->nlabels);
	free(cl->prefix);
	free(cl);
	return -1;
}

void
cluster_close(struct daemon *d)
{
	struct cluster	*cl = d->cluster;
	struct chost	*h;
	struct cfarm	*r;

	if (cl == NULL)
		return;
	/* The lease is left to expire: the partitions keep running, and
	 * a balticd back within the lease's TTL takes them again. */
	etcd_free(cl->etcd);
	tls_ctx_free(cl->tls);
	event_free(cl->tick);
	while ((h = TAILQ_FIRST(&cl->hosts)) != NULL) {
		TAILQ_REMOVE(&cl->hosts, h, entry);
		chost_free(h);
	}
	while ((r = TAILQ_FIRST(&cl->farms)) != NULL) {
		TAILQ_REMOVE(&cl->farms, r, entry);
		cfarm_free(r);
	}
	record_free_names(cl->labels, cl->nlabels);
	free(cl->prefix);
	free(cl);
	d->cluster = NULL;
}
