/*
 * control-part.c: the server half of the commands that act inside a
 * running farm: set a ref, call an export, cut and paste a partition
 * (ctl.h).
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"
#include "chan.h"
#include "ctl.h"
#include "daemon/cluster.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

#define CUT_DRAIN_MS		10000

/* ---- set -------------------------------------------------------------- */

int
ctl_rewire(struct farm_run *f, const char *ref, const char *text,
    char **err_r)
{
	struct farm_binding	*b = farm_find_binding(f->farm, ref);

	if (text != NULL ? farm_run_set_ref(f, ref, text, err_r) == -1 :
	    farm_run_reset_ref(f, ref) == -1)
		return -1;
	f->bind_nodes[b - f->farm->bindings]->obs.rewires++;
	return 0;
}

/* In a cluster, the ref is set in the farm's record, and every host
 * (this one too) rewires when it sees the record (cluster-change.c). */
void
ctl_set(struct ctl *c, yajl_val rq)
{
	const char	*fname = json_str(rq, CTL_K_FARM);
	const char	*ref = json_str(rq, CTL_K_REF);
	const char	*expr = json_str(rq, CTL_K_EXPR);
	struct farm_run	*f;
	struct farm_binding *b;
	char		*err = NULL;

	if (fname == NULL || ref == NULL || expr == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "set: farm, ref, expr needed");
		return;
	}
	if ((f = ctl_find_farm(c, fname)) == NULL)
		return;
	/* A binding that is not a ref is no ref: the same answer as a name
	 * the farm does not bind. */
	if ((b = farm_find_binding(f->farm, ref)) == NULL ||
	    b->expr->kind != FARM_E_REF) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "farm %s has no ref %s%s",
		    fname, ref, b != NULL ? " (a binding, not a ref)" : "");
		return;
	}
	if (c->d->cluster != NULL) {
		if (farm_run_check_ref(f, ref, expr, &err) == 0) {
			cluster_set(c, f->name, ref, expr);
			return;
		}
	} else if (ctl_rewire(f, ref, expr, &err) == 0) {
		farm_run_save(f);
		ctl_ok(c, "rewired");
		return;
	}
	ctl_error(c, BALTIC_EXIT_FAIL, "%s", err != NULL ? err : "rejected");
	free(err);
}

/* ---- call ------------------------------------------------------------- */

static int
status_exit(uint32_t status)
{
	switch (status) {
	case BALTIC_OK:
		return BALTIC_EXIT_OK;
	case BALTIC_E_TIMEOUT:
		return BALTIC_EXIT_TIMEOUT;
	default:
		return BALTIC_EXIT_FAIL;
	}
}

static void
call_done(struct req *r, uint32_t status, const void *payload, size_t len,
    void *arg)
{
	struct ctl	*c = arg;
	yajl_gen	 g;

	if (status != BALTIC_OK) {
		ctl_error(c, status_exit(status), "%s.%s: %s: %.*s",
		    r->iface->name, r->op->name, baltic_status_name(status),
		    (int)len, (const char *)payload);
	} else {
		g = ctl_gen();
		yajl_gen_map_open(g);
		gstr(g, CTL_K_OK);
		yajl_gen_bool(g, 1);
		gstr(g, CTL_K_RESULT);
		yajl_gen_string(g, payload, len);
		yajl_gen_map_close(g);
		c->answered = true;
		ctl_send_gen(c, g);
	}
	ctl_unref(c);
}

void
ctl_call(struct ctl *c, yajl_val rq)
{
	const char		*fname = json_str(rq, CTL_K_FARM);
	const char		*iname = json_str(rq, CTL_K_IFACE);
	const char		*oname = json_str(rq, CTL_K_OP);
	const char		*arg = json_str(rq, CTL_K_ARG);
	unsigned		 timeout = (unsigned)json_int(rq, CTL_K_TIMEOUT, 0);
	struct farm_run		*f;
	struct farm_run_export		*x = NULL;
	struct farm_op		*op;
	struct req		*r;
	char			 why[256];
	size_t			 i;

	if (fname == NULL || iname == NULL || oname == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "call: farm, iface, op needed");
		return;
	}
	if ((f = ctl_find_farm(c, fname)) == NULL)
		return;
	for (i = 0; i < f->nexports; i++)
		if (strcmp(f->exports[i].fe->iface, iname) == 0)
			x = &f->exports[i];
	if (x == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "farm %s exports no %s",
		    fname, iname);
		return;
	}
	if ((op = farm_find_op(x->fe->iface_p, oname)) == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "%s has no operation %s",
		    iname, oname);
		return;
	}
	if (arg == NULL)
		arg = "";
	if (farm_check_args(op, arg, strlen(arg), why, sizeof why) == -1) {
		ctl_error(c, BALTIC_EXIT_FAIL, "%s.%s: bad argument: %s",
		    iname, oname, why);
		return;
	}
	r = req_new(f, x->node, x->fe->iface_p, op, arg, strlen(arg), timeout,
	    call_done, c);
	if (r == NULL) {
		ctl_error(c, BALTIC_EXIT_FAIL, "out of memory");
		return;
	}
	req_from_export(r, x);
	c->refs++;
	req_start(r);
}

/* ---- cut, paste -------------------------------------------------------- */

/* The backend's cut ended: the domain is saved and gone, or it runs on. */
static void
cut_done(void *arg, int rc, const char *err)
{
	struct ctl	*c = arg;
	struct part	*p = c->part;

	if (p == NULL)
		ctl_error(c, BALTIC_EXIT_FAIL, "cut: the farm was destroyed "
		    "meanwhile");
	else if (rc == -1) {
		p->state = PART_READY;
		ctl_error(c, BALTIC_EXIT_FAIL, "cut %s: %s", p->name,
		    err != NULL ? err : "failed");
	} else {
		farm_run_save(p->farm);
		ctl_ok(c, "cut");
	}
	if (p != NULL)
		p->cutting = NULL;
	c->part = NULL;
	ctl_unref(c);
}

/*
 * Drained (or the drain's time is up): start the suspend.  The loop
 * runs on while the backend saves the partition (a domain takes
 * seconds); cut_done answers.
 */
static void
cut_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl	*c = arg;
	struct part	*p = c->part;
	struct timeval	 tv = { 0, 10000 };
	char		*err = NULL;

	if (p == NULL) {		/* the farm was destroyed */
		cut_done(c, -1, NULL);
		return;
	}
	if (p->pend.n > 0 && now_us() < c->deadline_us) {
		evtimer_add(c->tick, &tv);
		return;
	}
	if (p->farm->d->backend->suspend(p->farm->d->bctx, p, c->file,
	    cut_done, c, &err) == -1) {
		cut_done(c, -1, err);
		free(err);
	}
}

static struct part *
ctl_find_part(struct ctl *c, yajl_val rq, const char **file_r)
{
	const char	*fname = json_str(rq, CTL_K_FARM);
	const char	*iname = json_str(rq, CTL_K_INSTANCE);
	struct farm_run	*f;
	struct part	*p;

	*file_r = json_str(rq, CTL_K_FILE);
	if (fname == NULL || iname == NULL || *file_r == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "farm, instance, file needed");
		return NULL;
	}
	if ((f = ctl_find_farm(c, fname)) == NULL)
		return NULL;
	if ((p = farm_run_part(f, iname)) == NULL)
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "farm %s has no instance "
		    "%s", fname, iname);
	return p;
}

/*
 * Cut: out of routing first (no new call goes there), then wait for the
 * calls it holds to drain, then suspend.  No accepted call is lost.
 */
void
ctl_cut(struct ctl *c, yajl_val rq)
{
	const char	*file;
	struct part	*p;
	struct timeval	 tv = { 0, 0 };

	if ((p = ctl_find_part(c, rq, &file)) == NULL)
		return;
	if (p->state == PART_CUT) {
		ctl_ok(c, "already cut");
		return;
	}
	if (p->state != PART_READY && p->state != PART_UNHEALTHY) {
		ctl_error(c, BALTIC_EXIT_FAIL, "%s is %s: cannot cut", p->name,
		    part_state_name(p->state));
		return;
	}
	p->state = PART_CUT;
	if ((c->file = strdup(file)) == NULL)
		fatal("%s", __func__);
	c->part = p;
	p->cutting = c;
	c->refs++;
	c->deadline_us = now_us() + CUT_DRAIN_MS * 1000ULL;
	c->tick = evtimer_new(c->d->base, cut_tick, c);
	evtimer_add(c->tick, &tv);
}

void
ctl_paste(struct ctl *c, yajl_val rq)
{
	const char	*file;
	struct part	*p;
	char		*err = NULL;

	if ((p = ctl_find_part(c, rq, &file)) == NULL)
		return;
	if (p->state != PART_CUT) {
		ctl_ok(c, "not cut: nothing to do");
		return;
	}
	if (c->d->backend->restore(c->d->bctx, p, file, &err) == -1) {
		ctl_error(c, BALTIC_EXIT_FAIL, "paste %s: %s", p->name,
		    err != NULL ? err : "failed");
		free(err);
		return;
	}
	p->state = p->chan != NULL && chan_is_ready(p->chan) ? PART_READY :
	    PART_STARTING;
	p->ping_missed = 0;
	farm_run_save(p->farm);
	ctl_ok(c, "pasted");
}
