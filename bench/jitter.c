/*
 * jitter: a persistent handler for the `par` tail benchmark.  Speaks the
 * framed protocol on fd 0 like tests/handlers/persist, and answers every
 * call with its argument -- at once, except for a random share of calls
 * (BENCH_JITTER_PCT, default 10 percent) that it answers after
 * BENCH_JITTER_MS (default 50) on a timer, never blocking.  Each process
 * draws its own random sequence, so two branches of a `par` are slow
 * independently.  CANCEL drops a delayed call without an answer.
 */
#include <sys/queue.h>
#include <sys/time.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "log.h"

#define JITTER_ARG_MAX	4096

struct late {
	LIST_ENTRY(late)	 entry;
	struct chan		*c;
	uint32_t		 id;
	struct event		*ev;
	size_t			 len;
	uint8_t			 arg[];
};

static LIST_HEAD(, late)	 lates = LIST_HEAD_INITIALIZER(lates);
static struct event_base	*base;
static unsigned			 pct = 10;
static struct timeval		 delay = { 0, 50 * 1000 };
static uint64_t			 rng;

/* xorshift64*: cheap, per process, no locks. */
static uint32_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static void
late_free(struct late *l)
{
	LIST_REMOVE(l, entry);
	event_free(l->ev);
	free(l);
}

static void
late_cb(evutil_socket_t fd, short what, void *arg)
{
	struct late	*l = arg;

	chan_send_result(l->c, l->id, BALTIC_OK, l->arg, l->len);
	late_free(l);
}

static void
on_call(struct chan *c, uint32_t id, const uint8_t *arg, size_t len)
{
	struct late	*l;

	if (rnd() % 100 >= pct || len > JITTER_ARG_MAX) {
		chan_send_result(c, id, BALTIC_OK, arg, len);
		return;
	}
	if ((l = malloc(sizeof *l + len)) == NULL) {
		chan_send_result(c, id, BALTIC_E_INTERNAL, "no memory", 9);
		return;
	}
	l->c = c;
	l->id = id;
	l->len = len;
	memcpy(l->arg, arg, len);
	if ((l->ev = evtimer_new(base, late_cb, l)) == NULL) {
		free(l);
		chan_send_result(c, id, BALTIC_E_INTERNAL, "no timer", 8);
		return;
	}
	evtimer_add(l->ev, &delay);
	LIST_INSERT_HEAD(&lates, l, entry);
}

static void
on_frame(struct chan *c, const struct baltic_hdr *h,
    const uint8_t *untrusted_body, void *arg)
{
	struct proto_call_view	 cv;
	struct late		*l;
	const char		*why;

	switch (h->type) {
	case BALTIC_MSG_CALL:
		if (proto_parse_call(untrusted_body, h->len, &cv, &why) == -1) {
			chan_fail(c, why);
			return;
		}
		on_call(c, h->call_id, cv.arg, cv.arglen);
		break;
	case BALTIC_MSG_CANCEL:
		LIST_FOREACH(l, &lates, entry) {
			if (l->id == h->call_id) {
				late_free(l);
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

static unsigned long
env_num(const char *name, unsigned long def, unsigned long max)
{
	const char	*s = getenv(name);
	char		*end;
	unsigned long	 v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > max)
		return def;
	return v;
}

int
main(void)
{
	static const struct chan_cbs cbs = { on_frame, NULL, on_close };
	struct chan	*c;
	struct late	*l;
	struct timeval	 now;
	unsigned long	 ms;

	log_init("jitter", 0);
	pct = env_num("BENCH_JITTER_PCT", 10, 100);
	ms = env_num("BENCH_JITTER_MS", 50, 60000);
	delay.tv_sec = ms / 1000;
	delay.tv_usec = (ms % 1000) * 1000;
	gettimeofday(&now, NULL);
	rng = ((uint64_t)getpid() << 32) ^ (uint64_t)now.tv_usec ^
	    ((uint64_t)now.tv_sec << 20) ^ 0x9E3779B97F4A7C15ULL;
	if (rng == 0)
		rng = 1;
	if ((base = event_base_new()) == NULL)
		return 1;
	if ((c = chan_new_fd(base, 0, &cbs, NULL)) == NULL)
		return 1;
	event_base_dispatch(base);
	while ((l = LIST_FIRST(&lates)) != NULL)
		late_free(l);
	chan_free(c);
	event_base_free(base);
	return 0;
}
