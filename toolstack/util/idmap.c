/* idmap.c: see idmap.h. */
#include <stdlib.h>

#include "util/idmap.h"

void
idmap_init(struct idmap *m)
{
	m->v = NULL;
	m->cap = 0;
	m->n = 0;
}

void
idmap_dispose(struct idmap *m)
{
	free(m->v);
	idmap_init(m);
}

static size_t
slot_of(uint32_t id, size_t cap)
{
	return (size_t)(id * 2654435761u) & (cap - 1);
}

static int
idmap_grow(struct idmap *m)
{
	struct idmap_slot	*old = m->v, *nv;
	size_t			 oldcap = m->cap, cap, i, j;

	cap = oldcap == 0 ? 16 : oldcap * 2;
	if ((nv = calloc(cap, sizeof *nv)) == NULL)
		return -1;
	for (i = 0; i < oldcap; i++) {
		if (old[i].id == 0)
			continue;
		for (j = slot_of(old[i].id, cap); nv[j].id != 0;
		    j = (j + 1) & (cap - 1))
			;
		nv[j] = old[i];
	}
	free(old);
	m->v = nv;
	m->cap = cap;
	return 0;
}

int
idmap_put(struct idmap *m, uint32_t id, void *val)
{
	size_t	j;

	if ((m->n + 1) * 4 > m->cap * 3 && idmap_grow(m) == -1)
		return -1;
	for (j = slot_of(id, m->cap); m->v[j].id != 0; j = (j + 1) & (m->cap - 1))
		if (m->v[j].id == id)
			return -1;
	m->v[j].id = id;
	m->v[j].val = val;
	m->n++;
	return 0;
}

static size_t
idmap_find(const struct idmap *m, uint32_t id)
{
	size_t	j;

	if (m->cap == 0 || id == 0)
		return (size_t)-1;
	for (j = slot_of(id, m->cap); m->v[j].id != 0; j = (j + 1) & (m->cap - 1))
		if (m->v[j].id == id)
			return j;
	return (size_t)-1;
}

void *
idmap_get(const struct idmap *m, uint32_t id)
{
	size_t	j = idmap_find(m, id);

	return j == (size_t)-1 ? NULL : m->v[j].val;
}

void *
idmap_del(struct idmap *m, uint32_t id)
{
	size_t	 i = idmap_find(m, id), j, k, mask = m->cap - 1;
	void	*val;

	if (i == (size_t)-1)
		return NULL;
	val = m->v[i].val;
	m->v[i].id = 0;
	m->n--;
	/* Backward shift: pull later members of the cluster into the hole. */
	for (j = (i + 1) & mask; m->v[j].id != 0; j = (j + 1) & mask) {
		k = slot_of(m->v[j].id, m->cap);
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			m->v[i] = m->v[j];
			m->v[j].id = 0;
			i = j;
		}
	}
	return val;
}

uint32_t
idmap_any(const struct idmap *m)
{
	size_t	i;

	for (i = 0; i < m->cap; i++)
		if (m->v[i].id != 0)
			return m->v[i].id;
	return 0;
}

void
idmap_prune(struct idmap *m, uintptr_t now)
{
	uint32_t	 old[64];
	size_t		 i, n = 0;

	for (i = 0; i < m->cap && n < 64; i++)
		if (m->v[i].id != 0 && (uintptr_t)m->v[i].val < now)
			old[n++] = m->v[i].id;
	for (i = 0; i < n; i++)
		idmap_del(m, old[i]);
}
