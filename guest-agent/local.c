/*
 * local.c: the agent's local socket, where baltic-call and handlers call
 * the role's imports.  Each connection is a chan; a CALL is checked
 * against CONFIG's imports (BALTIC_E_DENIED if not one: dom0 checks
 * again and never trusts us), forwarded to dom0 with a fresh id, and its
 * RESULT mapped back.  A client that goes away has its calls cancelled at
 * dom0; a lost dom0 fails every call in flight with BALTIC_E_UNAVAILABLE.
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
		if (ic->dom0_id == id)
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

static void
client_call(struct lclient *cl, const struct baltic_hdr *h,
    const uint8_t *untrusted_body)
{
	struct proto_call_view	 cv;
	struct icall		*ic;
	const char		*why;

	if (proto_parse_call(untrusted_body, h->len, &cv, &why) == -1) {
		chan_fail(cl->c, why);
		return;
	}
	/* Validated. */
	if (icall_by_client(cl, h->call_id) != NULL) {
		chan_fail(cl->c, "CALL id already in flight");
		return;
	}
	if (agent->dom0 == NULL || !agent->configured) {
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
	if ((ic = calloc(1, sizeof *ic)) == NULL) {
		client_answer(cl, h->call_id, BALTIC_E_INTERNAL,
		    "out of memory");
		return;
	}
	ic->client = cl;
	ic->client_id = h->call_id;
	ic->dom0_id = import_id();
	if (chan_send_call(agent->dom0, ic->dom0_id, cv.iface, cv.op,
	    cv.deadline_ms, cv.arg, cv.arglen) == -1) {
		client_answer(cl, h->call_id, errno == ENOBUFS ?
		    BALTIC_E_OVERLOAD : errno == EMSGSIZE ? BALTIC_E_ARG :
		    BALTIC_E_UNAVAILABLE, strerror(errno));
		free(ic);
		return;
	}
	TAILQ_INSERT_TAIL(&agent->icalls, ic, entry);
	TAILQ_INSERT_TAIL(&cl->calls, ic, centry);
	agent->nicalls++;
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
		if (agent->dom0 != NULL)
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
		if (agent->dom0 != NULL)
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

/* dom0 is gone: every import in flight fails. */
void
local_dom0_lost(void)
{
	struct icall	*ic;

	while ((ic = TAILQ_FIRST(&agent->icalls)) != NULL) {
		client_answer(ic->client, ic->client_id, BALTIC_E_UNAVAILABLE,
		    "channel to dom0 lost");
		icall_free(ic);
	}
}
