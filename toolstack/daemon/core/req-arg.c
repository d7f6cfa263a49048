/*
 * req-arg.c: the argument a request tree shares.  The root owns it; it
 * is a proto_lendbuf, counted, because a channel may still hold it by
 * reference after the request is gone (req_lend, proto_lend): a large
 * argument goes to a partition's channel without a copy.
 */
#include <sys/queue.h>

#include <string.h>

#include "daemon/daemon.h"
#include "proto.h"

/* A copy of arg, counted once; *data_r: where its bytes are. */
struct proto_lendbuf *
req_arg_new(const void *arg, size_t len, const uint8_t **data_r)
{
	struct proto_lendbuf	*b;

	if ((b = proto_lendbuf_new(len)) == NULL)
		return NULL;
	memcpy(b->data, arg, len);
	*data_r = b->data;
	return b;
}

const struct proto_loan *
req_lend(const struct req *r, struct proto_loan *l)
{
	while (r->parent != NULL)
		r = r->parent;
	return r->argbuf == NULL ? NULL :
	    proto_lendbuf_loan(r->argbuf, r->arglen, l);
}
