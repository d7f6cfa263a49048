/*
 * top-rows.c: the rows of `baltic top` from balticd's stats answer
 * (ctl.h), and a frame of them: what changed since the sample before.
 * The answer comes from balticd, which is trusted, but it is read
 * defensively all the same: a missing key is 0, an overlong name cut.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/top.h"
#include "ctl.h"
#include "util/util.h"

static yajl_val
top_get(yajl_val v, const char *k, yajl_type t)
{
	const char	*path[] = { k, NULL };

	return v != NULL ? yajl_tree_get(v, path, t) : NULL;
}

static const char *
top_str(yajl_val v, const char *k)
{
	const char	*s = v != NULL ? json_str(v, k) : NULL;

	return s != NULL ? s : "-";
}

static uint64_t
top_u64(yajl_val v, const char *k)
{
	long long	n = v != NULL ? json_int(v, k, 0) : 0;

	return n > 0 ? (uint64_t)n : 0;
}

/* A new row at the end of s: all zero, CPU and memory unknown. */
static struct top_row *
top_row_add(struct top_sample *s, const char *farm, const char *kind,
    const char *name, int depth)
{
	struct top_row	*r;

	if ((r = reallocarray(s->rows, s->nrows + 1, sizeof *r)) == NULL) {
		fprintf(stderr, "baltic: top: out of memory\n");
		exit(BALTIC_EXIT_FAIL);
	}
	s->rows = r;
	r = &s->rows[s->nrows++];
	memset(r, 0, sizeof *r);
	snprintf(r->key, sizeof r->key, "%s\t%s\t%s", farm, kind, name);
	snprintf(r->kind, sizeof r->kind, "%s", kind);
	snprintf(r->name, sizeof r->name, "%s", name);
	r->depth = depth;
	r->cpu_ns = r->memory_kb = -1;
	return r;
}

/* A set of calls (ctl.h: calls, errors_by_kind, buckets...) into r. */
static void
top_calls(struct top_row *r, const struct top_sample *s, yajl_val c)
{
	yajl_val	errs = top_get(c, CTL_K_ERRORS_BY_KIND, yajl_t_object);
	yajl_val	b = top_get(c, CTL_K_BUCKETS, yajl_t_array);
	size_t		i;

	r->calls = top_u64(c, CTL_K_CALLS);
	r->outstanding = top_u64(c, CTL_K_OUTSTANDING);
	for (i = 0; errs != NULL && i < errs->u.object.len; i++)
		if (YAJL_IS_INTEGER(errs->u.object.values[i]) &&
		    YAJL_GET_INTEGER(errs->u.object.values[i]) > 0)
			r->errors += (uint64_t)
			    YAJL_GET_INTEGER(errs->u.object.values[i]);
	for (i = 0; b != NULL && i < b->u.array.len && i < s->nbuckets; i++)
		if (YAJL_IS_INTEGER(b->u.array.values[i]) &&
		    YAJL_GET_INTEGER(b->u.array.values[i]) > 0)
			r->buckets[i] = (uint64_t)
			    YAJL_GET_INTEGER(b->u.array.values[i]);
}

/* Append "name count" pairs of an or's or a par's branches to buf. */
static void
top_branches(char *buf, size_t size, yajl_val br, const char *key)
{
	size_t	i, len;

	for (i = 0; br != NULL && i < br->u.array.len; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s %" PRIu64, i > 0 ? ", " :
		    "", top_str(br->u.array.values[i], CTL_K_NAME),
		    top_u64(br->u.array.values[i], key));
	}
}

/* What a binding's row says of its kind: where an or's calls went and
 * how many it passed on, a par's wins, cancels and hedges, a ref's
 * target. */
static void
top_binding_detail(struct top_row *r, yajl_val b)
{
	yajl_val	br = top_get(b, CTL_K_BRANCHES, yajl_t_array);
	uint64_t	passed = 0;
	size_t		i, len;

	if (strcmp(r->kind, "or") == 0) {
		snprintf(r->detail, sizeof r->detail, "calls: ");
		top_branches(r->detail, sizeof r->detail, br, CTL_K_CALLS);
		for (i = 0; br != NULL && i < br->u.array.len; i++)
			passed += top_u64(br->u.array.values[i], CTL_K_PASSED);
		len = strlen(r->detail);
		snprintf(r->detail + len, sizeof r->detail - len,
		    "; passed on %" PRIu64, passed);
	} else if (strcmp(r->kind, "par") == 0) {
		snprintf(r->detail, sizeof r->detail, "wins: ");
		top_branches(r->detail, sizeof r->detail, br, CTL_K_WINS);
		len = strlen(r->detail);
		snprintf(r->detail + len, sizeof r->detail - len,
		    "; cancels %" PRIu64 "; hedged %" PRIu64,
		    top_u64(b, CTL_K_CANCELS), top_u64(b, CTL_K_HEDGED));
	} else if (strcmp(r->kind, "ref") == 0)
		snprintf(r->detail, sizeof r->detail, "-> %s; rewires %" PRIu64,
		    top_str(b, CTL_K_TARGET), top_u64(b, CTL_K_REWIRES));
}

static void
top_read_part(struct top_sample *s, const char *farm, yajl_val p)
{
	struct top_row	*r;
	yajl_val	 g = top_get(p, CTL_K_GUEST_CALLS, yajl_t_object);

	r = top_row_add(s, farm, "vm", top_str(p, CTL_K_NAME), 1);
	top_calls(r, s, p);
	snprintf(r->state, sizeof r->state, "%s", top_str(p, CTL_K_STATE));
	if (top_get(p, CTL_K_CPU_NS, yajl_t_number) != NULL)
		r->cpu_ns = (int64_t)top_u64(p, CTL_K_CPU_NS);
	if (top_get(p, CTL_K_MEMORY_KB, yajl_t_number) != NULL)
		r->memory_kb = (int64_t)top_u64(p, CTL_K_MEMORY_KB);
	if (json_int(p, CTL_K_DOMID, -1) > 0)
		snprintf(r->detail, sizeof r->detail, "%s, domid %lld",
		    top_str(p, CTL_K_ROLE), json_int(p, CTL_K_DOMID, -1));
	else
		snprintf(r->detail, sizeof r->detail, "%s, pid %lld",
		    top_str(p, CTL_K_ROLE), json_int(p, CTL_K_PID, 0));
	if (top_u64(g, CTL_K_CALLS) > 0) {
		size_t len = strlen(r->detail);

		snprintf(r->detail + len, sizeof r->detail - len,
		    "; made %" PRIu64 " calls", top_u64(g, CTL_K_CALLS));
	}
}

static void
top_read_farm(struct top_sample *s, yajl_val f)
{
	const char	*farm = top_str(f, CTL_K_NAME);
	yajl_val	 xs = top_get(f, CTL_K_EXPORTS, yajl_t_array);
	yajl_val	 bs = top_get(f, CTL_K_BINDINGS, yajl_t_array);
	yajl_val	 ps = top_get(f, CTL_K_PARTITIONS, yajl_t_array);
	yajl_val	 g = top_get(f, CTL_K_GUEST_CALLS, yajl_t_object);
	struct top_row	*r;
	size_t		 i;
	char		 name[128];

	r = top_row_add(s, farm, "farm", farm, 0);
	top_calls(r, s, top_get(f, CTL_K_EXPORT_CALLS, yajl_t_object));
	snprintf(r->detail, sizeof r->detail, "%s; guests' calls %" PRIu64,
	    top_str(f, CTL_K_BACKEND), top_u64(g, CTL_K_CALLS));
	for (i = 0; xs != NULL && i < xs->u.array.len; i++) {
		yajl_val x = xs->u.array.values[i];

		snprintf(name, sizeof name, "%s.%s", top_str(x, CTL_K_BINDING),
		    top_str(x, CTL_K_INTERFACE));
		r = top_row_add(s, farm, "export", name, 1);
		top_calls(r, s, x);
		if (json_str(x, CTL_K_ADDR) != NULL)
			snprintf(r->detail, sizeof r->detail, "at %s",
			    json_str(x, CTL_K_ADDR));
	}
	for (i = 0; bs != NULL && i < bs->u.array.len; i++) {
		yajl_val b = bs->u.array.values[i];

		r = top_row_add(s, farm, top_str(b, CTL_K_KIND),
		    top_str(b, CTL_K_NAME), 1);
		top_calls(r, s, b);
		top_binding_detail(r, b);
	}
	for (i = 0; ps != NULL && i < ps->u.array.len; i++)
		top_read_part(s, farm, ps->u.array.values[i]);
	s->nparts += ps != NULL ? ps->u.array.len : 0;
	s->nfarms++;
}

int
top_sample_read(struct top_sample *s, yajl_val v)
{
	yajl_val	farms = top_get(v, CTL_K_FARMS, yajl_t_array);
	yajl_val	b = top_get(v, CTL_K_BOUNDS, yajl_t_array);
	size_t		i;

	memset(s, 0, sizeof *s);
	if (farms == NULL || b == NULL || b->u.array.len + 1 > TOP_BUCKETS_MAX) {
		fprintf(stderr, "baltic: top: balticd's answer has no %s\n",
		    farms == NULL ? CTL_K_FARMS : "usable " CTL_K_BOUNDS);
		return -1;
	}
	s->uptime_us = top_u64(v, CTL_K_UPTIME_US);
	for (i = 0; i < b->u.array.len; i++)
		s->bounds_us[i] = YAJL_IS_INTEGER(b->u.array.values[i]) ?
		    (uint64_t)YAJL_GET_INTEGER(b->u.array.values[i]) : 0;
	s->nbuckets = b->u.array.len + 1;
	for (i = 0; i < farms->u.array.len; i++)
		top_read_farm(s, farms->u.array.values[i]);
	return 0;
}

void
top_sample_dispose(struct top_sample *s)
{
	free(s->rows);
	s->rows = NULL;
	s->nrows = 0;
}

double
top_quantile_ms(const struct top_sample *s, const uint64_t *d, double q)
{
	uint64_t	total = 0, seen = 0;
	double		want, lo, hi;
	size_t		i;

	for (i = 0; i < s->nbuckets; i++)
		total += d[i];
	if (total == 0)
		return -1;
	want = q * (double)total;
	for (i = 0; i < s->nbuckets; i++) {
		if (d[i] > 0 && (double)(seen + d[i]) >= want)
			break;
		seen += d[i];
	}
	if (i >= s->nbuckets - 1)	/* +Inf: the last bound is all we know */
		return (double)s->bounds_us[s->nbuckets - 2] / 1000;
	lo = i == 0 ? 0 : (double)s->bounds_us[i - 1];
	hi = (double)s->bounds_us[i];
	return (lo + (hi - lo) * (want - (double)seen) / (double)d[i]) / 1000;
}

static const struct top_row *
top_find(const struct top_sample *s, const char *key)
{
	size_t	i;

	for (i = 0; s != NULL && i < s->nrows; i++)
		if (strcmp(s->rows[i].key, key) == 0)
			return &s->rows[i];
	return NULL;
}

/* A number, or "-" for a negative one, in buf. */
static const char *
top_num(char *buf, size_t size, const char *fmt, double v)
{
	if (v < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, fmt, v);
	return buf;
}

/* One row's line against its row in prev, over secs seconds. */
static void
top_line(char *line, size_t size, const struct top_sample *cur,
    const struct top_row *r, const struct top_row *p, double secs)
{
	uint64_t	 d[TOP_BUCKETS_MAX];
	uint64_t	 calls = r->calls - (p != NULL && p->calls <= r->calls ?
			    p->calls : 0);
	uint64_t	 errs = r->errors - (p != NULL && p->errors <=
			    r->errors ? p->errors : 0);
	double		 cpu = -1;
	char		 name[160], b[6][24];
	size_t		 i;

	for (i = 0; i < cur->nbuckets; i++)
		d[i] = r->buckets[i] - (p != NULL && p->buckets[i] <=
		    r->buckets[i] ? p->buckets[i] : 0);
	if (r->cpu_ns >= 0 && secs > 0)
		cpu = (double)(r->cpu_ns - (p != NULL && p->cpu_ns >= 0 &&
		    p->cpu_ns <= r->cpu_ns ? p->cpu_ns : 0)) / 1e7 / secs;
	snprintf(name, sizeof name, "%*s%s", r->depth * 2, "", r->name);
	snprintf(line, size, "%-24s %-6s %-9s %8" PRIu64 " %8s %6" PRIu64
	    " %6s %7s %7s %4" PRIu64 " %5s %8s  %s", name, r->kind,
	    r->state[0] != '\0' ? r->state : "-", r->calls,
	    top_num(b[0], sizeof b[0], "%.1f", secs > 0 ?
	    (double)calls / secs : -1), r->errors,
	    top_num(b[1], sizeof b[1], "%.1f", secs > 0 ?
	    (double)errs / secs : -1),
	    top_num(b[2], sizeof b[2], "%.2f", top_quantile_ms(cur, d, 0.5)),
	    top_num(b[3], sizeof b[3], "%.2f", top_quantile_ms(cur, d, 0.99)),
	    r->outstanding, top_num(b[4], sizeof b[4], "%.1f", cpu),
	    top_num(b[5], sizeof b[5], "%.0f", (double)r->memory_kb),
	    r->detail);
}

void
top_frame(const struct top_sample *cur, const struct top_sample *prev,
    size_t width, void (*emit)(void *, const char *), void *arg)
{
	char		line[1024];
	double		secs;
	uint64_t	up = cur->uptime_us / 1000000;
	size_t		i;

	secs = prev != NULL && cur->uptime_us > prev->uptime_us ?
	    (double)(cur->uptime_us - prev->uptime_us) / 1e6 :
	    (double)cur->uptime_us / 1e6;
	if (width >= sizeof line)
		width = sizeof line - 1;
	snprintf(line, sizeof line, "baltic top: %zu farm%s, %zu partition%s; "
	    "balticd up %" PRIu64 ":%02" PRIu64 ":%02" PRIu64 "; rates over "
	    "%.1f s", cur->nfarms, cur->nfarms == 1 ? "" : "s", cur->nparts,
	    cur->nparts == 1 ? "" : "s", up / 3600, up / 60 % 60, up % 60,
	    secs);
	line[width] = '\0';
	emit(arg, line);
	snprintf(line, sizeof line, "%-24s %-6s %-9s %8s %8s %6s %6s %7s %7s "
	    "%4s %5s %8s  %s", "NAME", "KIND", "STATE", "CALLS", "CALLS/S",
	    "ERRS", "ERR/S", "P50MS", "P99MS", "OUT", "CPU%", "MEM_KB",
	    "DETAIL");
	line[width] = '\0';
	emit(arg, line);
	for (i = 0; i < cur->nrows; i++) {
		top_line(line, sizeof line, cur, &cur->rows[i],
		    top_find(prev, cur->rows[i].key), secs);
		line[width] = '\0';
		emit(arg, line);
	}
}
