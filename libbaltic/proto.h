/*
 * proto.h: the one wire protocol between dom0 (balticd) and the guest
 * agent (baltic-agent).  Both sides include this header and link
 * libbaltic; there is no second copy.
 *
 * Every message is a 12-byte header followed by len bytes of body.  All
 * integers are little-endian, fixed width.  The first message each way is
 * HELLO; the lower version and the lower max_frame of the two win.  Calls
 * flow both ways on one channel: dom0 calls the role's exports, the guest
 * calls its imports.  A call id is chosen by whoever sends the CALL and is
 * unique among that side's outstanding calls; RESULT and CANCEL carry the
 * id of the CALL they answer or stop.
 *
 * A receiver checks the body length for the type before reading it, and
 * names everything from the peer untrusted_* until it is validated.  Any
 * violation closes the channel: a frame over the negotiated maximum, an
 * unknown type, a RESULT for a call never sent, a CALL before HELLO.
 *
 * Version 2 lets a guest's calls outlive its channel (balticd killed and
 * restarted): the agent keeps running the calls dom0 sent it and, once a
 * new channel is up, answers them with RESULT_LATE (ids of the earlier
 * channel; dom0 drops those it no longer waits for).  Answers it sent
 * just before the loss, which dom0 may never have read, go out again the
 * same way, so one id may be answered more than once: dom0 takes the
 * first.  It re-sends its own calls that were in flight as CALL_AGAIN
 * (they may have been carried out: dom0 takes them only for idempotent
 * operations).  Neither is sent on a channel that negotiated version 1.
 */
#ifndef BALTIC_PROTO_H
#define BALTIC_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Bump me on any change a peer of the old version would misread. */
#define BALTIC_PROTO_VERSION	2	/* 2: CALL_AGAIN, RESULT_LATE */
#define BALTIC_PROTO_MIN_VERSION 1

#define BALTIC_HDR_LEN		12
#define BALTIC_FRAME_MIN	4096		/* nobody may offer less */
#define BALTIC_FRAME_MAX	(1u << 20)	/* header + body, our offer */
#define BALTIC_NAME_MAX		64		/* interface / operation */
#define BALTIC_PEER_NAME_MAX	128		/* farm / partition (CALL_TO) */
#define BALTIC_CALL_TO_LEN	4		/* the two name lengths */

struct baltic_hdr {
	uint32_t	type;		/* enum baltic_msg */
	uint32_t	len;		/* body bytes after the header */
	uint32_t	call_id;	/* 0 for session messages */
};

enum baltic_msg {
	/* 0x0001-0x00ff: session */
	BALTIC_MSG_HELLO	= 0x0001, /* body: struct baltic_hello */
	BALTIC_MSG_CONFIG	= 0x0002, /* dom0->guest only; body: text,
					   * lines "role R", "instance I",
					   * "export IFACE OP...",
					   * "import IFACE OP..." */
	BALTIC_MSG_PING		= 0x0010, /* body: 8-byte nonce */
	BALTIC_MSG_PONG		= 0x0011, /* body: the PING's nonce */

	/* 0x0100-0x01ff: calls */
	BALTIC_MSG_CALL		= 0x0100, /* body: struct baltic_call, then
					   * iface (iface_len bytes), op
					   * (op_len bytes), argument (rest) */
	BALTIC_MSG_RESULT	= 0x0101, /* body: struct baltic_result, then
					   * result or error text (rest) */
	BALTIC_MSG_CANCEL	= 0x0102, /* empty body */
	BALTIC_MSG_CALL_AGAIN	= 0x0103, /* guest->dom0, version >= 2; body
					   * as CALL: a call first sent on an
					   * earlier channel, fresh id */
	BALTIC_MSG_RESULT_LATE	= 0x0104, /* guest->dom0, version >= 2; body
					   * as RESULT: answers a CALL that
					   * came on an earlier channel */
	BALTIC_MSG_CALL_TO	= 0x0105, /* balticd->balticd only, on a
					   * link (chan_set_link); body: u16
					   * farm_len, u16 part_len, farm,
					   * partition, then a CALL body.
					   * Answered by RESULT, stopped by
					   * CANCEL, by call id. */

	/* 0x0200-0x02ff: between balticd only, on a link */
	BALTIC_MSG_IMAGE	= 0x0200, /* body: the CALL_TO head (farm,
					   * partition), u32 kind, u64
					   * offset, then bytes: a moved
					   * partition's suspended image,
					   * in order (struct
					   * proto_image_view); call id 0 */
};

struct baltic_hello {
	uint32_t	version;
	uint32_t	max_frame;	/* >= BALTIC_FRAME_MIN */
};
#define BALTIC_HELLO_LEN	8

struct baltic_call {
	uint16_t	iface_len;	/* 1..BALTIC_NAME_MAX */
	uint16_t	op_len;		/* 1..BALTIC_NAME_MAX */
	uint32_t	deadline_ms;	/* relative; 0: none */
};
#define BALTIC_CALL_LEN		8

struct baltic_result {
	uint32_t	status;		/* enum baltic_status */
};
#define BALTIC_RESULT_LEN	4

/* Stable: also the basis of the CLI's exit codes and HTTP statuses. */
enum baltic_status {
	BALTIC_OK		= 0,
	BALTIC_E_HANDLER	= 1,	/* the handler failed; text says why */
	BALTIC_E_NOOP		= 2,	/* no such interface or operation */
	BALTIC_E_ARG		= 3,	/* argument of the wrong type/arity */
	BALTIC_E_CANCELLED	= 4,
	BALTIC_E_TIMEOUT	= 5,	/* deadline passed */
	BALTIC_E_UNAVAILABLE	= 6,	/* no branch could take the call */
	BALTIC_E_DENIED		= 7,	/* not an import of the caller */
	BALTIC_E_BADRESULT	= 8,	/* result of the wrong type */
	BALTIC_E_OVERLOAD	= 9,	/* too many calls outstanding */
	BALTIC_E_INTERNAL	= 10,
};
#define BALTIC_STATUS_MAX	BALTIC_E_INTERNAL
const char	*baltic_status_name(uint32_t);

/* ---- codec (proto.c) ------------------------------------------------ */

struct evbuffer;

/* Append a frame; 0, or -1 if it would exceed max_frame. */
int	proto_put(struct evbuffer *, uint32_t max_frame, uint32_t type,
	    uint32_t call_id, const void *body, size_t len);
int	proto_put_hello(struct evbuffer *, uint32_t max_frame);
int	proto_put_call(struct evbuffer *, uint32_t max_frame, uint32_t id,
	    const char *iface, const char *op, uint32_t deadline_ms,
	    const void *arg, size_t arglen);
int	proto_put_result(struct evbuffer *, uint32_t max_frame, uint32_t id,
	    uint32_t status, const void *payload, size_t len);
/* The same with the message type given: CALL_AGAIN, RESULT_LATE. */
int	proto_put_call_as(struct evbuffer *, uint32_t max_frame,
	    uint32_t type, uint32_t id, const char *iface, const char *op,
	    uint32_t deadline_ms, const void *arg, size_t arglen);
int	proto_put_result_as(struct evbuffer *, uint32_t max_frame,
	    uint32_t type, uint32_t id, uint32_t status, const void *payload,
	    size_t len);

/*
 * Lent memory: while a loan is in force (proto_lend), a payload of at
 * least PROTO_LEND_MIN bytes that lies inside it is added to a buffer by
 * reference, not copied: retain(arg) is called for each such reference
 * and release(data, len, arg) when the buffer lets it go.  chan.c lends
 * a large frame's buffer while its callback runs, so that a payload
 * passed on from it (a handler's echo, the agent's relay, an export's
 * answer) is not copied again.  proto_lend returns the loan it replaces,
 * to be put back.  proto_buf_add adds bytes by the same rule.
 */
#define PROTO_LEND_MIN	(64u * 1024)
struct proto_loan {
	const uint8_t	*base;
	size_t		 len;
	void		(*retain)(void *arg);
	void		(*release)(const void *data, size_t len, void *arg);
	void		*arg;
};
const struct proto_loan	*proto_lend(const struct proto_loan *);
int	proto_buf_add(struct evbuffer *, const void *, size_t);
/* A reference of one's own to len bytes at p if they are lent (by the
 * rule above): returns 1 with *release and *arg filled, to be let go by
 * release(p, len, arg); 0 if they are not lent (copy them). */
int	proto_buf_hold(const void *p, size_t len,
	    void (**release)(const void *, size_t, void *), void **arg);

/* A buffer to lend: made with one reference, freed when the last goes
 * (proto_lendbuf_release, which is also its loans' release). */
struct proto_lendbuf {
	unsigned	refs;
	uint8_t		data[];
};
struct proto_lendbuf	*proto_lendbuf_new(size_t len);
/* The loan of its first len bytes, filled in l; returns l. */
const struct proto_loan	*proto_lendbuf_loan(struct proto_lendbuf *, size_t len,
	    struct proto_loan *l);
void	proto_lendbuf_release(const void *data, size_t len, void *buf);

/*
 * Take one frame off the front of in.  Returns 1 and fills *h_r and
 * *body_r (malloc'd, caller frees; NULL when len is 0) when a whole frame
 * is there; 0 when more bytes are needed; -1 with a static reason in
 * *why_r when the stream is bad (frame over max_frame, unknown type,
 * length wrong for the type).  Nothing is consumed unless 1 is returned.
 */
int	proto_take(struct evbuffer *in, uint32_t max_frame,
	    struct baltic_hdr *h_r, uint8_t **body_r, const char **why_r);

/* The pieces of proto_take, for readers that avoid the copy: decode a
 * raw BALTIC_HDR_LEN-byte header, then check its type and length
 * against max_frame (0, or -1 with a static reason). */
void	proto_decode_hdr(const uint8_t *untrusted, struct baltic_hdr *h_r);
int	proto_check_hdr(const struct baltic_hdr *untrusted, uint32_t max_frame,
	    const char **why_r);

/* Encoding without libevent (proto.c only; for baltic-call).  The call
 * head is struct baltic_call plus the names, into a buffer of
 * BALTIC_CALL_HEAD_MAX bytes; returns its length, 0 if a name is bad. */
#define BALTIC_CALL_HEAD_MAX	(BALTIC_CALL_LEN + 2 * BALTIC_NAME_MAX)
void	proto_encode_hdr(uint8_t *, uint32_t type, uint32_t len,
	    uint32_t call_id);
void	proto_encode_le32(uint8_t *, uint32_t);
uint32_t proto_decode_le32(const uint8_t *);
size_t	proto_encode_call_head(uint8_t *, const char *iface, const char *op,
	    uint32_t deadline_ms);

/* Decoded views of untrusted bodies: pointers into the body. */
struct proto_call_view {
	const char	*iface;		/* NUL-terminated copy in name buffers */
	const char	*op;
	uint32_t	 deadline_ms;
	const uint8_t	*arg;
	size_t		 arglen;
	char		 ifacebuf[BALTIC_NAME_MAX + 1];
	char		 opbuf[BALTIC_NAME_MAX + 1];
};
struct proto_result_view {
	uint32_t	 status;
	const uint8_t	*payload;
	size_t		 len;
};

/* Validate and decode: 0, or -1 with a static reason.  Names must be
 * [A-Za-z_][A-Za-z0-9_]* of 1..BALTIC_NAME_MAX bytes. */
int	proto_parse_hello(const uint8_t *untrusted, size_t len,
	    struct baltic_hello *r, const char **why_r);
int	proto_parse_call(const uint8_t *untrusted, size_t len,
	    struct proto_call_view *r, const char **why_r);
int	proto_parse_result(const uint8_t *untrusted, size_t len,
	    struct proto_result_view *r, const char **why_r);
int	proto_name_ok(const char *untrusted, size_t len);

/*
 * Between two balticd (a link, chan_set_link): CALL_TO names the farm
 * and the partition a CALL is for.  Those names are 1..BALTIC_PEER_NAME_MAX
 * bytes of [A-Za-z0-9._-].  proto_check_hdr_link is proto_check_hdr
 * plus CALL_TO and IMAGE; proto_check_hdr itself refuses them, so a
 * guest's channel closes on one as on any unknown type.
 */
struct proto_call_to_view {
	const char		*farm;		/* NUL-terminated copies */
	const char		*part;
	struct proto_call_view	 call;
	char			 farmbuf[BALTIC_PEER_NAME_MAX + 1];
	char			 partbuf[BALTIC_PEER_NAME_MAX + 1];
};
int	proto_check_hdr_link(const struct baltic_hdr *untrusted,
	    uint32_t max_frame, const char **why_r);
int	proto_peer_name_ok(const char *untrusted, size_t len);
int	proto_parse_call_to(const uint8_t *untrusted, size_t len,
	    struct proto_call_to_view *r, const char **why_r);
/* The CALL_TO head (the two lengths and names) into a buffer of
 * BALTIC_CALL_TO_HEAD_MAX bytes: its length, 0 if a name is bad. */
#define BALTIC_CALL_TO_HEAD_MAX	(BALTIC_CALL_TO_LEN + 2 * BALTIC_PEER_NAME_MAX)
size_t	proto_encode_call_to_head(uint8_t *, const char *farm,
	    const char *part);
int	proto_put_call_to(struct evbuffer *, uint32_t max_frame, uint32_t id,
	    const char *farm, const char *part, const char *iface,
	    const char *op, uint32_t deadline_ms, const void *arg,
	    size_t arglen);

/*
 * IMAGE: `baltic move` of a partition whose backend can suspend it (a
 * Xen domain) sends the suspended image from the host it leaves to the
 * host it goes to.  DATA frames carry the bytes at offset, in order;
 * END says the image is whole (offset: its length); ABORT says no image
 * comes (the bytes: why, text), and the target starts the partition
 * afresh.
 */
enum baltic_image_kind {
	BALTIC_IMAGE_DATA	= 0,
	BALTIC_IMAGE_END	= 1,
	BALTIC_IMAGE_ABORT	= 2,
};
#define BALTIC_IMAGE_LEN	12	/* kind, offset */
#define BALTIC_IMAGE_HEAD_MAX	(BALTIC_CALL_TO_HEAD_MAX + BALTIC_IMAGE_LEN)
struct proto_image_view {
	const char	*farm;		/* NUL-terminated copies */
	const char	*part;
	uint32_t	 kind;		/* enum baltic_image_kind */
	uint64_t	 offset;
	const uint8_t	*data;
	size_t		 len;
	char		 farmbuf[BALTIC_PEER_NAME_MAX + 1];
	char		 partbuf[BALTIC_PEER_NAME_MAX + 1];
};
int	proto_parse_image(const uint8_t *untrusted, size_t len,
	    struct proto_image_view *r, const char **why_r);
/* The IMAGE head into a buffer of BALTIC_IMAGE_HEAD_MAX bytes: its
 * length, 0 if a name or the kind is bad; the bytes follow it. */
size_t	proto_encode_image_head(uint8_t *, const char *farm, const char *part,
	    uint32_t kind, uint64_t offset);
int	proto_put_image(struct evbuffer *, uint32_t max_frame,
	    const char *farm, const char *part, uint32_t kind,
	    uint64_t offset, const void *data, size_t len);

#endif /* BALTIC_PROTO_H */
