/* test-proto.c: the codec of proto.h -- round trips and every rejection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "proto.h"

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void
put_raw_hdr(struct evbuffer *b, uint32_t type, uint32_t len, uint32_t id)
{
	uint8_t	h[12];

	le32(h, type);
	le32(h + 4, len);
	le32(h + 8, id);
	evbuffer_add(b, h, sizeof h);
}

static void
test_status_names(void **state)
{
	assert_string_equal(baltic_status_name(BALTIC_OK), "ok");
	assert_string_equal(baltic_status_name(BALTIC_E_DENIED), "denied");
	assert_string_equal(baltic_status_name(99), "unknown");
}

static void
test_names(void **state)
{
	char	big[BALTIC_NAME_MAX + 2];

	assert_true(proto_name_ok("IPayment", 8));
	assert_true(proto_name_ok("_x9", 3));
	assert_false(proto_name_ok("", 0));
	assert_false(proto_name_ok("9abc", 4));
	assert_false(proto_name_ok("a.b", 3));
	assert_false(proto_name_ok("a/b", 3));
	assert_false(proto_name_ok("a b", 3));
	assert_false(proto_name_ok("a\0b", 3));
	memset(big, 'a', sizeof big);
	assert_true(proto_name_ok(big, BALTIC_NAME_MAX));
	assert_false(proto_name_ok(big, BALTIC_NAME_MAX + 1));
}

static void
test_hello_roundtrip(void **state)
{
	struct evbuffer		*b = evbuffer_new();
	struct baltic_hdr	 h;
	struct baltic_hello	 hello;
	uint8_t			*body;
	const char		*why;

	assert_int_equal(proto_put_hello(b, 8192), 0);
	assert_int_equal(evbuffer_get_length(b), 20);
	assert_int_equal(proto_take(b, BALTIC_FRAME_MAX, &h, &body, &why), 1);
	assert_int_equal(h.type, BALTIC_MSG_HELLO);
	assert_int_equal(h.len, 8);
	assert_int_equal(h.call_id, 0);
	assert_int_equal(proto_parse_hello(body, h.len, &hello, &why), 0);
	assert_int_equal(hello.version, BALTIC_PROTO_VERSION);
	assert_int_equal(hello.max_frame, 8192);
	free(body);
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

static void
test_hello_reject(void **state)
{
	uint8_t			 b[8];
	struct baltic_hello	 hello;
	const char		*why = NULL;

	le32(b, 0);
	le32(b + 4, 8192);
	assert_int_equal(proto_parse_hello(b, 8, &hello, &why), -1);
	assert_non_null(why);
	le32(b, 1);
	le32(b + 4, BALTIC_FRAME_MIN - 1);
	assert_int_equal(proto_parse_hello(b, 8, &hello, &why), -1);
	le32(b + 4, BALTIC_FRAME_MIN);
	assert_int_equal(proto_parse_hello(b, 8, &hello, &why), 0);
	assert_int_equal(proto_parse_hello(b, 7, &hello, &why), -1);
}

static void
test_call_roundtrip(void **state)
{
	struct evbuffer		*b = evbuffer_new();
	struct baltic_hdr	 h;
	struct proto_call_view	 v;
	uint8_t			*body;
	const char		*why;

	assert_int_equal(proto_put_call(b, BALTIC_FRAME_MAX, 77, "IPayment",
	    "Authorize", 1500, "order-1", 7), 0);
	assert_int_equal(proto_take(b, BALTIC_FRAME_MAX, &h, &body, &why), 1);
	assert_int_equal(h.type, BALTIC_MSG_CALL);
	assert_int_equal(h.call_id, 77);
	assert_int_equal(proto_parse_call(body, h.len, &v, &why), 0);
	assert_string_equal(v.iface, "IPayment");
	assert_string_equal(v.op, "Authorize");
	assert_int_equal(v.deadline_ms, 1500);
	assert_int_equal(v.arglen, 7);
	assert_memory_equal(v.arg, "order-1", 7);
	free(body);

	/* Empty argument. */
	assert_int_equal(proto_put_call(b, BALTIC_FRAME_MAX, 1, "I", "O", 0,
	    NULL, 0), 0);
	assert_int_equal(proto_take(b, BALTIC_FRAME_MAX, &h, &body, &why), 1);
	assert_int_equal(proto_parse_call(body, h.len, &v, &why), 0);
	assert_int_equal(v.arglen, 0);
	free(body);

	/* Bad names are refused when encoding too. */
	assert_int_equal(proto_put_call(b, BALTIC_FRAME_MAX, 1, "I.x", "O", 0,
	    NULL, 0), -1);
	assert_int_equal(proto_put_call(b, BALTIC_FRAME_MAX, 1, "I", "", 0,
	    NULL, 0), -1);
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

static void
call_body(uint8_t *b, uint16_t il, uint16_t ol, const char *names)
{
	b[0] = il; b[1] = il >> 8;
	b[2] = ol; b[3] = ol >> 8;
	le32(b + 4, 0);
	memcpy(b + 8, names, strlen(names));
}

static void
test_call_reject(void **state)
{
	uint8_t			 b[256];
	struct proto_call_view	 v;
	const char		*why;

	call_body(b, 1, 1, "IO");
	assert_int_equal(proto_parse_call(b, 10, &v, &why), 0);
	/* Short body. */
	assert_int_equal(proto_parse_call(b, 7, &v, &why), -1);
	/* Names past the end. */
	assert_int_equal(proto_parse_call(b, 9, &v, &why), -1);
	call_body(b, 5, 1, "IO");
	assert_int_equal(proto_parse_call(b, 10, &v, &why), -1);
	/* Zero and oversize name lengths. */
	call_body(b, 0, 1, "O");
	assert_int_equal(proto_parse_call(b, 9, &v, &why), -1);
	call_body(b, BALTIC_NAME_MAX + 1, 1, "");
	memset(b + 8, 'a', BALTIC_NAME_MAX + 2);
	assert_int_equal(proto_parse_call(b, 8 + BALTIC_NAME_MAX + 2, &v,
	    &why), -1);
	/* Bad characters. */
	call_body(b, 2, 1, "I/O");
	assert_int_equal(proto_parse_call(b, 11, &v, &why), -1);
	call_body(b, 1, 2, "I.O");
	assert_int_equal(proto_parse_call(b, 11, &v, &why), -1);
	call_body(b, 1, 1, "I\n");
	assert_int_equal(proto_parse_call(b, 10, &v, &why), -1);
}

/* A CALL_TO encoded, its header checked as a link checks it. */
static void
test_call_to_roundtrip(void **state)
{
	struct evbuffer			*b = evbuffer_new();
	struct proto_call_to_view	 v;
	struct baltic_hdr		 h;
	uint8_t				 raw[512];
	const char			*why = NULL;
	size_t				 n;

	assert_int_equal(proto_put_call_to(b, BALTIC_FRAME_MAX, 9, "shop",
	    "shop-s-2.3", "IPayment", "Authorize", 1500, "order-1", 7), 0);
	n = evbuffer_get_length(b);
	assert_true(n < sizeof raw);
	evbuffer_remove(b, raw, n);
	proto_decode_hdr(raw, &h);
	assert_int_equal(h.type, BALTIC_MSG_CALL_TO);
	assert_int_equal(h.call_id, 9);
	assert_int_equal(h.len, n - BALTIC_HDR_LEN);
	assert_int_equal(proto_check_hdr_link(&h, BALTIC_FRAME_MAX, &why), 0);
	/* A guest's channel knows no such type. */
	assert_int_equal(proto_check_hdr(&h, BALTIC_FRAME_MAX, &why), -1);
	assert_string_equal(why, "unknown message type");
	assert_int_equal(proto_parse_call_to(raw + BALTIC_HDR_LEN, h.len, &v,
	    &why), 0);
	assert_string_equal(v.farm, "shop");
	assert_string_equal(v.part, "shop-s-2.3");
	assert_string_equal(v.call.iface, "IPayment");
	assert_string_equal(v.call.op, "Authorize");
	assert_int_equal(v.call.deadline_ms, 1500);
	assert_int_equal(v.call.arglen, 7);
	assert_memory_equal(v.call.arg, "order-1", 7);
	/* Bad names are refused when encoding too. */
	assert_int_equal(proto_put_call_to(b, BALTIC_FRAME_MAX, 1, "sh/op",
	    "p", "I", "O", 0, NULL, 0), -1);
	assert_int_equal(proto_put_call_to(b, BALTIC_FRAME_MAX, 1, "f", "",
	    "I", "O", 0, NULL, 0), -1);
	assert_int_equal(proto_put_call_to(b, BALTIC_FRAME_MAX, 1, "f", "p",
	    "I.x", "O", 0, NULL, 0), -1);
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

/* An IMAGE frame encoded, checked as a link checks it, and parsed; the
 * bodies a link refuses. */
static void
test_image(void **state)
{
	struct evbuffer		*b = evbuffer_new();
	struct proto_image_view	 v;
	struct baltic_hdr	 h;
	uint8_t			 raw[512];
	const char		*why = NULL;
	size_t			 n;

	assert_int_equal(proto_put_image(b, BALTIC_FRAME_MAX, "shop", "s-1",
	    BALTIC_IMAGE_DATA, 0x100000002ULL, "bytes", 5), 0);
	n = evbuffer_get_length(b);
	assert_true(n < sizeof raw);
	evbuffer_remove(b, raw, n);
	proto_decode_hdr(raw, &h);
	assert_int_equal(h.type, BALTIC_MSG_IMAGE);
	assert_int_equal(h.call_id, 0);
	assert_int_equal(proto_check_hdr_link(&h, BALTIC_FRAME_MAX, &why), 0);
	/* A guest's channel knows no such type. */
	assert_int_equal(proto_check_hdr(&h, BALTIC_FRAME_MAX, &why), -1);
	assert_int_equal(proto_parse_image(raw + BALTIC_HDR_LEN, h.len, &v,
	    &why), 0);
	assert_string_equal(v.farm, "shop");
	assert_string_equal(v.part, "s-1");
	assert_int_equal(v.kind, BALTIC_IMAGE_DATA);
	assert_true(v.offset == 0x100000002ULL);
	assert_int_equal(v.len, 5);
	assert_memory_equal(v.data, "bytes", 5);
	/* Too short for kind and offset; an unknown kind. */
	assert_int_equal(proto_parse_image(raw + BALTIC_HDR_LEN, 4 + 7 + 11,
	    &v, &why), -1);
	raw[BALTIC_HDR_LEN + 4 + 7] = 3;
	assert_int_equal(proto_parse_image(raw + BALTIC_HDR_LEN, h.len, &v,
	    &why), -1);
	assert_string_equal(why, "IMAGE kind unknown");
	h.len = 4 + 2 + BALTIC_IMAGE_LEN - 1;
	assert_int_equal(proto_check_hdr_link(&h, BALTIC_FRAME_MAX, &why), -1);
	/* Bad names and kinds are refused when encoding too. */
	assert_int_equal(proto_put_image(b, BALTIC_FRAME_MAX, "sh op", "p",
	    BALTIC_IMAGE_END, 0, NULL, 0), -1);
	assert_int_equal(proto_put_image(b, BALTIC_FRAME_MAX, "f", "p", 7, 0,
	    NULL, 0), -1);
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

/* A CALL_TO body: the names' lengths, the names, then a CALL body. */
static size_t
call_to_body(uint8_t *b, uint16_t fl, uint16_t pl, const char *names,
    const char *call_names)
{
	size_t	n = strlen(names);

	b[0] = fl; b[1] = fl >> 8;
	b[2] = pl; b[3] = pl >> 8;
	memcpy(b + 4, names, n);
	call_body(b + 4 + n, 1, 1, call_names);
	return 4 + n + 8 + strlen(call_names);
}

static void
test_call_to_reject(void **state)
{
	uint8_t				 b[512];
	struct proto_call_to_view	 v;
	struct baltic_hdr		 h = { BALTIC_MSG_CALL_TO, 0, 1 };
	const char			*why;
	size_t				 n;

	n = call_to_body(b, 1, 3, "fp-1", "IO");
	assert_int_equal(proto_parse_call_to(b, n, &v, &why), 0);
	assert_string_equal(v.part, "p-1");
	/* Short bodies, names past the end. */
	assert_int_equal(proto_parse_call_to(b, 3, &v, &why), -1);
	assert_int_equal(proto_parse_call_to(b, 6, &v, &why), -1);
	assert_int_equal(proto_parse_call_to(b, n - 1, &v, &why), -1);
	assert_int_equal(proto_parse_call_to(b, n + 3, &v, &why), 0);
	assert_int_equal(v.call.arglen, 3);
	assert_int_equal(proto_parse_call_to(b, 4 + 4 + 7, &v, &why), -1);
	n = call_to_body(b, 9, 3, "fp-1", "IO");
	assert_int_equal(proto_parse_call_to(b, 4 + 4, &v, &why), -1);
	/* Zero and oversize name lengths. */
	n = call_to_body(b, 0, 3, "p-1", "IO");
	assert_int_equal(proto_parse_call_to(b, n, &v, &why), -1);
	memset(b + 4, 'a', BALTIC_PEER_NAME_MAX + 1);
	b[0] = BALTIC_PEER_NAME_MAX + 1; b[1] = 0; b[2] = 1; b[3] = 0;
	assert_int_equal(proto_parse_call_to(b, 4 + BALTIC_PEER_NAME_MAX + 2 +
	    10, &v, &why), -1);
	b[0] = BALTIC_PEER_NAME_MAX;
	call_body(b + 4 + BALTIC_PEER_NAME_MAX + 1, 1, 1, "IO");
	assert_int_equal(proto_parse_call_to(b, 4 + BALTIC_PEER_NAME_MAX + 1 +
	    10, &v, &why), 0);
	/* Bad characters, in the names or in the CALL after them. */
	n = call_to_body(b, 1, 3, "fp/1", "IO");
	assert_int_equal(proto_parse_call_to(b, n, &v, &why), -1);
	n = call_to_body(b, 1, 3, "fp\n1", "IO");
	assert_int_equal(proto_parse_call_to(b, n, &v, &why), -1);
	n = call_to_body(b, 1, 3, "fp-1", "I.");
	assert_int_equal(proto_parse_call_to(b, n, &v, &why), -1);
	/* Headers: too short to hold a call, over the frame. */
	h.len = 4 + 2 + 8 + 1;
	assert_int_equal(proto_check_hdr_link(&h, BALTIC_FRAME_MAX, &why), -1);
	h.len = 4 + 2 + 8 + 2;
	assert_int_equal(proto_check_hdr_link(&h, BALTIC_FRAME_MAX, &why), 0);
	h.len = 4096 - 11;
	assert_int_equal(proto_check_hdr_link(&h, 4096, &why), -1);
	/* Every other type as proto_check_hdr says. */
	h.type = 0x9999;
	assert_int_equal(proto_check_hdr_link(&h, BALTIC_FRAME_MAX, &why), -1);
	h.type = BALTIC_MSG_CANCEL;
	h.len = 0;
	assert_int_equal(proto_check_hdr_link(&h, BALTIC_FRAME_MAX, &why), 0);
}

static void
test_result_roundtrip(void **state)
{
	struct evbuffer			*b = evbuffer_new();
	struct baltic_hdr		 h;
	struct proto_result_view	 v;
	uint8_t				*body;
	const char			*why;
	uint8_t				 raw[4];

	assert_int_equal(proto_put_result(b, BALTIC_FRAME_MAX, 5,
	    BALTIC_E_HANDLER, "boom", 4), 0);
	assert_int_equal(proto_take(b, BALTIC_FRAME_MAX, &h, &body, &why), 1);
	assert_int_equal(h.type, BALTIC_MSG_RESULT);
	assert_int_equal(h.call_id, 5);
	assert_int_equal(proto_parse_result(body, h.len, &v, &why), 0);
	assert_int_equal(v.status, BALTIC_E_HANDLER);
	assert_int_equal(v.len, 4);
	assert_memory_equal(v.payload, "boom", 4);
	free(body);
	assert_int_equal(proto_parse_result(raw, 3, &v, &why), -1);
	le32(raw, BALTIC_STATUS_MAX + 1);
	assert_int_equal(proto_parse_result(raw, 4, &v, &why), -1);
	evbuffer_free(b);
}

static void
test_put_oversize(void **state)
{
	struct evbuffer	*b = evbuffer_new();
	static uint8_t	 big[8192];

	assert_int_equal(proto_put(b, 4096, BALTIC_MSG_CONFIG, 0, big,
	    4096 - BALTIC_HDR_LEN), 0);
	assert_int_equal(proto_put(b, 4096, BALTIC_MSG_CONFIG, 0, big,
	    4096 - BALTIC_HDR_LEN + 1), -1);
	assert_int_equal(proto_put_result(b, 4096, 1, 0, big, 4096), -1);
	assert_int_equal(proto_put_call(b, 4096, 1, "I", "O", 0, big, 4096),
	    -1);
	assert_int_equal(evbuffer_get_length(b), 4096);
	evbuffer_free(b);
}

static void
expect_take_fail(uint32_t type, uint32_t len, uint32_t max)
{
	struct evbuffer		*b = evbuffer_new();
	struct baltic_hdr	 h;
	uint8_t			*body = (uint8_t *)1;
	const char		*why = NULL;

	put_raw_hdr(b, type, len, 0);
	assert_int_equal(proto_take(b, max, &h, &body, &why), -1);
	assert_non_null(why);
	assert_null(body);
	/* Nothing consumed. */
	assert_int_equal(evbuffer_get_length(b), 12);
	evbuffer_free(b);
}

static void
test_take_reject(void **state)
{
	expect_take_fail(0x9999, 0, BALTIC_FRAME_MAX);		/* unknown */
	expect_take_fail(0, 0, BALTIC_FRAME_MAX);
	expect_take_fail(BALTIC_MSG_CONFIG, BALTIC_FRAME_MAX, BALTIC_FRAME_MAX);
	expect_take_fail(BALTIC_MSG_CONFIG, 0xffffffff, BALTIC_FRAME_MAX);
	expect_take_fail(BALTIC_MSG_CONFIG, 4096 - 11, 4096);	/* oversize */
	expect_take_fail(BALTIC_MSG_HELLO, 7, BALTIC_FRAME_MAX);
	expect_take_fail(BALTIC_MSG_HELLO, 9, BALTIC_FRAME_MAX);
	expect_take_fail(BALTIC_MSG_PING, 4, BALTIC_FRAME_MAX);
	expect_take_fail(BALTIC_MSG_PONG, 0, BALTIC_FRAME_MAX);
	expect_take_fail(BALTIC_MSG_CALL, 9, BALTIC_FRAME_MAX);
	expect_take_fail(BALTIC_MSG_RESULT, 3, BALTIC_FRAME_MAX);
	expect_take_fail(BALTIC_MSG_CANCEL, 1, BALTIC_FRAME_MAX);
}

static void
test_take_truncated(void **state)
{
	struct evbuffer		*b = evbuffer_new();
	struct baltic_hdr	 h;
	uint8_t			*body;
	const char		*why;
	uint8_t			 raw[64];
	size_t			 i, n;

	proto_put_result(b, BALTIC_FRAME_MAX, 9, 0, "payload", 7);
	n = evbuffer_remove(b, raw, sizeof raw);
	assert_int_equal(n, 12 + 4 + 7);
	/* Byte by byte: 0 until the last byte, nothing consumed. */
	for (i = 0; i < n - 1; i++) {
		evbuffer_add(b, raw + i, 1);
		assert_int_equal(proto_take(b, BALTIC_FRAME_MAX, &h, &body,
		    &why), 0);
		assert_int_equal(evbuffer_get_length(b), i + 1);
	}
	evbuffer_add(b, raw + n - 1, 1);
	assert_int_equal(proto_take(b, BALTIC_FRAME_MAX, &h, &body, &why), 1);
	assert_int_equal(h.len, 11);
	free(body);

	/* CANCEL: empty body, NULL pointer. */
	proto_put(b, BALTIC_FRAME_MAX, BALTIC_MSG_CANCEL, 3, NULL, 0);
	assert_int_equal(proto_take(b, BALTIC_FRAME_MAX, &h, &body, &why), 1);
	assert_null(body);
	assert_int_equal(h.call_id, 3);
	evbuffer_free(b);
}

/* Lent memory (proto_lend): a large payload inside it goes by
 * reference, held until the buffer lets it go; anything else is copied. */
static int	loan_refs, loan_releases;

static void
loan_retain(void *arg)
{
	loan_refs++;
}

static void
loan_release(const void *data, size_t len, void *arg)
{
	loan_releases++;
}

static void
test_lend(void **state)
{
	size_t			 n = PROTO_LEND_MIN + 100;
	uint8_t			*mem = malloc(n + 10);
	struct evbuffer		*out = evbuffer_new();
	struct proto_loan	 loan = { mem, n, loan_retain, loan_release,
				    NULL };
	const struct proto_loan	*prev;
	struct baltic_hdr	 h;
	uint8_t			*body;
	const char		*why;
	size_t			 k;

	for (k = 0; k < n + 10; k++)
		mem[k] = (uint8_t)(k * 7);
	prev = proto_lend(&loan);
	/* Inside, and large: by reference. */
	assert_int_equal(proto_put_result(out, BALTIC_FRAME_MAX, 5, BALTIC_OK,
	    mem + 50, PROTO_LEND_MIN), 0);
	assert_int_equal(loan_refs, 1);
	/* Too small, or reaching past the loan: copied. */
	assert_int_equal(proto_put_result(out, BALTIC_FRAME_MAX, 6, BALTIC_OK,
	    mem, 100), 0);
	assert_int_equal(proto_put_result(out, BALTIC_FRAME_MAX, 7, BALTIC_OK,
	    mem + 110, PROTO_LEND_MIN), 0);
	assert_int_equal(loan_refs, 1);
	assert_null(prev);
	assert_ptr_equal(proto_lend(prev), &loan);
	/* Once the loan ends, nothing more is lent. */
	assert_int_equal(proto_buf_add(out, mem, n), 0);
	assert_int_equal(loan_refs, 1);
	/* The frames read back whole; the reference goes with them. */
	assert_int_equal(proto_take(out, BALTIC_FRAME_MAX, &h, &body, &why), 1);
	assert_int_equal(h.call_id, 5);
	assert_memory_equal(body + BALTIC_RESULT_LEN, mem + 50,
	    PROTO_LEND_MIN);
	free(body);
	assert_int_equal(loan_releases, 1);
	evbuffer_free(out);
	assert_int_equal(loan_releases, 1);
	free(mem);
}

/* proto_buf_hold: a reference of one's own to lent bytes, none to
 * bytes that are not (the agent's kept answers copy those). */
static void
test_hold(void **state)
{
	size_t			 n = PROTO_LEND_MIN + 100;
	uint8_t			*mem = calloc(1, n);
	struct proto_loan	 loan = { mem, n, loan_retain, loan_release,
				    NULL };
	void			(*rel)(const void *, size_t, void *) = NULL;
	void			*arg = NULL;

	loan_refs = loan_releases = 0;
	assert_int_equal(proto_buf_hold(mem, n, &rel, &arg), 0);
	assert_null(proto_lend(&loan));
	assert_int_equal(proto_buf_hold(mem + 1, PROTO_LEND_MIN - 1, &rel,
	    &arg), 0);
	assert_int_equal(proto_buf_hold(mem + 101, PROTO_LEND_MIN, &rel,
	    &arg), 0);
	assert_int_equal(loan_refs, 0);
	assert_int_equal(proto_buf_hold(mem + 100, PROTO_LEND_MIN, &rel,
	    &arg), 1);
	assert_int_equal(loan_refs, 1);
	assert_ptr_equal(rel, loan_release);
	assert_ptr_equal(proto_lend(NULL), &loan);
	/* Held past the loan's end, until let go. */
	assert_int_equal(loan_releases, 0);
	rel(mem + 100, PROTO_LEND_MIN, arg);
	assert_int_equal(loan_releases, 1);
	free(mem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hello_roundtrip),
		cmocka_unit_test(test_hello_reject),
		cmocka_unit_test(test_call_roundtrip),
		cmocka_unit_test(test_call_reject),
		cmocka_unit_test(test_call_to_roundtrip),
		cmocka_unit_test(test_call_to_reject),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_result_roundtrip),
		cmocka_unit_test(test_put_oversize),
		cmocka_unit_test(test_take_reject),
		cmocka_unit_test(test_take_truncated),
		cmocka_unit_test(test_lend),
		cmocka_unit_test(test_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
