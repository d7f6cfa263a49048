/*
 * persist.c: persistent handlers.  If services/<Iface> (no dot) is
 * executable, the agent starts it on the first call to Iface and speaks
 * the framed protocol of proto.h with it over a socketpair given to the
 * child as its stdin and stdout: HELLO, then CALL frames in and RESULT
 * frames out, multiplexed by ids the agent picks, CANCEL forwarded.  If
 * it dies, its outstanding calls fail with BALTIC_E_HANDLER and the next
 * call starts it again.  No fork per call: this is the fast path.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "log.h"

struct persist {
	LIST_ENTRY(persist)	 entry;
	char			 iface[BALTIC_NAME_MAX + 1];
	char			 path[4096];
	pid_t			 pid;
	struct chan		*c;
	struct ecalls		 calls;		/* via ph_entry */
	uint32_t		 next_id;
};

static void	persist_down(struct persist *, const char *);

/* The handler for iface, known or newly found executable; NULL if the
 * interface has no persistent handler. */
struct persist *
persist_find(const char *iface)
{
	struct persist	*ph;
	char		 path[4096];
	int		 r;

	LIST_FOREACH(ph, &agent->persists, entry) {
		if (strcmp(ph->iface, iface) == 0)
			return ph;
	}
	r = snprintf(path, sizeof path, "%s/services/%s", agent->image_dir,
	    iface);
	if (r < 0 || (size_t)r >= sizeof path || access(path, X_OK) == -1)
		return NULL;
	if ((ph = calloc(1, sizeof *ph)) == NULL)
		return NULL;
	strlcpy(ph->iface, iface, sizeof ph->iface);
	strlcpy(ph->path, path, sizeof ph->path);
	TAILQ_INIT(&ph->calls);
	LIST_INSERT_HEAD(&agent->persists, ph, entry);
	return ph;
}

static struct ecall *
persist_call_find(struct persist *ph, uint32_t id)
{
	struct ecall	*ec;

	TAILQ_FOREACH(ec, &ph->calls, ph_entry) {
		if (ec->ph_id == id)
			return ec;
	}
	return NULL;
}

/* Send one call to a ready handler; 0 or -1. */
static int
persist_send(struct persist *ph, struct ecall *ec, const uint8_t *arg,
    size_t arglen)
{
	if (chan_send_call(ph->c, ec->ph_id, ec->iface, ec->op, ec->deadline_ms,
	    arg, arglen) == -1)
		return -1;
	ec->sent = 1;
	return 0;
}

static void
persist_on_ready(struct chan *c, void *arg)
{
	struct persist	*ph = arg;
	struct ecall	*ec, *next;

	log_debug("%s: persistent handler up", ph->iface);
	for (ec = TAILQ_FIRST(&ph->calls); ec != NULL; ec = next) {
		next = TAILQ_NEXT(ec, ph_entry);
		if (ec->sent)
			continue;
		if (persist_send(ph, ec, ec->arg, ec->arglen) == -1) {
			agent_answer(ec, errno == ENOBUFS ? BALTIC_E_OVERLOAD :
			    BALTIC_E_INTERNAL, "cannot pass the call on", 23);
			continue;
		}
		free(ec->arg);
		ec->arg = NULL;
	}
}

static void
persist_on_frame(struct chan *c, const struct baltic_hdr *h,
    const uint8_t *untrusted_body, void *arg)
{
	struct persist			*ph = arg;
	struct proto_result_view	 rv;
	struct ecall			*ec;
	const char			*why;

	switch (h->type) {
	case BALTIC_MSG_RESULT:
		if (proto_parse_result(untrusted_body, h->len, &rv,
		    &why) == -1) {
			chan_fail(c, why);
			return;
		}
		/* An unknown id is a result that crossed our CANCEL. */
		if ((ec = persist_call_find(ph, h->call_id)) == NULL)
			return;
		agent_answer(ec, rv.status, rv.payload, rv.len);
		break;
	case BALTIC_MSG_CALL:
		chan_send_result(c, h->call_id, BALTIC_E_NOOP,
		    "use baltic-call for imports", 27);
		break;
	case BALTIC_MSG_PING:
		chan_send(c, BALTIC_MSG_PONG, h->call_id, untrusted_body,
		    h->len);
		break;
	default:
		break;
	}
}

static void
persist_on_close(struct chan *c, const char *why, void *arg)
{
	persist_down(arg, why);
}

static const struct chan_cbs persist_cbs = {
	.on_frame = persist_on_frame,
	.on_ready = persist_on_ready,
	.on_close = persist_on_close,
};

/* Start the handler process; 0 or -1. */
static int
persist_spawn(struct persist *ph)
{
	int	sv[2] = { -1, -1 };
	int	rc = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		goto out;
	if (agent_spawn(ph->path, sv[1], sv[1], -1, 0, &ph->pid) == -1)
		goto out;
	ph->c = chan_new_fd(agent->base, sv[0], &persist_cbs, ph);
	sv[0] = -1;
	if (ph->c == NULL) {
		killpg(ph->pid, SIGKILL);
		ph->pid = 0;
		goto out;
	}
	chan_set_batch(ph->c, 1, NULL, NULL);
	log_debug("%s: started persistent handler, pid %d", ph->iface,
	    (int)ph->pid);
	rc = 0;
out:
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	return rc;
}

/* Hand x to the handler (started if need be).  The argument is copied
 * only while the handler is not yet ready. */
int
persist_start_call(struct persist *ph, struct ecall *ec, const uint8_t *arg,
    size_t arglen)
{
	if (ph->c == NULL && persist_spawn(ph) == -1)
		return -1;
	if (++ph->next_id == 0)
		ph->next_id = 1;
	ec->ph = ph;
	ec->ph_id = ph->next_id;
	TAILQ_INSERT_TAIL(&ph->calls, ec, ph_entry);
	if (chan_is_ready(ph->c))
		return persist_send(ph, ec, arg, arglen);
	if (arglen != 0) {
		if ((ec->arg = malloc(arglen)) == NULL)
			return -1;
		memcpy(ec->arg, arg, arglen);
	}
	ec->arglen = arglen;
	return 0;
}

/* Tell the handler to stop working on x (no answer expected). */
void
persist_cancel(struct ecall *ec)
{
	struct persist	*ph = ec->ph;

	if (ph != NULL && ec->sent && chan_is_ready(ph->c))
		chan_send(ph->c, BALTIC_MSG_CANCEL, ec->ph_id, NULL, 0);
}

/* Unlink x from its handler (ecall_free does this). */
void
persist_detach(struct ecall *ec)
{
	if (ec->ph == NULL)
		return;
	TAILQ_REMOVE(&ec->ph->calls, ec, ph_entry);
	ec->ph = NULL;
}

/* The handler died or broke the protocol: kill it, fail its calls. */
static void
persist_down(struct persist *ph, const char *why)
{
	struct ecall	*ec;
	char		 msg[256];

	log_warnx("%s: persistent handler lost: %s", ph->iface, why);
	chan_free(ph->c);
	ph->c = NULL;
	if (ph->pid > 0)
		killpg(ph->pid, SIGKILL);
	ph->pid = 0;
	snprintf(msg, sizeof msg, "persistent handler %s died: %s", ph->iface,
	    why);
	while ((ec = TAILQ_FIRST(&ph->calls)) != NULL)
		agent_answer(ec, BALTIC_E_HANDLER, msg, strlen(msg));
}

/* 1 if pid was a persistent handler (now down), else 0. */
int
persist_reaped(pid_t pid, int wstatus)
{
	struct persist	*ph;

	LIST_FOREACH(ph, &agent->persists, entry) {
		if (ph->pid == pid) {
			ph->pid = 0;	/* reaped: no killpg on a stale id */
			persist_down(ph, WIFEXITED(wstatus) ?
			    "exited" : "killed by a signal");
			return 1;
		}
	}
	return 0;
}

/* Stop every handler (its calls must be gone already). */
void
persist_free_all(void)
{
	struct persist	*ph;

	while ((ph = LIST_FIRST(&agent->persists)) != NULL) {
		LIST_REMOVE(ph, entry);
		chan_free(ph->c);
		if (ph->pid > 0)
			killpg(ph->pid, SIGKILL);
		free(ph);
	}
}
