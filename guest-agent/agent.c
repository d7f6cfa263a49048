/*
 * agent.c: baltic-agent's main, its channel to dom0 and the dispatch of
 * dom0's frames.  See agent.h for the map of the files.
 *
 * Decisions:
 * - CANCEL of an export call kills the per-call handler's process group
 *   (or forwards CANCEL to the persistent handler) and answers nothing:
 *   dom0 has already moved on.  A RESULT that crossed the CANCEL on the
 *   wire can still arrive; dom0 must ignore RESULTs for ids it cancelled.
 * - A deadline kills the handler (or cancels it in the persistent
 *   handler) and answers BALTIC_E_TIMEOUT.
 * - Losing dom0 (balticd killed and restarted) on a channel of version
 *   2 or later: the export calls in flight keep running; their answers
 *   wait for the next channel and go out as RESULT_LATE (dropped past
 *   their deadline, at most AGENT_LATE_MAX kept).  Import calls in flight
 *   are sent again on the next channel as CALL_AGAIN (dom0 takes them
 *   only for idempotent operations), and new ones wait for it.  The
 *   agent reconnects every AGENT_RETRY_MS, forever.  Answers sent in the
 *   last AGENT_RESEND_MS before the loss may have died with dom0 unread:
 *   they go out again as RESULT_LATE too.
 * - Losing a version 1 dom0 kills every export call in flight (no one to
 *   answer), fails every import call in flight with BALTIC_E_UNAVAILABLE
 *   and forgets the CONFIG.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "agent.h"
#include "chan.h"
#include "log.h"

struct agent	*agent;

static void	dom0_connect(void);
static void	dom0_schedule_retry(void);

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: baltic-agent [-v] -c CHANNEL_SOCK -d IMAGE_DIR "
	    "-s LOCAL_SOCK [-n INSTANCE]\n"
	    "       baltic-agent [-v] -x -d IMAGE_DIR -s LOCAL_SOCK\n");
	exit(2);
}

int64_t
agent_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- CONFIG ---------------------------------------------------------- */

static void
oplist_clear(struct oplist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int
oplist_add(struct oplist *l, const char *iface, const char *op)
{
	struct opent	*nv;
	size_t		 ncap;

	if (oplist_has(l, iface, op))
		return 0;
	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 16 : l->cap * 2;
		nv = reallocarray(l->v, ncap, sizeof *nv);
		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	strlcpy(l->v[l->n].iface, iface, sizeof l->v[l->n].iface);
	strlcpy(l->v[l->n].op, op, sizeof l->v[l->n].op);
	l->n++;
	return 0;
}

/* 1 if (iface, op) is in the list. */
int
oplist_has(const struct oplist *l, const char *iface, const char *op)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].iface, iface) == 0 &&
		    strcmp(l->v[i].op, op) == 0)
			return 1;
	}
	return 0;
}

/* An instance name goes into the environment: printable, no '='. */
static int
instance_ok(const char *untrusted, size_t len)
{
	size_t	i;

	if (len < 1 || len >= sizeof agent->instance)
		return 0;
	for (i = 0; i < len; i++) {
		if (untrusted[i] <= ' ' || untrusted[i] > '~' ||
		    untrusted[i] == '=')
			return 0;
	}
	return 1;
}

/*
 * Replace the configuration with CONFIG's text.  Unknown keywords are
 * skipped (a newer dom0); a line with a bad name is skipped and logged.
 * Returns -1 only on a body that is not text.
 */
static int
config_apply(const uint8_t *untrusted, size_t len)
{
	char	*text = NULL, *p, *line, *kw, *iface, *op;
	int	 rc = -1, is_export;

	if (memchr(untrusted, '\0', len) != NULL)
		goto out;
	text = malloc(len + 1);
	if (text == NULL)
		goto out;
	memcpy(text, untrusted, len);
	text[len] = '\0';

	oplist_clear(&agent->exports);
	oplist_clear(&agent->imports);
	agent->role[0] = '\0';
	if (agent->instance_opt != NULL)
		strlcpy(agent->instance, agent->instance_opt,
		    sizeof agent->instance);
	else
		agent->instance[0] = '\0';

	p = text;
	while ((line = strsep(&p, "\n")) != NULL) {
		kw = strsep(&line, " \t");
		if (kw == NULL || *kw == '\0' || *kw == '#')
			continue;
		if (strcmp(kw, "role") == 0) {
			if (line == NULL || !proto_name_ok(line, strlen(line))) {
				log_warnx("CONFIG: bad role line");
				continue;
			}
			strlcpy(agent->role, line, sizeof agent->role);
		} else if (strcmp(kw, "instance") == 0) {
			if (line == NULL || !instance_ok(line, strlen(line))) {
				log_warnx("CONFIG: bad instance line");
				continue;
			}
			strlcpy(agent->instance, line, sizeof agent->instance);
		} else if (strcmp(kw, "export") == 0 ||
		    strcmp(kw, "import") == 0) {
			is_export = kw[0] == 'e';
			iface = strsep(&line, " \t");
			if (iface == NULL || !proto_name_ok(iface,
			    strlen(iface))) {
				log_warnx("CONFIG: bad interface name");
				continue;
			}
			while ((op = strsep(&line, " \t")) != NULL) {
				if (*op == '\0')
					continue;
				if (!proto_name_ok(op, strlen(op))) {
					log_warnx("CONFIG: bad operation name");
					continue;
				}
				if (oplist_add(is_export ? &agent->exports :
				    &agent->imports, iface, op) == -1)
					goto out;
			}
		} else
			log_debug("CONFIG: skipping '%s'", kw);
	}
	agent->configured = 1;
	log_info("configured: role %s instance %s, %zu exports, %zu imports",
	    agent->role[0] ? agent->role : "-",
	    agent->instance[0] ? agent->instance : "-",
	    agent->exports.n, agent->imports.n);
	rc = 0;
out:
	free(text);
	return rc;
}

/* ---- export calls ---------------------------------------------------- */

static struct ecall *
ecall_find(uint32_t id)
{
	struct ecall	*ec;

	TAILQ_FOREACH(ec, &agent->calls, entry) {
		if (ec->id == id && ec->gen == agent->gen)
			return ec;
	}
	return NULL;
}

/* Stop the handler's work on a call: kill the per-call process group,
 * or send CANCEL to the persistent handler. */
void
ecall_stop(struct ecall *ec)
{
	if (ec->kind == ECALL_EXEC)
		exec_kill(ec);
	else if (ec->ph != NULL)
		persist_cancel(ec);
}

/* Unlink and free a call and everything it holds; kills nothing. */
void
ecall_free(struct ecall *ec)
{
	TAILQ_REMOVE(&agent->calls, ec, entry);
	agent->ncalls--;
	if (ec->deadline != NULL)
		event_free(ec->deadline);
	if (ec->kind == ECALL_EXEC)
		exec_dispose(ec);
	else if (ec->ph != NULL)
		persist_detach(ec);
	free(ec->arg);
	free(ec);
}

static void
ecall_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ecall		*ec = arg;
	static const char	 msg[] = "deadline passed";

	log_debug("call %u %s.%s: deadline", ec->id, ec->iface, ec->op);
	ecall_stop(ec);
	agent_answer(ec, BALTIC_E_TIMEOUT, msg, sizeof msg - 1);
}

static void
answer_now(uint32_t id, uint32_t status, const char *msg)
{
	chan_send_result(agent->dom0, id, status, msg, strlen(msg));
}

/* A CALL from dom0 to one of our exports. */
static void
dom0_call(const struct baltic_hdr *h, const uint8_t *untrusted_body)
{
	struct proto_call_view	 cv;
	struct ecall		*ec = NULL;
	struct persist		*ph;
	struct timeval		 tv;
	const char		*why;
	char			 path[4096];
	int			 r;

	if (proto_parse_call(untrusted_body, h->len, &cv, &why) == -1) {
		chan_fail(agent->dom0, why);
		return;
	}
	/* Validated: names are [A-Za-z_][A-Za-z0-9_]*, safe in a path. */
	if (ecall_find(h->call_id) != NULL) {
		chan_fail(agent->dom0, "CALL id already in flight");
		return;
	}
	if (!agent->configured) {
		answer_now(h->call_id, BALTIC_E_UNAVAILABLE, "not configured");
		return;
	}
	if (!oplist_has(&agent->exports, cv.iface, cv.op)) {
		answer_now(h->call_id, BALTIC_E_NOOP, "not an export");
		return;
	}
	if (agent->ncalls >= AGENT_MAX_CALLS) {
		answer_now(h->call_id, BALTIC_E_OVERLOAD, "too many calls");
		return;
	}
	ec = calloc(1, sizeof *ec);
	if (ec == NULL) {
		answer_now(h->call_id, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	ec->id = h->call_id;
	ec->gen = agent->gen;
	if (cv.deadline_ms != 0)
		ec->expiry_ms = agent_now_ms() + cv.deadline_ms;
	ec->in_fd = ec->out_fd = ec->err_fd = -1;
	ec->deadline_ms = cv.deadline_ms;
	strlcpy(ec->iface, cv.iface, sizeof ec->iface);
	strlcpy(ec->op, cv.op, sizeof ec->op);
	TAILQ_INSERT_TAIL(&agent->calls, ec, entry);
	agent->ncalls++;

	if (cv.deadline_ms != 0) {
		ec->deadline = evtimer_new(agent->base, ecall_deadline_cb, ec);
		tv.tv_sec = cv.deadline_ms / 1000;
		tv.tv_usec = (cv.deadline_ms % 1000) * 1000;
		if (ec->deadline == NULL || evtimer_add(ec->deadline, &tv) == -1)
			goto internal;
	}

	if ((ph = persist_find(cv.iface)) != NULL) {
		ec->kind = ECALL_PERSIST;
		if (persist_start_call(ph, ec, cv.arg, cv.arglen) == -1)
			goto internal;
		return;
	}
	ec->kind = ECALL_EXEC;
	r = snprintf(path, sizeof path, "%s/services/%s.%s", agent->image_dir,
	    cv.iface, cv.op);
	if (r < 0 || (size_t)r >= sizeof path || access(path, X_OK) == -1) {
		agent_answer(ec, BALTIC_E_NOOP, "no handler", 10);
		return;
	}
	if (exec_start(ec, path, cv.arg, cv.arglen) == -1)
		goto internal;
	return;
internal:
	agent_answer(ec, BALTIC_E_INTERNAL, "cannot start the handler", 24);
}

static void
dom0_cancel(const struct baltic_hdr *h)
{
	struct ecall	*ec;

	if ((ec = ecall_find(h->call_id)) == NULL)
		return;		/* answered already: the RESULT crossed */
	log_debug("call %u %s.%s: cancelled", ec->id, ec->iface, ec->op);
	ecall_stop(ec);
	ecall_free(ec);
}

/* ---- the dom0 channel ------------------------------------------------ */

static void
dom0_on_frame(struct chan *c, const struct baltic_hdr *h,
    const uint8_t *untrusted_body, void *arg)
{
	switch (h->type) {
	case BALTIC_MSG_CONFIG:
		if (config_apply(untrusted_body, h->len) == -1)
			chan_fail(c, "bad CONFIG");
		else
			local_dom0_configured();
		break;
	case BALTIC_MSG_PING:
		chan_send(c, BALTIC_MSG_PONG, h->call_id, untrusted_body, h->len);
		break;
	case BALTIC_MSG_PONG:
		break;
	case BALTIC_MSG_CALL:
		dom0_call(h, untrusted_body);
		break;
	case BALTIC_MSG_RESULT:
		local_dom0_result(h, untrusted_body);
		break;
	case BALTIC_MSG_CANCEL:
		dom0_cancel(h);
		break;
	default:
		log_debug("dom0: ignoring message type 0x%x", h->type);
		break;
	}
}

static void
dom0_on_ready(struct chan *c, void *arg)
{
	log_info("channel to dom0 up (version %u, frame %u)", chan_version(c),
	    chan_max_frame(c));
	if (agent->nlates > 0)
		log_info("%zu answers to calls of an earlier channel sent",
		    agent->nlates);
	late_flush();
	agent->resumable = chan_version(c) >= 2;
	agent->frame = chan_max_frame(c);
}

static void
dom0_on_close(struct chan *c, const char *why, void *arg)
{
	struct ecall	*ec;

	log_info("channel to dom0 lost: %s%s", why, agent->resumable ?
	    "; calls in flight go on" : "");
	agent->dom0 = NULL;
	agent->gen++;
	chan_free(c);
	recent_requeue();
	if (!agent->resumable) {
		while ((ec = TAILQ_FIRST(&agent->calls)) != NULL) {
			ecall_stop(ec);
			ecall_free(ec);
		}
	}
	local_dom0_lost();
	agent->configured = 0;
	/* The imports stay known: calls made while dom0 is away are checked
	 * against them, and again against the next CONFIG. */
	if (!agent->resumable) {
		oplist_clear(&agent->exports);
		oplist_clear(&agent->imports);
	}
	if (agent->xen)
		xen_disconnect();
	dom0_schedule_retry();
}

static const struct chan_cbs dom0_cbs = {
	.on_frame = dom0_on_frame,
	.on_ready = dom0_on_ready,
	.on_close = dom0_on_close,
};

static void
dom0_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	dom0_connect();
}

static void
dom0_schedule_retry(void)
{
	struct timeval	tv = { 0, AGENT_RETRY_MS * 1000 };

	evtimer_add(agent->retry, &tv);
}

/* Local mode: connect to balticd's socket; never blocks (a Unix connect
 * either succeeds or fails at once, EAGAIN when the backlog is full). */
static int
dom0_connect_local(void)
{
	struct sockaddr_un	 sun;
	int			 fd = -1;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, agent->chan_path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path)
		fatalx("%s: path too long", agent->chan_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	if ((agent->dom0 = chan_new_fd(agent->base, fd, &dom0_cbs, NULL)) ==
	    NULL)
		return -1;
	chan_set_batch(agent->dom0, 1, NULL, NULL);
	return 0;
}

static void
dom0_connect(void)
{
	int	r;

	if (agent->xen)
		r = xen_connect(&agent->dom0, &dom0_cbs, NULL);
	else
		r = dom0_connect_local();
	if (r == -1) {
		dom0_schedule_retry();
		return;
	}
	log_debug("connected to dom0");
}

/* ---- signals and main ------------------------------------------------ */

static void
sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	pid_t	pid;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (exec_reaped(pid, status))
			continue;
		persist_reaped(pid, status);
	}
}

static void
sigterm_cb(evutil_socket_t sig, short what, void *arg)
{
	log_info("exiting on signal %d", (int)sig);
	event_base_loopbreak(agent->base);
}

/* Kill what we started, remove what we created. */
static void
agent_shutdown(void)
{
	struct ecall	*ec;

	while ((ec = TAILQ_FIRST(&agent->calls)) != NULL) {
		ecall_stop(ec);
		ecall_free(ec);
	}
	persist_free_all();
	local_close();
	late_free_all();
	chan_free(agent->dom0);
	agent->dom0 = NULL;
	if (agent->xen)
		xen_disconnect();
}

int
main(int argc, char **argv)
{
	static struct agent	 a;
	struct event		*sigterm, *sigint;
	int			 ch, verbose = 0;

	agent = &a;
	a.listen_fd = -1;
	TAILQ_INIT(&a.calls);
	TAILQ_INIT(&a.icalls);
	TAILQ_INIT(&a.lates);
	TAILQ_INIT(&a.recent);
	LIST_INIT(&a.persists);
	LIST_INIT(&a.clients);
	a.next_import_id = 1;

	while ((ch = getopt(argc, argv, "c:d:n:s:vx")) != -1) {
		switch (ch) {
		case 'c':
			a.chan_path = optarg;
			break;
		case 'd':
			a.image_dir = optarg;
			break;
		case 'n':
			a.instance_opt = optarg;
			break;
		case 's':
			a.local_path = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'x':
			a.xen = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || a.image_dir == NULL || a.local_path == NULL ||
	    (a.xen == (a.chan_path != NULL)))
		usage();
	if (a.instance_opt != NULL && !instance_ok(a.instance_opt,
	    strlen(a.instance_opt)))
		fatalx("bad instance name");
	if (a.instance_opt != NULL)
		strlcpy(a.instance, a.instance_opt, sizeof a.instance);
	log_init("baltic-agent", verbose);
	chan_heap_tune();
	signal(SIGPIPE, SIG_IGN);
	/* A cut (stopped) agent whose balticd dies is in an orphaned
	 * process group: the kernel sends it SIGHUP, which must not end it. */
	signal(SIGHUP, SIG_IGN);

	a.base = event_base_new();
	if (a.base == NULL)
		fatalx("event_base_new");
	a.retry = evtimer_new(a.base, dom0_retry_cb, NULL);
	a.sigchld = evsignal_new(a.base, SIGCHLD, sigchld_cb, NULL);
	sigterm = evsignal_new(a.base, SIGTERM, sigterm_cb, NULL);
	sigint = evsignal_new(a.base, SIGINT, sigterm_cb, NULL);
	if (a.retry == NULL || a.sigchld == NULL || sigterm == NULL ||
	    sigint == NULL || evsignal_add(a.sigchld, NULL) == -1 ||
	    evsignal_add(sigterm, NULL) == -1 ||
	    evsignal_add(sigint, NULL) == -1)
		fatalx("cannot set up events");
	if (local_listen() == -1)
		fatal("%s", a.local_path);
	dom0_connect();
	event_base_dispatch(a.base);

	agent_shutdown();
	event_free(sigterm);
	event_free(sigint);
	event_free(a.sigchld);
	event_free(a.retry);
	event_base_free(a.base);
	return 0;
}
