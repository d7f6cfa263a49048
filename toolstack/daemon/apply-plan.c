/*
 * apply-plan.c: the plan of `baltic apply` (apply.c): each instance of
 * the new definition paired with the running partition of the same
 * name (kept if its role and host pin are the same, replaced if not,
 * created if there is none; running ones the definition lacks
 * destroyed), exports paired by binding and interface (kept on the same
 * address, else moved, added or removed), bindings rewired; said as
 * progress lines and as the answer's CTL_K_PLAN.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "ctl.h"
#include "daemon/apply.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "log.h"

static const char *const plan_keys[PLAN_KINDS] = { CTL_K_CREATE,
	CTL_K_KEEP, CTL_K_REPLACE, CTL_K_DESTROY, CTL_K_REWIRE,
	CTL_K_EXPORTS_ADD, CTL_K_EXPORTS_MOVE, CTL_K_EXPORTS_DEL };

/* What a partition of inst is, apart from its wiring: its role as the
 * agent and the domain see it, and the host it is pinned to (a new pin
 * may move it: a partition moves by being replaced).  Caller frees. */
static char *
apply_role_sig(const struct farm_instance *inst)
{
	const struct farm_role	*r = inst->role;
	const struct farm_name	*v[2] = { r->exports, r->imports };
	size_t			 nv[2] = { r->nexports, r->nimports };
	char			*buf = NULL;
	size_t			 len = 0, i, j, k;
	FILE			*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		fatal("%s", __func__);
	fprintf(fp, "%s|%s|%u|%u|%d|%d", r->name, r->image_path ?
	    r->image_path : "", r->memory, r->vcpus, (int)r->type,
	    (int)r->on_crash);
	if (inst->on != NULL)
		fprintf(fp, "|@%s", inst->on);
	for (k = 0; k < 2; k++)
		for (i = 0; i < nv[k]; i++) {
			fprintf(fp, "|%c%s", k == 0 ? 'e' : 'i', v[k][i].name);
			for (j = 0; v[k][i].iface != NULL &&
			    j < v[k][i].iface->nops; j++)
				fprintf(fp, ",%s", v[k][i].iface->ops[j].name);
		}
	for (i = 0; i < r->ndisks; i++)
		fprintf(fp, "|d%s", r->disks[i].path);
	for (i = 0; i < r->nvifs; i++)
		fprintf(fp, "|v%s", r->vifs[i].path);
	if (fclose(fp) != 0)
		fatal("%s", __func__);
	return buf;
}

bool
apply_expr_same(struct farm_expr *a, struct farm_expr *b)
{
	char	*sa = farm_expr_str(a), *sb = farm_expr_str(b);
	bool	 same = sa != NULL && sb != NULL && strcmp(sa, sb) == 0;

	free(sa);
	free(sb);
	return same;
}

/* The running partition of instance name, if any. */
static struct part *
apply_running(struct farm_run *f, const char *name)
{
	struct part	*p;

	TAILQ_FOREACH(p, &f->parts, entry)
		if (strcmp(p->inst->name, name) == 0)
			return p;
	return NULL;
}

static bool
apply_export_same(const struct farm_export *a, const struct farm_export *b)
{
	return strcmp(a->binding, b->binding) == 0 &&
	    strcmp(a->iface, b->iface) == 0;
}

static bool
apply_addr_same(const struct farm_export *a, const struct farm_export *b)
{
	if (a->addr == NULL || b->addr == NULL)
		return a->addr == b->addr;
	return strcmp(a->addr, b->addr) == 0 && a->tls == b->tls &&
	    !a->tls;	/* TLS files may have changed: listen anew */
}

/* An item of the plan. */
static void
apply_item(struct apply *a, enum plan_kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
apply_item(struct apply *a, enum plan_kind k, const char *fmt, ...)
{
	va_list	  ap;
	char	**nv;

	if ((nv = reallocarray(a->items[k], a->nitems[k] + 1, sizeof *nv))
	    == NULL)
		fatal("%s", __func__);
	a->items[k] = nv;
	va_start(ap, fmt);
	if (vasprintf(&nv[a->nitems[k]], fmt, ap) == -1)
		fatal("%s", __func__);
	va_end(ap);
	a->nitems[k]++;
}

/* "B.I at ADDR" */
static void
apply_item_export(struct apply *a, enum plan_kind k,
    const struct farm_export *fe)
{
	apply_item(a, k, "%s.%s at %s", fe->binding, fe->iface,
	    fe->addr != NULL ? fe->addr : "-");
}

/* A name for a new partition of inst that no partition of f has. */
char *
apply_fresh_name(struct farm_run *f, const struct farm_instance *inst)
{
	struct part	*p;
	char		*name;
	unsigned	 n;
	bool		 taken;

	for (n = 1;; n++) {
		if (n == 1)
			name = strdup(inst->name);
		else if (asprintf(&name, "%s.%u", inst->name, n) == -1)
			name = NULL;
		if (name == NULL)
			fatal("%s", __func__);
		taken = false;
		TAILQ_FOREACH(p, &f->parts, entry)
			taken |= strcmp(p->name, name) == 0;
		TAILQ_FOREACH(p, &f->retired, entry)	/* still running */
			taken |= p->state != PART_DEAD &&
			    strcmp(p->name, name) == 0;
		if (!taken)
			return name;
		free(name);
	}
}

/* Pair the new definition with what runs; the plan's lines.  Returns
 * whether anything changes. */
bool
apply_plan(struct apply *a)
{
	struct farm_run	*f = a->f;
	struct part	*p;
	char		*s1, *s2;
	size_t		 i, j;
	bool		 changed = false, found;

	for (i = 0; i < a->farm->ninstances; i++) {
		struct apply_inst *ai = &a->v[i];

		ai->inst = &a->farm->instances[i];
		if ((ai->old = apply_running(f, ai->inst->name)) == NULL) {
			ai->act = APPLY_CREATE;
			apply_item(a, PLAN_CREATE, "%s", ai->inst->name);
			changed = true;
			continue;
		}
		s1 = apply_role_sig(ai->old->inst);
		s2 = apply_role_sig(ai->inst);
		ai->act = strcmp(s1, s2) == 0 ? APPLY_KEEP : APPLY_REPLACE;
		free(s1);
		free(s2);
		if (ai->act == APPLY_REPLACE) {
			apply_item(a, PLAN_REPLACE, "%s", ai->old->name);
			changed = true;
			continue;
		}
		ai->p = ai->old;
		ai->rewired = !apply_expr_same(ai->old->inst->vm, ai->inst->vm);
		apply_item(a, PLAN_KEEP, "%s", ai->old->name);
		if (ai->rewired) {
			apply_item(a, PLAN_REWIRE, "%s", ai->old->name);
			changed = true;
		}
	}
	TAILQ_FOREACH(p, &f->parts, entry) {
		for (i = 0; i < a->farm->ninstances; i++)
			if (a->v[i].old == p)
				break;
		if (i == a->farm->ninstances) {
			apply_item(a, PLAN_DESTROY, "%s", p->name);
			changed = true;
		}
	}
	for (j = 0; j < a->farm->nexports; j++) {
		struct farm_export *fe = &a->farm->exports[j];

		a->from[j] = NO_EXPORT;
		found = false;
		for (i = 0; i < f->nexports; i++) {
			if (!apply_export_same(f->exports[i].fe, fe))
				continue;
			found = true;
			if (apply_addr_same(f->exports[i].fe, fe))
				a->from[j] = i;
		}
		if (a->from[j] != NO_EXPORT)
			continue;
		changed = true;
		apply_item_export(a, found ? PLAN_EXPORTS_MOVE :
		    PLAN_EXPORTS_ADD, fe);
	}
	for (i = 0; i < f->nexports; i++) {
		for (j = 0; j < a->farm->nexports; j++)
			if (apply_export_same(f->exports[i].fe,
			    &a->farm->exports[j]))
				break;
		if (j < a->farm->nexports)
			continue;
		changed = true;
		apply_item_export(a, PLAN_EXPORTS_DEL, f->exports[i].fe);
	}
	for (i = 0; i < a->farm->nbindings; i++) {
		struct farm_binding *nb = &a->farm->bindings[i], *ob;

		if (nb->expr->kind == FARM_E_VM ||
		    (ob = farm_find_binding(f->farm, nb->name)) == NULL ||
		    ob->expr->kind == FARM_E_VM ||
		    apply_expr_same(ob->expr, nb->expr))
			continue;
		apply_item(a, PLAN_REWIRE, "%s", nb->name);
		changed = true;
	}
	return changed;
}

/* ---- the answer -------------------------------------------------------- */

/* The plan, as progress lines ("create B", "export B.I at A: moved"). */
void
apply_say_plan(struct apply *a)
{
	static const char *const pre[PLAN_KINDS] = { "create ", "keep ",
	    "replace ", "destroy ", "rewire ", "export ", "export ",
	    "export " };
	static const char *const post[PLAN_KINDS] = { "", "", "", "", "",
	    ": added", ": moved", ": removed" };
	size_t	k, i;

	for (k = 0; k < PLAN_KINDS; k++)
		for (i = 0; i < a->nitems[k]; i++)
			ctl_progress(a->c, "%s%s%s", pre[k], a->items[k][i],
			    post[k]);
}

/* The final answer: msg, whether the farm changed, and the plan. */
void
apply_answer(struct apply *a, const char *msg, bool changed)
{
	yajl_gen	g = ctl_gen();
	size_t		k, i;

	yajl_gen_map_open(g);
	gstr(g, CTL_K_OK);
	yajl_gen_bool(g, 1);
	gkv(g, CTL_K_MESSAGE, msg);
	gstr(g, CTL_K_CHANGED);
	yajl_gen_bool(g, changed);
	gstr(g, CTL_K_PLAN);
	yajl_gen_map_open(g);
	for (k = 0; k < PLAN_KINDS; k++) {
		gstr(g, plan_keys[k]);
		yajl_gen_array_open(g);
		for (i = 0; i < a->nitems[k]; i++)
			gstr(g, a->items[k][i]);
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	a->c->answered = true;
	ctl_send_gen(a->c, g);
}

