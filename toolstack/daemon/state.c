/*
 * state.c: a running farm's state in the store, written before it is
 * acted on (farm_run_save), and the farms brought back from it when balticd
 * starts (daemon_restore).  Nothing else writes the store.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"
#include "daemon/daemon.h"
#include "keep/keep.h"
#include "log.h"
#include "util/util.h"

static void
gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/*
 * Write the farm's state to the store: its source, the path it came
 * from, each partition's pid/domid/state, each ref's target.  Written
 * before the daemon acts on it, so a restarted balticd finds everything.
 */
int
farm_run_save(struct farm_run *f)
{
	struct daemon		*d = f->d;
	yajl_gen		 g;
	const unsigned char	*buf;
	size_t			 len, i;
	struct part		*p;
	char			 key[256];
	int			 rc = -1;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return -1;
	yajl_gen_map_open(g);
	gen_str(g, "path");
	gen_str(g, f->path);
	gen_str(g, "partitions");
	yajl_gen_map_open(g);
	TAILQ_FOREACH(p, &f->parts, entry) {
		gen_str(g, p->name);
		yajl_gen_map_open(g);
		gen_str(g, "pid");
		yajl_gen_integer(g, p->pid);
		gen_str(g, "domid");
		yajl_gen_integer(g, p->domid);
		gen_str(g, "cut");
		yajl_gen_bool(g, p->state == PART_CUT);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	gen_str(g, "refs");
	yajl_gen_map_open(g);
	for (i = 0; i < f->farm->nbindings; i++) {
		struct node *n = f->bind_nodes[i];

		if (n->kind == NODE_REF && n->u.ref.text != NULL) {
			gen_str(g, f->farm->bindings[i].name);
			gen_str(g, n->u.ref.text);
		}
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);

	snprintf(key, sizeof key, "farms/%s/source", f->name);
	if (d->store->put(d->sctx, key, f->source, f->sourcelen) == -1)
		goto out;
	snprintf(key, sizeof key, "farms/%s/state", f->name);
	if (d->store->put(d->sctx, key, buf, len) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		log_warn("%s: cannot write state", f->name);
	yajl_gen_free(g);
	return rc;
}

int
farm_run_forget(struct farm_run *f)
{
	char	key[256];

	snprintf(key, sizeof key, "farms/%s", f->name);
	return f->d->store->del(f->d->sctx, key);
}

/* Bring one stored farm back: its graph, refs and live partitions. */
static int
daemon_restore_farm(struct daemon *d, const char *name)
{
	char			 key[256], *src = NULL, *st = NULL, *err = NULL;
	size_t			 srclen, stlen, i;
	yajl_val		 tree = NULL, parts, refs, pv;
	struct farm_diags	 diags;
	struct farm_file	*file = NULL;
	struct farm		*farm;
	struct farm_run		*f;
	struct part		*p;
	const char		*path, *rpath[] = { "refs", NULL };
	const char		*ppath[] = { "partitions", NULL };
	char			 ebuf[256];
	int			 rc = -1;

	farm_diags_init(&diags);
	snprintf(key, sizeof key, "farms/%s/source", name);
	if (d->store->get(d->sctx, key, &src, &srclen) == -1)
		goto out;
	snprintf(key, sizeof key, "farms/%s/state", name);
	if (d->store->get(d->sctx, key, &st, &stlen) == -1)
		goto out;
	if ((tree = yajl_tree_parse(st, ebuf, sizeof ebuf)) == NULL ||
	    (path = json_str(tree, "path")) == NULL)
		goto out;
	file = farm_parse(path, src, srclen, &diags);
	if (farm_check(file, &diags) > 0 ||
	    (farm = farm_find_farm(file, name)) == NULL)
		goto out;
	f = farm_run_new(d, file, farm, path, src, srclen);
	file = NULL;
	f->restored_us = d->started_us;
	TAILQ_INSERT_TAIL(&d->farms, f, entry);
	if ((refs = yajl_tree_get(tree, rpath, yajl_t_object)) != NULL) {
		for (i = 0; i < refs->u.object.len; i++) {
			const char *t = YAJL_GET_STRING(refs->u.object.values[i]);

			if (t != NULL && farm_run_set_ref(f,
			    refs->u.object.keys[i], t, &err) == -1) {
				log_warnx("%s: ref %s: %s", name,
				    refs->u.object.keys[i], err);
				free(err);
				err = NULL;
			}
		}
	}
	parts = yajl_tree_get(tree, ppath, yajl_t_object);
	TAILQ_FOREACH(p, &f->parts, entry) {
		const char	*pp[] = { p->name, NULL };

		pv = parts != NULL ? yajl_tree_get(parts, pp, yajl_t_object) :
		    NULL;
		if (pv == NULL)
			continue;
		p->pid = (pid_t)json_int(pv, "pid", 0);
		p->domid = (int)json_int(pv, "domid", -1);
		if (json_true(pv, "cut")) {
			/* Cut: it waits for paste (local: a stopped
			 * process; xen: a saved image, no domain). */
			p->state = PART_CUT;
			if (d->backend->reattach(d->bctx, p, &err) == -1)
				free(err);
			err = NULL;
			log_info("%s: cut; waits for paste", p->name);
			continue;
		}
		if (d->backend->reattach(d->bctx, p, &err) == -1) {
			log_warnx("%s: cannot re-attach: %s", p->name,
			    err != NULL ? err : "gone");
			free(err);
			err = NULL;
			part_died(p, "not found after daemon restart");
		} else
			log_info("%s: re-attached", p->name);
	}
	for (i = 0; i < f->nexports; i++) {
		if (export_start(f, &f->exports[i], &err) == -1) {
			log_warnx("%s: %s", name, err);
			free(err);
			err = NULL;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		log_warnx("farm %s: stored state unusable; left alone", name);
	yajl_tree_free(tree);
	farm_file_free(file);
	farm_diags_dispose(&diags);
	free(src);
	free(st);
	return rc;
}

/*
 * At start: re-attach to every farm the store knows, with the listening
 * sockets and the calls in flight the keeper holds, if one runs.
 */
int
daemon_restore(struct daemon *d)
{
	char	**names = NULL;
	size_t	  n = 0, i;

	keep_fetch(d->keep);
	if (d->store->list(d->sctx, "farms", &names, &n) == -1)
		n = 0;
	for (i = 0; i < n; i++) {
		if (farm_run_find(d, names[i]) == NULL)
			daemon_restore_farm(d, names[i]);
		free(names[i]);
	}
	free(names);
	adopt_calls(d);
	return 0;
}
