/*
 * chan.c: a framed channel (proto.h) over a byte transport, on a
 * libevent 2 loop.  One read event on the transport's fd, one write event
 * while output is blocked (none for notify-fd transports such as vchan),
 * one deferred event to report a write error found outside the loop
 * and, on a batched channel (chan_set_batch), to write at the end of the
 * loop's turn what the turn queued.
 *
 * Reentrancy: every entry from the loop counts itself in busy; chan_free
 * while busy only tears down the I/O and marks the channel freed, and the
 * outermost entry releases the memory when it unwinds.  After any user
 * callback the loop re-checks state, so a callback may send, fail or
 * free its channel.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "chan.h"
#include "log.h"

/*
 * Space asked of the input buffer per read.  libevent makes a chain of
 * this plus its header, rounded up to a power of two, and a read fills
 * the whole chain: 32 KiB gives 64 KiB chains and reads.  65536 made
 * 128 KiB and larger chains, which ASan's allocator (and glibc's, until
 * its mmap threshold adapts) maps and unmaps each time.
 */
#define CHAN_READ_CHUNK		32768
#define CHAN_READ_BUDGET	(1u << 20)	/* per wakeup, for fairness */

/*
 * A frame this large or larger, once its header has come, is read into
 * a buffer of its own (c->big) instead of the input evbuffer: its body
 * reaches the callback where the transport put it, without the copy
 * that evbuffer_pullup makes of a frame spread over chains.  The buffer
 * is sized by the header, which was checked against max_frame; only
 * the pages the data reaches become resident.  While the callback runs
 * the buffer is lent (proto_lend): what it sends on of the frame goes by
 * reference, and the buffer lives until the last such send is written.
 */
#define CHAN_BIG_FRAME		(64u * 1024)

enum chan_state {
	CHAN_HELLO,		/* waiting for the peer's HELLO */
	CHAN_READY,
	CHAN_CLOSED,		/* on_close called or chan_free'd */
};

struct chan {
	struct event_base		*base;
	const struct chan_transport	*t;
	void				*tctx;
	int				 topen;
	struct chan_cbs			 cbs;
	void				*arg;

	struct event			*rev;
	struct event			*wev;		/* NULL if notify_fd */
	struct event			*defer;
	struct evbuffer			*in;
	struct evbuffer			*out;

	enum chan_state			 state;
	int				 busy;
	int				 freed;
	int				 batch;		/* chan_set_batch */
	int				 link;		/* chan_set_link */
	int				 flush_due;	/* batch: defer writes */
	void				(*before)(void *);
	void				*before_arg;
	const char			*defer_why;
	char				 whybuf[128];

	struct proto_lendbuf		*big;		/* a large frame */
	size_t				 biglen;	/* bytes of it here */
	size_t				 bigwant;	/* its whole length */

	uint32_t			 version;
	uint32_t			 max_frame;
	struct chan_stats		 st;
};

static void	chan_io_cb(evutil_socket_t, short, void *);
static void	chan_defer_cb(evutil_socket_t, short, void *);
static int	chan_flush(struct chan *);

/* ---- lifetime -------------------------------------------------------- */

/* Stop all I/O and release the transport; no callback can follow. */
static void
chan_teardown_io(struct chan *c)
{
	if (c->rev != NULL)
		event_del(c->rev);
	if (c->wev != NULL)
		event_del(c->wev);
	if (c->defer != NULL)
		event_del(c->defer);
	if (c->topen) {
		c->topen = 0;
		c->t->close(c->tctx);
	}
}

static void
chan_destroy(struct chan *c)
{
	chan_teardown_io(c);
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	if (c->defer != NULL)
		event_free(c->defer);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	if (c->big != NULL)
		proto_lendbuf_release(NULL, 0, c->big);
	free(c);
}

/* Leave a loop entry; 1 if the channel is gone (freed) or closed and the
 * caller must not touch it again. */
static int
chan_leave(struct chan *c)
{
	if (--c->busy == 0 && c->freed) {
		chan_destroy(c);
		return 1;
	}
	return c->freed;
}

/* Takes ownership of the transport even on failure (it is closed). */
struct chan *
chan_new(struct event_base *base, const struct chan_transport *t, void *tctx,
    const struct chan_cbs *cbs, void *arg)
{
	struct chan	*c = NULL;
	int		 fd;

	c = calloc(1, sizeof *c);
	if (c == NULL) {
		t->close(tctx);
		return NULL;
	}
	c->base = base;
	c->t = t;
	c->tctx = tctx;
	c->topen = 1;
	c->cbs = *cbs;
	c->arg = arg;
	c->state = CHAN_HELLO;
	c->max_frame = BALTIC_FRAME_MAX;
	c->version = BALTIC_PROTO_VERSION;

	fd = t->fd(tctx);
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, chan_io_cb, c);
	if (!t->notify_fd)
		c->wev = event_new(base, fd, EV_WRITE, chan_io_cb, c);
	c->defer = event_new(base, -1, 0, chan_defer_cb, c);
	if (c->in == NULL || c->out == NULL || c->rev == NULL ||
	    c->defer == NULL || (!t->notify_fd && c->wev == NULL))
		goto fail;
	if (proto_put_hello(c->out, BALTIC_FRAME_MAX) == -1)
		goto fail;
	c->st.frames_out++;
	if (event_add(c->rev, NULL) == -1)
		goto fail;
	/* The first flush happens in the loop, which reports errors. */
	if (t->notify_fd)
		event_active(c->rev, EV_READ, 0);
	else if (event_add(c->wev, NULL) == -1)
		goto fail;
	return c;
fail:
	chan_destroy(c);
	return NULL;
}

void
chan_free(struct chan *c)
{
	if (c == NULL || c->freed)
		return;
	/* What this turn queued goes now, as unbatched; not where it must
	 * wait for before(): the owner fails what it sent on c anyway. */
	if (c->flush_due && c->state == CHAN_READY && c->before == NULL)
		(void)chan_flush(c);
	c->state = CHAN_CLOSED;
	c->freed = 1;
	chan_teardown_io(c);
	if (c->busy == 0)
		chan_destroy(c);
}

/* Close once: tear down, then tell the owner.  quiet: an ordinary end
 * (EOF), logged only in verbose mode. */
static void
chan_close(struct chan *c, const char *why, int quiet)
{
	if (c->state == CHAN_CLOSED || c->freed)
		return;
	c->state = CHAN_CLOSED;
	if (quiet)
		log_debug("channel closed: %s", why);
	else
		log_warnx("channel closed: %s", why);
	chan_teardown_io(c);
	c->busy++;
	if (c->cbs.on_close != NULL)
		c->cbs.on_close(c, why, c->arg);
	chan_leave(c);
}

void
chan_fail(struct chan *c, const char *why)
{
	chan_close(c, why, 0);
}

/* ---- output ---------------------------------------------------------- */

/* Write what the transport takes now; 0 (done or would block, write
 * event armed), -1 with errno on a transport error. */
static int
chan_flush(struct chan *c)
{
	struct evbuffer_iovec	v;
	ssize_t			r;

	while (evbuffer_get_length(c->out) > 0) {
		if (evbuffer_peek(c->out, -1, NULL, &v, 1) < 1)
			break;
		r = c->t->write(c->tctx, v.iov_base, v.iov_len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (c->wev != NULL && event_add(c->wev, NULL) == -1)
				return -1;
			return 0;
		}
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		evbuffer_drain(c->out, (size_t)r);
		c->st.bytes_out += (uint64_t)r;
	}
	if (c->wev != NULL)
		event_del(c->wev);
	return 0;
}

static void
chan_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chan	*c = arg;

	if (c->defer_why != NULL) {
		chan_fail(c, c->defer_why);
		return;
	}
	if (c->flush_due) {
		c->flush_due = 0;
		if (c->before != NULL) {	/* it may free c */
			c->busy++;
			c->before(c->before_arg);
			if (chan_leave(c))
				return;
		}
		if (c->state == CHAN_READY && chan_flush(c) == -1) {
			snprintf(c->whybuf, sizeof c->whybuf, "write: %s",
			    strerror(errno));
			chan_fail(c, c->whybuf);
		}
	}
}

/*
 * A large call's argument and result (frames up to 1 MiB) pass through
 * several evbuffers on their way, each a fresh allocation of their size.
 * glibc serves those from mmap and unmaps them when freed (or trims the
 * heap's top), so every large call faulted in its buffers' pages anew:
 * a 512 KiB echo spent most of its time in page faults (perf: 20% in
 * exc_page_fault under memcpy into evbuffer chains; 25 ms against 6 ms
 * with the heap kept).  Up to 4 MiB from the heap, and up to 16 MiB of
 * free heap kept: a process holds what its largest calls needed.
 */
void
chan_heap_tune(void)
{
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
}

/* What chan_heap_tune keeps goes back when its channels have gone: a
 * process holds its largest calls' memory while it serves them, not
 * after (balticd: once a farm is destroyed). */
void
chan_heap_release(void)
{
	malloc_trim(0);
}

/*
 * The events a loop turn runs are queued before the first of them runs,
 * and an event made active meanwhile runs after them: so the frames of
 * every call a turn handled leave in one write, at its end.
 */
void
chan_set_batch(struct chan *c, int on, void (*before)(void *), void *arg)
{
	c->batch = on;
	c->before = before;
	c->before_arg = arg;
}

void
chan_set_link(struct chan *c)
{
	c->link = 1;
}

/* Common checks before a frame is queued: 0, or -1 with errno. */
static int
chan_send_begin(struct chan *c, int *was_empty_r)
{
	if (c == NULL || c->state != CHAN_READY) {
		errno = ENOTCONN;
		return -1;
	}
	if (evbuffer_get_length(c->out) > CHAN_OUT_HIWAT) {
		errno = ENOBUFS;
		return -1;
	}
	*was_empty_r = evbuffer_get_length(c->out) == 0;
	return 0;
}

/* After proto_put_* returned r: count the frame and write it at once if
 * nothing was queued.  A write error is reported from the loop. */
static int
chan_send_end(struct chan *c, int was_empty, int r)
{
	if (r == -1)
		return -1;
	c->st.frames_out++;
	if (was_empty && c->batch) {
		if (!c->flush_due)
			event_active(c->defer, EV_TIMEOUT, 0);
		c->flush_due = 1;
		return 0;
	}
	if (was_empty && chan_flush(c) == -1 && c->defer_why == NULL) {
		snprintf(c->whybuf, sizeof c->whybuf, "write: %s",
		    strerror(errno));
		c->defer_why = c->whybuf;
		event_active(c->defer, EV_TIMEOUT, 0);
	}
	return 0;
}

int
chan_send(struct chan *c, uint32_t type, uint32_t call_id, const void *body,
    size_t len)
{
	int	was_empty;

	if (chan_send_begin(c, &was_empty) == -1)
		return -1;
	return chan_send_end(c, was_empty,
	    proto_put(c->out, c->max_frame, type, call_id, body, len));
}

int
chan_send_call(struct chan *c, uint32_t id, const char *iface, const char *op,
    uint32_t deadline_ms, const void *arg, size_t len)
{
	return chan_send_call_as(c, BALTIC_MSG_CALL, id, iface, op,
	    deadline_ms, arg, len);
}

int
chan_send_call_as(struct chan *c, uint32_t type, uint32_t id,
    const char *iface, const char *op, uint32_t deadline_ms, const void *arg,
    size_t len)
{
	int	was_empty;

	if (chan_send_begin(c, &was_empty) == -1)
		return -1;
	return chan_send_end(c, was_empty, proto_put_call_as(c->out,
	    c->max_frame, type, id, iface, op, deadline_ms, arg, len));
}

int
chan_send_call_to(struct chan *c, uint32_t id, const char *farm,
    const char *part, const char *iface, const char *op,
    uint32_t deadline_ms, const void *arg, size_t len)
{
	int	was_empty;

	if (chan_send_begin(c, &was_empty) == -1)
		return -1;
	return chan_send_end(c, was_empty, proto_put_call_to(c->out,
	    c->max_frame, id, farm, part, iface, op, deadline_ms, arg, len));
}

int
chan_send_image(struct chan *c, const char *farm, const char *part,
    uint32_t kind, uint64_t offset, const void *data, size_t len)
{
	int	was_empty;

	if (chan_send_begin(c, &was_empty) == -1)
		return -1;
	return chan_send_end(c, was_empty, proto_put_image(c->out,
	    c->max_frame, farm, part, kind, offset, data, len));
}

int
chan_send_result(struct chan *c, uint32_t id, uint32_t status,
    const void *payload, size_t len)
{
	return chan_send_result_as(c, BALTIC_MSG_RESULT, id, status, payload,
	    len);
}

int
chan_send_result_as(struct chan *c, uint32_t type, uint32_t id,
    uint32_t status, const void *payload, size_t len)
{
	int	was_empty;

	if (chan_send_begin(c, &was_empty) == -1)
		return -1;
	return chan_send_end(c, was_empty, proto_put_result_as(c->out,
	    c->max_frame, type, id, status, payload, len));
}

/* ---- input ----------------------------------------------------------- */

/* Handle the peer's HELLO: 0, or -1 after failing the channel. */
static int
chan_hello(struct chan *c, const struct baltic_hdr *h,
    const uint8_t *untrusted_body)
{
	struct baltic_hello	 hello;
	const char		*why;

	if (h->type != BALTIC_MSG_HELLO) {
		chan_fail(c, "frame before HELLO");
		return -1;
	}
	if (proto_parse_hello(untrusted_body, h->len, &hello, &why) == -1) {
		chan_fail(c, why);
		return -1;
	}
	/* Validated. */
	c->version = hello.version < BALTIC_PROTO_VERSION ?
	    hello.version : BALTIC_PROTO_VERSION;
	c->max_frame = hello.max_frame < BALTIC_FRAME_MAX ?
	    hello.max_frame : BALTIC_FRAME_MAX;
	c->state = CHAN_READY;
	return 0;
}

/* Hand one frame to its handler (the channel is ready); -1 if the
 * handler closed or freed the channel, or the frame broke the rules. */
static int
chan_dispatch(struct chan *c, const struct baltic_hdr *untrusted_h,
    const uint8_t *untrusted_body)
{
	c->st.frames_in++;
	if (untrusted_h->type == BALTIC_MSG_HELLO) {
		chan_fail(c, "second HELLO");
		return -1;
	}
	if (c->cbs.on_frame != NULL)
		c->cbs.on_frame(c, untrusted_h, untrusted_body, c->arg);
	return c->state == CHAN_CLOSED ? -1 : 0;
}

/* Move the start of a large frame (all that the input buffer holds)
 * into a buffer of its own, where chan_read puts the rest; -1 if out
 * of memory. */
static int
chan_big_begin(struct chan *c, size_t flen)
{
	size_t	have = evbuffer_get_length(c->in);

	if ((c->big = proto_lendbuf_new(flen)) == NULL)
		return -1;
	if (evbuffer_remove(c->in, c->big->data, have) != (int)have) {
		proto_lendbuf_release(NULL, 0, c->big);
		c->big = NULL;
		return -1;
	}
	c->biglen = have;
	c->bigwant = flen;
	return 0;
}

/* The large frame, if whole: handed on and let go.  -1 as chan_dispatch,
 * 1 if it is not whole yet, 0 otherwise. */
static int
chan_big_frame(struct chan *c)
{
	struct baltic_hdr	 untrusted_h;
	struct proto_lendbuf	*b = c->big;
	struct proto_loan	 loan;
	const struct proto_loan	*prev;
	int			 r;

	if (b == NULL)
		return 0;
	if (c->biglen < c->bigwant)
		return 1;
	c->big = NULL;
	/* Its header was checked when it came; the bytes are the same. */
	proto_decode_hdr(b->data, &untrusted_h);
	prev = proto_lend(proto_lendbuf_loan(b, c->bigwant, &loan));
	r = chan_dispatch(c, &untrusted_h, b->data + BALTIC_HDR_LEN);
	proto_lend(prev);
	proto_lendbuf_release(NULL, 0, b);
	return r;
}

/* Hand every whole frame in the input buffer to its handler.  Stops at
 * the first violation, or when a callback closes or frees the channel. */
static void
chan_frames(struct chan *c)
{
	uint8_t			 raw[BALTIC_HDR_LEN];
	struct baltic_hdr	 untrusted_h;
	const uint8_t		*untrusted_body;
	const char		*why;
	size_t			 flen;

	if (c->state == CHAN_CLOSED || chan_big_frame(c) != 0)
		return;
	while (c->state != CHAN_CLOSED) {
		if (evbuffer_get_length(c->in) < BALTIC_HDR_LEN)
			break;
		evbuffer_copyout(c->in, raw, sizeof raw);
		proto_decode_hdr(raw, &untrusted_h);
		if ((c->link ? proto_check_hdr_link(&untrusted_h,
		    c->max_frame, &why) : proto_check_hdr(&untrusted_h,
		    c->max_frame, &why)) == -1) {
			chan_fail(c, why);
			return;
		}
		/* The header is valid: known type, length fits. */
		flen = BALTIC_HDR_LEN + (size_t)untrusted_h.len;
		if (evbuffer_get_length(c->in) < flen) {
			if (flen >= CHAN_BIG_FRAME && c->state == CHAN_READY &&
			    chan_big_begin(c, flen) == -1)
				chan_fail(c, "out of memory");
			break;
		}
		untrusted_body = evbuffer_pullup(c->in, flen);
		if (untrusted_body == NULL) {
			chan_fail(c, "out of memory");
			return;
		}
		untrusted_body += BALTIC_HDR_LEN;
		if (c->state == CHAN_HELLO) {
			c->st.frames_in++;
			if (chan_hello(c, &untrusted_h, untrusted_body) == -1)
				return;
			evbuffer_drain(c->in, flen);
			if (c->cbs.on_ready != NULL)
				c->cbs.on_ready(c, c->arg);
			continue;
		}
		if (chan_dispatch(c, &untrusted_h, untrusted_body) == -1)
			return;
		evbuffer_drain(c->in, flen);
	}
}

/*
 * The input is empty: let go of what the last read reserved in it (that
 * read found nothing), so that an idle channel holds no chain.  Frames
 * are handed on after each read, so the read that hears EAGAIN finds the
 * buffer empty and reserves a fresh chain.  0 if out of memory.
 */
static int
chan_drop_input(struct chan *c)
{
	struct evbuffer	*in;

	if ((in = evbuffer_new()) == NULL)
		return 0;
	evbuffer_free(c->in);
	c->in = in;
	return 1;
}

/* One read: the bytes read (> 0), or 0 with *eof_r or *err_r set on end
 * of stream or error, or neither if nothing is there now. */
static ssize_t
chan_read(struct chan *c, int *eof_r, int *err_r)
{
	struct evbuffer_iovec	v;
	ssize_t			r;
	int			inbig;

	*eof_r = 0;
	*err_r = 0;
	inbig = c->big != NULL && c->biglen < c->bigwant;
	if (inbig) {
		/* The rest of a large frame, and no further. */
		v.iov_base = c->big->data + c->biglen;
		v.iov_len = c->bigwant - c->biglen;
	} else if (evbuffer_reserve_space(c->in, CHAN_READ_CHUNK, &v, 1) < 1) {
		*err_r = ENOMEM;
		return 0;
	}
	while ((r = c->t->read(c->tctx, v.iov_base, v.iov_len)) == -1 &&
	    errno == EINTR)
		;
	if (r > 0) {
		if (inbig)
			c->biglen += (size_t)r;
		else {
			v.iov_len = (size_t)r;
			evbuffer_commit_space(c->in, &v, 1);
		}
		c->st.bytes_in += (uint64_t)r;
		return r;
	}
	if (r == 0)
		*eof_r = 1;
	else if (errno != EAGAIN && errno != EWOULDBLOCK)
		*err_r = errno;
	return 0;
}

static void
chan_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chan	*c = arg;
	size_t		 total;
	ssize_t		 r;
	int		 more, eof, err;

	c->busy++;
	if (c->state == CHAN_CLOSED)
		goto out;
	if (c->t->ack != NULL)
		c->t->ack(c->tctx);
	if ((what & EV_WRITE) || c->t->notify_fd) {
		if (chan_flush(c) == -1) {
			snprintf(c->whybuf, sizeof c->whybuf, "write: %s",
			    strerror(errno));
			chan_fail(c, c->whybuf);
			goto out;
		}
	}
	if (!(what & EV_READ))
		goto out;
	/* Frames are handed on after each read, so that a large frame's
	 * header is seen before the rest of it is read (CHAN_BIG_FRAME). */
	for (total = 0, more = 0; ; ) {
		r = chan_read(c, &eof, &err);
		chan_frames(c);
		if (c->state == CHAN_CLOSED)
			goto out;
		if (r == 0)
			break;
		if ((total += (size_t)r) >= CHAN_READ_BUDGET) {
			more = 1;
			break;
		}
	}
	if (evbuffer_get_length(c->in) == 0 && !chan_drop_input(c))
		err = ENOMEM;
	if (err != 0) {
		snprintf(c->whybuf, sizeof c->whybuf, "read: %s",
		    strerror(err));
		chan_fail(c, c->whybuf);
		goto out;
	}
	if (eof) {
		chan_close(c, evbuffer_get_length(c->in) != 0 ||
		    c->big != NULL ?
		    "peer closed the channel mid-frame" :
		    "peer closed the channel", 1);
		goto out;
	}
	if (more || (c->t->pending != NULL && c->t->pending(c->tctx) > 0))
		event_active(c->rev, EV_READ, 0);
out:
	chan_leave(c);
}

/* ---- queries --------------------------------------------------------- */

int
chan_is_ready(const struct chan *c)
{
	return c != NULL && c->state == CHAN_READY;
}

uint32_t
chan_max_frame(const struct chan *c)
{
	return c->max_frame;
}

uint32_t
chan_version(const struct chan *c)
{
	return c->version;
}

void
chan_get_stats(const struct chan *c, struct chan_stats *st_r)
{
	*st_r = c->st;
}

size_t
chan_out_pending(const struct chan *c)
{
	return evbuffer_get_length(c->out);
}
