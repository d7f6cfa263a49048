/*
 * place.h: which host runs each instance of a farm, decided from what
 * the live hosts report.  A pure function: no I/O, no clock, no
 * randomness, so every balticd of a cluster that sees the same hosts
 * and items computes the same placement.
 *
 * The rules (baltic.farm(5), Placement):
 *   - an item whose cur is a live host that still matches its pin stays
 *     there: a placement never churns running partitions;
 *   - the others, in input order, pinned ones first and then the
 *     unpinned, each go to the matching host with the most free memory
 *     that has room for it, ties to the name first in strcmp order;
 *   - each item placed takes its memory from its host's free memory
 *     before the next is placed.
 * A host matches a pin when its name or one of its labels equals it; an
 * unpinned item matches every host.
 *
 * Memory convention: a host's free_mb is what it reports, and so
 * already leaves out the memory of the partitions running on it.  An
 * item that stays is not counted again; an item that moves off a live
 * host gives nothing back to it (its old partition runs until its
 * replacement is up).
 */
#ifndef BALTIC_PLACE_H
#define BALTIC_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A live host: dead ones are not passed at all. */
struct place_host {
	const char		*name;		/* unique among the hosts */
	const char *const	*labels;
	size_t			 nlabels;
	int64_t			 free_mb;	/* as reported; may be < 0 */
};

/* An instance to place. */
struct place_item {
	const char	*name;		/* for messages */
	const char	*on;		/* a host name or label; NULL: any */
	int64_t		 mem_mb;	/* >= 0 */
	const char	*cur;		/* the host it runs on now; NULL:
					 * none (or a host that died) */
};

/*
 * Place nitems items on nhosts hosts: 0, with host_r[i] (an array of
 * nitems) set to hosts[h].name for item i; or -1 with *err_r, caller
 * freed, naming the item that cannot be placed and why ("no live host
 * matches \"xen-c\" for farm-s-3", "no host has 512 MiB free for
 * farm-s-3 (the most is 300 MiB, on xen-a)"), or a host listed twice,
 * or NULL when out of memory.  On failure host_r is unspecified.  The
 * result depends neither on the order of hosts nor on that of labels.
 */
int	place(const struct place_host *hosts, size_t nhosts,
	    const struct place_item *items, size_t nitems,
	    const char **host_r, char **err_r);

/* Does a host (its name and labels) match pin on (NULL: any)? */
bool	place_matches(const char *name, const char *const *labels,
	    size_t nlabels, const char *on);

#endif /* BALTIC_PLACE_H */
