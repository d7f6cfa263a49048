/*
 * fuzz-keep.c: the descriptor keeper's parsers (toolstack/keep/keep.h),
 * which read what another process wrote: the keeper a packet from
 * whoever reached its socket, balticd a call record an earlier balticd
 * (maybe of another build) kept.
 *
 * Input: one selector byte (even: keep_msg_parse, odd: keep_call_parse),
 * then the packet or the record.
 *
 * A message that parses has a printable key of at most KEEP_KEY_MAX
 * bytes, the one the header announces, a known type, a key exactly when
 * the type takes one and nothing else when it does not (but a BATCH's
 * value, whose messages tile it or are refused), and a value that is the
 * rest of the packet; keep_msg_encode gives back the very bytes.
 * A record that parses has valid names, at most KEEP_ATTEMPTS_MAX
 * attempts, a request line within KEEP_REQUEST_MAX and its argument at
 * the end of the input; keep_call_encode takes it, and its encoding
 * parses to the same fields and encodes to itself.  What does not parse
 * says why.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "keep/keep.h"

/* A farm or instance name as keep.h has it: 1..KEEP_NAME_MAX bytes of
 * printable ASCII other than space. */
static bool
name_ok(const char *s)
{
	size_t	n = strlen(s);

	return n >= 1 && n <= KEEP_NAME_MAX &&
	    strspn(s, "!\"#$%&'()*+,-./0123456789:;<=>?@"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") ==
	    n;
}

/* A BATCH's value splits into messages that tile it exactly, each
 * inside it, or keep_batch_next says the lengths do not add up. */
static void
fuzz_batch(const struct keep_msg_view *m)
{
	const uint8_t	*p = m->val, *msg;
	size_t		 left = m->vallen, len, seen = 0;
	int		 r;

	while ((r = keep_batch_next(&p, &left, &msg, &len)) == 1) {
		FUZZ_CHECK(msg == m->val + seen + 4);
		FUZZ_CHECK(len <= m->vallen - seen - 4);
		seen += 4 + len;
		FUZZ_CHECK(p == m->val + seen && left == m->vallen - seen);
	}
	FUZZ_CHECK(r == 0 ? seen == m->vallen : seen < m->vallen);
}

static void
fuzz_msg(const uint8_t *p, size_t n)
{
	static uint8_t		out[KEEP_MSG_MAX];
	struct keep_msg_view	m;
	const char		*why = NULL;
	size_t			 keylen, i, olen;
	bool			 takes_key;

	if (keep_msg_parse(p, n, &m, &why) != 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(n >= KEEP_HDR_LEN && n <= KEEP_MSG_MAX);
	FUZZ_CHECK(proto_decode_le32(p) == KEEP_VERSION);
	FUZZ_CHECK(m.type >= KEEP_PUT && m.type <= KEEP_BATCH);
	FUZZ_CHECK(proto_decode_le32(p + 4) == m.type);
	keylen = strlen(m.key);
	FUZZ_CHECK(keylen <= KEEP_KEY_MAX);
	FUZZ_CHECK(proto_decode_le32(p + 8) == keylen);
	for (i = 0; i < keylen; i++)
		FUZZ_CHECK(m.key[i] >= ' ' && m.key[i] <= '~');
	FUZZ_CHECK(memcmp(m.key, p + KEEP_HDR_LEN, keylen) == 0);
	/* The value is the rest of the packet. */
	FUZZ_CHECK(m.val == p + KEEP_HDR_LEN + keylen);
	FUZZ_CHECK(m.vallen == n - KEEP_HDR_LEN - keylen);
	takes_key = m.type == KEEP_PUT || m.type == KEEP_DEL ||
	    m.type == KEEP_ENTRY;
	FUZZ_CHECK(takes_key == (keylen > 0));
	if (!takes_key && m.type != KEEP_BATCH)
		FUZZ_CHECK(m.vallen == 0);
	if (m.type == KEEP_BATCH)
		fuzz_batch(&m);

	olen = keep_msg_encode(out, m.type, m.key, m.val, m.vallen);
	FUZZ_CHECK(olen == n);
	FUZZ_CHECK(memcmp(out, p, n) == 0);
}

/* What keep_call_parse promises of a record it took from [p, p + n). */
static void
check_call(const struct keep_call *c, const uint8_t *p, size_t n)
{
	size_t	i;

	FUZZ_CHECK(name_ok(c->farm));
	FUZZ_CHECK(proto_name_ok(c->iface, strlen(c->iface)));
	FUZZ_CHECK(proto_name_ok(c->op, strlen(c->op)));
	FUZZ_CHECK(c->nattempts <= KEEP_ATTEMPTS_MAX);
	for (i = 0; i < c->nattempts; i++) {
		FUZZ_CHECK(name_ok(c->attempts[i].inst));
		FUZZ_CHECK(c->attempts[i].id != 0);
	}
	FUZZ_CHECK(c->reqlen <= KEEP_REQUEST_MAX);
	if (c->has_arg) {
		/* The argument is last: the tail of the record. */
		FUZZ_CHECK(c->arglen <= KEEP_ARG_MAX);
		FUZZ_CHECK(c->arg != NULL && c->arg >= p &&
		    c->arg + c->arglen == p + n);
	} else
		FUZZ_CHECK(c->arg == NULL && c->arglen == 0);
}

static void
fuzz_call(const uint8_t *p, size_t n)
{
	struct keep_call	 c, d;
	const char		*why = NULL;
	char			*enc, *enc2;
	size_t			 elen, elen2, i;

	if (keep_call_parse(p, n, &c, &why) != 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	check_call(&c, p, n);

	/* Whatever parses encodes, and the encoding parses to the same. */
	enc = keep_call_encode(&c, &elen);
	FUZZ_CHECK(enc != NULL);
	why = NULL;
	FUZZ_CHECK(keep_call_parse((const uint8_t *)enc, elen, &d, &why) == 0);
	check_call(&d, (const uint8_t *)enc, elen);
	FUZZ_CHECK(strcmp(c.farm, d.farm) == 0);
	FUZZ_CHECK(c.export == d.export);
	FUZZ_CHECK(strcmp(c.iface, d.iface) == 0);
	FUZZ_CHECK(strcmp(c.op, d.op) == 0);
	FUZZ_CHECK(c.deadline_us == d.deadline_us);
	FUZZ_CHECK(c.reached == d.reached);
	FUZZ_CHECK(c.nattempts == d.nattempts);
	for (i = 0; i < c.nattempts; i++) {
		FUZZ_CHECK(strcmp(c.attempts[i].inst, d.attempts[i].inst) == 0);
		FUZZ_CHECK(c.attempts[i].id == d.attempts[i].id);
	}
	FUZZ_CHECK(c.reqlen == d.reqlen);
	FUZZ_CHECK(c.reqhash == d.reqhash);
	FUZZ_CHECK(c.has_arg == d.has_arg);
	FUZZ_CHECK(c.arglen == d.arglen);
	FUZZ_CHECK(c.arglen == 0 || memcmp(c.arg, d.arg, c.arglen) == 0);

	/* The encoding is canonical: encoding it again changes nothing. */
	enc2 = keep_call_encode(&d, &elen2);
	FUZZ_CHECK(enc2 != NULL);
	FUZZ_CHECK(elen2 == elen && memcmp(enc2, enc, elen) == 0);
	free(enc2);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_call(data + 1, size - 1);
	else
		fuzz_msg(data + 1, size - 1);
	return 0;
}
