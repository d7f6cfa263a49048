/*
 * persist: a persistent handler for tests and benchmarks.  Speaks the
 * framed protocol on fd 0 (a socket the agent gives as stdin and stdout).
 * Ops: Echo (the argument back), Slow (argument: milliseconds; answers
 * "slept N" after that long, on a timer, never blocking), Fail
 * (BALTIC_E_HANDLER), anything else: the argument back.  CANCEL drops a
 * pending Slow without an answer.
 *
 * BALTIC_PERSIST_JITTER=PCT:MS answers that share of the other calls MS
 * late, each process drawing its own random sequence: the `par` tail
 * benchmark (bench/run.sh) runs it so.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "chan.h"
#include "log.h"

#define SLOW_MAX_MS	600000

struct slow {
	LIST_ENTRY(slow)	 entry;
	struct chan		*c;
	uint32_t		 id;
	unsigned long		 ms;
	struct event		*ev;
	char			*reply;		/* NULL: "slept N" */
	size_t			 replylen;
};

static LIST_HEAD(, slow)	 slows = LIST_HEAD_INITIALIZER(slows);
static struct event_base	*base;
static unsigned			 jitter_pct, jitter_ms;

static void
slow_free(struct slow *s)
{
	LIST_REMOVE(s, entry);
	event_free(s->ev);
	free(s->reply);
	free(s);
}

static void
slow_cb(evutil_socket_t fd, short what, void *arg)
{
	struct slow	*s = arg;
	char		 msg[64];

	if (s->reply != NULL)
		chan_send_result(s->c, s->id, BALTIC_OK, s->reply, s->replylen);
	else {
		snprintf(msg, sizeof msg, "slept %lu", s->ms);
		chan_send_result(s->c, s->id, BALTIC_OK, msg, strlen(msg));
	}
	slow_free(s);
}

/* Answer call id after ms, with reply (copied) or "slept N". */
static int
answer_later(struct chan *c, uint32_t id, unsigned long ms,
    const uint8_t *reply, size_t len)
{
	struct slow	*s;
	struct timeval	 tv;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return -1;
	if (reply != NULL) {
		if ((s->reply = malloc(len + 1)) == NULL) {
			free(s);
			return -1;
		}
		memcpy(s->reply, reply, len);
		s->replylen = len;
	}
	s->c = c;
	s->id = id;
	s->ms = ms;
	s->ev = evtimer_new(base, slow_cb, s);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->ev, &tv);
	LIST_INSERT_HEAD(&slows, s, entry);
	return 0;
}

static void
do_slow(struct chan *c, uint32_t id, const uint8_t *arg, size_t len)
{
	char		 num[16];
	char		*end;
	unsigned long	 ms;

	if (len == 0 || len >= sizeof num)
		goto bad;
	memcpy(num, arg, len);
	num[len] = '\0';
	ms = strtoul(num, &end, 10);
	if (*end != '\0' && *end != '\n')
		goto bad;
	if (ms > SLOW_MAX_MS || answer_later(c, id, ms, NULL, 0) == -1)
		goto bad;
	return;
bad:
	chan_send_result(c, id, BALTIC_E_ARG, "Slow wants milliseconds", 23);
}

static void
on_frame(struct chan *c, const struct baltic_hdr *h,
    const uint8_t *untrusted_body, void *arg)
{
	struct proto_call_view	 cv;
	struct slow		*s;
	const char		*why;

	switch (h->type) {
	case BALTIC_MSG_CALL:
		if (proto_parse_call(untrusted_body, h->len, &cv, &why) == -1) {
			chan_fail(c, why);
			return;
		}
		if (strcmp(cv.op, "Slow") == 0)
			do_slow(c, h->call_id, cv.arg, cv.arglen);
		else if (strcmp(cv.op, "Fail") == 0)
			chan_send_result(c, h->call_id, BALTIC_E_HANDLER,
			    "failed as asked", 15);
		else if (jitter_pct > 0 &&
		    arc4random_uniform(100) < jitter_pct &&
		    answer_later(c, h->call_id, jitter_ms, cv.arg,
		    cv.arglen) == 0)
			;	/* answered late */
		else
			chan_send_result(c, h->call_id, BALTIC_OK, cv.arg,
			    cv.arglen);
		break;
	case BALTIC_MSG_CANCEL:
		LIST_FOREACH(s, &slows, entry) {
			if (s->id == h->call_id) {
				slow_free(s);
				break;
			}
		}
		break;
	case BALTIC_MSG_PING:
		chan_send(c, BALTIC_MSG_PONG, h->call_id, untrusted_body,
		    h->len);
		break;
	}
}

static void
on_close(struct chan *c, const char *why, void *arg)
{
	event_base_loopbreak(base);
}

int
main(void)
{
	static const struct chan_cbs cbs = { on_frame, NULL, on_close };
	struct chan	*c;
	struct slow	*s;
	const char	*j = getenv("BALTIC_PERSIST_JITTER");

	log_init("persist", 0);
	chan_heap_tune();
	if (j != NULL && sscanf(j, "%u:%u", &jitter_pct, &jitter_ms) != 2)
		jitter_pct = 0;
	if ((base = event_base_new()) == NULL)
		return 1;
	if ((c = chan_new_fd(base, 0, &cbs, NULL)) == NULL)
		return 1;
	chan_set_batch(c, 1, NULL, NULL);
	event_base_dispatch(base);
	while ((s = LIST_FIRST(&slows)) != NULL)
		slow_free(s);
	chan_free(c);
	event_base_free(base);
	return 0;
}
