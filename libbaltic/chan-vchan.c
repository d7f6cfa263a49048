/*
 * chan-vchan.c: struct chan_transport over libxenvchan, shared by balticd
 * (client, in dom0) and baltic-agent (server, in the guest).
 *
 * The vchan runs non-blocking.  Its event channel fd reports both new
 * data and new ring space as readable (notify_fd), and is itself made
 * non-blocking, so that the ack (libxenvchan_wait, which consumes the
 * notification) never blocks, even when the channel is driven without a
 * fresh notification pending.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include <libxenvchan.h>

#include "chan-vchan.h"

static int
vt_fd(void *ctx)
{
	return libxenvchan_fd_for_select(ctx);
}

/* libxenvchan_read: >0 bytes, 0 nothing yet (non-blocking), -1 closed. */
static ssize_t
vt_read(void *ctx, void *buf, size_t len)
{
	struct libxenvchan	*v = ctx;
	int			 r;

	r = libxenvchan_read(v, buf, len);
	if (r > 0)
		return r;
	if (!libxenvchan_is_open(v))
		return 0;
	if (r == 0) {
		errno = EAGAIN;
		return -1;
	}
	errno = EIO;
	return -1;
}

static ssize_t
vt_write(void *ctx, const void *buf, size_t len)
{
	struct libxenvchan	*v = ctx;
	int			 r;

	if (!libxenvchan_is_open(v)) {
		errno = EPIPE;
		return -1;
	}
	r = libxenvchan_write(v, buf, len);
	if (r > 0)
		return r;
	if (r == 0) {
		errno = EAGAIN;
		return -1;
	}
	errno = EPIPE;
	return -1;
}

static size_t
vt_pending(void *ctx)
{
	int	r = libxenvchan_data_ready(ctx);

	return r > 0 ? (size_t)r : 0;
}

/* Consume the notification; the fd is non-blocking, so -1 if none. */
static void
vt_ack(void *ctx)
{
	libxenvchan_wait(ctx);
}

/* Vchans never to be closed (chan_vchan_abandon). */
static struct libxenvchan	**abandoned;
static size_t			  nabandoned;

#define VCHAN_PAGE_SHIFT	12

/*
 * Release a data ring that has pages of its own (a ring of a page or
 * more: ours are 64 KiB).  Those pages carry no unmap notify, so their
 * release touches no event channel: munmap gives their grants back.  A
 * smaller ring lives in the shared page, which stays.
 */
static void
vchan_release_ring(struct libxenvchan_ring *r)
{
	if (r->order >= VCHAN_PAGE_SHIFT && r->buffer != NULL) {
		munmap(r->buffer, (size_t)1 << r->order);
		r->buffer = NULL;
	}
}

/*
 * What can go, goes: the data rings (all but a page of the memory).
 * What stays: the shared page, whose unmap notify would put the old
 * event channel port (which after resume may be a new channel's), and
 * the event channel handle, whose close BUG()s on the port resume
 * unbound.  The struct stays too, so that the transport's close knows
 * it.
 */
void
chan_vchan_abandon(struct libxenvchan *v)
{
	struct libxenvchan	**nv;

	nv = reallocarray(abandoned, nabandoned + 1, sizeof *abandoned);
	if (nv == NULL)
		abort();	/* closing it later would crash the kernel */
	abandoned = nv;
	abandoned[nabandoned++] = v;
	vchan_release_ring(&v->read);
	vchan_release_ring(&v->write);
}

static void
vt_close(void *ctx)
{
	size_t	i;

	for (i = 0; i < nabandoned; i++)
		if (abandoned[i] == ctx)
			return;
	libxenvchan_close(ctx);
}

const struct chan_transport chan_vchan_transport = {
	.fd = vt_fd,
	.read = vt_read,
	.write = vt_write,
	.pending = vt_pending,
	.close = vt_close,
	.ack = vt_ack,
	.notify_fd = 1,
};

/* Non-blocking vchan and event fd; closes v and returns NULL if not. */
static struct libxenvchan *
vchan_nonblock(struct libxenvchan *v)
{
	int	fd, flags, saved;

	if (v == NULL)
		return NULL;
	v->blocking = 0;
	fd = libxenvchan_fd_for_select(v);
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		saved = errno;
		libxenvchan_close(v);
		errno = saved;
		return NULL;
	}
	return v;
}

struct libxenvchan *
chan_vchan_client(xentoollog_logger *logger, int self_domid, int domid,
    const char *path)
{
	if (domid < 0 || domid == self_domid) {
		errno = EINVAL;
		return NULL;
	}
	return vchan_nonblock(libxenvchan_client_init(logger, domid, path));
}

struct libxenvchan *
chan_vchan_server(xentoollog_logger *logger, int self_domid, int peer_domid,
    const char *path, size_t read_min, size_t write_min)
{
	if (peer_domid < 0 || peer_domid == self_domid) {
		errno = EINVAL;
		return NULL;
	}
	return vchan_nonblock(libxenvchan_server_init(logger, peer_domid, path,
	    read_min, write_min));
}
