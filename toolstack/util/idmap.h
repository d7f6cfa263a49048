/*
 * idmap.h: call id -> pointer, for the calls in flight on one channel.
 * Open addressing with linear probing and backward-shift deletion: no
 * allocation per call once the table has grown to the working set.
 */
#ifndef BALTIC_IDMAP_H
#define BALTIC_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
	uint32_t	 id;		/* 0: empty */
	void		*val;
};

struct idmap {
	struct idmap_slot	*v;
	size_t			 cap;	/* power of two, or 0 */
	size_t			 n;
};

void	 idmap_init(struct idmap *);
void	 idmap_dispose(struct idmap *);
/* id must be non-zero and absent; 0, or -1 when out of memory. */
int	 idmap_put(struct idmap *, uint32_t id, void *val);
void	*idmap_get(const struct idmap *, uint32_t id);
/* Remove and return the value; NULL if absent. */
void	*idmap_del(struct idmap *, uint32_t id);
/* Any one entry (for draining), or 0 when empty. */
uint32_t idmap_any(const struct idmap *);
/* For maps whose values are expiry times (uintptr_t): remove up to 64
 * of those before now, a few at a time so that no call waits long. */
void	 idmap_prune(struct idmap *, uintptr_t now);

#endif /* BALTIC_IDMAP_H */
