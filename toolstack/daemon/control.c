/*
 * control.c: balticd's control socket, which the `baltic` tool talks to;
 * the protocol is ctl.h.  The socket is mode 0600: only root (the owner)
 * may drive the farm.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"
#include "chan.h"
#include "ctl.h"
#include "daemon/daemon.h"
#include "keep/keep.h"
#include "log.h"
#include "util/util.h"

#define CUT_DRAIN_MS		10000

struct ctl {
	struct daemon		*d;
	struct bufferevent	*bev;
	unsigned		 refs;		/* operations holding it */
	bool			 gone;		/* client hung up */
	bool			 answered;
	bool			 dryrun;	/* the request's -N */
	/* create / cut in progress: */
	struct dfarm		*farm;
	struct part		*part;
	char			*file;
	struct event		*tick;
	uint64_t		 deadline_us;
};

static void	ctl_unref(struct ctl *);

static void
gstr(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void
gkv(yajl_gen g, const char *k, const char *v)
{
	gstr(g, k);
	if (v == NULL)
		yajl_gen_null(g);
	else
		gstr(g, v);
}

static void
gki(yajl_gen g, const char *k, long long v)
{
	gstr(g, k);
	yajl_gen_integer(g, v);
}

static void
ctl_send_gen(struct ctl *c, yajl_gen g)
{
	const unsigned char	*buf;
	size_t			 len;

	yajl_gen_get_buf(g, &buf, &len);
	if (!c->gone) {
		bufferevent_write(c->bev, buf, len);
		bufferevent_write(c->bev, "\n", 1);
	}
	yajl_gen_free(g);
}

static yajl_gen
ctl_gen(void)
{
	yajl_gen	g;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		fatalx("yajl_gen_alloc");
	yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	return g;
}

static void
ctl_progress(struct ctl *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ctl_progress(struct ctl *c, const char *fmt, ...)
{
	yajl_gen	 g = ctl_gen();
	va_list		 ap;
	char		*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	yajl_gen_map_open(g);
	gkv(g, CTL_K_PROGRESS, msg != NULL ? msg : "?");
	yajl_gen_map_close(g);
	free(msg);
	ctl_send_gen(c, g);
}

/* The final answer: an error.  Every error goes out through here. */
static void
ctl_error(struct ctl *c, int exitcode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ctl_error(struct ctl *c, int exitcode, const char *fmt, ...)
{
	yajl_gen	 g = ctl_gen();
	va_list		 ap;
	char		*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	yajl_gen_map_open(g);
	gstr(g, CTL_K_OK);
	yajl_gen_bool(g, 0);
	gki(g, CTL_K_EXIT, exitcode);
	gkv(g, CTL_K_ERROR, msg != NULL ? msg : "out of memory");
	yajl_gen_map_close(g);
	free(msg);
	c->answered = true;
	ctl_send_gen(c, g);
}

/* The final answer: success, with an optional message. */
static void
ctl_ok(struct ctl *c, const char *msg)
{
	yajl_gen	g = ctl_gen();

	yajl_gen_map_open(g);
	gstr(g, CTL_K_OK);
	yajl_gen_bool(g, 1);
	if (msg != NULL)
		gkv(g, CTL_K_MESSAGE, msg);
	yajl_gen_map_close(g);
	c->answered = true;
	ctl_send_gen(c, g);
}

/* ---- create ------------------------------------------------------------ */

static void
farm_teardown(struct dfarm *f)
{
	struct daemon	*d = f->d;
	struct ctl	*c;
	struct part	*p;
	char		 dir[512];
	size_t		 i;

	f->dying = true;
	if ((c = f->creating) != NULL) {
		/* A create still waiting for this farm ends here. */
		f->creating = NULL;
		evtimer_del(c->tick);
		if (!c->answered)
			ctl_error(c, BALTIC_EXIT_FAIL, "farm %s was destroyed "
			    "before it was ready", f->name);
		c->farm = NULL;
		ctl_unref(c);
	}
	for (i = 0; i < f->nexports; i++)
		export_stop(&f->exports[i]);
	TAILQ_FOREACH(p, &f->parts, entry)
		d->backend->destroy(d->bctx, p);
	dfarm_forget(f);
	snprintf(dir, sizeof dir, "%s/%s", d->run_dir, f->name);
	rmdir(dir);
	TAILQ_REMOVE(&d->farms, f, entry);
	dfarm_free(f);
	if (TAILQ_EMPTY(&d->farms))
		keep_done(d->keep, true);	/* nothing to keep */
}

static void
create_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl	*c = arg;
	struct dfarm	*f = c->farm;
	struct part	*p;
	struct timeval	 tv = { 0, 20000 };
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
		if (now_us() > c->deadline_us) {
			ctl_error(c, BALTIC_EXIT_TIMEOUT, "partitions not ready "
			    "after %u ms (%zu of %zu); farm %s not created",
			    c->d->create_timeout_ms, ready, n, f->name);
			goto fail;
		}
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
		if (f->exports[i].fe->addr != NULL)
			ctl_progress(c, "export %s.%s at http://%s/%s/%s/",
			    f->exports[i].fe->binding, f->exports[i].fe->iface,
			    f->exports[i].fe->addr, f->name,
			    f->exports[i].fe->iface);
	}
	dfarm_save(f);
	ctl_ok(c, "created");
	f->creating = NULL;
	c->farm = NULL;
	ctl_unref(c);
	return;
fail:
	farm_teardown(f);	/* ends this create too */
}

static void
ctl_create(struct ctl *c, yajl_val rq)
{
	struct daemon		*d = c->d;
	const char		*path = json_str(rq, CTL_K_PATH);
	const char		*text = json_str(rq, CTL_K_TEXT);
	const char		*want = json_str(rq, CTL_K_FARM);
	struct farm_diags	 diags;
	struct farm_file	*file = NULL;
	struct farm		*farm = NULL;
	struct dfarm		*f;
	struct part		*p;
	char			*err = NULL, *buf = NULL;
	struct timeval		 tv = { 0, 20000 };

	farm_diags_init(&diags);
	if (path == NULL || text == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "create: path and text needed");
		goto out;
	}
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
	if ((f = dfarm_find(d, farm->name)) != NULL) {
		if (strcmp(f->source, text) == 0)
			ctl_ok(c, "already running");
		else
			ctl_error(c, BALTIC_EXIT_FAIL, "farm %s is already "
			    "running from another definition; destroy it "
			    "first", farm->name);
		goto out;
	}
	if (c->dryrun) {
		ctl_ok(c, "dry run");
		goto out;
	}
	f = dfarm_new(d, file, farm, path, text, strlen(text));
	file = NULL;
	TAILQ_INSERT_TAIL(&d->farms, f, entry);
	/* The store knows the farm before any partition exists. */
	if (dfarm_save(f) == -1) {
		ctl_error(c, BALTIC_EXIT_FAIL, "cannot write farm state");
		farm_teardown(f);
		goto out;
	}
	TAILQ_FOREACH(p, &f->parts, entry) {
		if (d->backend->create(d->bctx, p, &err) == -1) {
			ctl_error(c, BALTIC_EXIT_FAIL, "%s: %s; farm %s not "
			    "created", p->name, err != NULL ? err : "failed",
			    f->name);
			free(err);
			farm_teardown(f);
			goto out;
		}
		ctl_progress(c, "%s: created", p->name);
	}
	dfarm_save(f);
	c->farm = f;
	f->creating = c;
	c->refs++;
	c->deadline_us = now_us() + c->d->create_timeout_ms * 1000ULL;
	c->tick = evtimer_new(d->base, create_tick, c);
	evtimer_add(c->tick, &tv);
out:
	farm_file_free(file);
	farm_diags_dispose(&diags);
	free(buf);
}

/* ---- list ------------------------------------------------------------- */

static void
list_farm(yajl_gen g, struct dfarm *f)
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
	TAILQ_FOREACH(p, &f->parts, entry) {
		yajl_gen_map_open(g);
		gkv(g, CTL_K_NAME, p->name);
		gkv(g, CTL_K_ROLE, p->inst->role->name);
		gkv(g, CTL_K_STATE, part_state_name(p->state));
		gki(g, CTL_K_PID, p->pid);
		gki(g, CTL_K_DOMID, p->domid);
		gki(g, CTL_K_MEMORY, p->inst->role->memory);
		gki(g, CTL_K_SERVED, (long long)p->calls_served);
		gki(g, CTL_K_FAILED, (long long)p->calls_failed);
		gki(g, CTL_K_OUTSTANDING, p->node != NULL ?
		    p->node->outstanding : 0);
		gki(g, CTL_K_OUTSTANDING_MAX, p->node != NULL ?
		    p->node->outstanding_max : 0);
		gkv(g, CTL_K_WHY, p->state == PART_READY ? NULL : p->why);
		yajl_gen_map_close(g);
	}
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

static void
ctl_list(struct ctl *c, yajl_val rq)
{
	const char	*want = json_str(rq, CTL_K_FARM);
	struct dfarm	*f;
	yajl_gen	 g;

	if (want != NULL && dfarm_find(c->d, want) == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "no farm named %s", want);
		return;
	}
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

static void
ctl_call(struct ctl *c, yajl_val rq)
{
	const char		*fname = json_str(rq, CTL_K_FARM);
	const char		*iname = json_str(rq, CTL_K_IFACE);
	const char		*oname = json_str(rq, CTL_K_OP);
	const char		*arg = json_str(rq, CTL_K_ARG);
	unsigned		 timeout = (unsigned)json_int(rq, CTL_K_TIMEOUT, 0);
	struct dfarm		*f;
	struct dexport		*x = NULL;
	struct farm_op		*op;
	struct req		*r;
	char			 why[256];
	size_t			 i;

	if (fname == NULL || iname == NULL || oname == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "call: farm, iface, op needed");
		return;
	}
	if ((f = dfarm_find(c->d, fname)) == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "no farm named %s", fname);
		return;
	}
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
	c->refs++;
	req_start(r);
}

/* ---- set, destroy ------------------------------------------------------ */

static void
ctl_set(struct ctl *c, yajl_val rq)
{
	const char	*fname = json_str(rq, CTL_K_FARM);
	const char	*ref = json_str(rq, CTL_K_REF);
	const char	*expr = json_str(rq, CTL_K_EXPR);
	struct dfarm	*f;
	char		*err = NULL;

	if (fname == NULL || ref == NULL || expr == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "set: farm, ref, expr needed");
		return;
	}
	if ((f = dfarm_find(c->d, fname)) == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "no farm named %s", fname);
		return;
	}
	if (farm_find_binding(f->farm, ref) == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "farm %s has no binding %s",
		    fname, ref);
		return;
	}
	if (dfarm_set_ref(f, ref, expr, &err) == -1) {
		ctl_error(c, BALTIC_EXIT_FAIL, "%s", err != NULL ? err :
		    "rejected");
		free(err);
		return;
	}
	dfarm_save(f);
	ctl_ok(c, "rewired");
}

static void
ctl_destroy(struct ctl *c, yajl_val rq)
{
	const char	*fname = json_str(rq, CTL_K_FARM);
	struct dfarm	*f;

	if (fname == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "destroy: farm needed");
		return;
	}
	if ((f = dfarm_find(c->d, fname)) == NULL) {
		ctl_ok(c, "no such farm: nothing to do");
		return;
	}
	farm_teardown(f);
	ctl_ok(c, "destroyed");
}

/* ---- cut, paste -------------------------------------------------------- */

static void
cut_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl	*c = arg;
	struct part	*p = c->part;
	struct timeval	 tv = { 0, 10000 };
	char		*err = NULL;

	if (p->pend.n > 0 && now_us() < c->deadline_us) {
		evtimer_add(c->tick, &tv);
		return;
	}
	if (p->farm->d->backend->suspend(p->farm->d->bctx, p, c->file, &err)
	    == -1) {
		p->state = PART_READY;
		ctl_error(c, BALTIC_EXIT_FAIL, "cut %s: %s", p->name,
		    err != NULL ? err : "failed");
		free(err);
	} else {
		dfarm_save(p->farm);
		ctl_ok(c, "cut");
	}
	c->part = NULL;
	ctl_unref(c);
}

static struct part *
ctl_find_part(struct ctl *c, yajl_val rq, const char **file_r)
{
	const char	*fname = json_str(rq, CTL_K_FARM);
	const char	*iname = json_str(rq, CTL_K_INSTANCE);
	struct dfarm	*f;
	struct part	*p;

	*file_r = json_str(rq, CTL_K_FILE);
	if (fname == NULL || iname == NULL || *file_r == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "farm, instance, file needed");
		return NULL;
	}
	if ((f = dfarm_find(c->d, fname)) == NULL) {
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "no farm named %s", fname);
		return NULL;
	}
	if ((p = dfarm_part(f, iname)) == NULL)
		ctl_error(c, BALTIC_EXIT_NOTFOUND, "farm %s has no instance "
		    "%s", fname, iname);
	return p;
}

/*
 * Cut: out of routing first (no new call goes there), then wait for the
 * calls it holds to drain, then suspend.  No accepted call is lost.
 */
static void
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
	c->refs++;
	c->deadline_us = now_us() + CUT_DRAIN_MS * 1000ULL;
	c->tick = evtimer_new(c->d->base, cut_tick, c);
	evtimer_add(c->tick, &tv);
}

static void
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
	dfarm_save(p->farm);
	ctl_ok(c, "pasted");
}

/* ---- connections ------------------------------------------------------- */

static const struct {
	const char	*name;
	void		(*fn)(struct ctl *, yajl_val);
} ctl_cmds[] = {
	{ CTL_CMD_CREATE,	ctl_create },
	{ CTL_CMD_LIST,	ctl_list },
	{ CTL_CMD_CALL,	ctl_call },
	{ CTL_CMD_SET,	ctl_set },
	{ CTL_CMD_DESTROY,	ctl_destroy },
	{ CTL_CMD_CUT,	ctl_cut },
	{ CTL_CMD_PASTE,	ctl_paste },
};

static void
ctl_unref(struct ctl *c)
{
	if (--c->refs > 0)
		return;
	if (c->tick != NULL)
		event_free(c->tick);
	free(c->file);
	bufferevent_free(c->bev);
	free(c);
}

static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct ctl	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line, ebuf[256];
	const char	*cmd;
	yajl_val	 rq;
	size_t		 i, len;

	if (c->answered || c->refs > 1)
		return;		/* one request per connection */
	if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) == NULL) {
		if (evbuffer_get_length(in) > CTL_REQUEST_MAX) {
			ctl_error(c, BALTIC_EXIT_USAGE, "request too long");
			bufferevent_disable(bev, EV_READ);
		}
		return;
	}
	bufferevent_disable(bev, EV_READ);
	if ((rq = yajl_tree_parse(line, ebuf, sizeof ebuf)) == NULL ||
	    (cmd = json_str(rq, CTL_K_CMD)) == NULL) {
		ctl_error(c, BALTIC_EXIT_USAGE, "bad request");
		goto out;
	}
	c->dryrun = json_true(rq, CTL_K_DRYRUN);
	for (i = 0; i < sizeof ctl_cmds / sizeof ctl_cmds[0]; i++)
		if (strcmp(cmd, ctl_cmds[i].name) == 0)
			break;
	if (i == sizeof ctl_cmds / sizeof ctl_cmds[0])
		ctl_error(c, BALTIC_EXIT_USAGE, "unknown command %s", cmd);
	else
		ctl_cmds[i].fn(c, rq);
out:
	yajl_tree_free(rq);
	free(line);
}

static void
ctl_write(struct bufferevent *bev, void *arg)
{
	struct ctl	*c = arg;

	/* Answered and flushed: this connection's request is over. */
	if (c->answered && c->refs == 1) {
		c->gone = true;
		ctl_unref(c);
	}
}

static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl	*c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (c->gone)
			return;
		c->gone = true;
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		ctl_unref(c);
	}
}

static void
ctl_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct daemon	*d = arg;
	struct ctl	*c;
	int		 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK))
	    == -1)
		return;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return;
	}
	c->d = d;
	c->refs = 1;
	c->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, ctl_read, ctl_write, ctl_event, c);
	bufferevent_enable(c->bev, EV_READ);
}

int
control_listen(struct daemon *d, const char *path)
{
	char	*err = NULL;
	int	 fd;

	if ((fd = unix_listen(path, 16, &err)) == -1) {
		log_warnx("control socket: %s", err != NULL ? err : path);
		free(err);
		return -1;
	}
	d->ctl_fd = fd;
	d->ctl_ev = event_new(d->base, fd, EV_READ | EV_PERSIST, ctl_accept, d);
	if (d->ctl_ev == NULL || event_add(d->ctl_ev, NULL) == -1)
		return -1;
	return 0;
}

void
control_close(struct daemon *d)
{
	if (d->ctl_ev != NULL)
		event_free(d->ctl_ev);
	d->ctl_ev = NULL;
	if (d->ctl_fd != -1)
		close(d->ctl_fd);
	d->ctl_fd = -1;
}
