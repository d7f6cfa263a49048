/*
 * local.c: the agent's local socket, where baltic-call and handlers call
 * the role's imports.  Each connection is a chan; a CALL is checked
 * against CONFIG's imports (BALTIC_E_DENIED if not one: dom0 checks
 * again and never trusts us), forwarded to dom0 with a fresh id, and its
 * RESULT mapped back.  A client that goes away has its calls cancelled at
 * dom0.  When dom0 is lost (agent.c says when calls outlive it), the calls
 * in flight are sent again on the next channel as CALL_AGAIN and new ones
 * wait for it; otherwise they fail with BALTIC_E_UNAVAILABLE.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "log.h"

struct lclient {
	LIST_ENTRY(lclient)	 entry;
	struct chan		*c;
	struct icalls		 calls;		/* via centry */
};

static void
icall_free(struct icall *ic)
{
	TAILQ_REMOVE(&agent->icalls, ic, entry);
	TAILQ_REMOVE(&ic->client->calls, ic, centry);
	agent->nicalls--;
	if (ic->kept)
		agent->kept_bytes -= ic->arglen;
	free(ic->arg);
	free(ic);
}

static struct icall *
icall_by_client(struct lclient *cl, uint32_t id)
{
	struct icall	*ic;

	TAILQ_FOREACH(ic, &cl->calls, centry) {
		if (ic->client_id == id)
			return ic;
	}
	return NULL;
}

static struct icall *
icall_by_dom0(uint32_t id)
{
	struct icall	*ic;

	TAILQ_FOREACH(ic, &agent->icalls, entry) {
		if (ic->state == ICALL_SENT && ic->dom0_id == id)
			return ic;
	}
	return NULL;
}

static void
client_answer(struct lclient *cl, uint32_t id, uint32_t status,
    const char *msg)
{
	chan_send_result(cl->c, id, status, msg, strlen(msg));
}

/* A fresh id for dom0, not 0 and not in flight. */
static uint32_t
import_id(void)
{
	uint32_t	id;

	do {
		id = agent->next_import_id++;
	} while (id == 0 || icall_by_dom0(id) != NULL);
	return id;
}

/* Milliseconds left before ic's deadline (0: none); -1 if passed. */
static int64_t
icall_left(const struct icall *ic)
{
	int64_t	left;

	if (ic->expiry_ms == 0)
		return 0;
	left = ic->expiry_ms - agent_now_ms();
	return left > 0 ? left : -1;
}

/*
 * Send a call that is not on the current channel (new, queued, or sent
 * on a lost one) with a fresh id; arg is ic's argument (kept or not).
 * 0, or -1 after answering and freeing it.
 */
static int
icall_send(struct icall *ic, const uint8_t *arg)
{
	int64_t		left;
	uint32_t	type = ic->state == ICALL_AGAIN ?
			    BALTIC_MSG_CALL_AGAIN : BALTIC_MSG_CALL;

	if ((left = icall_left(ic)) == -1) {
		client_answer(ic->client, ic->client_id, BALTIC_E_TIMEOUT,
		    "deadline passed waiting for the channel to dom0");
		goto fail;
	}
	if (!oplist_has(&agent->imports, ic->iface, ic->op)) {
		client_answer(ic->client, ic->client_id, BALTIC_E_DENIED,
		    "not an import of this role");
		goto fail;
	}
	ic->dom0_id = import_id();
	if (chan_send_call_as(agent->dom0, type, ic->dom0_id, ic->iface,
	    ic->op, (uint32_t)left, arg, ic->arglen) == -1) {
		client_answer(ic->client, ic->client_id, errno == ENOBUFS ?
		    BALTIC_E_OVERLOAD : errno == EMSGSIZE ? BALTIC_E_ARG :
		    BALTIC_E_UNAVAILABLE, strerror(errno));
		goto fail;
	}
	ic->state = ICALL_SENT;
	return 0;
fail:
	icall_free(ic);
	return -1;
}

static void
client_call(struct lclient *cl, const struct baltic_hdr *h,
    const uint8_t *untrusted_body)
{
	struct proto_call_view	 cv;
	struct icall		*ic;
	const char		*why;
	int			 connected;

	if (proto_parse_call(untrusted_body, h->len, &cv, &why) == -1) {
		chan_fail(cl->c, why);
		return;
	}
	/* Validated. */
	if (icall_by_client(cl, h->call_id) != NULL) {
		chan_fail(cl->c, "CALL id already in flight");
		return;
	}
	connected = agent->dom0 != NULL && agent->configured;
	if (!connected && !agent->resumable) {
		client_answer(cl, h->call_id, BALTIC_E_UNAVAILABLE,
		    "agent not connected to dom0");
		return;
	}
	if (!oplist_has(&agent->imports, cv.iface, cv.op)) {
		client_answer(cl, h->call_id, BALTIC_E_DENIED,
		    "not an import of this role");
		return;
	}
	if (agent->nicalls >= AGENT_MAX_IMPORTS) {
		client_answer(cl, h->call_id, BALTIC_E_OVERLOAD,
		    "too many import calls");
		return;
	}
	if ((ic = calloc(1, sizeof *ic)) == NULL)
		goto nomem;
	ic->client = cl;
	ic->client_id = h->call_id;
	ic->state = ICALL_QUEUED;
	strlcpy(ic->iface, cv.iface, sizeof ic->iface);
	strlcpy(ic->op, cv.op, sizeof ic->op);
	if (cv.deadline_ms != 0)
		ic->expiry_ms = agent_now_ms() + cv.deadline_ms;
	ic->arglen = cv.arglen;
	/* Kept for a re-send while the budget lasts; else it fails with
	 * its channel, as a version 1 agent's would. */
	if (cv.arglen <= AGENT_KEEP_ARG_MAX - agent->kept_bytes) {
		if (cv.arglen > 0 && (ic->arg = malloc(cv.arglen)) == NULL) {
			free(ic);
			goto nomem;
		}
		if (cv.arglen > 0)
			memcpy(ic->arg, cv.arg, cv.arglen);
		ic->kept = 1;
		agent->kept_bytes += cv.arglen;
	} else if (!connected) {
		free(ic);
		client_answer(cl, h->call_id, BALTIC_E_UNAVAILABLE,
		    "agent not connected to dom0");
		return;
	}
	TAILQ_INSERT_TAIL(&agent->icalls, ic, entry);
	TAILQ_INSERT_TAIL(&cl->calls, ic, centry);
	agent->nicalls++;
	if (connected)
		icall_send(ic, cv.arg);
	/* else sent by local_dom0_configured */
	return;
nomem:
	client_answer(cl, h->call_id, BALTIC_E_INTERNAL, "out of memory");
}

static void
client_on_frame(struct chan *c, const struct baltic_hdr *h,
    const uint8_t *untrusted_body, void *arg)
{
	struct lclient	*cl = arg;
	struct icall	*ic;

	switch (h->type) {
	case BALTIC_MSG_CALL:
		client_call(cl, h, untrusted_body);
		break;
	case BALTIC_MSG_CANCEL:
		if ((ic = icall_by_client(cl, h->call_id)) == NULL)
			break;
		if (ic->state == ICALL_SENT)
			chan_send(agent->dom0, BALTIC_MSG_CANCEL, ic->dom0_id,
			    NULL, 0);
		icall_free(ic);
		break;
	case BALTIC_MSG_PING:
		chan_send(c, BALTIC_MSG_PONG, h->call_id, untrusted_body,
		    h->len);
		break;
	default:
		chan_fail(c, "unexpected message from a local client");
		break;
	}
}

static void
client_on_close(struct chan *c, const char *why, void *arg)
{
	struct lclient	*cl = arg;
	struct icall	*ic;

	while ((ic = TAILQ_FIRST(&cl->calls)) != NULL) {
		if (ic->state == ICALL_SENT)
			chan_send(agent->dom0, BALTIC_MSG_CANCEL, ic->dom0_id,
			    NULL, 0);
		icall_free(ic);
	}
	LIST_REMOVE(cl, entry);
	chan_free(c);
	free(cl);
}

static const struct chan_cbs client_cbs = {
	.on_frame = client_on_frame,
	.on_ready = NULL,
	.on_close = client_on_close,
};

static void
listen_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct lclient	*cl;
	int		 fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if ((cl = calloc(1, sizeof *cl)) == NULL) {
			close(fd);
			continue;
		}
		TAILQ_INIT(&cl->calls);
		cl->c = chan_new_fd(agent->base, fd, &client_cbs, cl);
		if (cl->c == NULL) {
			free(cl);
			continue;
		}
		LIST_INSERT_HEAD(&agent->clients, cl, entry);
	}
}

/* Listen on the local socket (mode 0600: the role's handlers run as our
 * user).  A stale socket from an earlier run is replaced. */
int
local_listen(void)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	mode_t			 old;
	int			 fd = -1, r;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, agent->local_path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (lstat(agent->local_path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(agent->local_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	old = umask(077);
	r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (r == -1 || listen(fd, 128) == -1) {
		close(fd);
		return -1;
	}
	agent->listen_fd = fd;
	agent->listen_ev = event_new(agent->base, fd, EV_READ | EV_PERSIST,
	    listen_cb, NULL);
	if (agent->listen_ev == NULL || event_add(agent->listen_ev, NULL) == -1)
		return -1;
	return 0;
}

/* Close every client and the socket, and remove it. */
void
local_close(void)
{
	struct lclient	*cl;
	struct icall	*ic;

	while ((cl = LIST_FIRST(&agent->clients)) != NULL) {
		while ((ic = TAILQ_FIRST(&cl->calls)) != NULL)
			icall_free(ic);
		LIST_REMOVE(cl, entry);
		chan_free(cl->c);
		free(cl);
	}
	if (agent->listen_ev != NULL)
		event_free(agent->listen_ev);
	agent->listen_ev = NULL;
	if (agent->listen_fd != -1) {
		close(agent->listen_fd);
		unlink(agent->local_path);
	}
	agent->listen_fd = -1;
}

/* A RESULT from dom0: for one of our forwarded import calls. */
void
local_dom0_result(const struct baltic_hdr *h, const uint8_t *untrusted_body)
{
	struct proto_result_view	 rv;
	struct icall			*ic;
	const char			*why;
	static const char		 big[] = "result too large for the caller";

	if (proto_parse_result(untrusted_body, h->len, &rv, &why) == -1) {
		chan_fail(agent->dom0, why);
		return;
	}
	/* The caller may have gone (and we cancelled): not an error. */
	if ((ic = icall_by_dom0(h->call_id)) == NULL) {
		log_debug("dom0: RESULT for call %u, no longer waited for",
		    h->call_id);
		return;
	}
	if (chan_send_result(ic->client->c, ic->client_id, rv.status,
	    rv.payload, rv.len) == -1 && errno == EMSGSIZE)
		chan_send_result(ic->client->c, ic->client_id,
		    BALTIC_E_BADRESULT, big, sizeof big - 1);
	icall_free(ic);
}

/*
 * dom0 is gone.  If calls outlive it, those in flight wait to be sent
 * again (the ones whose argument was kept); the rest fail.
 */
void
local_dom0_lost(void)
{
	struct icall	*ic, *next;

	for (ic = TAILQ_FIRST(&agent->icalls); ic != NULL; ic = next) {
		next = TAILQ_NEXT(ic, entry);
		if (agent->resumable && ic->kept) {
			if (ic->state == ICALL_SENT)
				ic->state = ICALL_AGAIN;
			ic->dom0_id = 0;
			continue;
		}
		client_answer(ic->client, ic->client_id, BALTIC_E_UNAVAILABLE,
		    "channel to dom0 lost");
		icall_free(ic);
	}
}

/* dom0 (again) sent CONFIG: send the calls that waited for it. */
void
local_dom0_configured(void)
{
	struct icall	*ic, *next;
	size_t		 n = 0;

	for (ic = TAILQ_FIRST(&agent->icalls); ic != NULL; ic = next) {
		next = TAILQ_NEXT(ic, entry);
		if (ic->state == ICALL_SENT)
			continue;
		if (ic->state == ICALL_AGAIN)
			n++;
		icall_send(ic, ic->arg);
	}
	if (n > 0)
		log_info("%zu import calls sent again to dom0", n);
}
