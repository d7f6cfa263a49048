/*
 * obs.h: what balticd counts, for `baltic top` (the control command
 * CTL_CMD_STATS) and Prometheus (/metrics).
 *
 * Every counter is a plain integer in a struct made when the graph is
 * built: the router adds to it on the fast path with no allocation, no
 * lock and no system call (the loop's cached time gives the latency).
 * Counters only grow; they start at zero with balticd, as Prometheus
 * expects of a process's counters.
 *
 * The sets, and where the router fills them:
 *	struct obs_calls	calls begun, ended by kind of error, cancelled,
 *				latency; one per node (binding, partition),
 *				per export, per farm and origin, and per
 *				partition for the calls its guest makes
 *	struct obs_node		a node's obs_calls, and by kind: an `or`'s
 *				calls and calls passed on per branch, a
 *				`par`'s wins per branch, cancels and hedges, a
 *				ref's rewires
 */
#ifndef BALTIC_OBS_H
#define BALTIC_OBS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Latency buckets: upper bounds in microseconds; one more, +Inf. */
#define OBS_NBOUNDS	14
#define OBS_NBUCKETS	(OBS_NBOUNDS + 1)
extern const uint64_t obs_bound_us[OBS_NBOUNDS];

/* Kinds of error, from a call's status (obs_kind). */
enum obs_kind {
	OBS_E_HANDLER,		/* the handler failed */
	OBS_E_UNAVAILABLE,	/* no branch, partition or remote took it */
	OBS_E_TIMEOUT,		/* its deadline passed */
	OBS_E_OVERLOAD,		/* refused: too many calls in flight */
	OBS_E_BADANSWER,	/* an answer of the wrong type */
	OBS_E_REFUSED,		/* bad argument, unknown operation, denied */
	OBS_E_INTERNAL,		/* balticd's own failure (out of memory) */
	OBS_E_MAX
};
/* "handler", "unavailable", ...: the label `kind` and the JSON key. */
const char	*obs_kind_name(enum obs_kind);

struct obs_calls {
	uint64_t	calls;			/* begun */
	uint64_t	ok;			/* answered with success */
	uint64_t	errors[OBS_E_MAX];	/* answered with an error */
	uint64_t	cancelled;		/* stopped, never answered */
	uint64_t	buckets[OBS_NBUCKETS];	/* answered, by latency; not
						 * cumulative */
	uint64_t	sum_us;			/* of the answered */
};

struct obs_node {
	struct obs_calls c;
	char		*label;		/* binding name, or a name made from
					 * where it is (obs_label_graph) */
	size_t		 nbranches;	/* or, par */
	uint64_t	*branch_calls;	/* or: calls sent to branch i */
	uint64_t	*branch_passed;	/* or: failed at i, passed on */
	uint64_t	*branch_wins;	/* par: first success from i */
	uint64_t	 cancels;	/* par: branches cancelled by a win */
	uint64_t	 hedged;	/* hedged par: branch calls sent after
					 * the first (its delay passed, or the
					 * ones sent failed) */
	uint64_t	 rewires;	/* ref: `baltic set` */
};

/* The loop's cached time in microseconds (no system call in a
 * callback). */
uint64_t	 obs_now_us(struct event_base *);

/* The fast path. */
static inline void
obs_begin(struct obs_calls *c)
{
	c->calls++;
}
void		 obs_end(struct obs_calls *, uint32_t status, uint64_t us);
static inline void
obs_cancel(struct obs_calls *c)
{
	c->cancelled++;
}

/* Answered calls: the sum of the buckets. */
uint64_t	 obs_answered(const struct obs_calls *);
/* Errors of every kind. */
uint64_t	 obs_errors(const struct obs_calls *);
/* Begun and not ended yet. */
uint64_t	 obs_in_flight(const struct obs_calls *);

/* A node's branch counters for nbranches (0: none); exits if out of
 * memory, as the graph's builder does.  _dispose is idempotent. */
void		 obs_node_init(struct obs_node *, size_t nbranches);
void		 obs_node_dispose(struct obs_node *);
/* The same for nbranches now (an elastic or's pool grew or shrank): the
 * first branches' counts kept. */
void		 obs_node_resize(struct obs_node *, size_t nbranches);

#endif /* BALTIC_OBS_H */
