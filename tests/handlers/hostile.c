/*
 * hostile.c: a guest agent that breaks the protocol on purpose, for
 * tests/system/hostile.sh (local backend) and tests/xen/dom0.d/
 * 85-hostile.sh (a PV guest's agent).  Same command line as baltic-agent:
 * -c CHANNEL_SOCK -d IMAGE_DIR -n INSTANCE (local), or -x -d IMAGE_DIR
 * (xen: the instance is xenstore's data/baltic/instance); -s and -v are
 * accepted and ignored.  The misbehaviour is read from IMAGE_DIR/mode,
 * else it is the instance name's last "-" component:
 *
 *   garbage          random bytes after HELLO
 *   prehello         random bytes instead of HELLO
 *   oversize         offers 8192-byte frames, then a header announcing
 *                    a bigger one (and no body)
 *   midframe         half a frame, then EOF
 *   strayresult      a RESULT for a call id dom0 never sent
 *   badstatus        a RESULT whose status is past the table
 *   unimported       a CALL to an interface the role does not import
 *   dupcall          two CALLs to a real import under one call id
 *   wrongtype        well behaved, but every CALL is answered OK "abc"
 *   flood            PINGs and CALLs to IEcho.Sleep as fast as the socket
 *                    takes them, reading nothing for FLOOD_SECS, then
 *                    reads what came back and reports it on stderr
 *   unknown          a frame of a type nobody defined
 *   guestconfig      a CONFIG, which only dom0 may send
 *   hellobad         HELLO with version 0
 *   hellosmall       HELLO offering frames below BALTIC_FRAME_MIN
 *   callbeforehello  a CALL as the first frame
 *   sink             well behaved: answers every CALL with its argument
 *
 * In xen mode, xenstore's data/baltic/mode, read again before each
 * connection, overrides both: dom0 may run one guest through several
 * modes.
 *
 * Until the file named by $BALTIC_HOSTILE_GO exists (if that is set; in
 * xen mode, until xenstore's data/baltic/go does) the agent behaves, so
 * `baltic create` sees it ready; then it misbehaves.  Whenever dom0
 * closes the channel it reconnects after 100 ms and misbehaves again, so
 * a test can count the closes.  It exits when its parent (balticd) goes
 * away.
 *
 * Xen mode keeps the same session code on a socket: a child process
 * offers the vchan as baltic-agent does (guest-agent/xen-offer.c) and
 * copies bytes between it and the other end of a socketpair, closing
 * each side when the other closes (see pump()).
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxenvchan.h>
#include <xenstore.h>

#include "proto.h"
#include "xen-offer.h"

#define RECONNECT_MS	100
#define FLOOD_SECS	6
#define DRAIN_MS	1500
#define HOSTILE_FRAME	8192		/* what the oversize mode offers */
#define DOM0_WAIT_MS	3000		/* for dom0's CONFIG, or its close */
#define DOM0_WAIT_XEN_MS 30000		/* the same in a guest under TCG */

static const char	*chan_path;
static const char	*instance;
static char		 mode[64];
static const char	*go_path;
static int		 armed;
static int		 got_config;	/* on this connection */
static pid_t		 parent;
static struct xs_handle	*xs;		/* xen mode */
static pid_t		 pump_pid = -1;	/* xen mode: this session's pump */
static int		 dom0_wait_ms = DOM0_WAIT_MS;

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "hostile %s (%s): ", instance, mode);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
is_armed(void)
{
	char		*go;
	unsigned int	 len;

	if (!armed && xs != NULL) {
		if ((go = xs_read(xs, XBT_NULL, "data/baltic/go", &len))
		    != NULL)
			armed = 1;
		free(go);
	} else if (!armed && (go_path == NULL || access(go_path, F_OK) == 0))
		armed = 1;
	return armed;
}

static int
mode_is(const char *m)
{
	return strcmp(mode, m) == 0;
}

/* Modes that misbehave before or instead of HELLO. */
static int
mode_prehello(void)
{
	return mode_is("prehello") || mode_is("hellobad") ||
	    mode_is("hellosmall") || mode_is("callbeforehello");
}

/* Write all of buf, waiting for room; 0, or -1 when dom0 hung up. */
static int
put_raw(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	struct pollfd	 pfd = { fd, POLLOUT, 0 };
	ssize_t		 r;

	while (len > 0) {
		r = send(fd, p, len, MSG_NOSIGNAL);
		if (r > 0) {
			p += r;
			len -= (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN) {
			if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
				return -1;
			if (getppid() != parent)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

static int
put_frame(int fd, uint32_t type, uint32_t id, const void *body, size_t len)
{
	uint8_t	hdr[BALTIC_HDR_LEN];

	proto_encode_hdr(hdr, type, (uint32_t)len, id);
	if (put_raw(fd, hdr, sizeof hdr) == -1)
		return -1;
	return len == 0 ? 0 : put_raw(fd, body, len);
}

static int
put_hello(int fd, uint32_t version, uint32_t max_frame)
{
	uint8_t	body[BALTIC_HELLO_LEN];

	proto_encode_le32(body, version);
	proto_encode_le32(body + 4, max_frame);
	return put_frame(fd, BALTIC_MSG_HELLO, 0, body, sizeof body);
}

/* A CALL frame, header included, into buf; its length. */
static size_t
enc_call(uint8_t *buf, uint32_t id, const char *iface, const char *op,
    const char *arg)
{
	size_t	head, alen = strlen(arg);

	head = proto_encode_call_head(buf + BALTIC_HDR_LEN, iface, op, 0);
	memcpy(buf + BALTIC_HDR_LEN + head, arg, alen);
	proto_encode_hdr(buf, BALTIC_MSG_CALL, (uint32_t)(head + alen), id);
	return BALTIC_HDR_LEN + head + alen;
}

static int
put_call(int fd, uint32_t id, const char *iface, const char *op,
    const char *arg)
{
	uint8_t	buf[BALTIC_HDR_LEN + BALTIC_CALL_HEAD_MAX + 64];

	return put_raw(fd, buf, enc_call(buf, id, iface, op, arg));
}

static int
put_result(int fd, uint32_t id, uint32_t status, const void *p, size_t len)
{
	uint8_t	buf[BALTIC_RESULT_LEN + 4096];

	if (len > 4096)
		len = 4096;
	proto_encode_le32(buf, status);
	memcpy(buf + BALTIC_RESULT_LEN, p, len);
	return put_frame(fd, BALTIC_MSG_RESULT, id, buf,
	    BALTIC_RESULT_LEN + len);
}

static int
put_garbage(int fd, size_t n)
{
	uint8_t	buf[512];
	size_t	i;

	if (n > sizeof buf)
		n = sizeof buf;
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)random();
	return put_raw(fd, buf, n);
}

/* A reader of whole frames from a blocking-with-timeout socket. */
struct rd {
	uint8_t	buf[BALTIC_FRAME_MAX + BALTIC_HDR_LEN];
	size_t	len;
};
static struct rd	rd;

/*
 * Next frame from dom0 within ms milliseconds: 1 (h_r, body in rd.buf +
 * BALTIC_HDR_LEN, consume with rd_drop), 0 on timeout, -1 when dom0
 * closed the channel or sent something we cannot read.
 */
static int
rd_frame(int fd, int ms, struct baltic_hdr *h_r)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	uint64_t	until = now_ms() + (uint64_t)ms;
	ssize_t		r;
	int		left;

	for (;;) {
		if (rd.len >= BALTIC_HDR_LEN) {
			proto_decode_hdr(rd.buf, h_r);
			if (h_r->len > BALTIC_FRAME_MAX)
				return -1;
			if (rd.len >= BALTIC_HDR_LEN + h_r->len)
				return 1;
		}
		left = (int)(until - now_ms());
		if (left <= 0 || (int64_t)(until - now_ms()) < 0)
			return 0;
		if (poll(&pfd, 1, left) == -1 && errno != EINTR)
			return -1;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = recv(fd, rd.buf + rd.len, sizeof rd.buf - rd.len,
		    MSG_DONTWAIT);
		if (r == 0)
			return -1;
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r == -1)
			return -1;
		rd.len += (size_t)r;
	}
}

static void
rd_drop(const struct baltic_hdr *h)
{
	size_t	n = BALTIC_HDR_LEN + h->len;

	memmove(rd.buf, rd.buf + n, rd.len - n);
	rd.len -= n;
}

/* Wait for dom0 to close the channel (it must); 0 if it did. */
static int
await_close(int fd, int ms)
{
	struct baltic_hdr	h;
	uint64_t		until = now_ms() + (uint64_t)ms;
	int			r;

	while (now_ms() < until) {
		if ((r = rd_frame(fd, 200, &h)) == -1)
			return 0;
		if (r == 1)
			rd_drop(&h);
		if (getppid() != parent)
			return -1;
	}
	say("dom0 did not close the channel within %d ms", ms);
	return -1;
}

/* Read until dom0's CONFIG, so the channel is up on its side: 0, or -1. */
static int
await_config(int fd)
{
	struct baltic_hdr	h;
	uint64_t		until = now_ms() + (uint64_t)dom0_wait_ms;
	uint32_t		type;

	while (now_ms() < until) {
		switch (rd_frame(fd, 200, &h)) {
		case -1:
			return -1;
		case 1:
			type = h.type;
			rd_drop(&h);
			if (type == BALTIC_MSG_CONFIG) {
				got_config = 1;
				return 0;
			}
			break;
		}
	}
	return -1;
}

/*
 * Behave as an agent until armed (then 1) or until the channel closes
 * (then -1).  wrongtype and sink answer calls their own way even then.
 */
static int
behave(int fd, int forever)
{
	struct baltic_hdr	 h;
	const uint8_t		*body;
	struct proto_call_view	 v;
	const char		*why;
	int			 r;

	while (forever || !is_armed()) {
		if (getppid() != parent)
			return -1;
		if ((r = rd_frame(fd, 50, &h)) == -1)
			return -1;
		if (r == 0)
			continue;
		body = rd.buf + BALTIC_HDR_LEN;
		switch (h.type) {
		case BALTIC_MSG_PING:
			r = put_frame(fd, BALTIC_MSG_PONG, h.call_id, body,
			    h.len);
			break;
		case BALTIC_MSG_CALL:
			if (proto_parse_call(body, h.len, &v, &why) == -1)
				r = put_result(fd, h.call_id, BALTIC_E_ARG,
				    why, strlen(why));
			else if (mode_is("wrongtype"))
				r = put_result(fd, h.call_id, BALTIC_OK,
				    "abc", 3);
			else if (mode_is("sink"))
				r = put_result(fd, h.call_id, BALTIC_OK,
				    v.arg, v.arglen);
			else
				r = put_result(fd, h.call_id,
				    BALTIC_E_HANDLER, "not yet", 7);
			break;
		case BALTIC_MSG_CONFIG:
			got_config = 1;
			r = 0;
			break;
		default:
			r = 0;		/* HELLO, CANCEL, RESULT */
			break;
		}
		rd_drop(&h);
		if (r == -1)
			return -1;
	}
	return 1;
}

/*
 * The flood: PINGs and CALLs to the real import IEcho.Sleep, written as
 * fast as the socket takes them, nothing read, for FLOOD_SECS; then read
 * for DRAIN_MS and report what came back.  -1 if the channel closed.
 */
static int
flood(int fd, unsigned round)
{
	static uint32_t		 next_id = 1;
	uint8_t			 batch[64 * 1024];
	struct baltic_hdr	 h;
	struct proto_result_view v;
	const char		*why;
	uint64_t		 until = now_ms() + FLOOD_SECS * 1000;
	unsigned long		 calls = 0, pings = 0, pongs = 0;
	unsigned long		 ok = 0, cap = 0, overload = 0, other = 0;
	size_t			 n, i;
	uint8_t			 nonce[8] = { 0 };
	int			 r;

	while (now_ms() < until) {
		if (getppid() != parent)
			return -1;
		n = 0;
		for (i = 0; i < 256; i++) {
			if (i % 4 == 0) {
				proto_encode_hdr(batch + n, BALTIC_MSG_PING,
				    8, 0);
				memcpy(batch + n + BALTIC_HDR_LEN, nonce, 8);
				n += BALTIC_HDR_LEN + 8;
				pings++;
			}
			if (++next_id == 0)
				next_id = 1;
			n += enc_call(batch + n, next_id, "IEcho", "Sleep",
			    "10000");
			calls++;
		}
		if (put_raw(fd, batch, n) == -1)
			return -1;
	}
	until = now_ms() + DRAIN_MS;
	while (now_ms() < until) {
		if ((r = rd_frame(fd, (int)(until - now_ms()), &h)) == -1)
			return -1;
		if (r == 0)
			break;
		if (h.type == BALTIC_MSG_PONG)
			pongs++;
		else if (h.type == BALTIC_MSG_RESULT &&
		    proto_parse_result(rd.buf + BALTIC_HDR_LEN, h.len, &v,
		    &why) == 0) {
			if (v.status == BALTIC_OK)
				ok++;
			else if (v.status == BALTIC_E_OVERLOAD &&
			    memmem(v.payload, v.len, "calls in flight",
			    15) != NULL)
				cap++;
			else if (v.status == BALTIC_E_OVERLOAD)
				overload++;
			else
				other++;
		}
		rd_drop(&h);
	}
	say("round %u: sent %lu calls and %lu pings in %d s; read back "
	    "%lu pongs, results: %lu ok, %lu over dom0's cap, %lu other "
	    "overload, %lu other", round, calls, pings, FLOOD_SECS, pongs,
	    ok, cap, overload, other);
	return 0;
}

/* One connection: behave until armed, then misbehave.  Returns when the
 * channel is gone (or should be). */
static void
session(int fd, unsigned round)
{
	uint8_t	hdr[BALTIC_HDR_LEN];
	char	msg[32];

	rd.len = 0;
	got_config = 0;
	if (is_armed() && mode_prehello()) {
		if (mode_is("prehello"))
			put_garbage(fd, 64);
		else if (mode_is("hellobad"))
			put_hello(fd, 0, BALTIC_FRAME_MAX);
		else if (mode_is("hellosmall"))
			put_hello(fd, BALTIC_PROTO_VERSION, BALTIC_FRAME_MIN - 1);
		else if (mode_is("callbeforehello"))
			put_call(fd, 1, "IEcho", "Echo", "x");
		await_close(fd, dom0_wait_ms);
		return;
	}
	if (put_hello(fd, BALTIC_PROTO_VERSION, mode_is("oversize") ?
	    HOSTILE_FRAME : BALTIC_FRAME_MAX) == -1)
		return;
	if (behave(fd, 0) == -1)
		return;
	if (!mode_prehello() && !got_config && await_config(fd) == -1)
		return;
	if (mode_prehello()) {
		say("armed: reconnecting to misbehave before HELLO");
		return;
	}
	if (mode_is("wrongtype") || mode_is("sink")) {
		behave(fd, 1);
		return;
	}
	if (mode_is("flood")) {
		flood(fd, round);
		return;		/* closed by us: reconnect and flood again */
	}
	if (mode_is("garbage"))
		put_garbage(fd, 512);
	else if (mode_is("oversize")) {
		proto_encode_hdr(hdr, BALTIC_MSG_CALL, HOSTILE_FRAME, 7);
		put_raw(fd, hdr, sizeof hdr);
	} else if (mode_is("midframe")) {
		proto_encode_hdr(hdr, BALTIC_MSG_RESULT, 100, 7);
		put_raw(fd, hdr, sizeof hdr);
		put_raw(fd, "0123456789", 10);
		shutdown(fd, SHUT_WR);	/* EOF mid-frame */
	} else if (mode_is("strayresult"))
		put_result(fd, 0x7777, BALTIC_OK, "stray", 5);
	else if (mode_is("badstatus"))
		put_result(fd, 0, 99, "?", 1);
	else if (mode_is("unimported"))
		put_call(fd, 1, "IAdmin", "Shutdown", "");
	else if (mode_is("dupcall")) {
		put_call(fd, 5, "IEcho", "Sleep", "2000");
		put_call(fd, 5, "IEcho", "Sleep", "2000");
	} else if (mode_is("unknown"))
		put_frame(fd, 0x0777, 0, NULL, 0);
	else if (mode_is("guestconfig")) {
		snprintf(msg, sizeof msg, "role Admin\n");
		put_frame(fd, BALTIC_MSG_CONFIG, 0, msg, strlen(msg));
	} else {
		say("unknown mode; behaving");
		behave(fd, 1);
		return;
	}
	await_close(fd, dom0_wait_ms);
}

static int
dial(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(chan_path) >= sizeof sun.sun_path)
		return -1;
	strcpy(sun.sun_path, chan_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/*
 * Xen mode, in a child: offer a vchan to dom0 and copy bytes between it
 * and fd, the session's end of a socketpair, until one side closes; then
 * close the other and withdraw the offer.  So dom0 closing the channel
 * reads as EOF in the session, and the session closing (or shutting down
 * its writes) as the vchan closing in dom0.  Never returns.
 */
static void
pump(int fd)
{
	struct xen_offer	 o;
	struct libxenvchan	*v;
	uint8_t			 down[65536], up[65536];
	size_t			 ndown = 0, nup = 0, odown = 0, oup = 0;
	struct pollfd		 pfd[2];
	ssize_t			 r;
	int			 eof = 0;

	xen_offer_init(&o);
	if ((v = xen_offer_vchan(&o)) == NULL)
		_exit(1);
	for (;;) {
		/* dom0 -> session */
		if (ndown == 0 && (r = libxenvchan_read(v, down,
		    sizeof down)) > 0) {
			ndown = (size_t)r;
			odown = 0;
		}
		if (ndown > 0) {
			r = send(fd, down + odown, ndown, MSG_DONTWAIT |
			    MSG_NOSIGNAL);
			if (r == -1 && errno != EAGAIN && errno != EINTR)
				break;		/* the session is gone */
			if (r > 0) {
				odown += (size_t)r;
				ndown -= (size_t)r;
			}
		}
		/* session -> dom0 */
		if (nup == 0 && !eof) {
			r = recv(fd, up, sizeof up, MSG_DONTWAIT);
			if (r == 0 || (r == -1 && errno != EAGAIN &&
			    errno != EINTR))
				eof = 1;
			else if (r > 0) {
				nup = (size_t)r;
				oup = 0;
			}
		}
		if (nup > 0) {
			if ((r = libxenvchan_write(v, up + oup, nup)) < 0)
				break;		/* dom0 closed the channel */
			oup += (size_t)r;
			nup -= (size_t)r;
		}
		if (eof && nup == 0)
			break;			/* the session closed */
		if (!libxenvchan_is_open(v) && ndown == 0 &&
		    libxenvchan_data_ready(v) == 0)
			break;			/* dom0 closed, all delivered */
		pfd[0].fd = fd;
		pfd[0].events = (ndown > 0 ? POLLOUT : 0) |
		    (nup == 0 && !eof ? POLLIN : 0);
		pfd[1].fd = libxenvchan_fd_for_select(v);
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, 1000) > 0 && (pfd[1].revents & POLLIN))
			libxenvchan_wait(v);	/* ack; the fd does not block */
	}
	libxenvchan_close(v);
	xen_offer_withdraw(&o);
	xen_offer_dispose(&o);
	_exit(0);
}

/* Xen mode: a socketpair whose other end a pump() child connects to a
 * fresh vchan; the session's end, or -1. */
static int
dial_xen(void)
{
	int	sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if ((pump_pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pump_pid == 0) {
		close(sv[0]);
		pump(sv[1]);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	return sv[0];
}

/* Xen mode: the instance name dom0 wrote for us, waiting up to 5 s. */
static const char *
xen_instance(void)
{
	char		*name;
	unsigned int	 len;
	int		 i;

	for (i = 0; i < 50; i++) {
		if ((name = xs_read(xs, XBT_NULL, "data/baltic/instance",
		    &len)) != NULL)
			return name;
		sleep_ms(100);
	}
	return "unknown";
}

static void
read_mode(const char *image_dir)
{
	char	 path[4096];
	FILE	*fp;
	const char *dash;

	snprintf(path, sizeof path, "%s/mode", image_dir);
	if ((fp = fopen(path, "re")) != NULL) {
		if (fgets(mode, sizeof mode, fp) != NULL)
			mode[strcspn(mode, " \t\r\n")] = '\0';
		fclose(fp);
	}
	if (mode[0] == '\0') {
		dash = strrchr(instance, '-');
		snprintf(mode, sizeof mode, "%s",
		    dash != NULL ? dash + 1 : instance);
	}
}

/* Xen mode: take dom0's data/baltic/mode, if it wrote one, as the mode. */
static void
xen_mode(void)
{
	char		*m;
	unsigned int	 len;

	if ((m = xs_read(xs, XBT_NULL, "data/baltic/mode", &len)) == NULL)
		return;
	m[strcspn(m, " \t\r\n")] = '\0';
	if (m[0] != '\0' && !mode_is(m)) {
		snprintf(mode, sizeof mode, "%s", m);
		say("mode set by dom0");
	}
	free(m);
}

static void
usage(void)
{
	fprintf(stderr, "usage: hostile -c channel -d image -s local "
	    "-n instance\n       hostile -x -d image -s local\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char	*image_dir = NULL;
	unsigned	 round = 0;
	int		 ch, fd, xen = 0;

	while ((ch = getopt(argc, argv, "c:d:n:s:vx")) != -1) {
		switch (ch) {
		case 'c':
			chan_path = optarg;
			break;
		case 'd':
			image_dir = optarg;
			break;
		case 'n':
			instance = optarg;
			break;
		case 'x':
			xen = 1;
			break;
		case 's':
		case 'v':
			break;
		default:
			usage();
		}
	}
	if (optind != argc || image_dir == NULL || (!xen &&
	    (chan_path == NULL || instance == NULL)))
		usage();
	if (xen && (xs = xs_open(0)) == NULL) {
		perror("hostile: xs_open");
		return 1;
	}
	if (xen && instance == NULL)
		instance = xen_instance();
	if (xen)
		dom0_wait_ms = DOM0_WAIT_XEN_MS;
	parent = getppid();
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid());
	go_path = getenv("BALTIC_HOSTILE_GO");
	read_mode(image_dir);
	say("started");
	for (;;) {
		if (getppid() != parent)
			return 0;	/* balticd is gone */
		if (xen)
			xen_mode();
		if ((fd = xen ? dial_xen() : dial()) != -1) {
			round++;
			session(fd, round);
			close(fd);
		}
		if (pump_pid > 0) {
			waitpid(pump_pid, NULL, 0);
			pump_pid = -1;
		}
		sleep_ms(RECONNECT_MS);
	}
}
