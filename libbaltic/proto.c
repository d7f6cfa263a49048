/*
 * proto.c: encode and decode the frames of proto.h, without libevent (so
 * that baltic-call links without it; the evbuffer half is proto-buf.c).
 * Nothing here trusts a byte it did not write: every length is checked
 * against the type and the negotiated maximum before the body is touched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static const char *const status_names[] = {
	[BALTIC_OK] = "ok",
	[BALTIC_E_HANDLER] = "handler-failed",
	[BALTIC_E_NOOP] = "no-such-operation",
	[BALTIC_E_ARG] = "bad-argument",
	[BALTIC_E_CANCELLED] = "cancelled",
	[BALTIC_E_TIMEOUT] = "timeout",
	[BALTIC_E_UNAVAILABLE] = "unavailable",
	[BALTIC_E_DENIED] = "denied",
	[BALTIC_E_BADRESULT] = "bad-result",
	[BALTIC_E_OVERLOAD] = "overload",
	[BALTIC_E_INTERNAL] = "internal",
};

/* A short, stable name for a status; "unknown" past the table. */
const char *
baltic_status_name(uint32_t status)
{
	if (status > BALTIC_STATUS_MAX)
		return "unknown";
	return status_names[status];
}

static void	put_le32(uint8_t *, uint32_t);
static void	put_le16(uint8_t *, uint16_t);
static uint32_t	get_le32(const uint8_t *);

void
proto_encode_hdr(uint8_t *p, uint32_t type, uint32_t len, uint32_t call_id)
{
	put_le32(p, type);
	put_le32(p + 4, len);
	put_le32(p + 8, call_id);
}

size_t
proto_encode_call_head(uint8_t *p, const char *iface, const char *op,
    uint32_t deadline_ms)
{
	size_t	ilen, olen;

	ilen = strlen(iface);
	olen = strlen(op);
	if (!proto_name_ok(iface, ilen) || !proto_name_ok(op, olen))
		return 0;
	put_le16(p, (uint16_t)ilen);
	put_le16(p + 2, (uint16_t)olen);
	put_le32(p + 4, deadline_ms);
	memcpy(p + BALTIC_CALL_LEN, iface, ilen);
	memcpy(p + BALTIC_CALL_LEN + ilen, op, olen);
	return BALTIC_CALL_LEN + ilen + olen;
}

void
proto_encode_le32(uint8_t *p, uint32_t v)
{
	put_le32(p, v);
}

uint32_t
proto_decode_le32(const uint8_t *p)
{
	return get_le32(p);
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void
proto_decode_hdr(const uint8_t *untrusted, struct baltic_hdr *h_r)
{
	h_r->type = get_le32(untrusted);
	h_r->len = get_le32(untrusted + 4);
	h_r->call_id = get_le32(untrusted + 8);
}

int
proto_check_hdr(const struct baltic_hdr *untrusted, uint32_t max_frame,
    const char **why_r)
{
	uint32_t	len = untrusted->len;
	int		ok;

	if (len > max_frame || max_frame - len < BALTIC_HDR_LEN) {
		*why_r = "frame over the negotiated maximum";
		return -1;
	}
	switch (untrusted->type) {
	case BALTIC_MSG_HELLO:
		ok = len == BALTIC_HELLO_LEN;
		break;
	case BALTIC_MSG_PING:
	case BALTIC_MSG_PONG:
		ok = len == 8;
		break;
	case BALTIC_MSG_CONFIG:
		ok = 1;
		break;
	case BALTIC_MSG_CALL:
	case BALTIC_MSG_CALL_AGAIN:
		ok = len >= BALTIC_CALL_LEN + 2;
		break;
	case BALTIC_MSG_RESULT:
	case BALTIC_MSG_RESULT_LATE:
		ok = len >= BALTIC_RESULT_LEN;
		break;
	case BALTIC_MSG_CANCEL:
		ok = len == 0;
		break;
	default:
		*why_r = "unknown message type";
		return -1;
	}
	if (!ok) {
		*why_r = "body length wrong for the message type";
		return -1;
	}
	return 0;
}

int
proto_name_ok(const char *untrusted, size_t len)
{
	size_t	i;
	char	c;

	if (len < 1 || len > BALTIC_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = untrusted[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '_')
			continue;
		if (i > 0 && c >= '0' && c <= '9')
			continue;
		return 0;
	}
	return 1;
}

int
proto_parse_hello(const uint8_t *untrusted, size_t len,
    struct baltic_hello *r, const char **why_r)
{
	if (len != BALTIC_HELLO_LEN) {
		*why_r = "HELLO body of the wrong length";
		return -1;
	}
	r->version = get_le32(untrusted);
	r->max_frame = get_le32(untrusted + 4);
	if (r->version < BALTIC_PROTO_MIN_VERSION) {
		*why_r = "peer's protocol version is too old";
		return -1;
	}
	if (r->max_frame < BALTIC_FRAME_MIN) {
		*why_r = "peer's maximum frame is below the minimum";
		return -1;
	}
	return 0;
}

int
proto_parse_call(const uint8_t *untrusted, size_t len,
    struct proto_call_view *r, const char **why_r)
{
	size_t	ilen, olen;

	if (len < BALTIC_CALL_LEN) {
		*why_r = "CALL body shorter than its header";
		return -1;
	}
	ilen = get_le16(untrusted);
	olen = get_le16(untrusted + 2);
	if (ilen < 1 || ilen > BALTIC_NAME_MAX || olen < 1 ||
	    olen > BALTIC_NAME_MAX) {
		*why_r = "CALL name length out of range";
		return -1;
	}
	if (len - BALTIC_CALL_LEN < ilen + olen) {
		*why_r = "CALL names run past the body";
		return -1;
	}
	if (!proto_name_ok((const char *)untrusted + BALTIC_CALL_LEN, ilen) ||
	    !proto_name_ok((const char *)untrusted + BALTIC_CALL_LEN + ilen,
	    olen)) {
		*why_r = "CALL interface or operation name is invalid";
		return -1;
	}
	/* Validated. */
	memcpy(r->ifacebuf, untrusted + BALTIC_CALL_LEN, ilen);
	r->ifacebuf[ilen] = '\0';
	memcpy(r->opbuf, untrusted + BALTIC_CALL_LEN + ilen, olen);
	r->opbuf[olen] = '\0';
	r->iface = r->ifacebuf;
	r->op = r->opbuf;
	r->deadline_ms = get_le32(untrusted + 4);
	r->arg = untrusted + BALTIC_CALL_LEN + ilen + olen;
	r->arglen = len - BALTIC_CALL_LEN - ilen - olen;
	return 0;
}

int
proto_parse_result(const uint8_t *untrusted, size_t len,
    struct proto_result_view *r, const char **why_r)
{
	uint32_t	status;

	if (len < BALTIC_RESULT_LEN) {
		*why_r = "RESULT body shorter than its header";
		return -1;
	}
	status = get_le32(untrusted);
	if (status > BALTIC_STATUS_MAX) {
		*why_r = "RESULT status unknown";
		return -1;
	}
	r->status = status;
	r->payload = untrusted + BALTIC_RESULT_LEN;
	r->len = len - BALTIC_RESULT_LEN;
	return 0;
}

int
proto_check_hdr_link(const struct baltic_hdr *untrusted, uint32_t max_frame,
    const char **why_r)
{
	size_t	min;

	if (untrusted->type == BALTIC_MSG_CALL_TO)
		min = BALTIC_CALL_TO_LEN + 2 + BALTIC_CALL_LEN + 2;
	else if (untrusted->type == BALTIC_MSG_IMAGE)
		min = BALTIC_CALL_TO_LEN + 2 + BALTIC_IMAGE_LEN;
	else
		return proto_check_hdr(untrusted, max_frame, why_r);
	if (untrusted->len > max_frame ||
	    max_frame - untrusted->len < BALTIC_HDR_LEN) {
		*why_r = "frame over the negotiated maximum";
		return -1;
	}
	if (untrusted->len < min) {
		*why_r = "body length wrong for the message type";
		return -1;
	}
	return 0;
}

int
proto_peer_name_ok(const char *untrusted, size_t len)
{
	size_t	i;
	char	c;

	if (len < 1 || len > BALTIC_PEER_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = untrusted[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		return 0;
	}
	return 1;
}

size_t
proto_encode_call_to_head(uint8_t *p, const char *farm, const char *part)
{
	size_t	flen = strlen(farm), plen = strlen(part);

	if (!proto_peer_name_ok(farm, flen) || !proto_peer_name_ok(part, plen))
		return 0;
	put_le16(p, (uint16_t)flen);
	put_le16(p + 2, (uint16_t)plen);
	memcpy(p + BALTIC_CALL_TO_LEN, farm, flen);
	memcpy(p + BALTIC_CALL_TO_LEN + flen, part, plen);
	return BALTIC_CALL_TO_LEN + flen + plen;
}

/* The farm and partition names that open a CALL_TO or an IMAGE body:
 * the head's length, or 0 with a static reason. */
static size_t
parse_names(const uint8_t *untrusted, size_t len, char *farmbuf,
    char *partbuf, const char **why_r)
{
	size_t	flen, plen;

	if (len < BALTIC_CALL_TO_LEN) {
		*why_r = "link message body shorter than its header";
		return 0;
	}
	flen = get_le16(untrusted);
	plen = get_le16(untrusted + 2);
	if (flen < 1 || flen > BALTIC_PEER_NAME_MAX || plen < 1 ||
	    plen > BALTIC_PEER_NAME_MAX) {
		*why_r = "link message name length out of range";
		return 0;
	}
	if (len - BALTIC_CALL_TO_LEN < flen + plen) {
		*why_r = "link message names run past the body";
		return 0;
	}
	if (!proto_peer_name_ok((const char *)untrusted + BALTIC_CALL_TO_LEN,
	    flen) || !proto_peer_name_ok((const char *)untrusted +
	    BALTIC_CALL_TO_LEN + flen, plen)) {
		*why_r = "link message farm or partition name is invalid";
		return 0;
	}
	/* Validated. */
	memcpy(farmbuf, untrusted + BALTIC_CALL_TO_LEN, flen);
	farmbuf[flen] = '\0';
	memcpy(partbuf, untrusted + BALTIC_CALL_TO_LEN + flen, plen);
	partbuf[plen] = '\0';
	return BALTIC_CALL_TO_LEN + flen + plen;
}

int
proto_parse_call_to(const uint8_t *untrusted, size_t len,
    struct proto_call_to_view *r, const char **why_r)
{
	size_t	head;

	if ((head = parse_names(untrusted, len, r->farmbuf, r->partbuf,
	    why_r)) == 0)
		return -1;
	if (proto_parse_call(untrusted + head, len - head, &r->call, why_r)
	    == -1)
		return -1;
	r->farm = r->farmbuf;
	r->part = r->partbuf;
	return 0;
}

int
proto_parse_image(const uint8_t *untrusted, size_t len,
    struct proto_image_view *r, const char **why_r)
{
	size_t	head;

	if ((head = parse_names(untrusted, len, r->farmbuf, r->partbuf,
	    why_r)) == 0)
		return -1;
	if (len - head < BALTIC_IMAGE_LEN) {
		*why_r = "IMAGE body shorter than its header";
		return -1;
	}
	r->kind = get_le32(untrusted + head);
	if (r->kind > BALTIC_IMAGE_ABORT) {
		*why_r = "IMAGE kind unknown";
		return -1;
	}
	r->offset = (uint64_t)get_le32(untrusted + head + 4) |
	    (uint64_t)get_le32(untrusted + head + 8) << 32;
	r->data = untrusted + head + BALTIC_IMAGE_LEN;
	r->len = len - head - BALTIC_IMAGE_LEN;
	r->farm = r->farmbuf;
	r->part = r->partbuf;
	return 0;
}

size_t
proto_encode_image_head(uint8_t *p, const char *farm, const char *part,
    uint32_t kind, uint64_t offset)
{
	size_t	n;

	if (kind > BALTIC_IMAGE_ABORT ||
	    (n = proto_encode_call_to_head(p, farm, part)) == 0)
		return 0;
	put_le32(p + n, kind);
	put_le32(p + n + 4, (uint32_t)offset);
	put_le32(p + n + 8, (uint32_t)(offset >> 32));
	return n + BALTIC_IMAGE_LEN;
}
