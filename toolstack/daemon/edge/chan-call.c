/* chan-call.c: see chan-call.h. */
#include <stdlib.h>

#include "chan.h"
#include "daemon/daemon.h"
#include "daemon/edge/chan-call.h"
#include "log.h"
#include "util/util.h"

/* A call that came on a channel, until its answer goes back there. */
struct chan_call {
	struct idmap	*calls;
	struct chan	**chanp;	/* the owner's channel now */
	struct chan	*chan;		/* the one it came on */
	uint32_t	 id;
};

static void
chan_call_done(struct req *r, uint32_t status, const void *payload,
    size_t len, void *arg)
{
	struct chan_call	*cc = arg;

	idmap_del(cc->calls, cc->id);
	if (*cc->chanp == cc->chan && cc->chan != NULL)
		chan_send_result(cc->chan, cc->id, status, payload, len);
	free(cc);
}

struct req *
chan_call_new(struct farm_run *f, struct node *n, struct farm_iface *iface,
    struct farm_op *op, const struct proto_call_view *v, unsigned ms,
    struct idmap *calls, struct chan **chanp, uint32_t id)
{
	struct chan_call	*cc;
	struct req		*r;

	if ((cc = calloc(1, sizeof *cc)) == NULL)
		return NULL;
	cc->calls = calls;
	cc->chanp = chanp;
	cc->chan = *chanp;
	cc->id = id;
	r = req_new(f, n, iface, op, v->arg, v->arglen, ms, chan_call_done,
	    cc);
	if (r == NULL || idmap_put(calls, id, r) == -1) {
		if (r != NULL)
			req_cancel(r);
		free(cc);
		return NULL;
	}
	return r;
}

/* Its answer no longer goes anywhere: cancelled without done. */
void
chan_call_cancel(struct idmap *calls, uint32_t id)
{
	struct req	*r;

	if ((r = idmap_del(calls, id)) == NULL)
		return;
	free(r->done_arg);
	req_cancel(r);
}

void
chan_calls_cancel(struct idmap *calls)
{
	uint32_t	id;

	while ((id = idmap_any(calls)) != 0)
		chan_call_cancel(calls, id);
}

int
chan_result_req(struct idmap *pend, struct idmap *cancelled, uint32_t id,
    struct req **r_r)
{
	if ((*r_r = idmap_del(pend, id)) != NULL)
		return 1;
	return idmap_del(cancelled, id) != NULL ? 0 : -1;
}

uint32_t
chan_result_finish(struct req *r, const struct proto_result_view *v,
    const char *who)
{
	const char	*why;
	char		 msg[512];

	if (v->status != BALTIC_OK) {
		printable(msg, sizeof msg, v->payload, v->len);
		req_finishf(r, v->status, "%s: %s: %s", who,
		    baltic_status_name(v->status), msg);
		return v->status;
	}
	if (farm_value_check(r->op->result, v->payload, v->len, &why) == -1) {
		log_warnx("%s: %s.%s: result of the wrong type: %s", who,
		    r->iface->name, r->op->name, why);
		req_finishf(r, BALTIC_E_BADRESULT, "%s: %s.%s returned a "
		    "result that is not %s: %s", who, r->iface->name,
		    r->op->name, farm_vtype_name(r->op->result), why);
		return BALTIC_E_BADRESULT;
	}
	req_finish(r, BALTIC_OK, v->payload, v->len);
	return BALTIC_OK;
}
