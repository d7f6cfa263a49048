/*
 * chan.h: a framed channel over a byte transport, driven by a libevent
 * loop.  The same code carries the protocol of proto.h over a Unix stream
 * socket (local backend, agent's local socket) and over libxenvchan (xen
 * backend): a transport is an fd to wait on plus read/write/close.
 *
 * The channel sends HELLO when it starts, negotiates version and frame
 * size, and hands every later, well-formed frame to on_frame.  Any
 * protocol violation (see proto.h), EOF or transport error calls on_close
 * once, with a reason, after which the channel only waits to be freed.
 */
#ifndef BALTIC_CHAN_H
#define BALTIC_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

struct event_base;
struct chan;

/*
 * A byte transport.  fd() is the descriptor that becomes readable when
 * read() may make progress (libxenvchan_fd_for_select for vchan).  read
 * and write follow read(2)/write(2): -1 with errno EAGAIN when they would
 * block, 0 from read at EOF.  pending() says how many bytes read() can
 * return without waiting, for transports that buffer (vchan); NULL if
 * none.  close() releases the transport.
 */
struct chan_transport {
	int	(*fd)(void *ctx);
	ssize_t	(*read)(void *ctx, void *buf, size_t len);
	ssize_t	(*write)(void *ctx, const void *buf, size_t len);
	size_t	(*pending)(void *ctx);
	void	(*close)(void *ctx);
	/* Optional (added for vchan; NULL/0 for sockets).  ack() is called
	 * each time fd() fires, before read/write (vchan: libxenvchan_wait,
	 * which does not block then).  notify_fd: fd() also reports write
	 * space (as readable), so the channel never waits for EV_WRITE. */
	void	(*ack)(void *ctx);
	int	notify_fd;
};

/* The transport for a connected, non-blocking stream socket; ctx is the
 * fd cast with (void *)(intptr_t). */
extern const struct chan_transport chan_fd_transport;

struct chan_cbs {
	/* A well-formed frame after HELLO.  untrusted_body is len bytes
	 * (hdr->len), freed when this returns. */
	void	(*on_frame)(struct chan *, const struct baltic_hdr *,
		    const uint8_t *untrusted_body, void *arg);
	/* HELLO exchanged: the channel may carry calls. */
	void	(*on_ready)(struct chan *, void *arg);
	/* Closed, never to carry another frame; why is static or
	 * valid until the return. */
	void	(*on_close)(struct chan *, const char *why, void *arg);
};

/* Start a channel on a transport (takes ownership of it). */
struct chan	*chan_new(struct event_base *, const struct chan_transport *,
		    void *tctx, const struct chan_cbs *, void *arg);
/* Convenience: chan_new over chan_fd_transport, sets O_NONBLOCK. */
struct chan	*chan_new_fd(struct event_base *, int fd,
		    const struct chan_cbs *, void *arg);
/* Close (on_close is NOT called) and free; idempotent on NULL.  Safe
 * inside any of the channel's own callbacks: the memory is released when
 * the callback returns, and no callback runs after chan_free. */
void		 chan_free(struct chan *);

/* Close with a reason: logs it, calls on_close.  Safe from callbacks. */
void		 chan_fail(struct chan *, const char *why);

int		 chan_is_ready(const struct chan *);
uint32_t	 chan_max_frame(const struct chan *);	/* negotiated */
uint32_t	 chan_version(const struct chan *);

/*
 * Queue frames; 0, or -1 if the channel is closed or the frame exceeds
 * the negotiated size.  Output is buffered up to a high-water mark, past
 * which sends fail with -1 and errno ENOBUFS (the peer is not reading).
 * errno: ENOTCONN before HELLO or after close, EMSGSIZE over the
 * negotiated frame.  Never calls on_close itself (a write error is
 * reported from the loop), so it is safe to call while iterating.
 */
#define CHAN_OUT_HIWAT	(4u * BALTIC_FRAME_MAX)
int	chan_send(struct chan *, uint32_t type, uint32_t call_id,
	    const void *body, size_t len);
int	chan_send_call(struct chan *, uint32_t id, const char *iface,
	    const char *op, uint32_t deadline_ms, const void *arg, size_t len);
int	chan_send_result(struct chan *, uint32_t id, uint32_t status,
	    const void *payload, size_t len);
/* The same with the type given (CALL_AGAIN, RESULT_LATE: proto.h). */
int	chan_send_call_as(struct chan *, uint32_t type, uint32_t id,
	    const char *iface, const char *op, uint32_t deadline_ms,
	    const void *arg, size_t len);
int	chan_send_result_as(struct chan *, uint32_t type, uint32_t id,
	    uint32_t status, const void *payload, size_t len);

/* A link between two balticd: the channel also takes CALL_TO
 * (proto.h), which any other channel refuses as an unknown type.  Set
 * before the loop reads the first frame. */
void	chan_set_link(struct chan *);
int	chan_send_call_to(struct chan *, uint32_t id, const char *farm,
	    const char *part, const char *iface, const char *op,
	    uint32_t deadline_ms, const void *arg, size_t len);
/* An IMAGE frame (proto.h) with len bytes of the image at offset. */
int	chan_send_image(struct chan *, const char *farm, const char *part,
	    uint32_t kind, uint64_t offset, const void *data, size_t len);

/* Counters, for `baltic list` and the tests. */
struct chan_stats {
	uint64_t	frames_in, frames_out;
	uint64_t	bytes_in, bytes_out;
};
void	chan_get_stats(const struct chan *, struct chan_stats *);
/* Bytes queued and not yet written. */
size_t	chan_out_pending(const struct chan *);
/* on: frames queued during a loop turn are written together at its end
 * (one write for many calls), not each at once; before(arg), if not
 * NULL, is called just before they are (balticd: the keeper gets the
 * calls' records first). */
void	chan_set_batch(struct chan *, int on, void (*before)(void *),
	    void *arg);
/* Once, at a process's start: the heap keeps the memory of large frames
 * for the next ones (see chan.c). */
void	chan_heap_tune(void);
/* Give the heap's free memory back to the system (after a teardown). */
void	chan_heap_release(void);

#endif /* BALTIC_CHAN_H */
