/*
 * control-farm.c: the server half of the commands on whole farms:
 * create, destroy and list (ctl.h).  A create answers once every
 * partition is ready and every export is up, or tears the farm down.
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"
#include "chan.h"
#include "ctl.h"
#include "daemon/cluster.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "keep/keep.h"
#include "log.h"
#include "util/util.h"

/* ---- create ------------------------------------------------------------ */

/* Ends the farm: a create waiting for it, its exports and partitions,
 * its state and run directory; the keeper quits with the last farm.
 * done (unless NULL) hears once per partition destroyed; the count is
 * returned. */
unsigned
farm_teardown(struct farm_run *f, backend_done_fn *done, void *arg)
{
	struct daemon	*d = f->d;
	struct ctl	*c;
	struct part	*p;
	char		 dir[512];
	unsigned	 n = 0;
	size_t		 i;

	f->dying = true;
	apply_abort(f);
	if ((c = f->creating) != NULL) {
		/* A create still waiting for this farm ends here. */
		f->creating = NULL;
		f->part_changed = NULL;
		evtimer_del(c->tick);
		if (!c->answered)
			ctl_error(c, BALTIC_EXIT_FAIL, "farm %s was destroyed "
			    "before it was ready", f->name);
		c->farm = NULL;
		ctl_unref(c);
	}
	for (i = 0; i < f->nexports; i++)
		export_stop(&f->exports[i]);
	TAILQ_FOREACH(p, &f->parts, entry) {
		d->backend->destroy(d->bctx, p, done, arg);
		n++;
	}
	TAILQ_FOREACH(p, &f->retired, entry)
		if (p->state != PART_DEAD) {
			d->backend->destroy(d->bctx, p, done, arg);
			n++;
		}
	/* A cut in progress answers an error: its partition goes. */
	TAILQ_FOREACH(p, &f->parts, entry)
		if (p->cutting != NULL)
			p->cutting->part = NULL;
	TAILQ_FOREACH(p, &f->retired, entry)
		if (p->cutting != NULL)
			p->cutting->part = NULL;
	farm_run_forget(f);
	snprintf(dir, sizeof dir, "%s/%s", d->run_dir, f->name);
	rmdir(dir);
	TAILQ_REMOVE(&d->farms, f, entry);
	farm_run_free(f);
	if (TAILQ_EMPTY(&d->farms))
		keep_done(d->keep, true);	/* nothing to keep */
	return done != NULL ? n : 0;
}

/* A partition of a farm being created became ready or died: the create
 * looks again, from the loop (the partition's own code runs now). */
static void
create_part_changed(struct farm_run *f)
{
	if (f->creating != NULL)
		event_active(f->creating->tick, EV_TIMEOUT, 0);
}

/*
 * Where a create stands, run when one of its partitions became ready or
 * died (create_part_changed) and at its deadline: answered once every
 * partition is ready (the exports start then), or one died, or the
 * deadline passed.
 */
static void
create_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl	*c = arg;
	struct farm_run	*f = c->farm;
	struct part	*p;
	struct timeval	 tv;
	uint64_t	 now = now_us();
	char		*err = NULL;
	size_t		 i, ready = 0, n = 0;

	TAILQ_FOREACH(p, &f->parts, entry) {
		n++;
		if (p->state == PART_READY) {
			if (!p->announced) {
				p->announced = true;
				ctl_progress(c, "%s: ready (%s, pid %d)",
				    p->name, p->inst->role->name, (int)p->pid);
			}
			ready++;
		} else if (p->state == PART_DEAD) {
			ctl_error(c, BALTIC_EXIT_FAIL, "%s: %s; farm %s not "
			    "created", p->name, p->why ? p->why : "died",
			    f->name);
			goto fail;
		}
	}
	if (ready < n) {
		if (now >= c->deadline_us) {
			ctl_error(c, BALTIC_EXIT_TIMEOUT, "partitions not ready "
			    "after %u ms (%zu of %zu); farm %s not created",
			    c->d->create_timeout_ms, ready, n, f->name);
			goto fail;
		}
		/* Until the next change, or the deadline. */
		tv.tv_sec = (time_t)((c->deadline_us - now) / 1000000);
		tv.tv_usec = (suseconds_t)((c->deadline_us - now) % 1000000);
		evtimer_add(c->tick, &tv);
		return;
	}
	for (i = 0; i < f->nexports; i++) {
		if (export_start(f, &f->exports[i], &err) == -1) {
			ctl_error(c, BALTIC_EXIT_FAIL, "%s; farm %s not "
			    "created", err, f->name);
			free(err);
			goto fail;
		}
		if (f->exports[i].fe->addr != NULL &&
		    export_here(c->d, f->exports[i].fe))
			ctl_progress(c, "export %s.%s at http%s://%s/%s/%s/",
			    f->exports[i].fe->binding, f->exports[i].fe->iface,
			    f->exports[i].fe->tls ? "s" : "",
			    f->exports[i].fe->addr, f->name,
			    f->exports[i].fe->iface);
	}
	farm_run_save(f);
	ctl_ok(c, "created");
	f->creating = NULL;
	f->part_changed = NULL;
	c->farm = NULL;
	ctl_unref(c);
	return;
fail:
	cluster_abandon(c->d, f->name);	/* the others end it too */
	farm_teardown(f, NULL, NULL);	/* ends this create too */
}

/* Bind every export's address before any partition starts: a busy or
 * unbindable one is an error at its place in the file.  0, or -1 with
 * the error sent. */
static int
create_bind_exports(struct ctl *c, struct farm_run *f)
{
	struct farm_export	*fe;
	char			*err = NULL;
	size_t			 i;

	for (i = 0; i < f->nexports; i++) {
		fe = f->exports[i].fe;
		if (export_bind(f, &f->exports[i], &err) == 0)
			continue;
		ctl_error(c, BALTIC_EXIT_FAIL, "%s:%u:%u: error: export %s.%s: "
		    "%s; farm %s not created", fe->addr_loc.file,
		    fe->addr_loc.line, fe->addr_loc.col, fe->binding,
		    fe->iface, err != NULL ? err : "cannot listen", f->name);
		free(err);
		return -1;
	}
	return 0;
}

/*
 * Every operation a role exports has a handler in its image directory,
 * services/IFACE.OP or the persistent services/IFACE (baltic-agent(8)),
 * the same directory on both backends (mkrole copies it into the xen
 * image): else a located error per missing one, before anything starts,
 * instead of the first call's failure.  An image without a services
 * directory runs an agent of its own (tests/xen/farms/roles/hostile),
 * which answers for its handlers; an image that is not there is an
 * error, and so is a disk file that is not (a located error at its disk
 * line, as xl would find it only when the domain is built).  0, or -1
 * with the errors sent.
 */
int
ctl_check_roles(struct ctl *c, const struct farm *farm)
{
	const struct farm_role	*r;
	const struct farm_iface	*x;
	char			*buf = NULL, path[4096];
	size_t			 len = 0, i, j, k, o;
	FILE			*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return 0;
	for (i = 0; i < farm->ninstances; i++) {
		r = farm->instances[i].role;
		for (j = 0; j < i; j++)
			if (farm->instances[j].role == r)
				break;
		if (j < i || r->image_path == NULL)
			continue;	/* checked already, or no image */
		for (k = 0; k < r->ndisks; k++)
			if (access(r->disks[k].path, F_OK) == -1)
				fprintf(fp, "%s:%u:%u: error: role %s: disk %s: "
				    "%s\n", r->disks[k].loc.file,
				    r->disks[k].loc.line, r->disks[k].loc.col,
				    r->name, r->disks[k].path, strerror(errno));
		snprintf(path, sizeof path, "%s/services", r->image_path);
		if (access(r->image_path, F_OK) == -1)
			fprintf(fp, "%s:%u:%u: error: role %s: image %s: %s\n",
			    r->loc.file, r->loc.line, r->loc.col, r->name,
			    r->image_path, strerror(errno));
		if (access(path, F_OK) == -1)
			continue;
		for (k = 0; k < r->nexports; k++) {
			if ((x = r->exports[k].iface) == NULL)
				continue;
			snprintf(path, sizeof path, "%s/services/%s",
			    r->image_path, x->name);
			if (access(path, X_OK) == 0)
				continue;
			for (o = 0; o < x->nops; o++) {
				snprintf(path, sizeof path, "%s/services/%s.%s",
				    r->image_path, x->name, x->ops[o].name);
				if (access(path, X_OK) == 0)
					continue;
				fprintf(fp, "%s:%u:%u: error: role %s: no handler "
				    "for %s.%s in %s/services (an executable "
				    "%s.%s, or %s for all of %s)\n",
				    r->exports[k].loc.file, r->exports[k].loc.line,
				    r->exports[k].loc.col, r->name, x->name,
				    x->ops[o].name, r->image_path, x->name,
				    x->ops[o].name, x->name, x->name);
			}
		}
	}
	fclose(fp);
	if (len > 0)
		ctl_error(c, BALTIC_EXIT_FAIL, "%sfarm %s not created", buf,
		    farm->name);
	free(buf);
	return len > 0 ? -1 : 0;
}

/*
 * The checked farm of a request's file (CTL_K_PATH, CTL_K_TEXT, and
 * CTL_K_FARM if it has several): 0 with *file_r (caller frees) and
 * *farm_r in it, or -1 with the error sent.
 */
int
ctl_farm_of_req(struct ctl *c, yajl_val rq, struct farm_file **file_r,
    struct farm **farm_r)
{
	const char		*path = json_str(rq, CTL_K_PATH);
	const char		*text = json_str(rq, CTL_K_TEXT);
	const char		*want = json_str(rq, CTL_K_FARM);
	struct farm_diags	 diags;
	struct farm_file	*file = NULL;
	struct farm		*farm = NULL;
	char			*buf = NULL;
	int			 rc = -1;

	farm_diags_init(&diags);
	file = farm_parse(path, text, strlen(text), &diags);
	farm_check(file, &diags);
	if (diags.nerrors > 0) {
		buf = farm_diags_str(&diags);
		ctl_error(c, BALTIC_EXIT_FAIL, "%s", buf != NULL ? buf : "");
		goto out;
	}
	if (want != NULL)
		farm = farm_find_farm(file, want);
	else if (file->nfarms == 1)
		farm = &file->farms[0];
	if (farm == NULL) {
		if (want != NULL)
			ctl_error(c, BALTIC_EXIT_NOTFOUND, "%s has no farm %s",
			    path, want);
		else
			ctl_error(c, BALTIC_EXIT_USAGE, "%s has %zu farms; "
			    "choose one with -f", path, file->nfarms);
		goto out;
	}
	*file_r = file;
	*farm_r = farm;
	file = NULL;
	rc = 0;
out:
	farm_file_free(file);
	farm_diags_dispose(&diags);
	free(buf);
	return rc;
}

/*
 * Without a cluster, a pin must name this host (its --host, else its
 * host name up to the first dot): a located error per one that does
 * not, and -1.  With static peers (--host and --peer), peer.c places.
 */
static int
ctl_check_pins(struct ctl *c, const struct farm *farm)
{
	const struct farm_instance	*inst;
	char				 self[256], *dot;
	size_t				 i;

	if (c->d->cluster != NULL || c->d->host_name != NULL)
		return 0;
	if (gethostname(self, sizeof self) == -1)
		self[0] = '\0';
	self[sizeof self - 1] = '\0';
	if ((dot = strchr(self, '.')) != NULL)
		*dot = '\0';
	for (i = 0; i < farm->ninstances; i++) {
		inst = &farm->instances[i];
		if (inst->on == NULL || strcmp(inst->on, self) == 0)
			continue;
		ctl_error(c, BALTIC_EXIT_FAIL, "%s:%u:%u: error: %s is pinned "
		    "on \"%s\", and balticd runs alone on %s (no --cluster); "
		    "farm %s not created", inst->vm->u.vm.on_loc.file,
		    inst->vm->u.vm.on_loc.line, inst->vm->u.vm.on_loc.col,
		    inst->name, inst->on, self, farm->name);
		return -1;
	}
	return 0;
}

/* Create farm, of file (taken), from path and its text. */
void
ctl_create_farm(struct ctl *c, const char *path, const char *text,
    struct farm_file *file, struct farm *farm)
{
	struct daemon		*d = c->d;
	struct farm_run		*f;
	struct part		*p;
	char			*err = NULL;

	/* In a cluster, checked before the record was made. */
	if (d->cluster == NULL && (ctl_check_roles(c, farm) == -1 ||
	    ctl_check_pins(c, farm) == -1))
		goto out;
	if (c->dryrun) {
		ctl_ok(c, "dry run");
		goto out;
	}
	f = farm_run_new(d, file, farm, path, text, strlen(text));
	file = NULL;
	TAILQ_INSERT_TAIL(&d->farms, f, entry);
	/* The store knows the farm before any partition exists. */
	if (farm_run_save(f) == -1) {
		ctl_error(c, BALTIC_EXIT_FAIL, "cannot write farm state");
		farm_teardown(f, NULL, NULL);
		goto out;
	}
	if (create_bind_exports(c, f) == -1) {
		farm_teardown(f, NULL, NULL);
		goto out;
	}
	TAILQ_FOREACH(p, &f->parts, entry) {
		if (d->backend->create(d->bctx, p, &err) == -1) {
			ctl_error(c, BALTIC_EXIT_FAIL, "%s: %s; farm %s not "
			    "created", p->name, err != NULL ? err : "failed",
			    f->name);
			free(err);
			farm_teardown(f, NULL, NULL);
			goto out;
		}
		ctl_progress(c, "%s: created", p->name);
	}
	elastic_start(f);	/* pools grow to their smallest size */
	farm_run_save(f);
	c->farm = f;
	f->creating = c;
	f->part_changed = create_part_changed;
	c->refs++;
	c->deadline_us = now_us() + c->d->create_timeout_ms * 1000ULL;
	c->tick = evtimer_new(d->base, create_tick, c);
	event_active(c->tick, EV_TIMEOUT, 0);	/* all may be ready */
out:
	farm_file_free(file);
}

void
ctl_create(struct ctl *c, yajl_val rq)
{
	const char		*text = json_str(rq, CTL_K_TEXT);
	struct farm_file	*file = NULL;
	struct farm		*farm;
	struct farm_run		*f;

	if (ctl_farm_of_req(c, rq, &file, &farm) == -1)
		return;
	if ((f = farm_run_find(c->d, farm->name)) != NULL) {
		if (strcmp(f->source, text) == 0)
			ctl_ok(c, "already running");
		else
			ctl_error(c, BALTIC_EXIT_FAIL, "farm %s is already "
			    "running from another definition; use apply, or "
			    "destroy it first", farm->name);
		farm_file_free(file);
		return;
	}
	if (c->d->cluster != NULL)
		cluster_create(c, json_str(rq, CTL_K_PATH), text, file, farm);
	else
		ctl_create_farm(c, json_str(rq, CTL_K_PATH), text, file, farm);
}

/* ---- destroy ---------------------------------------------------------- */

/* One partition of the farm is gone (and once more when the teardown
 * returned): the last answers. */
static void
destroy_done(void *arg, int rc, const char *err)
{
	struct ctl	*c = arg;

	if (rc == -1)
		log_warnx("destroy: %s", err != NULL ? err : "failed");
	if (--c->pending > 0)
		return;
	chan_heap_release();	/* what its calls' buffers held */
	ctl_ok(c, "destroyed");
	ctl_unref(c);
}

void
ctl_destroy(struct ctl *c, yajl_val rq)
{
	const char	*fname = json_str(rq, CTL_K_FARM);

	if (fname == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "destroy: farm needed");
		return;
	}
	if (c->d->cluster != NULL)
		cluster_destroy(c, fname);	/* the record first */
	else
		ctl_destroy_here(c, fname);
}

void
ctl_destroy_here(struct ctl *c, const char *fname)
{
	struct farm_run	*f;

	if ((f = farm_run_find(c->d, fname)) == NULL) {
		ctl_ok(c, "no such farm: nothing to do");
		return;
	}
	/* Answered once every domain is gone, without holding the loop:
	 * other farms' calls go on meanwhile. */
	c->refs++;
	c->pending = farm_teardown(f, destroy_done, c) + 1;
	destroy_done(c, 0, NULL);
}

/* ---- list ------------------------------------------------------------- */

/* One partition: here, or in a cluster on another host (its state as
 * this host sees it: "remote" while the link to its host is up). */
static void
list_part(yajl_gen g, struct farm_run *f, struct part *p)
{
	struct daemon	*d = f->d;
	bool		 here = part_runs_here(p);

	yajl_gen_map_open(g);
	gkv(g, CTL_K_NAME, p->name);
	gkv(g, CTL_K_ROLE, p->inst->role->name);
	gkv(g, CTL_K_STATE, here ? part_state_name(p->state) :
	    peer_up(d, p->host) ? "remote" : "unreachable");
	if (d->host_name != NULL)	/* in a cluster */
		gkv(g, CTL_K_HOST, here ? d->host_name : p->host);
	gki(g, CTL_K_PID, p->pid);
	gki(g, CTL_K_DOMID, p->domid);
	gki(g, CTL_K_MEMORY, p->inst->role->memory);
	gki(g, CTL_K_SERVED, (long long)p->calls_served);
	gki(g, CTL_K_FAILED, (long long)p->calls_failed);
	gki(g, CTL_K_OUTSTANDING, p->node != NULL ?
	    p->node->outstanding : 0);
	gki(g, CTL_K_OUTSTANDING_MAX, p->node != NULL ?
	    p->node->outstanding_max : 0);
	gkv(g, CTL_K_WHY, !here || p->state == PART_READY ? NULL : p->why);
	gki(g, CTL_K_RESTARTS, p->restarts);
	gkv(g, CTL_K_REPLACED, p->replaced);
	yajl_gen_map_close(g);
}

static void
list_farm(yajl_gen g, struct farm_run *f)
{
	struct part	*p;
	size_t		 i;

	yajl_gen_map_open(g);
	gkv(g, CTL_K_NAME, f->name);
	gkv(g, CTL_K_PATH, f->path);
	gkv(g, CTL_K_BACKEND, f->d->backend->name);
	gki(g, CTL_K_CALLS, (long long)f->calls);
	gki(g, CTL_K_ERRORS, (long long)f->errors);
	gstr(g, CTL_K_PARTITIONS);
	yajl_gen_array_open(g);
	TAILQ_FOREACH(p, &f->parts, entry)
		list_part(g, f, p);
	TAILQ_FOREACH(p, &f->peer_parts, entry)
		list_part(g, f, p);
	yajl_gen_array_close(g);
	gstr(g, CTL_K_REFS);
	yajl_gen_array_open(g);
	for (i = 0; i < f->farm->nbindings; i++) {
		struct node *n = f->bind_nodes[i];

		if (n->kind != NODE_REF)
			continue;
		yajl_gen_map_open(g);
		gkv(g, CTL_K_NAME, f->farm->bindings[i].name);
		if (n->u.ref.text != NULL)
			gkv(g, CTL_K_TARGET, n->u.ref.text);
		else {
			char *t = farm_expr_str(
			    f->farm->bindings[i].expr->u.ref.target);

			gkv(g, CTL_K_TARGET, t != NULL ? t : "?");
			free(t);
		}
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	gstr(g, CTL_K_POOLS);
	yajl_gen_array_open(g);
	for (i = 0; i < f->npools; i++) {
		const char	*why;
		size_t		 size;
		unsigned	 min, max;

		yajl_gen_map_open(g);
		gkv(g, CTL_K_NAME, elastic_pool(f, i, &size, &min, &max, &why));
		gki(g, CTL_K_SIZE, (long long)size);
		gki(g, CTL_K_MIN, min);
		gki(g, CTL_K_MAX, max);
		gkv(g, CTL_K_WHY, why);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	gstr(g, CTL_K_EXPORTS);
	yajl_gen_array_open(g);
	for (i = 0; i < f->nexports; i++) {
		yajl_gen_map_open(g);
		gkv(g, CTL_K_BINDING, f->exports[i].fe->binding);
		gkv(g, CTL_K_INTERFACE, f->exports[i].fe->iface);
		gkv(g, CTL_K_ADDR, f->exports[i].fe->addr);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

void
ctl_list(struct ctl *c, yajl_val rq)
{
	const char	*want = json_str(rq, CTL_K_FARM);
	struct farm_run	*f;
	yajl_gen	 g;

	if (want != NULL && ctl_find_farm(c, want) == NULL)
		return;
	g = ctl_gen();
	yajl_gen_map_open(g);
	gstr(g, CTL_K_OK);
	yajl_gen_bool(g, 1);
	gstr(g, CTL_K_FARMS);
	yajl_gen_array_open(g);
	TAILQ_FOREACH(f, &c->d->farms, entry)
		if (want == NULL || strcmp(want, f->name) == 0)
			list_farm(g, f);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	c->answered = true;
	ctl_send_gen(c, g);
}
