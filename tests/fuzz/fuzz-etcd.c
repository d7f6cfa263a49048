/*
 * fuzz-etcd.c: what the etcd client reads from the network
 * (toolstack/cluster/etcd-json.c): a unary reply and a watch line.
 *
 * Input: one selector byte, then the body.  Selector % 8 below 7: a
 * reply of that kind (etcd_kind), with status 200, or 503 when the high
 * bit is set; 7: one watch line.
 *
 * A reply read as ETCD_OK has at most ETCD_KVS_MAX kvs, each with a key
 * of at most ETCD_KEY_MAX bytes and non-negative revisions, and a
 * non-negative revision; anything else has an error message and no kvs.
 * A line of events holds at most ETCD_KVS_MAX, each with a positive
 * mod_revision, and a DELETE carries no value.  Base64 of the body
 * decodes back to it.
 */
#include <string.h>

#include "fuzz.h"
#include "cluster/etcd-int.h"

static void
check_kv(const struct etcd_kv *kv)
{
	FUZZ_CHECK(kv->key != NULL && kv->keylen <= ETCD_KEY_MAX);
	FUZZ_CHECK(kv->mod_revision >= 0 && kv->create_revision >= 0);
}

static void
check_reply(enum etcd_kind kind, int code, const char *p, size_t n)
{
	struct etcd_reply	 r;
	size_t			 i;

	etcd_reply_init(&r);
	etcd_reply_parse(kind, code, p, n, &r);
	if (r.res.rc == ETCD_OK) {
		FUZZ_CHECK(code == 200 && r.res.errmsg == NULL);
		FUZZ_CHECK(r.res.revision >= 0 && r.res.nkvs <= ETCD_KVS_MAX);
		for (i = 0; i < r.res.nkvs; i++)
			check_kv(&r.res.kvs[i]);
	} else {
		FUZZ_CHECK(r.res.errmsg != NULL && r.res.nkvs == 0);
		FUZZ_CHECK(r.res.rc == ETCD_ERROR || r.res.rc == ETCD_BADREPLY);
	}
	etcd_reply_dispose(&r);
}

static void
check_line(const char *p, size_t n)
{
	struct etcd_line	 l;
	size_t			 i;

	etcd_line_init(&l);
	etcd_line_parse(p, n, &l);
	if (l.kind == ETCD_LINE_EVENTS) {
		FUZZ_CHECK(l.nevents <= ETCD_KVS_MAX);
		for (i = 0; i < l.nevents; i++) {
			check_kv(&l.events[i].kv);
			FUZZ_CHECK(l.events[i].kv.mod_revision > 0);
			FUZZ_CHECK(l.events[i].type == ETCD_EV_PUT ||
			    l.events[i].kv.value == NULL);
		}
	} else
		FUZZ_CHECK(l.nevents == 0);
	if (l.kind == ETCD_LINE_END)
		FUZZ_CHECK(l.rc != ETCD_OK && l.msg[0] != '\0');
	etcd_line_dispose(&l);
}

static void
check_b64(const char *p, size_t n)
{
	char	*enc, *dec;
	long	 r;

	enc = malloc(4 * ((n + 2) / 3) + 1);
	dec = malloc(n + 3);
	FUZZ_CHECK(enc != NULL && dec != NULL);
	r = etcd_b64_decode(enc, etcd_b64_encode(p, n, enc), dec);
	FUZZ_CHECK(r >= 0 && (size_t)r == n && memcmp(dec, p, n) == 0);
	free(enc);
	free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data + 1;
	size_t		 n = size - 1;

	if (size == 0)
		return 0;
	if (data[0] % 8 < 7)
		check_reply((enum etcd_kind)(data[0] % 8),
		    data[0] & 0x80 ? 503 : 200, p, n);
	else
		check_line(p, n);
	check_b64(p, n);
	return 0;
}
