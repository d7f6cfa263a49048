/*
 * lifecycle.c: a farm's life in balticd: made (its graph over its
 * partitions) and let go (what its exports, adopted calls, partitions
 * and graph hold, in that order).
 */
#include <sys/queue.h>

#include <stdlib.h>

#include <event2/event.h>

#include "backend/backend.h"
#include "daemon/cluster.h"
#include "daemon/daemon.h"

/* A partition of inst, told the host it runs on (peer.c). */
static struct part *
part_new_placed(struct farm_run *f, struct farm_instance *inst)
{
	struct part	*p;

	/* In a cluster, where the farm's record places it. */
	if ((p = part_new(f, inst)) != NULL)
		p->host = f->d->cluster != NULL ? cluster_place_of(f, inst) :
		    peer_place(f->d, inst);
	return p;
}

/*
 * The running form of a checked farm, its partitions made but not
 * started; file is the result's from now on.
 */
struct farm_run *
farm_run_new(struct daemon *d, struct farm_file *file, struct farm *farm,
    const char *path, const char *source, size_t len)
{
	return graph_new(d, file, farm, path, source, len, part_new_placed);
}

/* Free a farm whose partitions are already destroyed. */
void
farm_run_free(struct farm_run *f)
{
	struct part	*p;
	size_t		 i;

	if (f == NULL)
		return;
	adopt_farm_gone(f);
	peer_farm_gone(f);
	elastic_free(f);
	if (f->drain_ev != NULL)
		event_free(f->drain_ev);
	for (i = 0; i < f->nexports; i++)
		export_stop(&f->exports[i]);
	while ((p = TAILQ_FIRST(&f->parts)) != NULL) {
		TAILQ_REMOVE(&f->parts, p, entry);
		if (p->bdata != NULL && f->d->backend->forget != NULL)
			f->d->backend->forget(f->d->bctx, p);
		part_free(p);
	}
	while ((p = TAILQ_FIRST(&f->peer_parts)) != NULL) {
		TAILQ_REMOVE(&f->peer_parts, p, entry);
		part_free(p);
	}
	while ((p = TAILQ_FIRST(&f->retired)) != NULL) {
		TAILQ_REMOVE(&f->retired, p, entry);
		if (p->bdata != NULL && f->d->backend->forget != NULL)
			f->d->backend->forget(f->d->bctx, p);
		part_free(p);
	}
	graph_free(f);
}
