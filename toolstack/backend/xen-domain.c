/*
 * xen-domain.c: a partition's domain, made.  The farm's instance is
 * translated into a libxl domain config (translate_instance,
 * domcfg_to_libxl); libxl creates (or, for a paste, restores) the
 * domain asynchronously, and xen_create_finish, back in the loop, wires
 * it, listens to it and lets it run.
 */
#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>

#include "backend/xen-state.h"
#include "daemon/daemon.h"
#include "log.h"
#include "compile/translate.h"
#include "util/util.h"

/* Free an xcreate and what it holds; NULL is fine. */
void
xcreate_free(struct xcreate *xc)
{
	if (xc == NULL)
		return;
	libxl_domain_config_dispose(&xc->dc);
	libxl_domain_restore_params_dispose(&xc->params);
	if (xc->restore_fd != -1)
		close(xc->restore_fd);
	free(xc->restore_file);
	free(xc);
}

/*
 * The domain exists: wire it, listen to it, and let it run if it is
 * paused (libxl leaves a new domain paused).  0, or -1 with *why_r; the
 * caller undoes.
 */
int
xen_started(struct xen *x, struct part *p, bool unpause, char **why_r)
{
	struct xpart	*xp = p->bdata;
	int		 rc;

	if (xen_wire(x, p) == -1)
		return errf(why_r, "xenstore: cannot write the wiring of "
		    "domain %d: %s", p->domid, strerror(errno));
	if ((rc = libxl_evenable_domain_death(x->ctx, (uint32_t)p->domid, 0,
	    &xp->death)) != 0) {
		xp->death = NULL;
		return errf(why_r, "libxl: cannot watch domain %d: %d",
		    p->domid, rc);
	}
	if (xen_watch(x, p) == -1)
		return errf(why_r, "xenstore: cannot watch %s: %s",
		    xp->watch_path, strerror(errno));
	if (unpause && (rc = libxl_domain_unpause(x->ctx,
	    (uint32_t)p->domid, NULL)) != 0)
		return errf(why_r, "libxl: cannot unpause domain %d: %d",
		    p->domid, rc);
	return 0;
}

/* Outside libxl (from the loop): the create or restore is over. */
static void
xen_create_finish(evutil_socket_t fd, short what, void *arg)
{
	struct xcreate	*xc = arg;
	struct xen	*x = xc->x;
	struct part	*p = xc->p;
	struct xpart	*xp;
	char		*why = NULL;
	const char	*op = xc->restore_fd != -1 ? "restore" : "create";

	if (p == NULL) {
		/* Destroyed while being created: undo. */
		if (xc->rc == 0)
			xen_destroy_domain(x, xc->domid, "(destroyed while "
			    "being created)", NULL, NULL);
		goto out;
	}
	xp = p->bdata;
	xp->creating = NULL;
	if (xc->rc != 0) {
		if (asprintf(&why, "libxl: %s failed: %d", op, xc->rc) == -1)
			why = NULL;
		part_died(p, why != NULL ? why : op);
		goto out;
	}
	p->domid = (int)xc->domid;
	xp->cut = false;
	if (xen_started(x, p, true, &why) == -1) {
		xen_unwatch(x, xp);
		xen_destroy_dead(x, xc->domid, p->name);
		xen_forget(x, p);
		part_died(p, why != NULL ? why : "cannot start the domain");
		goto out;
	}
	log_info("%s: domain %d %s", p->name, p->domid,
	    xc->restore_fd != -1 ? "restored" : "created");
	if (xc->restore_file != NULL)
		unlink(xc->restore_file);
	part_started(p);
	xen_agent_check(x, p);	/* the watch fires too; harmless */
out:
	free(why);
	xcreate_free(xc);
}

/* libxl's ao callback; may run inside the initiating call. */
void
xen_create_done(libxl_ctx *ctx, int rc, void *arg)
{
	struct xcreate	*xc = arg;

	xc->rc = rc;
	if (event_base_once(xc->x->d->base, -1, EV_TIMEOUT, xen_create_finish,
	    xc, NULL) == -1)
		fatalx("%s: event_base_once", __func__);
}

/* A new xcreate for p with its libxl config, or -1 with *err_r. */
int
xcreate_new(struct xen *x, struct part *p, struct xcreate **xc_r,
    char **xl_r, char **err_r)
{
	struct domcfg	 dc;
	struct xcreate	*xc = NULL;
	int		 rc = -1, r;

	domcfg_init(&dc);
	if ((xc = calloc(1, sizeof *xc)) == NULL)
		fatal("%s", __func__);
	xc->x = x;
	xc->p = p;
	xc->restore_fd = -1;
	libxl_domain_config_init(&xc->dc);
	libxl_domain_restore_params_init(&xc->params);
	if (translate_instance(p->farm->file, p->farm->farm, p->inst, &dc)
	    == -1) {
		errf(err_r, "cannot translate %s into a domain", p->name);
		goto out;
	}
	if (strcmp(p->name, p->inst->name) != 0 &&
	    domcfg_rename(&dc, p->farm->name, p->name) == -1) {
		errf(err_r, "out of memory");
		goto out;
	}
	if ((r = domcfg_to_libxl(x->ctx, &dc, &xc->dc)) != 0) {
		errf(err_r, "libxl config for %s: error %d", p->name, r);
		goto out;
	}
	if (xl_r != NULL && (*xl_r = domcfg_xl_string(&dc)) == NULL) {
		errf(err_r, "out of memory");
		goto out;
	}
	rc = 0;
out:
	domcfg_dispose(&dc);
	if (rc == -1) {
		xcreate_free(xc);
		xc = NULL;
	}
	*xc_r = xc;
	return rc;
}

/* Is a domain of this name already running?  Its domid, or -1. */
int
xen_domid_of(struct xen *x, const char *name)
{
	uint32_t	domid;

	if (libxl_name_to_domid(x->ctx, name, &domid) != 0)
		return -1;
	return (int)domid;
}

/*
 * Start creating p's domain (translate_instance, domcfg_to_libxl,
 * libxl_domain_create_new, asynchronous); xen_create_finish wires and
 * unpauses it.  0 once started; a later failure comes as part_died.
 */
int
xen_create(void *ctx, struct part *p, char **err_r)
{
	struct xen		*x = ctx;
	struct xpart		*xp = xpart_get(x, p);
	struct xcreate		*xc = NULL;
	libxl_asyncop_how	 how;
	int			 rc, old;

	if (xp->creating != NULL)
		return errf(err_r, "%s is already being created", p->name);
	if ((old = xen_domid_of(x, p->name)) >= 0)
		return errf(err_r, "a domain named %s already exists "
		    "(domid %d)", p->name, old);
	if (xcreate_new(x, p, &xc, NULL, err_r) == -1)
		return -1;
	memset(&how, 0, sizeof how);
	how.callback = xen_create_done;
	how.u.for_callback = xc;
	xp->creating = xc;
	xp->cut = false;
	p->pid = 0;
	if ((rc = libxl_domain_create_new(x->ctx, &xc->dc, &xc->domid, &how,
	    NULL)) != 0) {
		xp->creating = NULL;
		xcreate_free(xc);
		return errf(err_r, "libxl: create failed: %d", rc);
	}
	return 0;
}
