/*
 * fake-dom0: plays balticd against one baltic-agent, blocking and in
 * sequence, and checks every answer.  Used by agent-test.sh.
 *
 *	fake-dom0 CHANNEL_SOCK BALTIC_CALL LOCAL_SOCK
 *
 * The agent's import calls are served here: IPayment.Authorize answers
 * "authorized:ARG"; IPayment.Hang is never answered.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "proto.h"

#define NRES	1024
#define DOM0_FRAME	16384
#define AGENT_CAP	64	/* AGENT_MAX_CALLS */

struct res {
	int		have;
	uint32_t	status;
	char		payload[512];
};

static int		 lfd = -1, fd = -1;
static struct evbuffer	*in;
static struct res	 res[NRES];
static struct res	 late[NRES];	/* RESULT_LATE */
static int		 pongs, imports_seen, cancels_seen, agains_seen;
static uint32_t		 last_import_id;
static const char	*bcall, *lsock;
static const char	 config[] =
    "role Test\n"
    "instance t1\n"
    "export IEcho Echo Fail Slow Env CallOut CallDenied Missing Nap\n"
    "export IPersist Echo Slow Fail Other\n"
    "export IEcho Big\n"
    "export ICrash Any\n"
    "import IPayment Authorize Hang\n";

static __attribute__((noreturn)) void
fail(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "fake-dom0: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
send_buf(struct evbuffer *b)
{
	size_t	 n = evbuffer_get_length(b);
	uint8_t	*p = evbuffer_pullup(b, -1);
	ssize_t	 r;

	while (n > 0) {
		r = send(fd, p, n, MSG_NOSIGNAL);
		if (r <= 0)
			fail("send: %s", strerror(errno));
		p += r;
		n -= (size_t)r;
	}
	evbuffer_drain(b, evbuffer_get_length(b));
}

static void
send_frame(uint32_t type, uint32_t id, const void *body, size_t len)
{
	struct evbuffer	*b = evbuffer_new();

	if (proto_put(b, BALTIC_FRAME_MAX, type, id, body, len) == -1)
		fail("proto_put");
	send_buf(b);
	evbuffer_free(b);
}

static void
send_call(uint32_t id, const char *iface, const char *op, uint32_t dl,
    const char *arg)
{
	struct evbuffer	*b = evbuffer_new();

	if (proto_put_call(b, BALTIC_FRAME_MAX, id, iface, op, dl, arg,
	    strlen(arg)) == -1)
		fail("proto_put_call");
	send_buf(b);
	evbuffer_free(b);
}

static void
send_result(uint32_t id, uint32_t status, const char *s)
{
	struct evbuffer	*b = evbuffer_new();

	proto_put_result(b, BALTIC_FRAME_MAX, id, status, s, strlen(s));
	send_buf(b);
	evbuffer_free(b);
}

/* Next frame within ms; 0 on timeout, -1 at EOF. */
static int
recv_frame(int ms, struct baltic_hdr *h, uint8_t **body)
{
	struct pollfd	 pfd = { 0, POLLIN, 0 };
	const char	*why;
	long		 end = now_ms() + ms;
	int		 r;

	pfd.fd = fd;
	for (;;) {
		r = proto_take(in, BALTIC_FRAME_MAX, h, body, &why);
		if (r == -1)
			fail("agent sent a bad frame: %s", why);
		if (r == 1)
			return 1;
		if (now_ms() >= end)
			return 0;
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		r = evbuffer_read(in, fd, 65536);
		if (r == 0)
			return -1;
		if (r < 0)
			fail("read: %s", strerror(errno));
	}
}

/* Handle one frame from the agent: record results, serve imports. */
static void
handle(struct baltic_hdr *h, uint8_t *body)
{
	struct proto_call_view		 cv;
	struct proto_result_view	 rv;
	struct res			*rs;
	const char			*why;
	char				 out[600];

	switch (h->type) {
	case BALTIC_MSG_RESULT:
	case BALTIC_MSG_RESULT_LATE:
		rs = h->type == BALTIC_MSG_RESULT ? res : late;
		if (proto_parse_result(body, h->len, &rv, &why) == -1)
			fail("bad RESULT: %s", why);
		if (h->call_id >= NRES)
			fail("unexpected RESULT %u", h->call_id);
		/* A late answer may come again: the agent cannot know
		 * whether the lost channel delivered it. */
		if (rs == late && late[h->call_id].have)
			break;
		if (rs[h->call_id].have)
			fail("unexpected RESULT %u", h->call_id);
		rs[h->call_id].have = 1;
		rs[h->call_id].status = rv.status;
		snprintf(rs[h->call_id].payload, sizeof res[0].payload,
		    "%.*s", (int)rv.len, (const char *)rv.payload);
		break;
	case BALTIC_MSG_PONG:
		if (h->len != 8 || memcmp(body, "nonce-42", 8) != 0)
			fail("PONG with the wrong nonce");
		pongs++;
		break;
	case BALTIC_MSG_CALL_AGAIN:
		if (proto_parse_call(body, h->len, &cv, &why) == -1)
			fail("bad CALL_AGAIN: %s", why);
		agains_seen++;
		snprintf(out, sizeof out, "again:%.*s", (int)cv.arglen,
		    (const char *)cv.arg);
		send_result(h->call_id, BALTIC_OK, out);
		break;
	case BALTIC_MSG_CALL:
		if (proto_parse_call(body, h->len, &cv, &why) == -1)
			fail("bad CALL: %s", why);
		imports_seen++;
		last_import_id = h->call_id;
		if (strcmp(cv.iface, "IPayment") != 0)
			fail("agent forwarded a non-import %s.%s", cv.iface,
			    cv.op);
		if (strcmp(cv.op, "Authorize") == 0) {
			snprintf(out, sizeof out, "authorized:%.*s",
			    (int)cv.arglen, (const char *)cv.arg);
			send_result(h->call_id, BALTIC_OK, out);
		}
		break;
	case BALTIC_MSG_CANCEL:
		cancels_seen++;
		break;
	default:
		fail("unexpected message 0x%x", h->type);
	}
	free(body);
}

/* Serve until the result for id arrives (at most ms). */
static struct res *
wait_result(uint32_t id, int ms)
{
	struct baltic_hdr	 h;
	uint8_t			*body;
	long			 end = now_ms() + ms;
	int			 r;

	while (!res[id].have) {
		if (now_ms() >= end)
			fail("no RESULT for call %u", id);
		r = recv_frame((int)(end - now_ms()), &h, &body);
		if (r == -1)
			fail("agent closed the channel waiting for %u", id);
		if (r == 1)
			handle(&h, body);
	}
	return &res[id];
}

/* Serve for ms; the result for id must not come. */
static void
expect_none(uint32_t id, int ms)
{
	struct baltic_hdr	 h;
	uint8_t			*body;
	long			 end = now_ms() + ms;

	while (now_ms() < end) {
		if (recv_frame((int)(end - now_ms()), &h, &body) == 1)
			handle(&h, body);
	}
	if (res[id].have)
		fail("call %u answered after CANCEL", id);
}

static void
expect(uint32_t id, uint32_t status, const char *payload, int ms)
{
	struct res	*r = wait_result(id, ms);

	if (r->status != status)
		fail("call %u: status %s, wanted %s (%s)", id,
		    baltic_status_name(r->status), baltic_status_name(status),
		    r->payload);
	if (payload != NULL && strcmp(r->payload, payload) != 0)
		fail("call %u: payload '%s', wanted '%s'", id, r->payload,
		    payload);
}

static void
accept_agent(void)
{
	struct pollfd		 pfd = { 0, POLLIN, 0 };
	struct baltic_hdr	 h;
	struct baltic_hello	 hello;
	uint8_t			*body;
	const char		*why;
	struct evbuffer		*b = evbuffer_new();

	pfd.fd = lfd;
	if (poll(&pfd, 1, 5000) != 1)
		fail("the agent did not connect");
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		fail("accept: %s", strerror(errno));
	evbuffer_drain(in, evbuffer_get_length(in));
	proto_put_hello(b, BALTIC_FRAME_MAX);
	/* Offer a small frame: the lower offer must win. */
	evbuffer_drain(b, evbuffer_get_length(b));
	{
		uint8_t	hb[8];

		proto_encode_le32(hb, BALTIC_PROTO_VERSION);
		proto_encode_le32(hb + 4, DOM0_FRAME);
		proto_put(b, BALTIC_FRAME_MAX, BALTIC_MSG_HELLO, 0, hb, 8);
	}
	send_buf(b);
	evbuffer_free(b);
	if (recv_frame(2000, &h, &body) != 1 || h.type != BALTIC_MSG_HELLO)
		fail("no HELLO from the agent");
	if (proto_parse_hello(body, h.len, &hello, &why) == -1)
		fail("bad HELLO: %s", why);
	free(body);
	send_frame(BALTIC_MSG_CONFIG, 0, config, strlen(config));
}

static void
drop_agent(void)
{
	close(fd);
	fd = -1;
}

/* Run baltic-call in the background; its stdout+stderr on *out_r. */
static pid_t
bc_start(int *out_r, const char *t, const char *iface, const char *op,
    const char *arg)
{
	posix_spawn_file_actions_t	 fa;
	char				*argv[9];
	int				 p[2], i = 0;
	pid_t				 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fail("pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	argv[i++] = (char *)bcall;
	argv[i++] = "-s";
	argv[i++] = (char *)lsock;
	if (t != NULL) {
		argv[i++] = "-t";
		argv[i++] = (char *)t;
	}
	argv[i++] = (char *)iface;
	argv[i++] = (char *)op;
	argv[i++] = (char *)arg;
	argv[i] = NULL;
	if (posix_spawn(&pid, bcall, &fa, NULL, argv, NULL) != 0)
		fail("spawn baltic-call");
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	*out_r = p[0];
	return pid;
}

/* Wait for it; its exit code, output in buf. */
static int
bc_finish(pid_t pid, int out, char *buf, size_t len)
{
	ssize_t	r, n = 0;
	int	st;

	while ((r = read(out, buf + n, len - 1 - (size_t)n)) > 0)
		n += r;
	buf[n] = '\0';
	close(out);
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		fail("baltic-call died");
	return WEXITSTATUS(st);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	struct baltic_hdr	 h;
	uint8_t			*body;
	char			 buf[1024];
	long			 t0;
	int			 i, out, rc;
	pid_t			 pid;

	if (argc != 4) {
		fprintf(stderr, "usage: fake-dom0 CHAN_SOCK BALTIC_CALL "
		    "LOCAL_SOCK\n");
		return 2;
	}
	bcall = argv[2];
	lsock = argv[3];
	signal(SIGPIPE, SIG_IGN);
	in = evbuffer_new();
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", argv[1]);
	unlink(argv[1]);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(lfd, 8) == -1)
		fail("listen %s: %s", argv[1], strerror(errno));

	accept_agent();

	/* PING/PONG. */
	send_frame(BALTIC_MSG_PING, 0, "nonce-42", 8);
	/* Per-call executables. */
	send_call(1, "IEcho", "Echo", 0, "hello");
	expect(1, BALTIC_OK, "hello", 3000);
	if (pongs != 1)
		fail("no PONG");
	send_call(2, "IEcho", "Fail", 0, "");
	expect(2, BALTIC_E_HANDLER, "bad thing", 3000);
	send_call(3, "IEcho", "Nope", 0, "");
	expect(3, BALTIC_E_NOOP, NULL, 3000);
	send_call(4, "IEcho", "Missing", 0, "");
	expect(4, BALTIC_E_NOOP, NULL, 3000);
	send_call(5, "IEcho", "Env", 0, "");
	expect(5, BALTIC_OK, "inst=t1 id=5", 3000);
	t0 = now_ms();
	send_call(6, "IEcho", "Slow", 300, "");
	expect(6, BALTIC_E_TIMEOUT, NULL, 3000);
	if (now_ms() - t0 > 2000)
		fail("the deadline took %ld ms", now_ms() - t0);
	send_call(7, "IPersist", "Echo", 0, "not me");	/* not IEcho */
	expect(7, BALTIC_OK, "not me", 3000);
	/* Output over dom0's frame is refused, not truncated. */
	send_call(8, "IEcho", "Big", 0, "");
	expect(8, BALTIC_E_HANDLER, "result larger than the frame size", 3000);
	printf("ok: exec handlers, ping, deadline, noop, output cap\n");

	/* The persistent handler. */
	send_call(10, "IPersist", "Echo", 0, "x");
	expect(10, BALTIC_OK, "x", 3000);
	send_call(11, "IPersist", "Slow", 0, "50");
	expect(11, BALTIC_OK, "slept 50", 3000);
	send_call(12, "IPersist", "Fail", 0, "");
	expect(12, BALTIC_E_HANDLER, "failed as asked", 3000);
	send_call(13, "IPersist", "Other", 0, "y");
	expect(13, BALTIC_OK, "y", 3000);
	t0 = now_ms();
	for (i = 0; i < 40; i++)
		send_call(100 + i, "IPersist", "Slow", 0, "300");
	for (i = 0; i < 40; i++)
		expect(100 + i, BALTIC_OK, "slept 300", 3000);
	if (now_ms() - t0 > 1500)
		fail("40 concurrent Slow 300 took %ld ms", now_ms() - t0);
	/* Over the cap: OVERLOAD. */
	for (i = 0; i < 70; i++)
		send_call(140 + i, "IPersist", "Slow", 0, "200");
	for (i = 0; i < 70; i++)
		wait_result(140 + i, 3000);
	for (i = 0, rc = 0; i < 70; i++)
		rc += res[140 + i].status == BALTIC_E_OVERLOAD;
	if (rc != 70 - AGENT_CAP)
		fail("%d calls over the cap were refused, wanted %d", rc,
		    70 - AGENT_CAP);
	send_call(220, "IPersist", "Slow", 400, "5000");
	expect(220, BALTIC_E_TIMEOUT, NULL, 3000);
	/* A persistent handler that dies fails its calls, and is started
	 * again for the next one. */
	send_call(221, "ICrash", "Any", 0, "a");
	expect(221, BALTIC_E_HANDLER, NULL, 3000);
	if (strstr(res[221].payload, "died") == NULL)
		fail("crash: '%s'", res[221].payload);
	send_call(222, "ICrash", "Any", 0, "b");
	expect(222, BALTIC_E_HANDLER, NULL, 3000);
	send_call(223, "IPersist", "Echo", 0, "still");
	expect(223, BALTIC_OK, "still", 3000);
	printf("ok: persistent handler, concurrency, overload, restart\n");

	/* CANCEL: no answer, and the handlers go on working. */
	send_call(230, "IPersist", "Slow", 0, "400");
	send_frame(BALTIC_MSG_CANCEL, 230, NULL, 0);
	send_call(231, "IEcho", "Slow", 0, "");
	send_frame(BALTIC_MSG_CANCEL, 231, NULL, 0);
	expect_none(230, 700);
	expect_none(231, 10);
	send_call(232, "IPersist", "Echo", 0, "after");
	expect(232, BALTIC_OK, "after", 3000);
	printf("ok: cancel\n");

	/* Imports: a handler's baltic-call reaches us; a non-import is
	 * denied by the agent itself. */
	send_call(300, "IEcho", "CallOut", 0, "o1");
	expect(300, BALTIC_OK, "authorized:o1", 3000);
	if (imports_seen != 1)
		fail("import not seen");
	send_call(301, "IEcho", "CallDenied", 0, "");
	wait_result(301, 3000);
	if (res[301].status != BALTIC_OK ||
	    strncmp(res[301].payload, "rc=1 ", 5) != 0 ||
	    strstr(res[301].payload, "denied") == NULL)
		fail("denied import: '%s'", res[301].payload);
	if (imports_seen != 1)
		fail("denied import reached dom0");
	/* baltic-call from outside a handler, with a timeout. */
	pid = bc_start(&out, "300", "IPayment", "Hang", "h");
	expect_none(0, 1000);
	rc = bc_finish(pid, out, buf, sizeof buf);
	if (rc != 5)
		fail("baltic-call -t: exit %d (%s)", rc, buf);
	expect_none(0, 200);
	if (cancels_seen != 1)
		fail("the agent did not cancel the abandoned import");
	printf("ok: imports, denied, baltic-call timeout\n");

	/* The channel drops (dom0 restarts) with an import and an export
	 * call in flight: both outlive it.  The import comes again on the
	 * next channel as CALL_AGAIN and its answer reaches the caller; the
	 * export call, which ends meanwhile, is answered there with
	 * RESULT_LATE. */
	/* A busy agent: more answers in the last AGENT_RESEND_MS than it
	 * keeps (AGENT_CAP), which it sends again after the drop; they must
	 * not crowd out the answer of the call in flight. */
	for (i = 0; i < AGENT_CAP + 6; i++) {
		send_call(400 + i, "IPersist", "Echo", 0, "busy");
		expect(400 + i, BALTIC_OK, "busy", 3000);
	}
	pid = bc_start(&out, NULL, "IPayment", "Hang", "h2");
	send_call(240, "IEcho", "Nap", 0, "zz");
	while (imports_seen < 3) {
		if (recv_frame(3000, &h, &body) != 1)
			fail("import not forwarded");
		handle(&h, body);
	}
	drop_agent();
	memset(res, 0, sizeof res);
	usleep(800000);		/* Nap ends while there is no channel */
	accept_agent();
	while (!late[240].have || agains_seen < 1) {
		if (recv_frame(3000, &h, &body) != 1)
			fail("no RESULT_LATE or CALL_AGAIN after reconnecting "
			    "(%d, %d)", late[240].have, agains_seen);
		handle(&h, body);
	}
	if (late[240].status != BALTIC_OK ||
	    strcmp(late[240].payload, "napped:zz") != 0)
		fail("late answer: %s '%s'",
		    baltic_status_name(late[240].status), late[240].payload);
	rc = bc_finish(pid, out, buf, sizeof buf);
	if (rc != 0 || strstr(buf, "again:h2") == NULL)
		fail("import over a lost channel: exit %d (%s)", rc, buf);
	send_call(1, "IEcho", "Echo", 0, "again");
	expect(1, BALTIC_OK, "again", 3000);
	send_call(2, "IPersist", "Echo", 0, "again");
	expect(2, BALTIC_OK, "again", 3000);
	printf("ok: reconnect\n");

	/* Violations from "dom0" close the channel; the agent comes back. */
	send_frame(0x7777, 0, NULL, 0);
	if (recv_frame(3000, &h, &body) != -1)
		fail("agent kept a channel that sent an unknown type");
	drop_agent();
	accept_agent();
	send_call(3, "IEcho", "Echo", 0, "once more");
	expect(3, BALTIC_OK, "once more", 3000);
	printf("ok: violation closes, agent reconnects\n");

	drop_agent();
	close(lfd);
	unlink(argv[1]);
	evbuffer_free(in);
	printf("fake-dom0: all passed\n");
	return 0;
}
