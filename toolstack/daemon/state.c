/*
 * state.c: a running farm's state in the store, written before it is
 * acted on (farm_run_save), and the farms brought back from it when balticd
 * starts (daemon_restore).  Nothing else writes the store.
 */
#include <sys/queue.h>

#include <stdbool.h>
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

static void
gen_part(yajl_gen g, const struct part *p)
{
	gen_str(g, p->name);
	yajl_gen_map_open(g);
	if (p->inst != NULL) {
		gen_str(g, "instance");
		gen_str(g, p->inst->name);
	}
	gen_str(g, "pid");
	yajl_gen_integer(g, p->pid);
	gen_str(g, "domid");
	yajl_gen_integer(g, p->domid);
	gen_str(g, "cut");
	yajl_gen_bool(g, p->state == PART_CUT);
	gen_str(g, "retired");
	yajl_gen_bool(g, p->retired);
	gen_str(g, "staged");
	yajl_gen_bool(g, p->staged);
	yajl_gen_map_close(g);
}

/*
 * Write the farm's state to the store: its source, the path it came
 * from, each partition's instance, pid/domid/state, each ref's target.
 * Written before the daemon acts on it, so a restarted balticd finds
 * everything.  The state names its source by hash and is written last:
 * an apply (apply.c) has happened once its state is written.
 * Partitions an apply took out are listed while they run, so that a
 * restarted balticd finds and destroys them.
 */
int
farm_run_save(struct farm_run *f)
{
	struct daemon		*d = f->d;
	yajl_gen		 g;
	const unsigned char	*buf;
	size_t			 len, i;
	struct part		*p;
	char			 key[256], hash[17];
	int			 rc = -1;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return -1;
	yajl_gen_map_open(g);
	gen_str(g, "path");
	gen_str(g, f->path);
	snprintf(hash, sizeof hash, "%016llx",
	    (unsigned long long)fnv1a64(f->source, f->sourcelen));
	gen_str(g, "source_hash");
	gen_str(g, hash);
	gen_str(g, "partitions");
	yajl_gen_map_open(g);
	TAILQ_FOREACH(p, &f->parts, entry)
		gen_part(g, p);
	TAILQ_FOREACH(p, &f->retired, entry)
		if (p->pid > 0 || p->domid >= 0)
			gen_part(g, p);
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

/*
 * Journal an apply of f to source (from path) before it is acted on:
 * both definitions, so that a restarted balticd brings back the one its
 * state was last written for, whichever that is.
 */
int
farm_run_save_apply(struct farm_run *f, const char *source, size_t len,
    const char *path)
{
	yajl_gen		 g;
	const unsigned char	*buf;
	size_t			 blen;
	char			 key[256];
	int			 rc;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return -1;
	yajl_gen_map_open(g);
	gen_str(g, "old");
	yajl_gen_string(g, (const unsigned char *)f->source, f->sourcelen);
	gen_str(g, "new");
	yajl_gen_string(g, (const unsigned char *)source, len);
	gen_str(g, "path");
	gen_str(g, path);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &blen);
	snprintf(key, sizeof key, "farms/%s/apply", f->name);
	rc = f->d->store->put(f->d->sctx, key, buf, blen);
	if (rc == -1)
		log_warn("%s: cannot journal the apply", f->name);
	yajl_gen_free(g);
	return rc;
}

int
farm_run_forget_apply(struct farm_run *f)
{
	char	key[256];

	snprintf(key, sizeof key, "farms/%s/apply", f->name);
	return f->d->store->del(f->d->sctx, key);
}

int
farm_run_forget(struct farm_run *f)
{
	char	key[256];

	snprintf(key, sizeof key, "farms/%s", f->name);
	return f->d->store->del(f->d->sctx, key);
}

/*
 * Which definition a stored farm runs: its source, unless an apply was
 * journalled and not finished; then the one of the apply's two its
 * state was last written for (the old one if the apply had not yet
 * made its new partitions the farm's, else the new one).  *text_r is
 * the caller's; NULL if the store has no source.
 */
static void
restore_source(struct daemon *d, const char *name, yajl_val state,
    char **text_r, size_t *len_r, bool *applied_r)
{
	char		 key[256], *ap = NULL, ebuf[256];
	size_t		 aplen;
	yajl_val	 apt = NULL;
	const char	*want = json_str(state, "source_hash"), *t;
	const char	*which[] = { "new", "old" };
	unsigned long long h;
	size_t		 i;

	*text_r = NULL;
	*applied_r = false;
	snprintf(key, sizeof key, "farms/%s/apply", name);
	if (want != NULL && sscanf(want, "%16llx", &h) == 1 &&
	    d->store->get(d->sctx, key, &ap, &aplen) == 0 &&
	    (apt = yajl_tree_parse(ap, ebuf, sizeof ebuf)) != NULL) {
		*applied_r = true;
		for (i = 0; i < 2; i++) {
			if ((t = json_str(apt, which[i])) == NULL ||
			    fnv1a64(t, strlen(t)) != h)
				continue;
			log_info("%s: an apply was under way: back to the %s "
			    "definition", name, i == 0 ? "new" : "old");
			if ((*text_r = strdup(t)) == NULL)
				fatal("%s", __func__);
			*len_r = strlen(t);
			break;
		}
	}
	yajl_tree_free(apt);
	free(ap);
	if (*text_r == NULL) {
		snprintf(key, sizeof key, "farms/%s/source", name);
		if (d->store->get(d->sctx, key, text_r, len_r) == -1)
			*text_r = NULL;
	}
}

/* The stored partition p of f is, by name, else by instance (a
 * replacement NAME.N): its record, and p takes its name.  used marks
 * the records taken. */
static yajl_val
restore_match(struct part *p, yajl_val parts, bool *used)
{
	yajl_val	 v;
	const char	*inst;
	size_t		 i, pass;

	if (parts == NULL)
		return NULL;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < parts->u.object.len; i++) {
			v = parts->u.object.values[i];
			if (used[i] || !YAJL_IS_OBJECT(v) ||
			    json_true(v, "retired") || json_true(v, "staged"))
				continue;
			inst = json_str(v, "instance");
			if (pass == 0 ? strcmp(parts->u.object.keys[i],
			    p->name) != 0 : (inst == NULL ||
			    strcmp(inst, p->inst->name) != 0))
				continue;
			used[i] = true;
			if (pass == 1) {
				free(p->name);
				if ((p->name = strdup(parts->u.object.keys[i]))
				    == NULL)
					fatal("%s", __func__);
			}
			return v;
		}
	return NULL;
}

/* Stored partitions f does not have (taken out by an apply, or made
 * by one that did not finish): found again, to drain the calls an
 * earlier balticd had sent them (adopt.c), then destroyed. */
static void
restore_destroy_strays(struct farm_run *f, yajl_val parts, const bool *used)
{
	struct daemon	*d = f->d;
	struct part	*p;
	yajl_val	 v;
	char		*err = NULL;
	size_t		 i;

	for (i = 0; parts != NULL && i < parts->u.object.len; i++) {
		v = parts->u.object.values[i];
		if (used[i] || !YAJL_IS_OBJECT(v) ||
		    (json_int(v, "pid", 0) <= 0 && json_int(v, "domid", -1) < 0))
			continue;
		if ((p = part_new_named(f, NULL, parts->u.object.keys[i]))
		    == NULL)
			fatal("%s", __func__);
		p->retired = true;
		p->pid = (pid_t)json_int(v, "pid", 0);
		p->domid = (int)json_int(v, "domid", -1);
		TAILQ_INSERT_TAIL(&f->retired, p, entry);
		if (d->backend->reattach(d->bctx, p, &err) == 0) {
			log_info("%s: not in farm %s as it now is: drained, "
			    "then destroyed", p->name, f->name);
			p->state = PART_STARTING;
		} else {
			p->state = PART_DEAD;
			p->pid = 0;
			p->domid = -1;
		}
		free(err);
		err = NULL;
	}
	farm_run_drain(f);
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
	bool			*used = NULL, applied;
	int			 rc = -1;

	farm_diags_init(&diags);
	snprintf(key, sizeof key, "farms/%s/state", name);
	if (d->store->get(d->sctx, key, &st, &stlen) == -1)
		goto out;
	if ((tree = yajl_tree_parse(st, ebuf, sizeof ebuf)) == NULL ||
	    (path = json_str(tree, "path")) == NULL)
		goto out;
	restore_source(d, name, tree, &src, &srclen, &applied);
	if (src == NULL)
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
	if ((used = calloc(parts != NULL ? parts->u.object.len + 1 : 1,
	    sizeof *used)) == NULL)
		fatal("%s", __func__);
	TAILQ_FOREACH(p, &f->parts, entry) {
		if ((pv = restore_match(p, parts, used)) == NULL)
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
	restore_destroy_strays(f, parts, used);
	elastic_start(f);
	if (applied) {
		/* The farm is one definition again: journalled as such. */
		farm_run_save(f);
		farm_run_forget_apply(f);
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
	free(used);
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
