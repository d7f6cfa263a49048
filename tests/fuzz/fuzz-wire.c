/*
 * fuzz-wire.c: the wire decoder of proto.h on an arbitrary byte stream.
 *
 * Input: one flag byte, four bytes for max_frame, then the stream, fed
 * to an evbuffer in pieces (by reference, so a frame may straddle
 * chains).  Frames are taken with proto_take until it wants more bytes
 * or refuses; each header is also decoded and checked on its own
 * (proto_decode_hdr/proto_check_hdr) and must agree with proto_take, and
 * each body goes through proto_parse_hello/call/result.  A body that
 * parses is encoded again with proto_put*, which must give back the very
 * bytes taken: the decoder and the encoder agree on the format.  So
 * must a link's CALL_TO and IMAGE (proto_parse_call_to and
 * proto_parse_image, on every body).
 */
#include <string.h>

#include <event2/buffer.h>

#include "proto.h"
#include "fuzz.h"

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint32_t
pick_max_frame(uint8_t flags, uint32_t raw)
{
	switch (flags & 3) {
	case 0:
		return BALTIC_FRAME_MAX;
	case 1:
		return BALTIC_FRAME_MIN;
	case 2:
		return raw;	/* anything, even below the minimum */
	default:
		return BALTIC_FRAME_MIN +
		    raw % (BALTIC_FRAME_MAX - BALTIC_FRAME_MIN + 1);
	}
}

/* Encode the frame again and compare with what was taken. */
static void
reencode(uint32_t max_frame, const struct baltic_hdr *h, const uint8_t *body,
    const uint8_t *frame)
{
	struct proto_call_view	 cv;
	struct proto_result_view rv;
	struct baltic_hello	 hello;
	struct evbuffer		*out;
	const char		*why = NULL;
	int			 r = 1;

	out = evbuffer_new();
	FUZZ_CHECK(out != NULL);
	switch (h->type) {
	case BALTIC_MSG_HELLO:
		if (proto_parse_hello(body, h->len, &hello, &why) == 0) {
			FUZZ_CHECK(hello.version >= BALTIC_PROTO_MIN_VERSION);
			FUZZ_CHECK(hello.max_frame >= BALTIC_FRAME_MIN);
		}
		r = proto_put(out, max_frame, h->type, h->call_id, body,
		    h->len);
		break;
	case BALTIC_MSG_CALL:
		if (proto_parse_call(body, h->len, &cv, &why) == -1) {
			FUZZ_CHECK(why != NULL);
			break;
		}
		FUZZ_CHECK(proto_name_ok(cv.iface, strlen(cv.iface)));
		FUZZ_CHECK(proto_name_ok(cv.op, strlen(cv.op)));
		FUZZ_CHECK(cv.arg >= body && cv.arg + cv.arglen ==
		    body + h->len);
		r = proto_put_call(out, max_frame, h->call_id, cv.iface, cv.op,
		    cv.deadline_ms, cv.arg, cv.arglen);
		break;
	case BALTIC_MSG_RESULT:
		if (proto_parse_result(body, h->len, &rv, &why) == -1) {
			FUZZ_CHECK(why != NULL);
			break;
		}
		FUZZ_CHECK(rv.status <= BALTIC_STATUS_MAX);
		FUZZ_CHECK(baltic_status_name(rv.status) != NULL);
		FUZZ_CHECK(rv.payload + rv.len == body + h->len);
		r = proto_put_result(out, max_frame, h->call_id, rv.status,
		    rv.payload, rv.len);
		break;
	default:
		r = proto_put(out, max_frame, h->type, h->call_id, body,
		    h->len);
		break;
	}
	if (r != 1) {
		/* Whatever proto_take accepted, proto_put must accept. */
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(evbuffer_get_length(out) ==
		    BALTIC_HDR_LEN + (size_t)h->len);
		FUZZ_CHECK(memcmp(evbuffer_pullup(out, -1), frame,
		    BALTIC_HDR_LEN + (size_t)h->len) == 0);
	}
	evbuffer_free(out);
}

/* A body CALL_TO accepts (a link's frame: proto_take never gives one)
 * is encoded again to the very same bytes, with names that pass. */
static void
call_to_again(const uint8_t *body, size_t len)
{
	struct proto_call_to_view	 tv;
	struct evbuffer			*out;
	const char			*why = NULL;

	if (proto_parse_call_to(body, len, &tv, &why) == -1) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(proto_peer_name_ok(tv.farm, strlen(tv.farm)));
	FUZZ_CHECK(proto_peer_name_ok(tv.part, strlen(tv.part)));
	FUZZ_CHECK(tv.call.arg + tv.call.arglen == body + len);
	if (len + BALTIC_HDR_LEN > BALTIC_FRAME_MAX)
		return;
	out = evbuffer_new();
	FUZZ_CHECK(out != NULL);
	FUZZ_CHECK(proto_put_call_to(out, BALTIC_FRAME_MAX, 1, tv.farm,
	    tv.part, tv.call.iface, tv.call.op, tv.call.deadline_ms,
	    tv.call.arg, tv.call.arglen) == 0);
	FUZZ_CHECK(evbuffer_get_length(out) == BALTIC_HDR_LEN + len);
	FUZZ_CHECK(memcmp(evbuffer_pullup(out, -1) + BALTIC_HDR_LEN, body,
	    len) == 0);
	evbuffer_free(out);
}

/* The same for an IMAGE body: its bytes are the rest of the body, and
 * it is encoded again to the very same bytes. */
static void
image_again(const uint8_t *body, size_t len)
{
	struct proto_image_view	 iv;
	struct evbuffer		*out;
	const char		*why = NULL;

	if (proto_parse_image(body, len, &iv, &why) == -1) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(proto_peer_name_ok(iv.farm, strlen(iv.farm)));
	FUZZ_CHECK(proto_peer_name_ok(iv.part, strlen(iv.part)));
	FUZZ_CHECK(iv.kind <= BALTIC_IMAGE_ABORT);
	FUZZ_CHECK(iv.data + iv.len == body + len);
	if (len + BALTIC_HDR_LEN > BALTIC_FRAME_MAX)
		return;
	out = evbuffer_new();
	FUZZ_CHECK(out != NULL);
	FUZZ_CHECK(proto_put_image(out, BALTIC_FRAME_MAX, iv.farm, iv.part,
	    iv.kind, iv.offset, iv.data, iv.len) == 0);
	FUZZ_CHECK(evbuffer_get_length(out) == BALTIC_HDR_LEN + len);
	FUZZ_CHECK(memcmp(evbuffer_pullup(out, -1) + BALTIC_HDR_LEN, body,
	    len) == 0);
	evbuffer_free(out);
}

/* Every parser on every body, whatever its type: they check lengths
 * themselves. */
static void
parse_any(const uint8_t *body, size_t len)
{
	struct proto_call_view	 cv;
	struct proto_result_view rv;
	struct baltic_hello	 hello;
	const char		*why;

	if (proto_parse_hello(body, len, &hello, &why) == -1)
		FUZZ_CHECK(why != NULL);
	if (proto_parse_call(body, len, &cv, &why) == 0)
		FUZZ_CHECK(cv.arglen <= len);
	if (proto_parse_result(body, len, &rv, &why) == 0)
		FUZZ_CHECK(rv.len + BALTIC_RESULT_LEN == len);
	call_to_again(body, len);
	image_again(body, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer		*in;
	struct baltic_hdr	 h, dh;
	uint8_t			 raw[BALTIC_HDR_LEN], *body, *frame;
	const uint8_t		*p;
	const char		*why, *dwhy;
	uint32_t		 max_frame;
	size_t			 chunk, left, before, n;
	int			 r, dr;

	if (size < 5)
		return 0;
	max_frame = pick_max_frame(data[0], le32(data + 1));
	chunk = (data[0] & 0x80) ? size : (size_t)1 << ((data[0] >> 2) & 7);
	p = data + 5;
	left = size - 5;
	parse_any(p, left);

	in = evbuffer_new();
	FUZZ_CHECK(in != NULL);
	while (left > 0) {
		n = left < chunk ? left : chunk;
		FUZZ_CHECK(evbuffer_add_reference(in, p, n, NULL, NULL) == 0);
		p += n;
		left -= n;
	}

	for (;;) {
		before = evbuffer_get_length(in);
		dr = 1;
		if (before >= BALTIC_HDR_LEN) {
			FUZZ_CHECK(evbuffer_copyout(in, raw, sizeof raw) ==
			    (ev_ssize_t)sizeof raw);
			proto_decode_hdr(raw, &dh);
			dwhy = NULL;
			dr = proto_check_hdr(&dh, max_frame, &dwhy);
			FUZZ_CHECK(dr == 0 || dwhy != NULL);
			/* max_frame counts header and body (proto.h). */
			FUZZ_CHECK(dr == -1 || (uint64_t)dh.len +
			    BALTIC_HDR_LEN <= max_frame);
		}
		frame = NULL;
		if (dr == 0 && before >= BALTIC_HDR_LEN + (size_t)dh.len) {
			frame = malloc(BALTIC_HDR_LEN + (size_t)dh.len);
			FUZZ_CHECK(frame != NULL);
			evbuffer_copyout(in, frame,
			    BALTIC_HDR_LEN + (size_t)dh.len);
		}
		why = NULL;
		body = NULL;
		r = proto_take(in, max_frame, &h, &body, &why);
		if (r != 1) {
			FUZZ_CHECK(body == NULL);
			FUZZ_CHECK(evbuffer_get_length(in) == before);
			FUZZ_CHECK(r == 0 || why != NULL);
			/* The two paths agree on what is bad. */
			FUZZ_CHECK((r == -1) == (dr == -1));
			free(frame);
			break;
		}
		FUZZ_CHECK(dr == 0 && frame != NULL);
		FUZZ_CHECK(h.type == dh.type && h.len == dh.len &&
		    h.call_id == dh.call_id);
		FUZZ_CHECK((size_t)h.len + BALTIC_HDR_LEN <= max_frame);
		FUZZ_CHECK((h.len == 0) == (body == NULL));
		FUZZ_CHECK(evbuffer_get_length(in) ==
		    before - BALTIC_HDR_LEN - h.len);
		parse_any(body, h.len);
		reencode(max_frame, &h, body, frame);
		free(frame);
		free(body);
	}
	evbuffer_free(in);
	return 0;
}
