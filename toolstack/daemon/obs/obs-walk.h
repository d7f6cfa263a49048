/*
 * obs-walk.h: what the two views of the counters share: the control
 * command stats (obs-json.c) and Prometheus' /metrics (obs-prom.c).
 * Both walk the farms the same way: exports, then every node that is
 * not a partition (the bindings: or, par, ref, remote), then the
 * partitions.
 */
#ifndef BALTIC_OBS_WALK_H
#define BALTIC_OBS_WALK_H

#include <stdint.h>

struct daemon;
struct node;
struct part;
struct part_usage;

/* "or", "par", "ref", "remote" or "vm": the label combinator. */
const char	*obs_node_kind(const struct node *);

/* The partition's CPU and memory from its backend: 0, or -1 if the
 * backend cannot tell (no such op, not running). */
int		 obs_part_usage(struct daemon *, const struct part *,
		    struct part_usage *);

#endif /* BALTIC_OBS_WALK_H */
