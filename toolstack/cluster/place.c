/*
 * place.c: place(), which host runs each instance (the rules are in
 * place.h).  Hosts are visited in name order, so a tie always goes the
 * same way whatever order the hosts came in.  Hosts times items steps:
 * nothing for the tens of hosts and hundreds of instances of a farm.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/place.h"

#define NO_HOST	SIZE_MAX

/* One run: the hosts in name order and their free memory so far. */
struct placer {
	const struct place_host	*hosts;
	size_t			 nhosts;
	size_t			*order;		/* indices, by name */
	int64_t			*free_mb;	/* by index */
};

/* qsort_r's order of host indices: by the names of hosts (arg). */
static int
by_name(const void *a, const void *b, void *arg)
{
	const struct place_host	*hosts = arg;

	return strcmp(hosts[*(const size_t *)a].name,
	    hosts[*(const size_t *)b].name);
}

bool
place_matches(const char *name, const char *const *labels, size_t nlabels,
    const char *on)
{
	size_t	i;

	if (on == NULL || strcmp(name, on) == 0)
		return true;
	for (i = 0; i < nlabels; i++)
		if (strcmp(labels[i], on) == 0)
			return true;
	return false;
}

static bool
host_matches(const struct place_host *h, const char *on)
{
	return place_matches(h->name, h->labels, h->nlabels, on);
}

/*
 * The host matching on with the most free memory of those with mem_mb
 * free, the first by name on a tie; NO_HOST if none has room.  *most_r
 * is the matching host with the most free memory, room or not (NO_HOST:
 * none matches), for the message of a failure.
 */
static size_t
best_host(const struct placer *pl, const char *on, int64_t mem_mb,
    size_t *most_r)
{
	size_t	k, h, best = NO_HOST, most = NO_HOST;

	for (k = 0; k < pl->nhosts; k++) {
		h = pl->order[k];
		if (!host_matches(&pl->hosts[h], on))
			continue;
		if (most == NO_HOST || pl->free_mb[h] > pl->free_mb[most])
			most = h;
		if (pl->free_mb[h] >= mem_mb && (best == NO_HOST ||
		    pl->free_mb[h] > pl->free_mb[best]))
			best = h;
	}
	*most_r = most;
	return best;
}

/* Why it cannot be placed; caller frees (NULL: out of memory). */
static char *
place_why(const struct placer *pl, const struct place_item *it,
    size_t most)
{
	char	*s = NULL;
	int	 r;

	if (most == NO_HOST && it->on != NULL)
		r = asprintf(&s, "no live host matches \"%s\" for %s", it->on,
		    it->name);
	else if (most == NO_HOST)
		r = asprintf(&s, "no live host for %s", it->name);
	else
		r = asprintf(&s, "no host%s%s%s has %" PRId64 " MiB free "
		    "for %s (the most is %" PRId64 " MiB, on %s)",
		    it->on != NULL ? " matching \"" : "",
		    it->on != NULL ? it->on : "",
		    it->on != NULL ? "\"" : "", it->mem_mb, it->name,
		    pl->free_mb[most], pl->hosts[most].name);
	return r == -1 ? NULL : s;
}

/* Place the items not placed yet whose pin is (pinned) or is not there;
 * 0, or -1 with *err_r. */
static int
place_pass(struct placer *pl, const struct place_item *items, size_t nitems,
    bool pinned, const char **host_r, char **err_r)
{
	size_t	i, h, most;

	for (i = 0; i < nitems; i++) {
		if (host_r[i] != NULL || (items[i].on != NULL) != pinned)
			continue;
		h = best_host(pl, items[i].on, items[i].mem_mb, &most);
		if (h == NO_HOST) {
			*err_r = place_why(pl, &items[i], most);
			return -1;
		}
		pl->free_mb[h] -= items[i].mem_mb;
		host_r[i] = pl->hosts[h].name;
	}
	return 0;
}

/* The index of the host named name; NO_HOST if it is not live. */
static size_t
find_host(const struct placer *pl, const char *name)
{
	size_t	h;

	for (h = 0; name != NULL && h < pl->nhosts; h++)
		if (strcmp(pl->hosts[h].name, name) == 0)
			return h;
	return NO_HOST;
}

/* The hosts in name order, each name once; 0, or -1 with *err_r. */
static int
placer_init(struct placer *pl, const struct place_host *hosts,
    size_t nhosts, char **err_r)
{
	size_t	k;

	pl->hosts = hosts;
	pl->nhosts = nhosts;
	pl->order = calloc(nhosts + 1, sizeof *pl->order);
	pl->free_mb = calloc(nhosts + 1, sizeof *pl->free_mb);
	if (pl->order == NULL || pl->free_mb == NULL)
		return -1;
	for (k = 0; k < nhosts; k++) {
		pl->order[k] = k;
		pl->free_mb[k] = hosts[k].free_mb;
	}
	qsort_r(pl->order, nhosts, sizeof *pl->order, by_name,
	    (void *)hosts);
	for (k = 1; k < nhosts; k++)
		if (strcmp(hosts[pl->order[k]].name,
		    hosts[pl->order[k - 1]].name) == 0) {
			if (asprintf(err_r, "host \"%s\" is listed twice",
			    hosts[pl->order[k]].name) == -1)
				*err_r = NULL;
			return -1;
		}
	return 0;
}

int
place(const struct place_host *hosts, size_t nhosts,
    const struct place_item *items, size_t nitems, const char **host_r,
    char **err_r)
{
	struct placer	 pl = { NULL, 0, NULL, NULL };
	size_t		 i, h;
	int		 rc = -1;

	*err_r = NULL;
	if (placer_init(&pl, hosts, nhosts, err_r) == -1)
		goto out;
	for (i = 0; i < nitems; i++) {
		host_r[i] = NULL;
		if (items[i].mem_mb < 0) {
			if (asprintf(err_r, "memory of %s is negative (%"
			    PRId64 " MiB)", items[i].name, items[i].mem_mb)
			    == -1)
				*err_r = NULL;
			goto out;
		}
	}
	/* Those that stay first: their memory is in free_mb already. */
	for (i = 0; i < nitems; i++) {
		h = find_host(&pl, items[i].cur);
		if (h != NO_HOST && host_matches(&hosts[h], items[i].on))
			host_r[i] = hosts[h].name;
	}
	if (place_pass(&pl, items, nitems, true, host_r, err_r) == -1 ||
	    place_pass(&pl, items, nitems, false, host_r, err_r) == -1)
		goto out;
	rc = 0;
out:
	free(pl.order);
	free(pl.free_mb);
	return rc;
}
