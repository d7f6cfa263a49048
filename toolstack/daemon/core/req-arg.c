/*
 * req-arg.c: the argument a request tree shares.  The root owns it; it
 * is counted, because a channel may still hold it by reference after
 * the request is gone (req_lend, proto_lend): a large argument goes to
 * a partition's channel without a copy.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "proto.h"

struct req_arg {
	unsigned	refs;
	uint8_t		data[];
};

/* A copy of arg, counted once; *data_r: where its bytes are. */
struct req_arg *
req_arg_new(const void *arg, size_t len, const uint8_t **data_r)
{
	struct req_arg	*a;

	if ((a = malloc(sizeof *a + len)) == NULL)
		return NULL;
	a->refs = 1;
	memcpy(a->data, arg, len);
	*data_r = a->data;
	return a;
}

static void
req_arg_retain(void *arg)
{
	struct req_arg	*a = arg;

	a->refs++;
}

void
req_arg_release(const void *data, size_t len, void *arg)
{
	struct req_arg	*a = arg;

	if (--a->refs == 0)
		free(a);
}

int
req_lend(const struct req *r, struct proto_loan *l)
{
	while (r->parent != NULL)
		r = r->parent;
	if (r->argbuf == NULL)
		return 0;
	l->base = r->argbuf->data;
	l->len = r->arglen;
	l->retain = req_arg_retain;
	l->release = req_arg_release;
	l->arg = r->argbuf;
	return 1;
}
