/*
 * vchan-test: libxenvchan round trip for the Xen-in-QEMU tests.
 *
 *   vchan-test server PEER_DOMID XS_PATH
 *	Offer a vchan (64 KiB rings) at XS_PATH (relative paths are under the
 *	caller's /local/domain/<id>) and echo everything back until the peer
 *	closes.
 *   vchan-test client SERVER_DOMID XS_PATH BYTES
 *	Connect (retrying up to 60 s while the server comes up), stream BYTES
 *	of a pattern, check the echo, print the throughput.
 *   vchan-test offers N SECONDS
 *	Wait until N guests offer their agent's vchan (data/baltic/agent in
 *	their xenstore home), polling every 50 ms from one process (under
 *	TCG every process forked risks an emulation fault); print how long
 *	it took.
 *
 * Exit status 0 on success.  Built by tests/xen/run-check-xen.sh with the
 * host's gcc against libxen-dev.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxenvchan.h>
#include <xenstore.h>

#define RING_SIZE	65536
#define CHUNK		32768

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
server(int peer, const char *path)
{
	struct libxenvchan *ctrl;
	static char buf[CHUNK];
	long long total = 0;
	int n, off, w;

	ctrl = libxenvchan_server_init(NULL, peer, path, RING_SIZE, RING_SIZE);
	if (ctrl == NULL) {
		fprintf(stderr, "vchan-test: server_init %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	ctrl->blocking = 1;
	printf("vchan-test: server listening at %s\n", path);
	fflush(stdout);
	for (;;) {
		n = libxenvchan_read(ctrl, buf, sizeof buf);
		if (n <= 0)
			break;
		for (off = 0; off < n; off += w) {
			w = libxenvchan_write(ctrl, buf + off, n - off);
			if (w <= 0)
				goto out;
		}
		total += n;
	}
out:
	printf("vchan-test: server echoed %lld bytes\n", total);
	libxenvchan_close(ctrl);
	return 0;
}

/*
 * Stream BYTES through the echo server with the vchan in non-blocking mode:
 * keep the send ring full while draining the receive ring, so the rate is
 * the channel's, not one wake-up per packet.
 */
static int
client(int domid, const char *path, long long bytes)
{
	struct libxenvchan *ctrl = NULL;
	static unsigned char out[CHUNK], in[CHUNK];
	long long sent = 0, got = 0, o;
	double t0, t;
	int n, r, progress, rc = 1;

	for (t0 = now(); now() - t0 < 60; usleep(100000)) {
		ctrl = libxenvchan_client_init(NULL, domid, path);
		if (ctrl != NULL)
			break;
	}
	if (ctrl == NULL) {
		fprintf(stderr, "vchan-test: no server at %d:%s\n", domid, path);
		return 1;
	}
	ctrl->blocking = 0;
	t0 = now();
	while (got < bytes) {
		progress = 0;
		n = libxenvchan_buffer_space(ctrl);
		if (n > bytes - sent)
			n = bytes - sent;
		if (n > CHUNK)
			n = CHUNK;
		if (n > 0) {
			for (o = 0; o < n; o++)
				out[o] = (unsigned char)((sent + o) * 7 + 3);
			r = libxenvchan_write(ctrl, out, n);
			if (r < 0)
				goto fail;
			sent += r;
			progress |= r > 0;
		}
		n = libxenvchan_data_ready(ctrl);
		if (n > 0) {
			r = libxenvchan_read(ctrl, in, n > CHUNK ? CHUNK : n);
			if (r < 0)
				goto fail;
			for (o = 0; o < r; o++)
				if (in[o] != (unsigned char)((got + o) * 7 + 3)) {
					fprintf(stderr, "vchan-test: echo mismatch "
					    "at %lld\n", got + o);
					goto out;
				}
			got += r;
			progress |= r > 0;
		}
		if (!progress) {
			if (!libxenvchan_is_open(ctrl) || libxenvchan_wait(ctrl) < 0)
				goto fail;
		}
	}
	t = now() - t0;
	printf("vchan-test: %lld bytes each way in %.3f s (%.1f MB/s)\n",
	    bytes, t, t > 0 ? bytes / t / 1e6 : 0.0);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "vchan-test: i/o failed after %lld sent, %lld back\n",
	    sent, got);
out:
	libxenvchan_close(ctrl);
	return rc;
}

/* Guests (domid > 0) whose data/baltic/agent exists. */
static int
count_offers(struct xs_handle *xs)
{
	char **doms, path[64], *v;
	unsigned int i, n, len;
	int k = 0;

	if ((doms = xs_directory(xs, XBT_NULL, "/local/domain", &n)) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (atoi(doms[i]) <= 0)
			continue;
		snprintf(path, sizeof path, "/local/domain/%s/data/baltic/agent",
		    doms[i]);
		if ((v = xs_read(xs, XBT_NULL, path, &len)) != NULL)
			k++;
		free(v);
	}
	free(doms);
	return k;
}

static int
offers(int want, double secs)
{
	struct xs_handle *xs;
	double t0 = now();
	int k = 0;

	if ((xs = xs_open(0)) == NULL) {
		perror("vchan-test: xs_open");
		return 1;
	}
	while (now() - t0 < secs && (k = count_offers(xs)) < want)
		usleep(50000);
	xs_close(xs);
	printf("vchan-test: %d of %d guests offering after %.2f s\n", k, want,
	    now() - t0);
	return k >= want ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "server") == 0)
		return server(atoi(argv[2]), argv[3]);
	if (argc == 5 && strcmp(argv[1], "client") == 0)
		return client(atoi(argv[2]), argv[3], atoll(argv[4]));
	if (argc == 4 && strcmp(argv[1], "offers") == 0)
		return offers(atoi(argv[2]), atof(argv[3]));
	fprintf(stderr, "usage: vchan-test server PEER_DOMID XS_PATH\n"
	    "       vchan-test client SERVER_DOMID XS_PATH BYTES\n"
	    "       vchan-test offers N SECONDS\n");
	return 2;
}
