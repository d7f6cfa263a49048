/*
 * backend.c: what both backends share: the report of an asynchronous
 * operation's end from the loop (backend.h).
 */
#include <event2/event.h>

#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "log.h"

struct backend_later {
	backend_done_fn	*done;
	void		*arg;
	int		 rc;
	char		*err;
};

static void
backend_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct backend_later	*bl = arg;

	bl->done(bl->arg, bl->rc, bl->err);
	free(bl->err);
	free(bl);
}

void
backend_done_later(struct event_base *base, backend_done_fn *done,
    void *arg, int rc, const char *err)
{
	struct backend_later	*bl;

	if (done == NULL)
		return;
	if ((bl = calloc(1, sizeof *bl)) == NULL ||
	    (err != NULL && (bl->err = strdup(err)) == NULL))
		fatal("%s", __func__);
	bl->done = done;
	bl->arg = arg;
	bl->rc = rc;
	if (event_base_once(base, -1, EV_TIMEOUT, backend_later_cb, bl,
	    NULL) == -1)
		fatalx("%s: event_base_once", __func__);
}
