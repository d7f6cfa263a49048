/*
 * obs.c: the counters of obs.h: a call's end sorted into its kind of
 * error and its latency bucket.
 */
#include <sys/time.h>

#include <event2/event.h>

#include <stdlib.h>
#include <string.h>

#include "daemon/obs/obs.h"
#include "log.h"
#include "proto.h"

/* 250 us to 10 s, about 2.5x apart: a handler exec'd per call takes a
 * few milliseconds, a persistent one well under one. */
const uint64_t obs_bound_us[OBS_NBOUNDS] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000, 2500000, 10000000,
};

static const char *const obs_kind_names[OBS_E_MAX] = {
	[OBS_E_HANDLER] = "handler",
	[OBS_E_UNAVAILABLE] = "unavailable",
	[OBS_E_TIMEOUT] = "timeout",
	[OBS_E_OVERLOAD] = "overload",
	[OBS_E_BADANSWER] = "bad_answer",
	[OBS_E_REFUSED] = "refused",
	[OBS_E_INTERNAL] = "internal",
};

const char *
obs_kind_name(enum obs_kind k)
{
	if ((unsigned)k >= OBS_E_MAX)
		fatalx("%s: unsupported kind %d", __func__, k);
	return obs_kind_names[k];
}

/* The kind of error of a status other than BALTIC_OK. */
static enum obs_kind
obs_kind(uint32_t status)
{
	switch (status) {
	case BALTIC_E_HANDLER:
		return OBS_E_HANDLER;
	case BALTIC_E_UNAVAILABLE:
	case BALTIC_E_CANCELLED:
		return OBS_E_UNAVAILABLE;
	case BALTIC_E_TIMEOUT:
		return OBS_E_TIMEOUT;
	case BALTIC_E_OVERLOAD:
		return OBS_E_OVERLOAD;
	case BALTIC_E_BADRESULT:
		return OBS_E_BADANSWER;
	case BALTIC_E_NOOP:
	case BALTIC_E_ARG:
	case BALTIC_E_DENIED:
		return OBS_E_REFUSED;
	default:
		return OBS_E_INTERNAL;
	}
}

uint64_t
obs_now_us(struct event_base *base)
{
	struct timeval	tv;

	if (event_base_gettimeofday_cached(base, &tv) == -1)
		return 0;
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

/* A call answered with status after us microseconds. */
void
obs_end(struct obs_calls *c, uint32_t status, uint64_t us)
{
	size_t	i;

	if (status == BALTIC_OK)
		c->ok++;
	else
		c->errors[obs_kind(status)]++;
	for (i = 0; i < OBS_NBOUNDS && us > obs_bound_us[i]; i++)
		;
	c->buckets[i]++;
	c->sum_us += us;
}

uint64_t
obs_answered(const struct obs_calls *c)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < OBS_NBUCKETS; i++)
		n += c->buckets[i];
	return n;
}

uint64_t
obs_errors(const struct obs_calls *c)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < OBS_E_MAX; i++)
		n += c->errors[i];
	return n;
}

uint64_t
obs_in_flight(const struct obs_calls *c)
{
	uint64_t	ended = obs_answered(c) + c->cancelled;

	return c->calls > ended ? c->calls - ended : 0;
}

void
obs_node_init(struct obs_node *o, size_t nbranches)
{
	o->nbranches = nbranches;
	if (nbranches == 0)
		return;
	if ((o->branch_calls = calloc(3 * nbranches, sizeof *o->branch_calls))
	    == NULL)
		fatal("%s", __func__);
	o->branch_passed = o->branch_calls + nbranches;
	o->branch_wins = o->branch_calls + 2 * nbranches;
}

void
obs_node_resize(struct obs_node *o, size_t nbranches)
{
	struct obs_node	 old = *o;
	size_t		 keep = old.nbranches < nbranches ? old.nbranches :
			    nbranches;

	o->branch_calls = o->branch_passed = o->branch_wins = NULL;
	obs_node_init(o, nbranches);
	if (keep > 0) {
		memcpy(o->branch_calls, old.branch_calls,
		    keep * sizeof *o->branch_calls);
		memcpy(o->branch_passed, old.branch_passed,
		    keep * sizeof *o->branch_passed);
		memcpy(o->branch_wins, old.branch_wins,
		    keep * sizeof *o->branch_wins);
	}
	free(old.branch_calls);
}

void
obs_node_dispose(struct obs_node *o)
{
	free(o->branch_calls);
	free(o->label);
	o->branch_calls = o->branch_passed = o->branch_wins = NULL;
	o->label = NULL;
	o->nbranches = 0;
}
