/*
 * late.c: the agent's answers to dom0, and those kept across a lost
 * channel (agent.c's decisions say when): an answer to a call of a lost
 * channel waits for the next one and goes out as RESULT_LATE; an answer
 * sent in the last AGENT_RESEND_MS before a loss may have died unread
 * with dom0, and is sent again so too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"

/* A kept answer: a reference to its payload if that is lent (a large
 * answer of a persistent handler, read into a buffer of its own), else
 * a copy. */
static struct late *
late_new(uint32_t id, uint32_t status, int64_t expiry_ms, const void *payload,
    size_t len)
{
	struct late	*l;
	void		(*release)(const void *, size_t, void *);
	void		*arg;
	int		 held;

	held = proto_buf_hold(payload, len, &release, &arg);
	if ((l = malloc(sizeof *l + (held ? 0 : len))) == NULL) {
		if (held)
			release(payload, len, arg);
		log_warn("call %u: answer not kept", id);
		return NULL;
	}
	l->id = id;
	l->status = status;
	l->expiry_ms = expiry_ms;
	l->sent_ms = 0;
	l->maybe = 0;
	l->len = len;
	l->release = held ? release : NULL;
	l->release_arg = held ? arg : NULL;
	l->payload = held ? payload : l->copy;
	if (!held && len > 0)
		memcpy(l->copy, payload, len);
	return l;
}

static void
late_free(struct late *l)
{
	if (l->release != NULL)
		l->release(l->payload, l->len, l->release_arg);
	free(l);
}

/*
 * Keep the answer to a call of a lost channel for the next one.  maybe:
 * an answer sent on the lost channel, which dom0 has most likely read
 * (recent_requeue).  When the kept answers are AGENT_LATE_MAX, one that
 * was never sent takes the place of the oldest such: a busy agent has
 * as many of those as it answered in AGENT_RESEND_MS, and they must not
 * crowd out the answers of the calls that were in flight.
 */
static void
late_keep(uint32_t id, uint32_t status, int64_t expiry_ms,
    const void *payload, size_t len, int maybe)
{
	struct late	*l;

	if (!agent->resumable)
		return;
	if (agent->nlates >= AGENT_LATE_MAX && !maybe) {
		TAILQ_FOREACH(l, &agent->lates, entry)
			if (l->maybe)
				break;
		if (l != NULL) {
			TAILQ_REMOVE(&agent->lates, l, entry);
			agent->nlates--;
			late_free(l);
		}
	}
	if (agent->nlates >= AGENT_LATE_MAX) {
		log_warnx("call %u: %zu answers already wait for dom0; "
		    "dropped", id, agent->nlates);
		return;
	}
	if ((l = late_new(id, status, expiry_ms, payload, len)) == NULL)
		return;
	l->maybe = maybe;
	TAILQ_INSERT_TAIL(&agent->lates, l, entry);
	agent->nlates++;
}

static void
recent_drop_first(void)
{
	struct late	*l = TAILQ_FIRST(&agent->recent);

	TAILQ_REMOVE(&agent->recent, l, entry);
	agent->nrecent--;
	agent->recent_bytes -= l->len;
	late_free(l);
}

/*
 * An answer just sent is lost if dom0 dies before it reads it: it is kept
 * for AGENT_RESEND_MS, and sent again as RESULT_LATE on the next channel
 * if this one is lost meanwhile (dom0 drops those nobody waits for).
 */
static void
recent_note(uint32_t id, uint32_t status, int64_t expiry_ms,
    const void *payload, size_t len)
{
	struct late	*l;
	int64_t		 now = agent_now_ms();

	if (!agent->resumable || len > AGENT_RESEND_BYTES)
		return;
	while ((l = TAILQ_FIRST(&agent->recent)) != NULL &&
	    (agent->nrecent >= AGENT_LATE_MAX ||
	    l->sent_ms < now - AGENT_RESEND_MS ||
	    agent->recent_bytes + len > AGENT_RESEND_BYTES))
		recent_drop_first();
	if ((l = late_new(id, status, expiry_ms, payload, len)) == NULL)
		return;
	l->sent_ms = now;
	TAILQ_INSERT_TAIL(&agent->recent, l, entry);
	agent->nrecent++;
	agent->recent_bytes += len;
}

/* The channel is lost: the answers it may have lost wait for the next. */
void
recent_requeue(void)
{
	struct late	*l;
	int64_t		 now = agent_now_ms();

	while ((l = TAILQ_FIRST(&agent->recent)) != NULL) {
		if (l->sent_ms < now - AGENT_RESEND_MS || !agent->resumable) {
			recent_drop_first();
			continue;
		}
		late_keep(l->id, l->status, l->expiry_ms, l->payload, l->len,
		    1);
		recent_drop_first();
	}
}

/* Send an answer; one too big for the negotiated frame becomes
 * BALTIC_E_HANDLER.  It is kept a while: recent_note. */
static void
answer_send(uint32_t type, uint32_t id, uint32_t status, int64_t expiry_ms,
    const void *payload, size_t len)
{
	static const char	big[] = "result larger than the frame size";

	if (chan_send_result_as(agent->dom0, type, id, status, payload, len)
	    == 0) {
		recent_note(id, status, expiry_ms, payload, len);
		return;
	}
	if (errno != EMSGSIZE) {
		log_warn("call %u: cannot send result", id);
		return;
	}
	if (chan_send_result_as(agent->dom0, type, id, BALTIC_E_HANDLER, big,
	    sizeof big - 1) == 0)
		recent_note(id, BALTIC_E_HANDLER, expiry_ms, big,
		    sizeof big - 1);
}

/* A channel is up: send the answers kept for it, those still wanted. */
void
late_flush(void)
{
	struct late	*l;
	int64_t		 now = agent_now_ms();

	while ((l = TAILQ_FIRST(&agent->lates)) != NULL) {
		TAILQ_REMOVE(&agent->lates, l, entry);
		agent->nlates--;
		if (l->expiry_ms == 0 || l->expiry_ms > now)
			answer_send(BALTIC_MSG_RESULT_LATE, l->id, l->status,
			    l->expiry_ms, l->payload, l->len);
		late_free(l);
	}
}

void
late_free_all(void)
{
	struct late	*l;

	while ((l = TAILQ_FIRST(&agent->lates)) != NULL) {
		TAILQ_REMOVE(&agent->lates, l, entry);
		late_free(l);
	}
	agent->nlates = 0;
	while (TAILQ_FIRST(&agent->recent) != NULL)
		recent_drop_first();
}

/*
 * Answer a call to dom0 and free it: a RESULT on the channel it came
 * on, RESULT_LATE on a later one, kept for the next channel when there
 * is none.
 */
void
agent_answer(struct ecall *ec, uint32_t status, const void *payload,
    size_t len)
{
	if (agent->dom0 == NULL || !chan_is_ready(agent->dom0))
		late_keep(ec->id, status, ec->expiry_ms, payload, len, 0);
	else
		answer_send(ec->gen == agent->gen ? BALTIC_MSG_RESULT :
		    BALTIC_MSG_RESULT_LATE, ec->id, status, ec->expiry_ms,
		    payload, len);
	ecall_free(ec);
}
