/*
 * chan-fd.c: struct chan_transport over a file descriptor (a socket or a
 * pipe), and chan_new_fd on it.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "chan.h"

static int
fdt_fd(void *ctx)
{
	return (int)(intptr_t)ctx;
}

static ssize_t
fdt_read(void *ctx, void *buf, size_t len)
{
	return read((int)(intptr_t)ctx, buf, len);
}

/* send(2), not write(2): a closed peer must give EPIPE, not SIGPIPE. */
static ssize_t
fdt_write(void *ctx, const void *buf, size_t len)
{
	ssize_t	r;

	r = send((int)(intptr_t)ctx, buf, len, MSG_NOSIGNAL);
	if (r == -1 && errno == ENOTSOCK)
		r = write((int)(intptr_t)ctx, buf, len);
	return r;
}

static void
fdt_close(void *ctx)
{
	close((int)(intptr_t)ctx);
}

const struct chan_transport chan_fd_transport = {
	.fd = fdt_fd,
	.read = fdt_read,
	.write = fdt_write,
	.pending = NULL,
	.close = fdt_close,
	.ack = NULL,
	.notify_fd = 0,
};

struct chan *
chan_new_fd(struct event_base *base, int fd, const struct chan_cbs *cbs,
    void *arg)
{
	int	flags;

	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		close(fd);
		return NULL;
	}
	return chan_new(base, &chan_fd_transport, (void *)(intptr_t)fd, cbs,
	    arg);
}
