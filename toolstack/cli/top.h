/*
 * top.h: `baltic top` (cmd-top.c) and its frames (top-rows.c).  A
 * sample is balticd's answer to CTL_CMD_STATS flattened into rows: a
 * farm, its exports, its bindings (or, par, ref, remote) and its
 * partitions.  A frame shows each row of the newest sample against the
 * same row of the one before: calls and errors per second, the median
 * and 99th percentile latency of the calls answered in between, and a
 * partition's share of a CPU.
 */
#ifndef BALTIC_TOP_H
#define BALTIC_TOP_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#define TOP_BUCKETS_MAX	32

struct top_row {
	char		 key[320];	/* farm, kind and name: matches the
					 * same row in another sample */
	int		 depth;		/* 0 farm, 1 below it */
	char		 kind[8];	/* farm export or par ref remote vm */
	char		 name[128];
	char		 state[12];	/* a partition's; else "" */
	char		 detail[192];	/* per kind: branches, target... */
	uint64_t	 calls, errors, outstanding;
	uint64_t	 buckets[TOP_BUCKETS_MAX];
	int64_t		 cpu_ns;	/* -1: not known */
	int64_t		 memory_kb;	/* -1: not known */
};

struct top_sample {
	uint64_t	 uptime_us;	/* balticd's, at the sample */
	uint64_t	 bounds_us[TOP_BUCKETS_MAX];
	size_t		 nbuckets;	/* bounds, and +Inf */
	size_t		 nfarms, nparts;
	struct top_row	*rows;
	size_t		 nrows;
};

/* The rows of a stats answer; 0, or -1 with a message on stderr if it
 * is not one.  _dispose is idempotent. */
int	top_sample_read(struct top_sample *, yajl_val answer);
void	top_sample_dispose(struct top_sample *);

/*
 * The frame of cur against prev (NULL: against balticd's start, when
 * every counter was 0), at most width columns a line, each line given
 * to emit in order.
 */
void	top_frame(const struct top_sample *cur, const struct top_sample *prev,
	    size_t width, void (*emit)(void *, const char *), void *arg);

/* The q-quantile (0 < q < 1) in milliseconds of the calls counted in
 * the bucket counts d (the difference of two samples), by linear
 * interpolation in its bucket; -1 if there are none. */
double	top_quantile_ms(const struct top_sample *, const uint64_t *d, double q);

#endif /* BALTIC_TOP_H */
