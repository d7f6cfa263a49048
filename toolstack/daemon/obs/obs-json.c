/*
 * obs-json.c: the control command stats (ctl.h): every counter of
 * obs.h for each farm, its exports, bindings and partitions, as JSON
 * for `baltic top`.
 */
#include <sys/queue.h>

#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"
#include "ctl.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/core/hedge.h"
#include "daemon/obs/obs-walk.h"
#include "util/util.h"

static void
gku(yajl_gen g, const char *k, uint64_t v)
{
	gki(g, k, (long long)v);
}

/* The keys of a set of calls, in the map open in g. */
static void
stats_calls(yajl_gen g, const struct obs_calls *c)
{
	size_t	i;

	gku(g, CTL_K_CALLS, c->calls);
	gku(g, CTL_K_SUCCEEDED, c->ok);
	gku(g, CTL_K_CANCELLED, c->cancelled);
	gku(g, CTL_K_OUTSTANDING, obs_in_flight(c));
	gstr(g, CTL_K_ERRORS_BY_KIND);
	yajl_gen_map_open(g);
	for (i = 0; i < OBS_E_MAX; i++)
		gku(g, obs_kind_name((enum obs_kind)i), c->errors[i]);
	yajl_gen_map_close(g);
	gstr(g, CTL_K_BUCKETS);
	yajl_gen_array_open(g);
	for (i = 0; i < OBS_NBUCKETS; i++)
		yajl_gen_integer(g, (long long)c->buckets[i]);
	yajl_gen_array_close(g);
	gku(g, CTL_K_SUM_US, c->sum_us);
}

/* key: {the set's keys} */
static void
stats_calls_map(yajl_gen g, const char *key, const struct obs_calls *c)
{
	gstr(g, key);
	yajl_gen_map_open(g);
	stats_calls(g, c);
	yajl_gen_map_close(g);
}

static void
stats_binding(yajl_gen g, const struct node *n)
{
	const struct obs_node	*o = &n->obs;
	size_t			 i;

	yajl_gen_map_open(g);
	gkv(g, CTL_K_NAME, o->label);
	gkv(g, CTL_K_KIND, obs_node_kind(n));
	stats_calls(g, &o->c);
	if (n->kind == NODE_OR || n->kind == NODE_PAR) {
		gstr(g, CTL_K_BRANCHES);
		yajl_gen_array_open(g);
		for (i = 0; i < o->nbranches; i++) {
			yajl_gen_map_open(g);
			gkv(g, CTL_K_NAME, n->u.comb.v[i]->obs.label);
			if (n->kind == NODE_OR) {
				gku(g, CTL_K_CALLS, o->branch_calls[i]);
				gku(g, CTL_K_PASSED, o->branch_passed[i]);
			} else
				gku(g, CTL_K_WINS, o->branch_wins[i]);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	if (n->kind == NODE_PAR) {
		gku(g, CTL_K_CANCELS, o->cancels);
		gku(g, CTL_K_HEDGED, o->hedged);
		if (n->u.comb.hedge_ms > 0)
			gku(g, CTL_K_HEDGE_DELAY_US,
			    (uint64_t)n->u.comb.hedge_ms * 1000);
		else if (n->u.comb.hedge != NULL)
			gku(g, CTL_K_HEDGE_DELAY_US,
			    hedge_est_delay_us(n->u.comb.hedge));
	}
	if (n->kind == NODE_REF) {
		gkv(g, CTL_K_TARGET, n->u.ref.target != NULL ?
		    n->u.ref.target->obs.label : NULL);
		gku(g, CTL_K_REWIRES, o->rewires);
	}
	yajl_gen_map_close(g);
}

static void
stats_part(yajl_gen g, struct daemon *d, const struct part *p)
{
	struct part_usage	u;

	yajl_gen_map_open(g);
	gkv(g, CTL_K_NAME, p->name);
	gkv(g, CTL_K_ROLE, p->inst->role->name);
	gkv(g, CTL_K_STATE, part_state_name(p->state));
	gki(g, CTL_K_PID, p->pid);
	gki(g, CTL_K_DOMID, p->domid);
	if (p->node != NULL)
		stats_calls(g, &p->node->obs.c);
	stats_calls_map(g, CTL_K_GUEST_CALLS, &p->obs_gcalls);
	if (obs_part_usage(d, p, &u) == 0) {
		gku(g, CTL_K_CPU_NS, u.cpu_ns);
		gku(g, CTL_K_MEMORY_KB, u.memory_kb);
	}
	yajl_gen_map_close(g);
}

static void
stats_farm(yajl_gen g, struct farm_run *f)
{
	struct node	*n;
	struct part	*p;
	size_t		 i;

	yajl_gen_map_open(g);
	gkv(g, CTL_K_NAME, f->name);
	gkv(g, CTL_K_BACKEND, f->d->backend->name);
	stats_calls_map(g, CTL_K_EXPORT_CALLS, &f->obs_export);
	stats_calls_map(g, CTL_K_GUEST_CALLS, &f->obs_guest);
	gstr(g, CTL_K_EXPORTS);
	yajl_gen_array_open(g);
	for (i = 0; i < f->nexports; i++) {
		yajl_gen_map_open(g);
		gkv(g, CTL_K_BINDING, f->exports[i].fe->binding);
		gkv(g, CTL_K_INTERFACE, f->exports[i].fe->iface);
		gkv(g, CTL_K_ADDR, f->exports[i].fe->addr);
		stats_calls(g, &f->exports[i].obs);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	gstr(g, CTL_K_BINDINGS);
	yajl_gen_array_open(g);
	TAILQ_FOREACH(n, &f->nodes, entry)
		if (n->kind != NODE_VM)
			stats_binding(g, n);
	yajl_gen_array_close(g);
	gstr(g, CTL_K_PARTITIONS);
	yajl_gen_array_open(g);
	TAILQ_FOREACH(p, &f->parts, entry)
		stats_part(g, f->d, p);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

void
ctl_stats(struct ctl *c, yajl_val rq)
{
	const char	*want = json_str(rq, CTL_K_FARM);
	struct farm_run	*f;
	yajl_gen	 g;
	size_t		 i;

	if (want != NULL && ctl_find_farm(c, want) == NULL)
		return;
	g = ctl_gen();
	yajl_gen_map_open(g);
	gstr(g, CTL_K_OK);
	yajl_gen_bool(g, 1);
	gku(g, CTL_K_UPTIME_US, now_us() - c->d->started_us);
	gstr(g, CTL_K_BOUNDS);
	yajl_gen_array_open(g);
	for (i = 0; i < OBS_NBOUNDS; i++)
		yajl_gen_integer(g, (long long)obs_bound_us[i]);
	yajl_gen_array_close(g);
	gstr(g, CTL_K_FARMS);
	yajl_gen_array_open(g);
	TAILQ_FOREACH(f, &c->d->farms, entry)
		if (want == NULL || strcmp(want, f->name) == 0)
			stats_farm(g, f);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	c->answered = true;
	ctl_send_gen(c, g);
}
