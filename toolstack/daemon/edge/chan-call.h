/*
 * chan-call.h: the calls a channel carries, whichever end it is: a
 * guest's (partition.c) or another balticd's (peer.c).  Calls that came
 * on it are kept by id until answered back on it (unless it has gone
 * by then); the answers to calls sent on it are held to the operation's
 * type before they finish their request.
 */
#ifndef BALTIC_CHAN_CALL_H
#define BALTIC_CHAN_CALL_H

#include <stdint.h>

struct chan;
struct farm_iface;
struct farm_op;
struct farm_run;
struct idmap;
struct node;
struct proto_call_view;
struct proto_result_view;
struct req;

/*
 * A request for call id, which came on *chanp (now) with v, to node n
 * within ms: kept in calls, answered on that channel when it ends.  Not
 * started; NULL when out of memory (the caller answers so).
 */
struct req	*chan_call_new(struct farm_run *, struct node *,
		    struct farm_iface *, struct farm_op *,
		    const struct proto_call_view *, unsigned ms,
		    struct idmap *calls, struct chan **chanp, uint32_t id);
/* The other end cancels its call id (unknown: nothing to do). */
void		 chan_call_cancel(struct idmap *calls, uint32_t id);
/* The channel is gone: every call that came on it is cancelled. */
void		 chan_calls_cancel(struct idmap *calls);

/*
 * The request a RESULT for id answers, taken out of pend: 1 and *r_r;
 * 0 for a late answer to a call in cancelled (dropped); -1 for a call
 * never sent.
 */
int		 chan_result_req(struct idmap *pend, struct idmap *cancelled,
		    uint32_t id, struct req **r_r);
/* Finish r with the validated RESULT v from who, a result checked
 * against the operation's type; the status r ended with. */
uint32_t	 chan_result_finish(struct req *r,
		    const struct proto_result_view *v, const char *who);

#endif /* BALTIC_CHAN_CALL_H */
