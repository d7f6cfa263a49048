/*
 * fuzz-chan.c: a channel (chan.h) whose peer writes arbitrary bytes.
 *
 * The channel is made over one end of a socketpair; the fuzz bytes are
 * written into the other end, and the loop runs a few non-blocking
 * iterations.  The first input byte says what the peer and the owner do:
 *   bit 0     the peer shuts down its side after writing (EOF)
 *   bits 1-2  on_frame: nothing, answer with a RESULT, chan_fail, or
 *             chan_free (all allowed from a callback by chan.h)
 *   bit 3     on_ready sends a CALL
 *   bit 4     on_close frees the channel
 *   bits 5-6  on_ready then: nothing, chan_fail, or chan_free
 * Invariants: on_close at most once and never after chan_free; no
 * callback after chan_free or after on_close; on_frame only after
 * on_ready, with a known type and a length within the negotiated frame.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "fuzz.h"

#define FUZZ_CHAN_INPUT_MAX	(128 * 1024)	/* fits the socket buffer */
#define FUZZ_CHAN_ITERATIONS	8

struct st {
	uint8_t		 mode;
	struct chan	*c;
	int		 ready, closed, freed, frames;
};

static struct event_base	*base;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	base = event_base_new();
	FUZZ_CHECK(base != NULL);
	return 0;
}

static void
on_frame(struct chan *c, const struct baltic_hdr *h, const uint8_t *body,
    void *arg)
{
	struct st	*s = arg;

	(void)body;
	FUZZ_CHECK(c == s->c);
	FUZZ_CHECK(!s->freed && !s->closed && s->ready);
	FUZZ_CHECK(h->type != BALTIC_MSG_HELLO);
	FUZZ_CHECK((size_t)h->len + BALTIC_HDR_LEN <= chan_max_frame(c));
	s->frames++;
	switch ((s->mode >> 1) & 3) {
	case 1:
		if (h->type == BALTIC_MSG_CALL)
			(void)chan_send_result(c, h->call_id, BALTIC_OK, "ok",
			    2);
		break;
	case 2:
		chan_fail(c, "fuzz: owner fails the channel");
		break;
	case 3:
		s->freed = 1;
		chan_free(c);
		break;
	}
}

static void
on_ready(struct chan *c, void *arg)
{
	struct st	*s = arg;

	FUZZ_CHECK(c == s->c);
	FUZZ_CHECK(!s->freed && !s->closed && !s->ready);
	FUZZ_CHECK(chan_is_ready(c));
	FUZZ_CHECK(chan_max_frame(c) >= BALTIC_FRAME_MIN &&
	    chan_max_frame(c) <= BALTIC_FRAME_MAX);
	FUZZ_CHECK(chan_version(c) >= BALTIC_PROTO_MIN_VERSION &&
	    chan_version(c) <= BALTIC_PROTO_VERSION);
	s->ready = 1;
	if (s->mode & 8)
		FUZZ_CHECK(chan_send_call(c, 1, "IFuzz", "Op", 0, "x", 1) ==
		    0);
	switch ((s->mode >> 5) & 3) {
	case 1:
		chan_fail(c, "fuzz: owner fails the channel when ready");
		break;
	case 2:
		s->freed = 1;
		chan_free(c);
		break;
	}
}

static void
on_close(struct chan *c, const char *why, void *arg)
{
	struct st	*s = arg;

	FUZZ_CHECK(c == s->c);
	FUZZ_CHECK(why != NULL);
	FUZZ_CHECK(!s->freed && !s->closed);
	FUZZ_CHECK(!chan_is_ready(c));
	s->closed = 1;
	FUZZ_CHECK(chan_send(c, BALTIC_MSG_PING, 0, "12345678", 8) == -1);
	if (s->mode & 16) {
		s->freed = 1;
		chan_free(c);
	}
}

static const struct chan_cbs cbs = { on_frame, on_ready, on_close };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st	 s;
	int		 sv[2], i;
	size_t		 off = 0;
	ssize_t		 r;

	if (base == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	memset(&s, 0, sizeof s);
	s.mode = data[0];
	data++;
	size--;
	if (size > FUZZ_CHAN_INPUT_MAX)
		size = FUZZ_CHAN_INPUT_MAX;

	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	s.c = chan_new_fd(base, sv[0], &cbs, &s);
	FUZZ_CHECK(s.c != NULL);
	while (off < size) {
		r = send(sv[1], data + off, size - off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	if (s.mode & 1)
		shutdown(sv[1], SHUT_WR);

	for (i = 0; i < FUZZ_CHAN_ITERATIONS && !s.freed && !s.closed; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	if (s.mode & 1)
		/* The whole stream and its end were there to read. */
		FUZZ_CHECK(s.freed || s.closed);
	if (!s.freed)
		chan_free(s.c);
	/* Nothing may still be pending on the shared base. */
	FUZZ_CHECK(event_base_loop(base, EVLOOP_NONBLOCK) == 1);
	close(sv[1]);
	return 0;
}
