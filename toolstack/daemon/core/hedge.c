/*
 * hedge.c: the running percentile behind `par hedge pN` (hedge.h).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/core/hedge.h"

void
hedge_est_init(struct hedge_est *h, unsigned pct)
{
	memset(h, 0, sizeof *h);
	h->pct = pct;
	h->delay_us = HEDGE_COLD_US;
	/* ceil(n * pct / 100) <= n - 1 from n = 100 / (100 - pct) on */
	h->first = (100 + (100 - pct) - 1) / (100 - pct);
	if (h->first < HEDGE_EVERY)
		h->first = HEDGE_EVERY;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The percentile of the window, from a sorted copy on the stack. */
static uint32_t
hedge_est_compute(const struct hedge_est *h)
{
	uint32_t	v[HEDGE_WINDOW];
	size_t		k;

	memcpy(v, h->lat_us, h->n * sizeof v[0]);
	qsort(v, h->n, sizeof v[0], cmp_u32);
	k = ((size_t)h->n * h->pct + 99) / 100;
	return v[k > 0 ? k - 1 : 0];
}

void
hedge_est_add(struct hedge_est *h, uint64_t us)
{
	h->lat_us[h->next] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	h->next = (h->next + 1) % HEDGE_WINDOW;
	if (h->n < HEDGE_WINDOW)
		h->n++;
	if (++h->fresh < HEDGE_EVERY || h->n < h->first)
		return;
	h->fresh = 0;
	h->delay_us = hedge_est_compute(h);
}

uint32_t
hedge_est_delay_us(const struct hedge_est *h)
{
	return h->delay_us < HEDGE_FLOOR_US ? HEDGE_FLOOR_US : h->delay_us;
}
