/*
 * apply.c: `baltic apply`: a running farm reconciled, in place, with an
 * edited definition.  After the plan (apply-plan.c), in this order: the
 * new exports' addresses are bound (a busy one changes nothing); the
 * apply is journalled (state.c); the new graph is
 * built next to the old one, over the kept partitions and new ones; the
 * new partitions start; once every one is ready, the farm switches to
 * the new graph in one step (apply_commit) and its state is written:
 * the apply has happened.  Partitions taken out stop taking calls then,
 * drain the calls they have, and are destroyed.  A failure before the
 * switch destroys what the apply made and leaves the farm as it was.
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"
#include "ctl.h"
#include "daemon/apply.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

#define APPLY_DRAIN_TICK_MS	50

/* ---- draining ---------------------------------------------------------- */

static bool
apply_part_idle(const struct part *p)
{
	return p->pend.n == 0 && p->gcalls.n == 0 && p->adopted.n == 0 &&
	    p->nwaiting == 0 && (p->node == NULL || p->node->outstanding == 0);
}

/* Partitions taken out: destroyed once their calls in flight are done
 * (each ends by its deadline); the state then forgets them. */
static void
apply_drain_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct farm_run	*f = arg;
	struct daemon	*d = f->d;
	struct part	*p;
	struct timeval	 tv = { 0, APPLY_DRAIN_TICK_MS * 1000 };
	bool		 left = false, done = false;

	TAILQ_FOREACH(p, &f->retired, entry) {
		if (p->pid <= 0 && p->domid < 0 && p->state == PART_DEAD)
			continue;
		if (!apply_part_idle(p)) {
			left = true;
			continue;
		}
		if (p->image != NULL) {		/* moved: its image goes */
			part_image_send(p);
			continue;
		}
		d->backend->destroy(d->bctx, p, NULL, NULL);
		log_info("%s: drained; destroyed", p->name);
		done = true;
	}
	if (done)
		farm_run_save(f);
	if (left)
		evtimer_add(f->drain_ev, &tv);
}

void
farm_run_drain(struct farm_run *f)
{
	if (f->drain_ev == NULL &&
	    (f->drain_ev = evtimer_new(f->d->base, apply_drain_tick, f)) == NULL)
		fatal("%s", __func__);
	event_active(f->drain_ev, EV_TIMEOUT, 0);
}

/* ---- replacement of a partition that crashes too often --------------- */

#define REPLACE_BACKOFF_MS	1000	/* doubled per replacement in a row */
#define REPLACE_BACKOFF_MAX_MS	60000

/*
 * p died more times than its role's `on_crash restart K within T`
 * allows: a fresh partition of its instance (NAME.N) takes its place in
 * the graph, created after a backoff that doubles with each replacement
 * in a row; p leaves the farm.  What happened is in the log and, for
 * `baltic list -l`, in the new partition's record.
 */
void
farm_run_replace(struct part *p)
{
	struct farm_run		*f = p->farm;
	struct daemon		*d = f->d;
	const struct farm_role	*r = p->inst->role;
	struct part		*np;
	char			*name;
	unsigned		 ms, shift;

	name = apply_fresh_name(f, p->inst);
	if ((np = part_new_named(f, p->inst, name)) == NULL)
		fatal("%s", __func__);
	free(name);
	np->generation = p->generation + 1;
	shift = np->generation - 1 < 6 ? np->generation - 1 : 6;
	ms = REPLACE_BACKOFF_MS << shift;
	if (ms > REPLACE_BACKOFF_MAX_MS)
		ms = REPLACE_BACKOFF_MAX_MS;
	if (asprintf(&np->replaced, "%s, which died %u times within %u s",
	    p->name, p->crashes, r->crash_window_s) == -1)
		np->replaced = NULL;
	if (asprintf(&np->why, "replaces %s; starts in %u ms", p->name, ms)
	    == -1)
		np->why = NULL;
	np->state = PART_DEAD;
	/* np takes p's place: its node, its wiring, its place in the list. */
	if ((np->node = p->node) != NULL)
		np->node->u.part = np;
	p->node = NULL;
	np->wire_nodes = p->wire_nodes;
	p->wire_nodes = NULL;
	TAILQ_INSERT_AFTER(&f->parts, p, np, entry);
	TAILQ_REMOVE(&f->parts, p, entry);
	p->retired = true;
	TAILQ_INSERT_TAIL(&f->retired, p, entry);
	d->backend->destroy(d->bctx, p, NULL, NULL);
	log_warnx("%s: died %u times within %u s: replaced by %s in %u ms",
	    p->name, p->crashes, r->crash_window_s, np->name, ms);
	farm_run_save(f);
	part_restart_in(np, ms);
	if (f->part_changed != NULL)
		f->part_changed(f);
}

/* ---- staging ----------------------------------------------------------- */

/* The new graph, next to the running one: built over the kept
 * partitions and new ones (made, in f->parts, not started, taking no
 * calls: no node of the running graph reaches them). */
static void
apply_stage(struct apply *a)
{
	struct farm_run		 *f = a->f;
	struct farm		 *saved_farm = f->farm;
	struct node		**saved_nodes = f->bind_nodes;
	struct part		**parts;
	struct farm_expr	 *vm;
	size_t			  i, j, n = a->farm->ninstances;
	char			 *name;

	if ((parts = calloc(n + 1, sizeof *parts)) == NULL ||
	    (a->bind_nodes = calloc(a->farm->nbindings + 1,
	    sizeof *a->bind_nodes)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++) {
		struct apply_inst *ai = &a->v[i];

		if (ai->act != APPLY_KEEP) {
			name = apply_fresh_name(f, ai->inst);
			if ((ai->p = part_new_named(f, ai->inst, name)) == NULL)
				fatal("%s", __func__);
			ai->p->staged = true;
			free(name);
			TAILQ_INSERT_TAIL(&f->parts, ai->p, entry);
		}
		parts[i] = ai->p;
	}
	f->farm = a->farm;
	f->bind_nodes = a->bind_nodes;
	f->build_parts = parts;
	for (i = 0; i < a->farm->nbindings; i++)
		if (a->bind_nodes[i] == NULL)
			a->bind_nodes[i] = farm_run_build(f,
			    a->farm->bindings[i].expr);
	for (i = 0; i < n; i++) {
		struct apply_inst *ai = &a->v[i];

		vm = ai->inst->vm;
		if ((ai->wires = calloc(vm->u.vm.nwires + 1,
		    sizeof *ai->wires)) == NULL)
			fatal("%s", __func__);
		for (j = 0; j < vm->u.vm.nwires; j++)
			ai->wires[j] = farm_run_build(f, vm->u.vm.wires[j].expr);
		if (ai->act != APPLY_KEEP) {
			/* A guest calls its imports as soon as it runs. */
			ai->p->wire_nodes = ai->wires;
			ai->wires = NULL;
		}
	}
	for (j = 0; j < a->farm->nexports; j++) {
		a->exports[j].fe = &a->farm->exports[j];
		a->exports[j].node = a->bind_nodes[a->farm->exports[j].binding_p
		    - a->farm->bindings];
	}
	f->farm = saved_farm;
	f->bind_nodes = saved_nodes;
	f->build_parts = NULL;
	free(parts);
	a->staged = true;
}

/* ---- the apply's end --------------------------------------------------- */

static void
apply_free(struct apply *a)
{
	size_t	i, k;

	if (a == NULL)
		return;
	if (a->f != NULL && a->f->applying == a) {
		a->f->applying = NULL;
		a->f->part_changed = NULL;
	}
	if (a->tick != NULL)
		event_free(a->tick);
	for (i = 0; a->v != NULL && i < a->farm->ninstances; i++)
		free(a->v[i].wires);
	free(a->v);
	free(a->bind_nodes);
	free(a->exports);
	free(a->from);
	for (k = 0; k < PLAN_KINDS; k++) {
		for (i = 0; i < a->nitems[k]; i++)
			free(a->items[k][i]);
		free(a->items[k]);
	}
	farm_file_free(a->file);
	free(a->path);
	free(a->source);
	if (a->c != NULL)
		ctl_unref(a->c);
	free(a);
}

/* Close the sockets the apply bound for exports added or moved (those
 * not bound yet have none: export_stop does nothing). */
static void
apply_unbind_exports(struct apply *a)
{
	size_t	i;

	for (i = 0; i < a->farm->nexports; i++)
		if (a->from[i] == NO_EXPORT)
			export_stop(&a->exports[i]);
}

/*
 * Undo what the apply made, before the switch: its partitions destroyed
 * (kept as retired: the staged graph's nodes point at them), its new
 * listening sockets closed, the journal back to the running definition.
 */
static void
apply_undo(struct apply *a)
{
	struct farm_run	*f = a->f;
	struct daemon	*d = f->d;
	size_t		 i;

	for (i = 0; a->staged && i < a->farm->ninstances; i++) {
		struct apply_inst *ai = &a->v[i];

		if (ai->act == APPLY_KEEP || ai->p == NULL)
			continue;
		d->backend->destroy(d->bctx, ai->p, NULL, NULL);
		ai->p->retired = true;
		TAILQ_REMOVE(&f->parts, ai->p, entry);
		TAILQ_INSERT_TAIL(&f->retired, ai->p, entry);
	}
	apply_unbind_exports(a);
	if (a->staged) {
		/* Its nodes may be reached from its partitions' calls. */
		graph_keep_file(f, a->file);
		a->file = NULL;
	}
	farm_run_save(f);
	farm_run_forget_apply(f);
}

/* A farm destroyed while an apply of it is under way ends the apply. */
void
apply_abort(struct farm_run *f)
{
	struct apply	*a = f->applying;

	if (a == NULL)
		return;
	if (!a->c->answered)
		ctl_error(a->c, BALTIC_EXIT_FAIL, "farm %s was destroyed during "
		    "the apply", f->name);
	apply_undo(a);
	apply_free(a);
}

static void
apply_fail(struct apply *a, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
apply_fail(struct apply *a, int rc, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	log_warnx("%s: apply: %s", a->f->name, msg != NULL ? msg : "failed");
	apply_undo(a);
	ctl_error(a->c, rc, "%s; farm %s left as it was", msg != NULL ? msg :
	    "failed", a->f->name);
	free(msg);
	apply_free(a);
}

/* Refs whose definition is unchanged keep where `set` put them: noted
 * on the new node, set once the definition is the new one. */
static void
apply_commit_refs(struct apply *a)
{
	struct farm_run		*f = a->f;
	struct farm_binding	*ob;
	struct node		*on;
	char			*text;
	size_t			 i;

	for (i = 0; i < a->farm->nbindings; i++) {
		if (a->farm->bindings[i].expr->kind != FARM_E_REF ||
		    (ob = farm_find_binding(f->farm, a->farm->bindings[i].name))
		    == NULL || ob->expr->kind != FARM_E_REF)
			continue;
		on = f->bind_nodes[ob - f->farm->bindings];
		if (on->u.ref.text == NULL ||
		    !apply_expr_same(ob->expr, a->farm->bindings[i].expr))
			continue;
		if ((text = strdup(on->u.ref.text)) == NULL)
			fatal("%s", __func__);
		a->bind_nodes[i]->u.ref.text = text;
	}
}

/* Exports kept keep their socket and connections; the others close. */
static void
apply_commit_exports(struct apply *a)
{
	struct farm_run	*f = a->f;
	size_t		 i, j;

	for (j = 0; j < a->farm->nexports; j++) {
		if (a->from[j] == NO_EXPORT)
			continue;
		export_move(&f->exports[a->from[j]], &a->exports[j]);
		a->exports[j].obs = f->exports[a->from[j]].obs;
	}
	for (i = 0; i < f->nexports; i++)
		export_stop(&f->exports[i]);	/* the ones not kept */
	/* Calls in flight count at the old ones: kept with the farm. */
	graph_keep_exports(f, f->exports);
	f->exports = a->exports;
	f->nexports = a->farm->nexports;
	a->exports = NULL;
}

/*
 * The switch, in one loop turn: the new graph becomes the farm's, with
 * its partitions, exports and refs; the partitions taken out leave the
 * farm and drain; the state is written (the apply has happened).
 */
static void
apply_commit(struct apply *a)
{
	struct farm_run		*f = a->f;
	struct node		*on;
	struct part		*p, *np;
	char			*text, *err = NULL;
	size_t			 i, j;
	uint64_t		 ms;

	/* Partitions the new definition does not run: out. */
	for (p = TAILQ_FIRST(&f->parts); p != NULL; p = np) {
		np = TAILQ_NEXT(p, entry);
		for (i = 0; i < a->farm->ninstances; i++)
			if (a->v[i].p == p)
				break;
		if (i < a->farm->ninstances)
			continue;
		p->retired = true;
		TAILQ_REMOVE(&f->parts, p, entry);
		TAILQ_INSERT_TAIL(&f->retired, p, entry);
	}
	/* The rest, in the new definition's order. */
	for (i = 0; i < a->farm->ninstances; i++) {
		struct apply_inst *ai = &a->v[i];

		TAILQ_REMOVE(&f->parts, ai->p, entry);
		TAILQ_INSERT_TAIL(&f->parts, ai->p, entry);
		ai->p->staged = false;
		if (ai->act != APPLY_KEEP)
			continue;
		ai->p->inst = ai->inst;
		free(ai->p->wire_nodes);
		ai->p->wire_nodes = ai->wires;
		ai->wires = NULL;
		if (ai->p->node != NULL)
			ai->p->node->expr = ai->inst->vm;
	}
	apply_commit_refs(a);
	apply_commit_exports(a);
	/* The definition. */
	graph_keep_file(f, f->file);
	f->file = a->file;
	f->farm = a->farm;
	a->file = NULL;
	free(f->bind_nodes);
	f->bind_nodes = a->bind_nodes;
	a->bind_nodes = NULL;
	free(f->source);
	free(f->path);
	f->source = a->source;
	f->sourcelen = a->len;
	f->path = a->path;
	a->source = a->path = NULL;
	/* Refs re-set: checked against the new definition. */
	for (i = 0; i < f->farm->nbindings; i++) {
		on = f->bind_nodes[i];
		if (on->kind != NODE_REF || on->u.ref.text == NULL)
			continue;
		text = on->u.ref.text;
		on->u.ref.text = NULL;
		if (farm_run_set_ref(f, f->farm->bindings[i].name, text, &err)
		    == -1) {
			log_warnx("%s: ref %s: %s: back to its definition",
			    f->name, f->farm->bindings[i].name, err);
			free(err);
			err = NULL;
		}
		free(text);
	}
	for (j = 0; j < f->nexports; j++)
		if (export_start(f, &f->exports[j], &err) == -1) {
			log_warnx("%s: %s", f->name, err);
			free(err);
			err = NULL;
		}
	obs_label_graph(f);
	elastic_start(f);
	farm_run_save(f);
	farm_run_forget_apply(f);
	ms = (now_us() - a->started_us) / 1000;
	log_info("%s: applied in %llu ms", f->name, (unsigned long long)ms);
	ctl_progress(a->c, "new partitions took calls %llu ms after the apply "
	    "began", (unsigned long long)ms);
	apply_answer(a, "applied", true);
	apply_free(a);
	farm_run_drain(f);
}

/* Where the new partitions stand: all ready, one dead, or late. */
static void
apply_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct apply	*a = arg;
	struct part	*p;
	struct timeval	 tv;
	uint64_t	 now = now_us();
	size_t		 i, n = 0, ready = 0;

	for (i = 0; i < a->farm->ninstances; i++) {
		if (a->v[i].act == APPLY_KEEP)
			continue;
		p = a->v[i].p;
		n++;
		if (p->state == PART_READY) {
			if (!p->announced) {
				p->announced = true;
				ctl_progress(a->c, "%s: ready", p->name);
			}
			ready++;
		} else if (p->state == PART_DEAD) {
			apply_fail(a, BALTIC_EXIT_FAIL, "%s: %s", p->name,
			    p->why != NULL ? p->why : "died");
			return;
		}
	}
	if (ready == n) {
		apply_commit(a);
		return;
	}
	if (now >= a->deadline_us) {
		apply_fail(a, BALTIC_EXIT_TIMEOUT, "new partitions not ready "
		    "after %u ms (%zu of %zu)", a->f->d->create_timeout_ms,
		    ready, n);
		return;
	}
	tv.tv_sec = (time_t)((a->deadline_us - now) / 1000000);
	tv.tv_usec = (suseconds_t)((a->deadline_us - now) % 1000000);
	evtimer_add(a->tick, &tv);
}

static void
apply_part_changed(struct farm_run *f)
{
	if (f->applying != NULL)
		event_active(f->applying->tick, EV_TIMEOUT, 0);
}

/* Bind the addresses of exports added or moved: 0, or -1 with the
 * error sent at the export's place in the file. */
static int
apply_bind_exports(struct apply *a)
{
	struct farm_export	*fe;
	char			*err = NULL;
	size_t			 j;

	for (j = 0; j < a->farm->nexports; j++) {
		if (a->from[j] != NO_EXPORT)
			continue;
		a->exports[j].fe = fe = &a->farm->exports[j];
		if (export_bind(a->f, &a->exports[j], &err) == 0)
			continue;
		ctl_error(a->c, BALTIC_EXIT_FAIL, "%s:%u:%u: error: export "
		    "%s.%s: %s; farm %s left as it was", fe->addr_loc.file,
		    fe->addr_loc.line, fe->addr_loc.col, fe->binding, fe->iface,
		    err != NULL ? err : "cannot listen", a->f->name);
		free(err);
		apply_unbind_exports(a);
		return -1;
	}
	return 0;
}

/* ---- the command ------------------------------------------------------- */

void
ctl_apply(struct ctl *c, yajl_val rq)
{
	struct daemon		*d = c->d;
	const char		*text = json_str(rq, CTL_K_TEXT);
	struct farm_file	*file = NULL;
	struct farm		*farm;
	struct farm_run		*f;
	struct apply		*a;
	char			*err = NULL;
	size_t			 i;
	bool			 changed;

	if (ctl_farm_of_req(c, rq, &file, &farm) == -1)
		return;
	if ((f = farm_run_find(d, farm->name)) == NULL) {
		ctl_progress(c, "farm %s is not running: created", farm->name);
		ctl_create_farm(c, json_str(rq, CTL_K_PATH),
		    json_str(rq, CTL_K_TEXT), file, farm);
		return;
	}
	if (f->creating != NULL || f->applying != NULL || f->restored_us) {
		ctl_error(c, BALTIC_EXIT_FAIL, "farm %s is being %s; apply "
		    "again when it is done", f->name, f->applying != NULL ?
		    "changed by another apply" : f->creating != NULL ?
		    "created" : "restored");
		farm_file_free(file);
		return;
	}
	/* The plan knows only the partitions that run here: it would
	 * start here those of the other hosts. */
	if (!TAILQ_EMPTY(&f->peer_parts)) {
		ctl_error(c, BALTIC_EXIT_FAIL, "farm %s has partitions on "
		    "other hosts: apply cannot change it yet (destroy and "
		    "create it on each host)", f->name);
		farm_file_free(file);
		return;
	}
	if ((a = calloc(1, sizeof *a)) == NULL ||
	    (a->v = calloc(farm->ninstances + 1, sizeof *a->v)) == NULL ||
	    (a->exports = calloc(farm->nexports + 1, sizeof *a->exports))
	    == NULL || (a->from = calloc(farm->nexports + 1,
	    sizeof *a->from)) == NULL ||
	    (a->path = strdup(json_str(rq, CTL_K_PATH))) == NULL ||
	    (a->source = strdup(text)) == NULL)
		fatal("%s", __func__);
	a->c = c;
	c->refs++;
	a->f = f;
	a->file = file;
	a->farm = farm;
	a->len = strlen(text);
	a->started_us = now_us();
	changed = apply_plan(a);
	apply_say_plan(a);
	if (!changed && strcmp(f->source, text) == 0) {
		apply_answer(a, "unchanged", false);
		goto out;
	}
	if (ctl_check_roles(c, farm) == -1)
		goto out;
	if (c->dryrun) {
		apply_answer(a, "dry run", changed);
		goto out;
	}
	if (apply_bind_exports(a) == -1)
		goto out;
	if (farm_run_save_apply(f, a->source, a->len, a->path) == -1) {
		apply_unbind_exports(a);
		ctl_error(c, BALTIC_EXIT_FAIL, "cannot journal the apply; farm "
		    "%s left as it was", f->name);
		goto out;
	}
	f->applying = a;
	apply_stage(a);
	for (i = 0; i < farm->ninstances; i++) {
		struct apply_inst *ai = &a->v[i];

		if (ai->act == APPLY_KEEP)
			continue;
		if (d->backend->create(d->bctx, ai->p, &err) == -1) {
			apply_fail(a, BALTIC_EXIT_FAIL, "%s: %s", ai->p->name,
			    err != NULL ? err : "failed");
			free(err);
			return;
		}
		ctl_progress(c, "%s: created", ai->p->name);
	}
	farm_run_save(f);
	f->part_changed = apply_part_changed;
	a->deadline_us = now_us() + d->create_timeout_ms * 1000ULL;
	if ((a->tick = evtimer_new(d->base, apply_tick, a)) == NULL)
		fatal("%s", __func__);
	event_active(a->tick, EV_TIMEOUT, 0);	/* nothing to wait for? */
	return;
out:
	apply_free(a);
}
