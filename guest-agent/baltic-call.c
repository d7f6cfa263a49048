/*
 * baltic-call: call one of the role's imports through the local agent.
 *
 *	baltic-call [-s SOCK] [-t MS] IFACE OP [ARG]
 *
 * ARG comes from argv, or from stdin when absent.  The socket is -s, else
 * $BALTIC_AGENT_SOCKET (set by the agent for its handlers).  The result
 * goes to stdout (exit 0); an error to stderr with exit 1, 5 for a
 * timeout, 4 when the agent cannot be reached.  Small and poll-based:
 * links only the libevent-free half of libbaltic.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define EXIT_ERR	1
#define EXIT_USAGE	2
#define EXIT_UNREACH	4
#define EXIT_TIMEOUT	5

static const char	*progname = "baltic-call";
static int64_t		 deadline;	/* ms, monotonic; 0: none */

static __attribute__((noreturn)) void
die(int code, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left for poll, -1 for none; exits on timeout. */
static int
left(void)
{
	int64_t	l;

	if (deadline == 0)
		return -1;
	l = deadline - now_ms();
	if (l <= 0)
		die(EXIT_TIMEOUT, "timed out");
	return l > 0x7fffffff ? 0x7fffffff : (int)l;
}

static void
write_all(int fd, const uint8_t *p, size_t len)
{
	struct pollfd	pfd = { fd, POLLOUT, 0 };
	ssize_t		r;

	while (len > 0) {
		r = send(fd, p, len, MSG_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN) {
			if (poll(&pfd, 1, left()) == 0)
				left();
			continue;
		}
		if (r <= 0)
			die(EXIT_UNREACH, "agent: %s", strerror(errno));
		p += r;
		len -= (size_t)r;
	}
}

/* Read one whole frame (header checked before the body); caller frees
 * *body_r. */
static void
read_frame(int fd, uint32_t max_frame, struct baltic_hdr *h_r,
    uint8_t **body_r)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	uint8_t		 raw[BALTIC_HDR_LEN];
	uint8_t		*buf = raw, *body = NULL;
	size_t		 want = sizeof raw, have = 0;
	const char	*why;
	ssize_t		 r;
	int		 hdr_done = 0;

	for (;;) {
		if (have == want) {
			if (hdr_done)
				break;
			proto_decode_hdr(raw, h_r);
			if (proto_check_hdr(h_r, max_frame, &why) == -1)
				die(EXIT_ERR, "agent: %s", why);
			/* Validated. */
			hdr_done = 1;
			if (h_r->len == 0)
				break;
			if ((body = malloc(h_r->len)) == NULL)
				die(EXIT_ERR, "out of memory");
			buf = body;
			want = h_r->len;
			have = 0;
			continue;
		}
		r = read(fd, buf + have, want - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN) {
			if (poll(&pfd, 1, left()) == 0)
				left();
			continue;
		}
		if (r == -1)
			die(EXIT_UNREACH, "agent: %s", strerror(errno));
		if (r == 0)
			die(EXIT_UNREACH, "agent closed the connection");
		have += (size_t)r;
	}
	*body_r = body;
}

static uint8_t *
read_stdin(size_t *len_r)
{
	uint8_t	*buf = NULL, *n;
	size_t	 len = 0, cap = 0;
	ssize_t	 r;

	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > BALTIC_FRAME_MAX)
				die(EXIT_ERR, "argument too large");
			if ((n = realloc(buf, cap)) == NULL)
				die(EXIT_ERR, "out of memory");
			buf = n;
		}
		r = read(0, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die(EXIT_ERR, "stdin: %s", strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*len_r = len;
	return buf;
}

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: %s [-s SOCK] [-t MS] IFACE OP [ARG]\n",
	    progname);
	exit(EXIT_USAGE);
}

/* One call, as the command line asks for it. */
struct call {
	const char	*sock;
	const char	*iface, *op;
	uint32_t	 timeout_ms;		/* 0: none */
	uint8_t		 head[BALTIC_CALL_HEAD_MAX];
	size_t		 hlen;			/* the encoded head */
	uint8_t		*arg;
	size_t		 arglen;
	int		 arg_read;		/* from stdin: ours to free */
};

/* The options and operands, with the call's head encoded and its
 * argument from argv or stdin; usage() or die() on a bad one. */
static void
parse_args(struct call *c, int argc, char **argv)
{
	char	*end;
	long	 t;
	int	 ch;

	memset(c, 0, sizeof *c);
	c->sock = getenv("BALTIC_AGENT_SOCKET");
	while ((ch = getopt(argc, argv, "s:t:")) != -1) {
		switch (ch) {
		case 's':
			c->sock = optarg;
			break;
		case 't':
			t = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || t <= 0 ||
			    t > 0x7fffffff)
				usage();
			c->timeout_ms = (uint32_t)t;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 && argc != 3)
		usage();
	c->iface = argv[0];
	c->op = argv[1];
	if (c->sock == NULL)
		die(EXIT_USAGE, "no socket: set BALTIC_AGENT_SOCKET or use -s");
	c->hlen = proto_encode_call_head(c->head, c->iface, c->op,
	    c->timeout_ms);
	if (c->hlen == 0)
		die(EXIT_USAGE, "bad interface or operation name");
	if (argc == 3) {
		c->arg = (uint8_t *)argv[2];
		c->arglen = strlen(argv[2]);
	} else {
		c->arg = read_stdin(&c->arglen);
		c->arg_read = 1;
	}
}

/* A non-blocking connection to the agent at sock; exits if none. */
static int
connect_agent(const char *sock)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sun.sun_path)
		die(EXIT_USAGE, "%s: path too long", sock);
	memcpy(sun.sun_path, sock, strlen(sock));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		die(EXIT_UNREACH, "%s: %s", sock, strerror(errno));
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		die(EXIT_UNREACH, "fcntl: %s", strerror(errno));
	return fd;
}

/* HELLO both ways; the lower frame size wins and is returned. */
static uint32_t
exchange_hello(int fd)
{
	struct baltic_hdr	 h;
	struct baltic_hello	 hello;
	uint8_t			 hb[BALTIC_HDR_LEN + BALTIC_HELLO_LEN];
	uint8_t			*body;
	const char		*why;

	proto_encode_hdr(hb, BALTIC_MSG_HELLO, BALTIC_HELLO_LEN, 0);
	proto_encode_le32(hb + BALTIC_HDR_LEN, BALTIC_PROTO_VERSION);
	proto_encode_le32(hb + BALTIC_HDR_LEN + 4, BALTIC_FRAME_MAX);
	write_all(fd, hb, sizeof hb);
	read_frame(fd, BALTIC_FRAME_MAX, &h, &body);
	if (h.type != BALTIC_MSG_HELLO ||
	    proto_parse_hello(body, h.len, &hello, &why) == -1)
		die(EXIT_UNREACH, "agent: bad HELLO");
	free(body);
	return hello.max_frame < BALTIC_FRAME_MAX ? hello.max_frame :
	    BALTIC_FRAME_MAX;
}

/* The CALL frame, call id 1; exits if it is over max_frame. */
static void
send_call(int fd, uint32_t max_frame, const struct call *c)
{
	uint8_t	*frame;
	size_t	 flen;

	flen = BALTIC_HDR_LEN + c->hlen + c->arglen;
	if (flen > max_frame)
		die(EXIT_ERR, "argument too large");
	if ((frame = malloc(flen)) == NULL)
		die(EXIT_ERR, "out of memory");
	proto_encode_hdr(frame, BALTIC_MSG_CALL,
	    (uint32_t)(c->hlen + c->arglen), 1);
	memcpy(frame + BALTIC_HDR_LEN, c->head, c->hlen);
	if (c->arglen != 0)
		memcpy(frame + BALTIC_HDR_LEN + c->hlen, c->arg, c->arglen);
	write_all(fd, frame, flen);
	free(frame);
}

/* Waits for call 1's RESULT and writes it out: the result to stdout, an
 * error to stderr.  Returns the exit code. */
static int
await_result(int fd, uint32_t max_frame, const struct call *c)
{
	struct baltic_hdr		 h;
	struct proto_result_view	 rv;
	uint8_t				*body;
	const char			*why;
	int				 rc;

	for (;;) {
		read_frame(fd, max_frame, &h, &body);
		if (h.type == BALTIC_MSG_RESULT && h.call_id == 1)
			break;
		free(body);
	}
	if (proto_parse_result(body, h.len, &rv, &why) == -1)
		die(EXIT_ERR, "agent: %s", why);
	/* Validated. */
	rc = 0;
	if (rv.status == BALTIC_OK) {
		if ((rv.len != 0 && fwrite(rv.payload, 1, rv.len, stdout) !=
		    rv.len) || fflush(stdout) == EOF) {
			fprintf(stderr, "%s: stdout: %s\n", progname,
			    strerror(errno));
			rc = EXIT_ERR;
		}
	} else {
		fprintf(stderr, "%s: %s.%s: %s: %.*s\n", progname, c->iface,
		    c->op, baltic_status_name(rv.status), (int)rv.len,
		    (const char *)rv.payload);
		rc = rv.status == BALTIC_E_TIMEOUT ? EXIT_TIMEOUT : EXIT_ERR;
	}
	free(body);
	return rc;
}

int
main(int argc, char **argv)
{
	struct call	c;
	uint32_t	max_frame;
	int		fd, rc;

	parse_args(&c, argc, argv);
	if (c.timeout_ms != 0)
		deadline = now_ms() + c.timeout_ms;
	fd = connect_agent(c.sock);
	max_frame = exchange_hello(fd);
	send_call(fd, max_frame, &c);
	rc = await_result(fd, max_frame, &c);
	if (c.arg_read)
		free(c.arg);
	close(fd);
	return rc;
}
