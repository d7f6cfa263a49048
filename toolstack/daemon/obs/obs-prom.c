/*
 * obs-prom.c: the counters of obs.h in Prometheus' text exposition
 * format (version 0.0.4), for /metrics (obs-http.c).
 *
 * Names follow Prometheus' conventions: the prefix baltic_, the unit in
 * the name (_seconds, _bytes), _total on counters, histograms as
 * _bucket{le}, _sum and _count.  Every set of calls (struct obs_calls)
 * gives five families, under the prefix of where it was counted:
 *
 *	baltic_farm_	calls entering a farm: {farm, origin=export|guest}
 *	baltic_export_	at one export: {farm, binding, interface}
 *	baltic_binding_	at an or, par, ref or remote: {farm, binding,
 *			combinator}
 *	baltic_partition_  served by a partition: {farm, partition}
 *	baltic_guest_	made by a partition's guest to its imports:
 *			{farm, partition}
 *
 *	PREFIX calls_total, errors_total{kind}, calls_cancelled_total,
 *	calls_in_flight, call_duration_seconds (histogram)
 *
 * and per kind of binding: baltic_or_branch_calls_total and
 * baltic_or_passed_on_total {branch}, baltic_par_wins_total {branch},
 * baltic_par_cancels_total, baltic_par_hedged_total (a hedged par's
 * branch calls after the first), baltic_ref_rewires_total; per partition
 * baltic_partition_ready, baltic_partition_cpu_seconds_total and
 * baltic_partition_memory_bytes.  A family's samples are together, as
 * the format wants: each family walks every farm.
 */
#include <sys/queue.h>

#include <event2/buffer.h>

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "daemon/daemon.h"
#include "daemon/obs/obs-prom.h"
#include "daemon/obs/obs-walk.h"
#include "log.h"

/* The labels of one sample, escaped, without braces. */
#define PROM_LABELS_MAX	1024

/* Append key="value" to labels, the value escaped (\\, \", \n). */
static void
prom_label(char *labels, const char *key, const char *value)
{
	size_t	len = strlen(labels);
	char	c;

	if (len + strlen(key) + 4 >= PROM_LABELS_MAX)
		return;
	len += (size_t)snprintf(labels + len, PROM_LABELS_MAX - len, "%s%s=\"",
	    len > 0 ? "," : "", key);
	for (; *value != '\0' && len + 4 < PROM_LABELS_MAX; value++) {
		c = *value;
		if (c == '\\' || c == '"' || c == '\n')
			labels[len++] = '\\';
		labels[len++] = c == '\n' ? 'n' : c;
	}
	labels[len++] = '"';
	labels[len] = '\0';
}

static void
prom_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

static void
prom_sample(struct evbuffer *b, const char *name, const char *labels,
    uint64_t v)
{
	evbuffer_add_printf(b, "%s{%s} %" PRIu64 "\n", name, labels, v);
}

/* The five families of a set of calls. */
enum prom_calls_family {
	PROM_CALLS, PROM_ERRORS, PROM_CANCELLED, PROM_IN_FLIGHT,
	PROM_DURATION, PROM_NFAMILIES
};

static const struct {
	const char	*suffix;
	const char	*type;
	const char	*help;		/* after "Calls ", the scope's */
} prom_calls_families[PROM_NFAMILIES] = {
	[PROM_CALLS] = { "calls_total", "counter", "begun" },
	[PROM_ERRORS] = { "errors_total", "counter",
	    "answered with an error, by kind" },
	[PROM_CANCELLED] = { "calls_cancelled_total", "counter",
	    "stopped unanswered (a par's losing branch)" },
	[PROM_IN_FLIGHT] = { "calls_in_flight", "gauge", "begun, not ended" },
	[PROM_DURATION] = { "call_duration_seconds", "histogram",
	    "answered, by time to the answer" },
};

static void
prom_calls_sample(struct evbuffer *b, const char *name,
    enum prom_calls_family fam, const char *labels,
    const struct obs_calls *c)
{
	char		l[PROM_LABELS_MAX + 64];
	uint64_t	n = 0;
	size_t		i;

	switch (fam) {
	case PROM_CALLS:
		prom_sample(b, name, labels, c->calls);
		break;
	case PROM_ERRORS:
		for (i = 0; i < OBS_E_MAX; i++) {
			snprintf(l, sizeof l, "%s,kind=\"%s\"", labels,
			    obs_kind_name((enum obs_kind)i));
			prom_sample(b, name, l, c->errors[i]);
		}
		break;
	case PROM_CANCELLED:
		prom_sample(b, name, labels, c->cancelled);
		break;
	case PROM_IN_FLIGHT:
		prom_sample(b, name, labels, obs_in_flight(c));
		break;
	case PROM_DURATION:
		for (i = 0; i < OBS_NBUCKETS; i++) {
			n += c->buckets[i];
			if (i < OBS_NBOUNDS)
				snprintf(l, sizeof l, "%s,le=\"%g\"", labels,
				    (double)obs_bound_us[i] / 1e6);
			else
				snprintf(l, sizeof l, "%s,le=\"+Inf\"", labels);
			evbuffer_add_printf(b, "%s_bucket{%s} %" PRIu64 "\n",
			    name, l, n);
		}
		evbuffer_add_printf(b, "%s_sum{%s} %" PRIu64 ".%06" PRIu64 "\n",
		    name, labels, c->sum_us / 1000000, c->sum_us % 1000000);
		evbuffer_add_printf(b, "%s_count{%s} %" PRIu64 "\n", name,
		    labels, n);
		break;
	default:
		fatalx("%s: unsupported family %d", __func__, fam);
	}
}

/* Where a set of calls was counted: the scope's name and its sets. */
struct prom_scope {
	const char	*name;		/* farm, export, binding... */
	const char	*help;		/* "entering a farm"... */
	/* Each set of f with its labels, to prom_calls_sample. */
	void		(*each)(struct evbuffer *, const char *name,
			    enum prom_calls_family, struct farm_run *f);
};

static void
farm_labels(char *l, const struct farm_run *f)
{
	l[0] = '\0';
	prom_label(l, "farm", f->name);
}

static void
each_farm(struct evbuffer *b, const char *name, enum prom_calls_family fam,
    struct farm_run *f)
{
	char	l[PROM_LABELS_MAX];

	farm_labels(l, f);
	prom_label(l, "origin", "export");
	prom_calls_sample(b, name, fam, l, &f->obs_export);
	farm_labels(l, f);
	prom_label(l, "origin", "guest");
	prom_calls_sample(b, name, fam, l, &f->obs_guest);
}

static void
each_export(struct evbuffer *b, const char *name, enum prom_calls_family fam,
    struct farm_run *f)
{
	char	l[PROM_LABELS_MAX];
	size_t	i;

	for (i = 0; i < f->nexports; i++) {
		farm_labels(l, f);
		prom_label(l, "binding", f->exports[i].fe->binding);
		prom_label(l, "interface", f->exports[i].fe->iface);
		prom_calls_sample(b, name, fam, l, &f->exports[i].obs);
	}
}

/* A binding's labels: farm, binding (its name). */
static void
binding_labels(char *l, const struct farm_run *f, const struct node *n)
{
	farm_labels(l, f);
	prom_label(l, "binding", n->obs.label != NULL ? n->obs.label : "?");
}

static void
each_binding(struct evbuffer *b, const char *name,
    enum prom_calls_family fam, struct farm_run *f)
{
	struct node	*n;
	char		 l[PROM_LABELS_MAX];

	TAILQ_FOREACH(n, &f->nodes, entry) {
		if (n->kind == NODE_VM)
			continue;
		binding_labels(l, f, n);
		prom_label(l, "combinator", obs_node_kind(n));
		prom_calls_sample(b, name, fam, l, &n->obs.c);
	}
}

static void
part_labels(char *l, const struct farm_run *f, const struct part *p)
{
	farm_labels(l, f);
	prom_label(l, "partition", p->name);
}

static void
each_partition(struct evbuffer *b, const char *name,
    enum prom_calls_family fam, struct farm_run *f)
{
	struct part	*p;
	char		 l[PROM_LABELS_MAX];

	TAILQ_FOREACH(p, &f->parts, entry) {
		if (p->node == NULL)
			continue;
		part_labels(l, f, p);
		prom_calls_sample(b, name, fam, l, &p->node->obs.c);
	}
}

static void
each_guest(struct evbuffer *b, const char *name, enum prom_calls_family fam,
    struct farm_run *f)
{
	struct part	*p;
	char		 l[PROM_LABELS_MAX];

	TAILQ_FOREACH(p, &f->parts, entry) {
		part_labels(l, f, p);
		prom_calls_sample(b, name, fam, l, &p->obs_gcalls);
	}
}

static const struct prom_scope prom_scopes[] = {
	{ "farm", "entering a farm, at an export or from a guest",
	    each_farm },
	{ "export", "entering at an export", each_export },
	{ "binding", "at an or, par, ref or remote", each_binding },
	{ "partition", "sent to a partition", each_partition },
	{ "guest", "a partition's guest made to its imports", each_guest },
};

/* Per branch of every or / par of kind: counts[i] from its obs_node. */
static void
prom_branches(struct evbuffer *b, struct daemon *d, enum node_kind kind,
    const char *name, const char *help, size_t which)
{
	struct farm_run	*f;
	struct node	*n;
	const uint64_t	*v;
	char		 l[PROM_LABELS_MAX];
	size_t		 i;

	prom_head(b, name, "counter", help);
	TAILQ_FOREACH(f, &d->farms, entry)
		TAILQ_FOREACH(n, &f->nodes, entry) {
			if (n->kind != kind)
				continue;
			v = which == 0 ? n->obs.branch_calls : which == 1 ?
			    n->obs.branch_passed : n->obs.branch_wins;
			for (i = 0; i < n->obs.nbranches; i++) {
				binding_labels(l, f, n);
				prom_label(l, "branch",
				    n->u.comb.v[i]->obs.label != NULL ?
				    n->u.comb.v[i]->obs.label : "?");
				prom_sample(b, name, l, v[i]);
			}
		}
}

/* One counter per binding of kind, at offset off in its struct
 * obs_node: a par's cancels or hedges, a ref's rewires. */
static void
prom_per_binding(struct evbuffer *b, struct daemon *d, enum node_kind kind,
    size_t off, const char *name, const char *help)
{
	struct farm_run	*f;
	struct node	*n;
	char		 l[PROM_LABELS_MAX];

	prom_head(b, name, "counter", help);
	TAILQ_FOREACH(f, &d->farms, entry)
		TAILQ_FOREACH(n, &f->nodes, entry) {
			if (n->kind != kind)
				continue;
			binding_labels(l, f, n);
			prom_sample(b, name, l, *(const uint64_t *)(const
			    void *)((const char *)&n->obs + off));
		}
}

/* Each partition's state and what it uses. */
static void
prom_partitions(struct evbuffer *b, struct daemon *d)
{
	static const char *const names[] = { "baltic_partition_ready",
	    "baltic_partition_cpu_seconds_total",
	    "baltic_partition_memory_bytes" };
	static const char *const types[] = { "gauge", "counter", "gauge" };
	static const char *const helps[] = {
	    "1 if the partition takes calls, else 0",
	    "CPU time the partition has used (local: its agent and "
	    "handlers; xen: its domain)",
	    "Memory the partition holds (local: its agent's resident set; "
	    "xen: its domain's)" };
	struct part_usage	 u;
	struct farm_run		*f;
	struct part		*p;
	char			 l[PROM_LABELS_MAX];
	size_t			 i;

	for (i = 0; i < 3; i++) {
		prom_head(b, names[i], types[i], helps[i]);
		TAILQ_FOREACH(f, &d->farms, entry)
			TAILQ_FOREACH(p, &f->parts, entry) {
				part_labels(l, f, p);
				if (i == 0)
					prom_sample(b, names[i], l,
					    p->state == PART_READY);
				else if (obs_part_usage(d, p, &u) == -1)
					continue;
				else if (i == 1)
					evbuffer_add_printf(b, "%s{%s} %"
					    PRIu64 ".%09" PRIu64 "\n",
					    names[i], l, u.cpu_ns / 1000000000,
					    u.cpu_ns % 1000000000);
				else
					prom_sample(b, names[i], l,
					    u.memory_kb * 1024);
			}
	}
}

void
obs_prom_write(struct daemon *d, struct evbuffer *b)
{
	struct farm_run	*f;
	char		 name[128], help[256];
	size_t		 s, fam;

	for (s = 0; s < sizeof prom_scopes / sizeof prom_scopes[0]; s++)
		for (fam = 0; fam < PROM_NFAMILIES; fam++) {
			snprintf(name, sizeof name, "baltic_%s_%s",
			    prom_scopes[s].name,
			    prom_calls_families[fam].suffix);
			snprintf(help, sizeof help, "Calls %s: %s",
			    prom_scopes[s].help,
			    prom_calls_families[fam].help);
			prom_head(b, name, prom_calls_families[fam].type, help);
			TAILQ_FOREACH(f, &d->farms, entry)
				prom_scopes[s].each(b, name,
				    (enum prom_calls_family)fam, f);
		}
	prom_branches(b, d, NODE_OR, "baltic_or_branch_calls_total",
	    "Calls an or sent to its branch", 0);
	prom_branches(b, d, NODE_OR, "baltic_or_passed_on_total",
	    "Calls that failed at an or's branch and were passed on to "
	    "another", 1);
	prom_branches(b, d, NODE_PAR, "baltic_par_wins_total",
	    "Calls of a par answered first by its branch", 2);
	prom_per_binding(b, d, NODE_PAR, offsetof(struct obs_node, cancels),
	    "baltic_par_cancels_total",
	    "Branches of a par cancelled when another answered first");
	prom_per_binding(b, d, NODE_PAR, offsetof(struct obs_node, hedged),
	    "baltic_par_hedged_total",
	    "Branch calls a hedged par sent after the first: its delay "
	    "passed, or the ones sent failed");
	prom_per_binding(b, d, NODE_REF, offsetof(struct obs_node, rewires),
	    "baltic_ref_rewires_total",
	    "Times a ref was rewired by baltic set");
	prom_partitions(b, d);
	evbuffer_add_printf(b, "# HELP baltic_uptime_seconds Seconds since "
	    "balticd started\n# TYPE baltic_uptime_seconds gauge\n"
	    "baltic_uptime_seconds %.3f\n",
	    (double)(now_us() - d->started_us) / 1e6);
}
