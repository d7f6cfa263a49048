/*
 * etcd-watch.c: watches, one evhttp connection each (HTTP/1.1 has no
 * full duplex: a watch is cancelled by closing its connection).  The
 * response body is newline-delimited JSON whose lines may split
 * anywhere across chunks: the chunks go into one buffer, read a line at
 * a time, a line longer than ETCD_LINE_MAX ends the watch.
 *
 * The watch ends (its end callback, then it is freed) on a cancel from
 * etcd (a compacted start revision), an error line, garbage, EOF or a
 * failed connection.  Until etcd said "created", a failure tries the
 * next member.  next_rev follows the events delivered, so the caller
 * can watch again from where this one stopped.
 *
 * As with the unary operations (etcd.c), the connection is freed only
 * from the watch's deferred event, never inside libevent's HTTP code.
 */
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd-int.h"

#define ETCD_ERRBODY_MAX	1024	/* bytes of a refused watch's body */

struct etcd_watch {
	TAILQ_ENTRY(etcd_watch)		 entry;
	struct etcd			*e;
	struct etcd_body		 body;
	etcd_watch_cb			 cb;
	etcd_watch_end_cb		 end;
	void				*arg;
	size_t				 ep, tried;
	int64_t				 next_rev;
	int				 created;
	struct evhttp_connection	*evcon;
	struct evbuffer			*buf;		/* a line's start */
	int				 err;		/* evhttp's */
	struct event			*defer;
	struct event			*setup;		/* until created */
	int				 ending;	/* end_rc, end_msg set */
	int				 retry;		/* next member */
	int				 cancelled;
	int				 in_cb;
	enum etcd_rc			 end_rc;
	char				 end_msg[256];
};

static void	watch_attempt(struct etcd_watch *);

static void
watch_free(struct etcd_watch *w)
{
	TAILQ_REMOVE(&w->e->watches, w, entry);
	if (w->evcon != NULL)
		evhttp_connection_free(w->evcon);
	if (w->defer != NULL)
		event_free(w->defer);
	if (w->setup != NULL)
		event_free(w->setup);
	if (w->buf != NULL)
		evbuffer_free(w->buf);
	free(w->body.text);
	free(w);
}

void
etcd_watch_cancel(struct etcd_watch *w)
{
	if (w == NULL)
		return;
	if (w->in_cb) {
		/* inside its own connection's callback: free it later */
		w->cancelled = 1;
		event_active(w->defer, EV_TIMEOUT, 0);
		return;
	}
	watch_free(w);
}

/* Stop reading; the deferred event ends the watch (or, retry, tries the
 * next member).  The first reason given stands. */
static void
watch_stop(struct etcd_watch *w, enum etcd_rc rc, const char *msg)
{
	if (w->ending)
		return;
	w->ending = 1;
	w->end_rc = rc;
	snprintf(w->end_msg, sizeof w->end_msg, "%s: %s",
	    w->e->eps[w->ep].hostport, msg);
	w->retry = !w->created && w->tried < w->e->neps &&
	    (rc == ETCD_UNAVAILABLE || rc == ETCD_EOF);
	event_active(w->defer, EV_TIMEOUT, 0);
}

/* One line of the stream: deliver its events, or stop. */
static void
watch_line(struct etcd_watch *w, const char *untrusted_line, size_t len)
{
	struct etcd_line	 l;
	size_t			 i;

	if (len == 0 || (len == 1 && untrusted_line[0] == '\r'))
		return;
	etcd_line_init(&l);
	etcd_line_parse(untrusted_line, len, &l);
	switch (l.kind) {
	case ETCD_LINE_CREATED:
		w->created = 1;
		evtimer_del(w->setup);
		if (w->next_rev == 0 && l.header_rev > 0)
			w->next_rev = l.header_rev + 1;
		w->e->cur = w->ep;
		break;
	case ETCD_LINE_PROGRESS:
		break;
	case ETCD_LINE_EVENTS:
		if (!w->created) {
			watch_stop(w, ETCD_BADREPLY, "events before created");
			break;
		}
		for (i = 0; i < l.nevents; i++)
			if (l.events[i].kv.mod_revision >= w->next_rev)
				w->next_rev = l.events[i].kv.mod_revision + 1;
		if (l.nevents > 0)
			w->cb(l.events, l.nevents, w->arg);
		break;
	case ETCD_LINE_END:
		watch_stop(w, l.rc, l.msg);
		break;
	}
	etcd_line_dispose(&l);
}

/* A chunk of the body, from inside libevent: split it into lines. */
static void
watch_chunk_cb(struct evhttp_request *hreq, void *arg)
{
	struct etcd_watch	*w = arg;
	struct evbuffer		*in = evhttp_request_get_input_buffer(hreq);
	struct evbuffer_ptr	 p;
	size_t			 n;

	if (w->ending || w->cancelled) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (evhttp_request_get_response_code(hreq) != 200) {
		/* an error's body: keep its start for the message */
		n = evbuffer_get_length(w->buf);
		evbuffer_remove_buffer(in, w->buf, n < ETCD_ERRBODY_MAX ?
		    ETCD_ERRBODY_MAX - n : 0);
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	evbuffer_add_buffer(w->buf, in);
	w->in_cb = 1;
	while (!w->ending && !w->cancelled) {
		p = evbuffer_search(w->buf, "\n", 1, NULL);
		if (p.pos < 0) {
			if (evbuffer_get_length(w->buf) > ETCD_LINE_MAX)
				watch_stop(w, ETCD_BADREPLY, "a watch line "
				    "too long");
			break;
		}
		if ((size_t)p.pos > ETCD_LINE_MAX) {
			watch_stop(w, ETCD_BADREPLY, "a watch line too long");
			break;
		}
		watch_line(w, (const char *)evbuffer_pullup(w->buf, p.pos + 1),
		    (size_t)p.pos);
		evbuffer_drain(w->buf, (size_t)p.pos + 1);
	}
	w->in_cb = 0;
}

static void
watch_error_cb(enum evhttp_request_error err, void *arg)
{
	struct etcd_watch	*w = arg;

	w->err = (int)err;
}

/* The stream ended (or never began), from inside libevent. */
static void
watch_done_cb(struct evhttp_request *hreq, void *arg)
{
	struct etcd_watch	*w = arg;
	struct etcd_reply	 r;
	int			 code;

	code = hreq != NULL ? evhttp_request_get_response_code(hreq) : 0;
	if (w->ending || w->cancelled)
		return;
	if (code != 0 && evbuffer_get_length(
	    evhttp_request_get_input_buffer(hreq)) > 0)
		watch_chunk_cb(hreq, w);
	if (w->ending || w->cancelled)
		return;
	if (code == 0) {
		watch_stop(w, ETCD_UNAVAILABLE, w->err == ETCD_NO_ERR ?
		    "connection refused" : w->err == EVREQ_HTTP_TIMEOUT ?
		    "timed out" : "connection failed");
	} else if (code != 200) {
		etcd_reply_init(&r);
		etcd_reply_parse(ETCD_K_RANGE, code,
		    (const char *)evbuffer_pullup(w->buf, -1),
		    evbuffer_get_length(w->buf), &r);
		watch_stop(w, code == 503 ? ETCD_UNAVAILABLE : ETCD_ERROR,
		    r.msg);
		etcd_reply_dispose(&r);
	} else if (evbuffer_get_length(w->buf) > 0) {
		/* a last line without its '\n' */
		w->in_cb = 1;
		watch_line(w, (const char *)evbuffer_pullup(w->buf, -1),
		    evbuffer_get_length(w->buf));
		w->in_cb = 0;
		watch_stop(w, ETCD_EOF, "the watch's stream ended");
	} else
		watch_stop(w, ETCD_EOF, "the watch's stream ended");
}

/* Out of libevent's HTTP code: free the connection, then end the watch
 * or try the next member. */
static void
watch_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_watch	*w = arg;

	(void)fd;
	(void)what;
	if (w->cancelled) {
		watch_free(w);
		return;
	}
	if (w->evcon != NULL) {
		evhttp_connection_free(w->evcon);
		w->evcon = NULL;
	}
	evbuffer_drain(w->buf, evbuffer_get_length(w->buf));
	if (!w->ending) {
		watch_attempt(w);
		return;
	}
	if (w->retry) {
		w->ending = w->retry = 0;
		w->ep = (w->ep + 1) % w->e->neps;
		watch_attempt(w);
		return;
	}
	w->in_cb = 1;
	w->end(w->end_rc, w->end_msg, w->next_rev, w->arg);
	watch_free(w);
}

/* No "created" in time: a member cut off, a stream that never starts. */
static void
watch_setup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_watch	*w = arg;

	(void)fd;
	(void)what;
	watch_stop(w, ETCD_UNAVAILABLE, "no watch set up in time");
}

/* Watch through member w->ep; it has its share of the client's
 * timeout to say "created" (the last member, all of it). */
static void
watch_attempt(struct etcd_watch *w)
{
	struct etcd	*e = w->e;
	struct timeval	 tv;
	unsigned	 ms;

	w->tried++;
	w->err = ETCD_NO_ERR;
	ms = e->timeout_ms / (unsigned)e->neps;
	if (ms < ETCD_ATTEMPT_MIN_MS)
		ms = ETCD_ATTEMPT_MIN_MS;
	if (w->tried >= e->neps || ms > e->timeout_ms)
		ms = e->timeout_ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(w->setup, &tv);
	if ((w->evcon = etcd_conn_new(e, w->ep, 0, 64 * ETCD_LINE_MAX)) ==
	    NULL || etcd_conn_post(w->evcon, &e->eps[w->ep], "/v3/watch",
	    &w->body, watch_done_cb, watch_chunk_cb, watch_error_cb, w) == -1) {
		w->tried = e->neps;
		watch_stop(w, ETCD_UNAVAILABLE, "out of memory");
	}
}

struct etcd_watch *
etcd_watch(struct etcd *e, const void *prefix, size_t prefixlen,
    int64_t start_rev, etcd_watch_cb cb, etcd_watch_end_cb end, void *arg)
{
	struct etcd_watch	*w;
	struct etcd_body_args	 a = { .key = prefix, .keylen = prefixlen,
	    .prefix = 1, .num = start_rev };

	if (prefixlen > ETCD_KEY_MAX || start_rev < 0 ||
	    (w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->e = e;
	w->cb = cb;
	w->end = end;
	w->arg = arg;
	w->ep = e->cur;
	w->next_rev = start_rev;
	TAILQ_INSERT_TAIL(&e->watches, w, entry);
	if (etcd_body_watch(&a, &w->body) == -1 ||
	    (w->buf = evbuffer_new()) == NULL ||
	    (w->defer = event_new(e->base, -1, 0, watch_defer_cb, w)) ==
	    NULL ||
	    (w->setup = evtimer_new(e->base, watch_setup_cb, w)) == NULL) {
		watch_free(w);
		return NULL;
	}
	/* The first attempt from the loop: no callback inside this call. */
	event_active(w->defer, EV_TIMEOUT, 0);
	return w;
}
