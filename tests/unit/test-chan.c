/*
 * test-chan.c: two channels over a socketpair in one event loop, and one
 * channel against a raw peer that writes whatever bytes a test wants.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "chan.h"
#include "log.h"

struct side {
	struct chan	*c;
	int		 ready;
	int		 closed;
	const char	*why;
	int		 frames;
	int		 results;
	int		 calls;
	int		 free_on_frame;
	size_t		 last_arglen;
	const uint8_t	*want;		/* a CALL's argument to compare */
	size_t		 wantlen;
	int		 intact;	/* calls whose argument was want */
	uint32_t	 last_status;
	uint32_t	 last_id;
};

static struct event_base	*base;
static int			 timed_out;

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	timed_out = 1;
}

/* Run the loop until *count reaches n (or *gone is NULL, if gone is
 * not NULL), at most 3 s. */
static void
run_until_n(const int *count, int n, struct chan *const *gone)
{
	struct event	*t;
	struct timeval	 tv = { 3, 0 };

	timed_out = 0;
	t = evtimer_new(base, on_timeout, NULL);
	evtimer_add(t, &tv);
	while (*count < n && (gone == NULL || *gone != NULL) && !timed_out)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	assert_false(timed_out);
}

/* Run the loop until *flag is set, at most 3 s. */
static void
run_until(const int *flag)
{
	run_until_n(flag, 1, NULL);
}

static void
on_ready(struct chan *c, void *arg)
{
	struct side	*s = arg;

	s->ready++;
}

static void
on_close(struct chan *c, const char *why, void *arg)
{
	struct side	*s = arg;

	s->closed++;
	s->why = why;
}

/* Answers CALLs with their argument (reversed status: OK); counts. */
static void
on_frame(struct chan *c, const struct baltic_hdr *h, const uint8_t *body,
    void *arg)
{
	struct side			*s = arg;
	struct proto_call_view		 cv;
	struct proto_result_view	 rv;
	const char			*why;

	s->frames++;
	s->last_id = h->call_id;
	if (s->free_on_frame) {
		chan_free(c);
		s->c = NULL;
		s->closed++;
		return;
	}
	switch (h->type) {
	case BALTIC_MSG_CALL:
		if (proto_parse_call(body, h->len, &cv, &why) == -1) {
			chan_fail(c, why);
			return;
		}
		s->calls++;
		s->last_arglen = cv.arglen;
		if (s->want != NULL && cv.arglen == s->wantlen &&
		    memcmp(cv.arg, s->want, s->wantlen) == 0)
			s->intact++;
		assert_int_equal(chan_send_result(c, h->call_id, BALTIC_OK,
		    cv.arg, cv.arglen), 0);
		break;
	case BALTIC_MSG_RESULT:
		if (proto_parse_result(body, h->len, &rv, &why) == -1) {
			chan_fail(c, why);
			return;
		}
		s->results++;
		s->last_status = rv.status;
		s->last_arglen = rv.len;
		if (s->want != NULL && rv.len == s->wantlen &&
		    memcmp(rv.payload, s->want, s->wantlen) == 0)
			s->intact++;
		break;
	}
}

static const struct chan_cbs cbs = { on_frame, on_ready, on_close };

static int
setup(void **state)
{
	base = event_base_new();
	return base == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	event_base_free(base);
	return 0;
}

static void
pair(struct side *a, struct side *b)
{
	int	sv[2];

	memset(a, 0, sizeof *a);
	memset(b, 0, sizeof *b);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a->c = chan_new_fd(base, sv[0], &cbs, a);
	b->c = chan_new_fd(base, sv[1], &cbs, b);
	assert_non_null(a->c);
	assert_non_null(b->c);
}

/* One chan, the other end returned raw (blocking). */
static int
raw_pair(struct side *a)
{
	int	sv[2];

	memset(a, 0, sizeof *a);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a->c = chan_new_fd(base, sv[0], &cbs, a);
	assert_non_null(a->c);
	return sv[1];
}

static void
raw_write(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void
raw_frame(int fd, uint32_t type, uint32_t len, uint32_t id, const void *body)
{
	struct evbuffer	*b = evbuffer_new();
	uint8_t		 h[12];
	size_t		 n;
	uint8_t		*p;

	h[0] = type; h[1] = type >> 8; h[2] = type >> 16; h[3] = type >> 24;
	h[4] = len; h[5] = len >> 8; h[6] = len >> 16; h[7] = len >> 24;
	h[8] = id; h[9] = id >> 8; h[10] = id >> 16; h[11] = id >> 24;
	evbuffer_add(b, h, 12);
	if (body != NULL)
		evbuffer_add(b, body, len);
	n = evbuffer_get_length(b);
	p = evbuffer_pullup(b, -1);
	raw_write(fd, p, n);
	evbuffer_free(b);
}

static void
raw_hello(int fd, uint32_t version, uint32_t max_frame)
{
	uint8_t	b[8];

	b[0] = version; b[1] = version >> 8; b[2] = version >> 16;
	b[3] = version >> 24;
	b[4] = max_frame; b[5] = max_frame >> 8; b[6] = max_frame >> 16;
	b[7] = max_frame >> 24;
	raw_frame(fd, BALTIC_MSG_HELLO, 8, 0, b);
}

static void
test_hello_and_calls(void **state)
{
	struct side		a, b;
	struct chan_stats	st;

	pair(&a, &b);
	assert_false(chan_is_ready(a.c));
	assert_int_equal(chan_send(a.c, BALTIC_MSG_PING, 0, "12345678", 8), -1);
	assert_int_equal(errno, ENOTCONN);
	run_until(&b.ready);
	run_until(&a.ready);
	assert_int_equal(chan_max_frame(a.c), BALTIC_FRAME_MAX);
	assert_int_equal(chan_version(a.c), BALTIC_PROTO_VERSION);

	/* a calls b, b calls a. */
	assert_int_equal(chan_send_call(a.c, 1, "IEcho", "Echo", 0, "hi", 2),
	    0);
	run_until(&a.results);
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.last_id, 1);
	assert_int_equal(a.last_arglen, 2);
	assert_int_equal(chan_send_call(b.c, 7, "IX", "Y", 10, NULL, 0), 0);
	run_until(&b.results);
	assert_int_equal(b.last_id, 7);

	chan_get_stats(a.c, &st);
	assert_int_equal(st.frames_out, 3);	/* HELLO, CALL, RESULT */
	assert_int_equal(st.frames_in, 3);	/* HELLO, RESULT, CALL */
	assert_int_equal(a.closed + b.closed, 0);

	/* Closing one end: the other sees EOF, once. */
	chan_free(a.c);
	run_until(&b.closed);
	run_until(&b.closed);
	assert_int_equal(b.closed, 1);
	assert_int_equal(chan_send(b.c, BALTIC_MSG_PING, 0, "12345678", 8),
	    -1);
	chan_free(b.c);
}

static void
test_big_frames(void **state)
{
	struct side	 a, b;
	size_t		 n = BALTIC_FRAME_MAX - 200;
	uint8_t		*big = calloc(1, n);
	int		 i;

	for (i = 0; i < (int)n; i++)
		big[i] = (uint8_t)(i * 13 % 253);
	pair(&a, &b);
	run_until(&a.ready);
	run_until(&b.ready);
	/* b echoes each from its large frame's buffer, by reference
	 * (proto_lend): the answers must come back whole. */
	a.want = big;
	a.wantlen = n - 100;
	for (i = 0; i < 4; i++)
		assert_int_equal(chan_send_call(a.c, i + 1, "I", "O", 0, big,
		    n - 100), 0);
	/* The frame limit is header + body. */
	assert_int_equal(chan_send_call(a.c, 99, "I", "O", 0, big, n + 200),
	    -1);
	assert_int_equal(errno, EMSGSIZE);
	while (a.results < 4)
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(b.calls, 4);
	assert_int_equal(a.last_arglen, n - 100);
	assert_int_equal(a.intact, 4);
	assert_int_equal(a.closed + b.closed, 0);
	chan_free(a.c);
	chan_free(b.c);
	free(big);
}

static void
test_hiwat(void **state)
{
	struct side	 a;
	int		 fd, i, rc = 0;
	static uint8_t	 buf[65536];

	fd = raw_pair(&a);
	raw_hello(fd, 1, BALTIC_FRAME_MAX);
	run_until(&a.ready);
	/* The raw peer never reads: sends fail with ENOBUFS eventually. */
	for (i = 0; i < 10000; i++) {
		rc = chan_send(a.c, BALTIC_MSG_CONFIG, 0, buf, sizeof buf);
		if (rc == -1)
			break;
	}
	assert_int_equal(rc, -1);
	assert_int_equal(errno, ENOBUFS);
	assert_true(chan_out_pending(a.c) > CHAN_OUT_HIWAT);
	assert_int_equal(a.closed, 0);
	chan_free(a.c);
	close(fd);
}

static void
test_negotiate_lower(void **state)
{
	struct side	 a;
	int		 fd;
	static uint8_t	 buf[8192];

	fd = raw_pair(&a);
	raw_hello(fd, 7, 8192);
	run_until(&a.ready);
	assert_int_equal(chan_version(a.c), BALTIC_PROTO_VERSION);
	assert_int_equal(chan_max_frame(a.c), 8192);
	assert_int_equal(chan_send(a.c, BALTIC_MSG_CONFIG, 0, buf, 8192 - 12),
	    0);
	assert_int_equal(chan_send(a.c, BALTIC_MSG_CONFIG, 0, buf, 8192 - 11),
	    -1);
	assert_int_equal(errno, EMSGSIZE);
	/* A frame within our offer but over the negotiated size closes. */
	raw_frame(fd, BALTIC_MSG_CONFIG, 8192 - 11, 0, buf);
	run_until(&a.closed);
	assert_int_equal(a.closed, 1);
	assert_int_equal(a.frames, 0);
	chan_free(a.c);
	close(fd);
}

/* Each case: what the raw peer writes after (or instead of) HELLO. */
static void
expect_close(int hello, void (*writer)(int))
{
	struct side	a;
	int		fd;

	fd = raw_pair(&a);
	if (hello)
		raw_hello(fd, 1, BALTIC_FRAME_MAX);
	writer(fd);
	run_until(&a.closed);
	/* A few more turns of the loop: still once. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(a.closed, 1);
	assert_non_null(a.why);
	assert_int_equal(a.frames, 0);
	chan_free(a.c);
	close(fd);
}

static void
w_oversize(int fd)
{
	raw_frame(fd, BALTIC_MSG_CONFIG, BALTIC_FRAME_MAX, 0, NULL);
}

static void
w_garbage(int fd)
{
	raw_write(fd, "GET / HTTP/1.0\r\n\r\n", 18);
}

static void
w_unknown(int fd)
{
	raw_frame(fd, 0x0200, 0, 0, NULL);
}

static void
w_badlen(int fd)
{
	raw_frame(fd, BALTIC_MSG_CANCEL, 4, 1, "abcd");
}

static void
w_call_before_hello(int fd)
{
	raw_frame(fd, BALTIC_MSG_CALL, 10, 1, "\1\0\1\0\0\0\0\0IO");
}

static void
w_old_version(int fd)
{
	raw_hello(fd, 0, BALTIC_FRAME_MAX);
}

static void
w_small_frame(int fd)
{
	raw_hello(fd, 1, BALTIC_FRAME_MIN - 1);
}

static void
w_second_hello(int fd)
{
	raw_hello(fd, 1, BALTIC_FRAME_MAX);
}

static void
w_eof_midframe(int fd)
{
	raw_write(fd, "\1\1\0\0\40\0\0\0", 8);
	shutdown(fd, SHUT_WR);
}

/* A CALL_TO, well formed: "f" "p-1" then IEcho.Echo. */
static const char call_to_body[] = "\1\0\3\0fp-1\5\0\4\0\0\0\0\0IEchoEcho";
#define CALL_TO_BODY_LEN	(sizeof call_to_body - 1)

static void
w_call_to(int fd)
{
	raw_frame(fd, BALTIC_MSG_CALL_TO, CALL_TO_BODY_LEN, 1, call_to_body);
}

/* Only a link (chan_set_link) takes CALL_TO: a guest's channel closes
 * on it as on any unknown type. */
static void
test_call_to_link_only(void **state)
{
	struct side	a;
	int		fd;

	expect_close(1, w_call_to);
	fd = raw_pair(&a);
	chan_set_link(a.c);
	raw_hello(fd, 2, BALTIC_FRAME_MAX);
	w_call_to(fd);
	run_until(&a.frames);
	assert_int_equal(a.frames, 1);
	assert_int_equal(a.last_id, 1);
	assert_int_equal(a.closed, 0);
	/* Still checked: a CALL_TO too short for its call closes it. */
	raw_frame(fd, BALTIC_MSG_CALL_TO, 4 + 2 + 8 + 1, 2, call_to_body);
	run_until(&a.closed);
	chan_free(a.c);
	close(fd);
}

static void
test_violations_close(void **state)
{
	expect_close(1, w_oversize);
	expect_close(1, w_garbage);
	expect_close(0, w_garbage);
	expect_close(1, w_unknown);
	expect_close(1, w_badlen);
	expect_close(0, w_call_before_hello);
	expect_close(0, w_old_version);
	expect_close(0, w_small_frame);
	expect_close(1, w_second_hello);
	expect_close(1, w_eof_midframe);
}

/* Frames trickled a byte at a time, several frames in one write. */
static void
test_partial(void **state)
{
	struct side	 a;
	int		 fd, i;
	uint8_t		 raw[256];
	struct evbuffer	*b = evbuffer_new();
	size_t		 n;

	fd = raw_pair(&a);
	proto_put_hello(b, 4096);
	proto_put_call(b, 4096, 1, "IA", "Op", 0, "x", 1);
	proto_put_call(b, 4096, 2, "IA", "Op", 0, "yy", 2);
	n = evbuffer_remove(b, raw, sizeof raw);
	for (i = 0; i < (int)n; i++) {
		raw_write(fd, raw + i, 1);
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	while (a.calls < 2)
		run_until(&a.calls), event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(a.calls, 2);
	assert_int_equal(chan_max_frame(a.c), 4096);
	/* Now many frames in one write. */
	proto_put_call(b, 4096, 3, "IA", "Op", 0, "x", 1);
	proto_put_call(b, 4096, 4, "IA", "Op", 0, "x", 1);
	proto_put_call(b, 4096, 5, "IA", "Op", 0, "x", 1);
	n = evbuffer_remove(b, raw, sizeof raw);
	raw_write(fd, raw, n);
	while (a.calls < 5)
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(a.closed, 0);
	chan_free(a.c);
	close(fd);
	evbuffer_free(b);
}

/*
 * A large frame (CHAN_BIG_FRAME) arriving in pieces: its header and a
 * few bytes, then 64 KiB at a time, the last piece with a small frame
 * behind it.  Both are handed on, in order, the large one intact.
 */
static void
big_call_then_small(struct side *a, int fd, size_t n, size_t first)
{
	struct evbuffer	*b = evbuffer_new();
	uint8_t		*arg = malloc(n), *raw;
	size_t		 len, off, k;
	int		 frames = a->frames;

	for (k = 0; k < n; k++)
		arg[k] = (uint8_t)(k * 7 % 251);
	a->want = arg;
	a->wantlen = n;
	proto_put_call(b, BALTIC_FRAME_MAX, 1, "IA", "Op", 0, arg, n);
	proto_put_call(b, BALTIC_FRAME_MAX, 2, "IA", "Op", 0, "x", 1);
	len = evbuffer_get_length(b);
	raw = evbuffer_pullup(b, -1);
	for (off = 0; off < len && a->c != NULL && !a->closed; off += k) {
		k = off == 0 ? first : len - off < 65536 ? len - off : 65536;
		raw_write(fd, raw + off, k);
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	if (!a->closed)
		run_until_n(&a->frames, frames + 2, &a->c);
	evbuffer_free(b);
	a->want = NULL;
	free(arg);
}

static void
test_big_in_pieces(void **state)
{
	struct side	 a;
	int		 fd;

	fd = raw_pair(&a);
	raw_hello(fd, 1, BALTIC_FRAME_MAX);
	run_until(&a.ready);
	big_call_then_small(&a, fd, 300 * 1024, 20);
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.intact, 1);
	assert_int_equal(a.last_id, 2);
	assert_int_equal(a.closed, 0);
	chan_free(a.c);
	close(fd);
}

/* A header alone first, so the whole body goes to a buffer of its own;
 * then a peer that goes in the middle of a large frame. */
static void
test_big_header_first(void **state)
{
	struct side	 a;
	struct evbuffer	*b = evbuffer_new();
	int		 fd;
	uint8_t		 half[100], *zero = calloc(1, 256 * 1024);

	fd = raw_pair(&a);
	raw_hello(fd, 1, BALTIC_FRAME_MAX);
	run_until(&a.ready);
	big_call_then_small(&a, fd, 200 * 1024, BALTIC_HDR_LEN);
	assert_int_equal(a.intact, 1);
	proto_put_call(b, BALTIC_FRAME_MAX, 3, "IA", "Op", 0, zero,
	    256 * 1024);
	free(zero);
	assert_int_equal(evbuffer_remove(b, half, sizeof half), sizeof half);
	raw_write(fd, half, sizeof half);
	event_base_loop(base, EVLOOP_NONBLOCK);
	/* Not close: unread answers there would make it a reset. */
	shutdown(fd, SHUT_WR);
	run_until(&a.closed);
	assert_string_equal(a.why, "peer closed the channel mid-frame");
	assert_int_equal(a.calls, 2);
	chan_free(a.c);
	close(fd);
	evbuffer_free(b);
}

/* chan_free from inside on_frame on a large frame: nothing after it. */
static void
test_big_free_in_callback(void **state)
{
	struct side	 a;
	int		 fd;

	fd = raw_pair(&a);
	raw_hello(fd, 1, BALTIC_FRAME_MAX);
	run_until(&a.ready);
	a.free_on_frame = 1;
	big_call_then_small(&a, fd, 100 * 1024, 30);
	assert_int_equal(a.frames, 1);
	assert_null(a.c);
	close(fd);
}

/* chan_free from inside on_frame, with more frames queued behind. */
static void
test_free_in_callback(void **state)
{
	struct side	 a;
	int		 fd;

	fd = raw_pair(&a);
	a.free_on_frame = 1;
	raw_hello(fd, 1, BALTIC_FRAME_MAX);
	raw_frame(fd, BALTIC_MSG_PING, 8, 0, "12345678");
	raw_frame(fd, BALTIC_MSG_PING, 8, 0, "12345678");
	run_until(&a.frames);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(a.frames, 1);
	assert_null(a.c);
	close(fd);
}

/* chan_fail inside on_frame: on_close once, no further frames. */
static void
fail_on_frame(struct chan *c, const struct baltic_hdr *h, const uint8_t *b,
    void *arg)
{
	struct side	*s = arg;

	s->frames++;
	chan_fail(c, "test says no");
	chan_fail(c, "again");
}

static void
test_fail_in_callback(void **state)
{
	static const struct chan_cbs fcbs = { fail_on_frame, on_ready,
	    on_close };
	struct side	 a;
	int		 sv[2];

	memset(&a, 0, sizeof a);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a.c = chan_new_fd(base, sv[0], &fcbs, &a);
	raw_hello(sv[1], 1, BALTIC_FRAME_MAX);
	raw_frame(sv[1], BALTIC_MSG_PING, 8, 0, "12345678");
	raw_frame(sv[1], BALTIC_MSG_PING, 8, 0, "12345678");
	run_until(&a.closed);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(a.frames, 1);
	assert_int_equal(a.closed, 1);
	assert_string_equal(a.why, "test says no");
	chan_free(a.c);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_and_calls),
		cmocka_unit_test(test_big_frames),
		cmocka_unit_test(test_hiwat),
		cmocka_unit_test(test_negotiate_lower),
		cmocka_unit_test(test_violations_close),
		cmocka_unit_test(test_call_to_link_only),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_big_in_pieces),
		cmocka_unit_test(test_big_header_first),
		cmocka_unit_test(test_big_free_in_callback),
		cmocka_unit_test(test_free_in_callback),
		cmocka_unit_test(test_fail_in_callback),
	};

	log_init("test-chan", 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
