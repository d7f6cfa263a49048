/*
 * proto-buf.c: the evbuffer half of the codec of proto.h (put a frame,
 * take a frame); the byte-level encoding and all validation are in
 * proto.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "proto.h"

static const struct proto_loan	*loan;

const struct proto_loan *
proto_lend(const struct proto_loan *l)
{
	const struct proto_loan	*prev = loan;

	loan = l;
	return prev;
}

struct proto_lendbuf *
proto_lendbuf_new(size_t len)
{
	struct proto_lendbuf	*b;

	if ((b = malloc(sizeof *b + len)) != NULL)
		b->refs = 1;
	return b;
}

static void
lendbuf_retain(void *buf)
{
	struct proto_lendbuf	*b = buf;

	b->refs++;
}

void
proto_lendbuf_release(const void *data, size_t len, void *buf)
{
	struct proto_lendbuf	*b = buf;

	if (--b->refs == 0)
		free(b);
}

const struct proto_loan *
proto_lendbuf_loan(struct proto_lendbuf *b, size_t len, struct proto_loan *l)
{
	l->base = b->data;
	l->len = len;
	l->retain = lendbuf_retain;
	l->release = proto_lendbuf_release;
	l->arg = b;
	return l;
}

/* Whether len bytes at p are lent (and worth a reference). */
static int
lent(const void *p, size_t len)
{
	const uint8_t	*b = p;

	return loan != NULL && len >= PROTO_LEND_MIN && b >= loan->base &&
	    len <= loan->len && (size_t)(b - loan->base) <= loan->len - len;
}

int
proto_buf_add(struct evbuffer *out, const void *p, size_t len)
{
	if (!lent(p, len))
		return evbuffer_add(out, p, len);
	loan->retain(loan->arg);
	if (evbuffer_add_reference(out, p, len, loan->release, loan->arg) ==
	    -1) {
		loan->release(p, len, loan->arg);
		return -1;
	}
	return 0;
}

int
proto_buf_hold(const void *p, size_t len,
    void (**release)(const void *, size_t, void *), void **arg)
{
	if (!lent(p, len))
		return 0;
	loan->retain(loan->arg);
	*release = loan->release;
	*arg = loan->arg;
	return 1;
}

/* A frame whose second piece is lent: made apart and then moved to out
 * whole (chains are moved, not copied), so that a failure leaves no part
 * of it there. */
static int
put_frame_lent(struct evbuffer *out, const uint8_t *hdr, const void *a,
    size_t alen, const void *b, size_t blen)
{
	struct evbuffer	*f;
	int		 r = -1;

	if ((f = evbuffer_new()) == NULL)
		goto out;
	if (evbuffer_add(f, hdr, BALTIC_HDR_LEN) == -1 ||
	    (alen != 0 && evbuffer_add(f, a, alen) == -1) ||
	    proto_buf_add(f, b, blen) == -1 ||
	    evbuffer_add_buffer(out, f) == -1)
		goto out;
	r = 0;
out:
	if (f != NULL)
		evbuffer_free(f);	/* releases the reference on failure */
	if (r == -1)
		errno = ENOMEM;
	return r;
}

/* Append header and up to two body pieces as one frame; -1 (EMSGSIZE)
 * past max_frame, -1 (ENOMEM) if the buffer cannot grow.  The second
 * piece goes by reference if it is lent. */
static int
put_frame2(struct evbuffer *out, uint32_t max_frame, uint32_t type,
    uint32_t call_id, const void *a, size_t alen, const void *b, size_t blen)
{
	uint8_t	hdr[BALTIC_HDR_LEN];
	size_t	len = alen + blen;

	if (len < alen || len > max_frame || len + BALTIC_HDR_LEN > max_frame) {
		errno = EMSGSIZE;
		return -1;
	}
	proto_encode_hdr(hdr, type, (uint32_t)len, call_id);
	if (lent(b, blen))
		return put_frame_lent(out, hdr, a, alen, b, blen);
	if (evbuffer_expand(out, BALTIC_HDR_LEN + len) == -1)
		goto nomem;
	if (evbuffer_add(out, hdr, sizeof hdr) == -1)
		goto nomem;
	if (alen != 0 && evbuffer_add(out, a, alen) == -1)
		goto nomem;
	if (blen != 0 && evbuffer_add(out, b, blen) == -1)
		goto nomem;
	return 0;
nomem:
	errno = ENOMEM;
	return -1;
}

int
proto_put(struct evbuffer *out, uint32_t max_frame, uint32_t type,
    uint32_t call_id, const void *body, size_t len)
{
	return put_frame2(out, max_frame, type, call_id, body, len, NULL, 0);
}

int
proto_put_hello(struct evbuffer *out, uint32_t max_frame)
{
	uint8_t	b[BALTIC_HELLO_LEN];

	proto_encode_le32(b, BALTIC_PROTO_VERSION);
	proto_encode_le32(b + 4, max_frame);
	return proto_put(out, max_frame, BALTIC_MSG_HELLO, 0, b, sizeof b);
}

/* The names are ours, but checked anyway: a bad name would only be
 * rejected by the peer, closing the channel for every call on it. */
int
proto_put_call(struct evbuffer *out, uint32_t max_frame, uint32_t id,
    const char *iface, const char *op, uint32_t deadline_ms,
    const void *arg, size_t arglen)
{
	return proto_put_call_as(out, max_frame, BALTIC_MSG_CALL, id, iface, op,
	    deadline_ms, arg, arglen);
}

int
proto_put_call_as(struct evbuffer *out, uint32_t max_frame, uint32_t type,
    uint32_t id, const char *iface, const char *op, uint32_t deadline_ms,
    const void *arg, size_t arglen)
{
	uint8_t	 stackbuf[BALTIC_CALL_LEN + 2 * BALTIC_NAME_MAX];
	size_t	 hlen;

	hlen = proto_encode_call_head(stackbuf, iface, op, deadline_ms);
	if (hlen == 0) {
		errno = EINVAL;
		return -1;
	}
	return put_frame2(out, max_frame, type, id, stackbuf,
	    hlen, arg, arglen);
}

/* A CALL_TO: its head, then the CALL's head, then the argument. */
int
proto_put_call_to(struct evbuffer *out, uint32_t max_frame, uint32_t id,
    const char *farm, const char *part, const char *iface, const char *op,
    uint32_t deadline_ms, const void *arg, size_t arglen)
{
	uint8_t	 head[BALTIC_CALL_TO_HEAD_MAX + BALTIC_CALL_HEAD_MAX];
	size_t	 tlen, clen;

	if ((tlen = proto_encode_call_to_head(head, farm, part)) == 0 ||
	    (clen = proto_encode_call_head(head + tlen, iface, op,
	    deadline_ms)) == 0) {
		errno = EINVAL;
		return -1;
	}
	return put_frame2(out, max_frame, BALTIC_MSG_CALL_TO, id, head,
	    tlen + clen, arg, arglen);
}

int
proto_put_image(struct evbuffer *out, uint32_t max_frame, const char *farm,
    const char *part, uint32_t kind, uint64_t offset, const void *data,
    size_t len)
{
	uint8_t	 head[BALTIC_IMAGE_HEAD_MAX];
	size_t	 hlen;

	if ((hlen = proto_encode_image_head(head, farm, part, kind, offset))
	    == 0) {
		errno = EINVAL;
		return -1;
	}
	return put_frame2(out, max_frame, BALTIC_MSG_IMAGE, 0, head, hlen,
	    data, len);
}

int
proto_put_result(struct evbuffer *out, uint32_t max_frame, uint32_t id,
    uint32_t status, const void *payload, size_t len)
{
	return proto_put_result_as(out, max_frame, BALTIC_MSG_RESULT, id,
	    status, payload, len);
}

int
proto_put_result_as(struct evbuffer *out, uint32_t max_frame, uint32_t type,
    uint32_t id, uint32_t status, const void *payload, size_t len)
{
	uint8_t	b[BALTIC_RESULT_LEN];

	proto_encode_le32(b, status);
	return put_frame2(out, max_frame, type, id, b, sizeof b, payload, len);
}

int
proto_take(struct evbuffer *in, uint32_t max_frame, struct baltic_hdr *h_r,
    uint8_t **body_r, const char **why_r)
{
	uint8_t			 raw[BALTIC_HDR_LEN];
	struct baltic_hdr	 untrusted_h;
	uint8_t			*body = NULL;

	*body_r = NULL;
	if (evbuffer_get_length(in) < BALTIC_HDR_LEN)
		return 0;
	if (evbuffer_copyout(in, raw, sizeof raw) != (ssize_t)sizeof raw)
		return 0;
	proto_decode_hdr(raw, &untrusted_h);
	if (proto_check_hdr(&untrusted_h, max_frame, why_r) == -1)
		return -1;
	/* The header is valid from here. */
	if (evbuffer_get_length(in) < BALTIC_HDR_LEN + (size_t)untrusted_h.len)
		return 0;
	if (untrusted_h.len != 0) {
		body = malloc(untrusted_h.len);
		if (body == NULL) {
			*why_r = "out of memory";
			return -1;
		}
	}
	evbuffer_drain(in, BALTIC_HDR_LEN);
	if (body != NULL)
		evbuffer_remove(in, body, untrusted_h.len);
	*h_r = untrusted_h;
	*body_r = body;
	return 1;
}

