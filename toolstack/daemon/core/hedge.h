/*
 * hedge.h: the adaptive delay of a hedged par (`par hedge pN`): a running
 * estimate of the N-th percentile of the latency of the par's answers,
 * over a window of the last HEDGE_WINDOW successful answers of its
 * branches.  Held by the par's node, made once with the graph: adding a
 * sample and reading the delay allocate nothing; the percentile is
 * recomputed every HEDGE_EVERY samples, not per call.  The first estimate
 * waits for enough samples that the percentile leaves the slowest one
 * out (20 for p95, 100 for p99): over fewer it is their maximum, and one
 * cold start (a handler started by its partition's first call) would set
 * a delay longer than a late branch, whose answers then win and hold the
 * estimate there.
 */
#ifndef BALTIC_HEDGE_H
#define BALTIC_HEDGE_H

#include <stdint.h>

#define HEDGE_WINDOW	128	/* samples kept */
#define HEDGE_EVERY	16	/* new samples per recomputation */
#define HEDGE_COLD_US	10000	/* the delay before the first estimate */
#define HEDGE_FLOOR_US	1000	/* never hedge sooner than this */

struct hedge_est {
	uint32_t	lat_us[HEDGE_WINDOW];	/* a ring */
	unsigned	n;		/* samples held, up to HEDGE_WINDOW */
	unsigned	next;		/* where the next one goes */
	unsigned	fresh;		/* added since delay_us was computed */
	unsigned	pct;		/* the percentile, 50 to 99 */
	unsigned	first;		/* samples before the first estimate */
	uint32_t	delay_us;	/* the current estimate */
};

void		hedge_est_init(struct hedge_est *, unsigned pct);
/* One successful answer of a branch, us after it was sent. */
void		hedge_est_add(struct hedge_est *, uint64_t us);
/* The delay now: the percentile, at least HEDGE_FLOOR_US. */
uint32_t	hedge_est_delay_us(const struct hedge_est *);

#endif /* BALTIC_HEDGE_H */
