/*
 * control.h: what the control socket (control.c) shares with the server
 * half of its commands (control-farm.c, control-part.c); balticd's
 * other files see only control_listen() and control_close() (daemon.h).
 * The protocol itself is ctl.h.
 */
#ifndef BALTIC_DAEMON_CONTROL_H
#define BALTIC_DAEMON_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"

struct bufferevent;
struct daemon;
struct farm;
struct farm_file;
struct farm_run;
struct event;
struct part;

/* One control connection and its one request. */
struct ctl {
	struct daemon		*d;
	struct bufferevent	*bev;
	unsigned		 refs;		/* operations holding it */
	bool			 gone;		/* client hung up */
	bool			 answered;
	bool			 dryrun;	/* the request's -N */
	bool			 denied;	/* ctl_peer_check refused it */
	/* create / cut in progress: */
	struct farm_run		*farm;
	struct part		*part;
	char			*file;
	struct event		*tick;
	uint64_t		 deadline_us;
	unsigned		 pending;	/* destroys not yet done */
};

/* Drops one reference; the last frees the connection and its timer. */
void		 ctl_unref(struct ctl *);

/* JSON output: a string; a key and a string value (NULL: null); a key
 * and an integer value. */
void		 gstr(yajl_gen, const char *);
void		 gkv(yajl_gen, const char *, const char *);
void		 gki(yajl_gen, const char *, long long);

/* A new generator for one answer line; exits if out of memory. */
yajl_gen	 ctl_gen(void);
/* Sends the generated line unless the client is gone; frees g. */
void		 ctl_send_gen(struct ctl *, yajl_gen g);

/* A progress line; the final answer is still to come. */
void		 ctl_progress(struct ctl *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* The final answer: an error with one of BALTIC_EXIT_*.  Every error
 * goes out through here. */
void		 ctl_error(struct ctl *, int exitcode, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/* The final answer: success, with an optional message. */
void		 ctl_ok(struct ctl *, const char *msg);

/* The running farm called name, else NULL, having answered that there
 * is none. */
struct farm_run	*ctl_find_farm(struct ctl *, const char *name);

/*
 * control-req.c: the request on one line (NUL-terminated), checked
 * against ctl.h: NULL with the reason in why, else the parsed request
 * (caller frees, yajl_tree_free) with *cmd_r its command, one of
 * CTL_CMD_*, every key that command needs there and of its type.
 */
yajl_val	 ctl_req_parse(const char *line, const char **cmd_r, char *why,
		    size_t size);

/* The commands (CTL_CMD_*): each answers rq, now or, holding a
 * reference, later. */
/* control-farm.c */
void		 ctl_create(struct ctl *, yajl_val rq);
int		 ctl_farm_of_req(struct ctl *, yajl_val rq,
		    struct farm_file **file_r, struct farm **farm_r);
void		 ctl_create_farm(struct ctl *, const char *path,
		    const char *text, struct farm_file *, struct farm *);
int		 ctl_check_roles(struct ctl *, const struct farm *);
/* Ends the farm; each partition's destroy tells done (may be NULL) when
 * what ran it is gone.  How many will tell it. */
unsigned	 farm_teardown(struct farm_run *, backend_done_fn *done,
		    void *arg);
/* apply.c */
void		 ctl_apply(struct ctl *, yajl_val rq);
void		 apply_abort(struct farm_run *);
void		 ctl_destroy(struct ctl *, yajl_val rq);
/* The farm's end here (a cluster has forgotten it already). */
void		 ctl_destroy_here(struct ctl *, const char *farm);
void		 ctl_list(struct ctl *, yajl_val rq);
/* obs/obs-json.c */
void		 ctl_stats(struct ctl *, yajl_val rq);
/* control-part.c */
void		 ctl_set(struct ctl *, yajl_val rq);
/* The ref set to text (NULL: back to its definition), counted as a
 * rewire: 0, or -1 with *err_r (caller frees).  Not saved. */
int		 ctl_rewire(struct farm_run *, const char *ref,
		    const char *text, char **err_r);
void		 ctl_call(struct ctl *, yajl_val rq);
void		 ctl_cut(struct ctl *, yajl_val rq);
void		 ctl_paste(struct ctl *, yajl_val rq);
/* cluster-farm.c */
void		 ctl_move(struct ctl *, yajl_val rq);

#endif /* BALTIC_DAEMON_CONTROL_H */
