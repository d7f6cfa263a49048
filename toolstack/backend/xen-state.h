/*
 * xen-state.h: the xen backend's insides, shared by its files and by
 * nothing else (balticd knows the backend only as backend_xen,
 * backend.h).  From the top down:
 *
 *   xen.c		the ops table, init and fini, destroy and reattach,
 *			libxl's domain events
 *   xen-osevent.c	libxl's osevent hooks on balticd's libevent loop
 *   xen-chan.c		the guest's xenstore side: wiring, the watch of
 *			the agent's node, the vchan offer
 *   xen-domain.c	a domain's config and its creation
 *   xen-cutpaste.c	cut and paste: suspend to a file, restore from it
 *   xen-state.c	the partition of a domain, a partition's record
 *   xen-xs-txn.c	the xenstore transaction loop
 */
#ifndef BALTIC_BACKEND_XEN_STATE_H
#define BALTIC_BACKEND_XEN_STATE_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include <event2/util.h>

#include <libxl.h>
#include <xentoollog.h>

#include "backend/backend.h"

#define XEN_DOM0_ROOT		"/local/domain/0/baltic"
#define XEN_CONNECT_TRIES	25	/* vchan connect attempts per offer */
#define XEN_CONNECT_RETRY_MS	200

struct daemon;
struct event;
struct part;
struct xs_handle;
struct xen;

/* libxl's messages, into balticd's log. */
struct xen_logger {
	xentoollog_logger	 vtable;
	int			 verbose;
};

/* One create or restore in flight; outlives its partition if need be. */
struct xcreate {
	struct xen			*x;
	struct part			*p;	/* NULL once destroyed */
	libxl_domain_config		 dc;
	libxl_domain_restore_params	 params;
	uint32_t			 domid;
	int				 rc;
	int				 restore_fd;	/* -1: create */
	char				*restore_file;
};

/* One cut in flight: libxl saves the domain to fd, then destroys it. */
struct xsuspend {
	struct xen		*x;
	struct part		*p;	/* NULL once destroyed */
	uint32_t		 domid;
	int			 fd;
	char			*file;
	int			 rc;	/* libxl's, of the step that ended */
	uint64_t		 t0_ms, saved_ms;	/* started, saved */
	backend_done_fn		*done;
	void			*arg;
};

/* Per partition (p->bdata). */
struct xpart {
	struct xen		*x;
	struct part		*p;
	libxl_evgen_domain_death *death;
	bool			 watching;
	char			 watch_path[128];
	char			 token[32];
	char			*ring_ref;	/* the offer we connected to */
	struct event		*retry_ev;
	unsigned		 tries;
	struct xcreate		*creating;
	struct xsuspend		*suspending;
	bool			 cut;		/* suspended: do not connect */
	TAILQ_ENTRY(xpart)	 entry;
};

struct xen {
	struct daemon		*d;
	struct xen_logger	 logger;
	libxl_ctx		*ctx;
	struct xs_handle	*xs;
	struct event		*xs_ev;
	int			 self_domid;
	TAILQ_HEAD(, xpart)	 parts;
};

/* xen.c */
/* The partition running as domain domid; NULL if none of ours. */
struct part	*xen_find(struct xen *, uint32_t domid);
/* p's backend data, made on first use; freed by xen_destroy. */
struct xpart	*xpart_get(struct xen *, struct part *);
/* Forget p's domain (gone, or going): unwatch, unwire, domid -1. */
void		 xen_forget(struct xen *, struct part *);
/* Destroy domid asynchronously (libxl's ao in the loop); done, unless
 * NULL, hears from the loop when it is gone. */
void		 xen_destroy_domain(struct xen *, uint32_t domid,
		    const char *name, backend_done_fn *done, void *arg);
/* A dead domain whose name its partition may take again at once (a
 * restart): renamed NAME XEN_DEAD_TAG DOMID, then destroyed as above;
 * libxl refuses a second domain of a name.  Synchronous if it cannot be
 * renamed. */
#define XEN_DEAD_TAG	"--dead."
void		 xen_destroy_dead(struct xen *, uint32_t domid,
		    const char *name);

/* xen-osevent.c */
/* libxl's fds and timeouts as events of x->d->base; user is the xen. */
extern const libxl_osevent_hooks xen_osevent_hooks;

/* xen-chan.c */
/* Write p's wiring in one transaction: 0, or -1 with errno. */
int		 xen_wire(struct xen *, struct part *);
/* Remove p's wiring and dom0's record; absent is fine. */
void		 xen_unwire(struct xen *, struct part *);
/* Connect to the vchan the agent offers, if new; retries on its own. */
void		 xen_agent_check(struct xen *, struct part *);
/* xenstore's fd is readable (arg: the xen): run the fired watches. */
void		 xen_xs_cb(evutil_socket_t, short what, void *arg);
/* Watch the agent's node of p's domain (fires once at once): 0, -1. */
int		 xen_watch(struct xen *, struct part *);
/* Stop listening to xp's domain: watch, retries, death events. */
void		 xen_unwatch(struct xen *, struct xpart *);

/* xen-domain.c */
/* Free an xcreate and what it holds; NULL is fine. */
void		 xcreate_free(struct xcreate *);
/* A new xcreate with p's libxl config (and xl text if xl_r): 0, -1. */
int		 xcreate_new(struct xen *, struct part *, struct xcreate **,
		    char **xl_r, char **err_r);
/* Wire, watch (agent, death), unpause if asked: 0, or -1 and *why_r. */
int		 xen_started(struct xen *, struct part *, bool unpause,
		    char **why_r);
/* libxl's ao callback of a create or restore (arg: the xcreate). */
void		 xen_create_done(libxl_ctx *, int rc, void *arg);
/* The domid of the running domain of this name, or -1. */
int		 xen_domid_of(struct xen *, const char *name);
/* backend_ops.create: start creating p's domain, asynchronously. */
int		 xen_create(void *ctx, struct part *, char **err_r);

/* xen-cutpaste.c */
/* backend_ops.suspend: save p's domain to file and destroy it,
 * asynchronously; done hears how it ended. */
int		 xen_suspend(void *ctx, struct part *, const char *file,
		    backend_done_fn *done, void *arg, char **err_r);
/* backend_ops.restore: restore p's domain from a cut file. */
int		 xen_restore(void *ctx, struct part *, const char *file,
		    char **err_r);

#endif /* BALTIC_BACKEND_XEN_STATE_H */
