/*
 * etcd-json.c: the JSON of etcd's v3 gateway.  Request bodies are built
 * with yajl_gen (keys and values in padded base64, int64 fields as
 * strings); replies and watch lines are untrusted until checked in
 * reply_kvs / line_event: shapes, sizes, base64, int64 strings read with
 * strtoll (lease IDs are above 2^53: never through a double).
 *
 * The gateway leaves out zero fields: no kvs on a miss, no succeeded on
 * a failed txn, no type on a PUT event.  Absent means zero here too.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cluster/etcd-int.h"

#define JSON_DEPTH_MAX	32	/* yajl_tree_free recurses */

const char *
etcd_rc_str(enum etcd_rc rc)
{
	switch (rc) {
	case ETCD_OK:		return "ok";
	case ETCD_UNKNOWN:	return "unknown";
	case ETCD_UNAVAILABLE:	return "unavailable";
	case ETCD_ERROR:	return "error";
	case ETCD_BADREPLY:	return "bad reply";
	case ETCD_COMPACTED:	return "compacted";
	case ETCD_EOF:		return "end of stream";
	}
	return "?";
}

const char *
etcd_why(enum etcd_rc rc, const char *errmsg, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", etcd_rc_str(rc), errmsg ? ": " : "",
	    errmsg ? errmsg : "");
	return buf;
}

const char *
etcd_kind_path(enum etcd_kind kind)
{
	switch (kind) {
	case ETCD_K_PUT:	return "/v3/kv/put";
	case ETCD_K_RANGE:	return "/v3/kv/range";
	case ETCD_K_DELETE:	return "/v3/kv/deleterange";
	case ETCD_K_TXN:	return "/v3/kv/txn";
	case ETCD_K_GRANT:	return "/v3/lease/grant";
	case ETCD_K_KEEPALIVE:	return "/v3/lease/keepalive";
	case ETCD_K_REVOKE:	return "/v3/lease/revoke";
	}
	return "/v3/";
}

/* ---- base64 ----------------------------------------------------------- */

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
etcd_b64_encode(const void *in, size_t len, char *out)
{
	const unsigned char	*p = in;
	size_t			 i, o = 0;
	unsigned		 v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64_chars[v >> 18 & 63];
		out[o++] = b64_chars[v >> 12 & 63];
		out[o++] = b64_chars[v >> 6 & 63];
		out[o++] = b64_chars[v & 63];
	}
	if (i < len) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		out[o++] = b64_chars[v >> 18 & 63];
		out[o++] = b64_chars[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64_chars[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int
b64_val(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64_chars, c)) == NULL)
		return -1;
	return (int)(p - b64_chars);
}

long
etcd_b64_decode(const char *in, size_t len, char *out)
{
	size_t	 i, o = 0;
	int	 a, b, c, d;

	if (len % 4 != 0 || len / 4 * 3 > LONG_MAX)
		return -1;
	for (i = 0; i < len; i += 4) {
		a = b64_val(in[i]);
		b = b64_val(in[i + 1]);
		c = in[i + 2] == '=' && i + 4 == len ? 0 : b64_val(in[i + 2]);
		d = in[i + 3] == '=' && i + 4 == len ? 0 : b64_val(in[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0 ||
		    (in[i + 2] == '=' && in[i + 3] != '='))
			return -1;
		out[o++] = (char)(a << 2 | b >> 4);
		if (in[i + 2] != '=')
			out[o++] = (char)((b & 15) << 4 | c >> 2);
		if (in[i + 3] != '=')
			out[o++] = (char)((c & 3) << 6 | d);
	}
	out[o] = '\0';
	return (long)o;
}

/* ---- request bodies ---------------------------------------------------- */

static int
gen_str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) ==
	    yajl_gen_status_ok ? 0 : -1;
}

/* "name": base64 of buf. */
static int
gen_b64(yajl_gen g, const char *name, const void *buf, size_t len)
{
	char	*s;
	int	 rc;

	if ((s = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return -1;
	etcd_b64_encode(buf, len, s);
	rc = gen_str(g, name) == 0 && gen_str(g, s) == 0 ? 0 : -1;
	free(s);
	return rc;
}

/* "name": "v" (int64 as a string). */
static int
gen_i64(yajl_gen g, const char *name, int64_t v)
{
	char	 s[24];

	snprintf(s, sizeof s, "%" PRId64, v);
	return gen_str(g, name) == 0 && gen_str(g, s) == 0 ? 0 : -1;
}

/* The end of the range of keys starting with key[keylen]: its last byte
 * below 0xff plus one, the rest dropped; "\0" (every key after) if none.
 * buf holds keylen bytes at least; the length. */
static size_t
prefix_end(const unsigned char *key, size_t keylen, unsigned char *buf)
{
	size_t	 n = keylen;

	while (n > 0 && key[n - 1] == 0xff)
		n--;
	if (n == 0) {
		buf[0] = '\0';
		return 1;
	}
	memcpy(buf, key, n);
	buf[n - 1]++;
	return n;
}

/* "key" and, for a prefix, "range_end" (an empty prefix: every key). */
static int
gen_range(yajl_gen g, const struct etcd_body_args *a)
{
	unsigned char	*end;
	size_t		 endlen;
	int		 rc;

	if (!a->prefix)
		return gen_b64(g, "key", a->key, a->keylen);
	if (a->keylen == 0)
		return gen_b64(g, "key", "", 1) == 0 &&
		    gen_b64(g, "range_end", "", 1) == 0 ? 0 : -1;
	if ((end = malloc(a->keylen)) == NULL)
		return -1;
	endlen = prefix_end(a->key, a->keylen, end);
	rc = gen_b64(g, "key", a->key, a->keylen) == 0 &&
	    gen_b64(g, "range_end", end, endlen) == 0 ? 0 : -1;
	free(end);
	return rc;
}

/* The fields of a put request. */
static int
gen_put(yajl_gen g, const struct etcd_body_args *a)
{
	if (gen_b64(g, "key", a->key, a->keylen) == -1 ||
	    gen_b64(g, "value", a->value, a->valuelen) == -1)
		return -1;
	return a->lease != 0 ? gen_i64(g, "lease", a->lease) : 0;
}

/* A put if the compare holds, else a range of the key. */
static int
gen_txn(yajl_gen g, const struct etcd_body_args *a)
{
	if (gen_str(g, "compare") == -1 || yajl_gen_array_open(g) ||
	    yajl_gen_map_open(g) ||
	    gen_str(g, "target") == -1 ||
	    gen_str(g, a->rev == 0 ? "CREATE" : "MOD") == -1 ||
	    gen_str(g, "result") == -1 || gen_str(g, "EQUAL") == -1 ||
	    gen_b64(g, "key", a->key, a->keylen) == -1 ||
	    gen_i64(g, a->rev == 0 ? "create_revision" : "mod_revision",
	    a->rev) == -1 ||
	    yajl_gen_map_close(g) || yajl_gen_array_close(g))
		return -1;
	if (gen_str(g, "success") == -1 || yajl_gen_array_open(g) ||
	    yajl_gen_map_open(g) || gen_str(g, "request_put") == -1 ||
	    yajl_gen_map_open(g) || gen_put(g, a) == -1 ||
	    yajl_gen_map_close(g) || yajl_gen_map_close(g) ||
	    yajl_gen_array_close(g))
		return -1;
	if (gen_str(g, "failure") == -1 || yajl_gen_array_open(g) ||
	    yajl_gen_map_open(g) || gen_str(g, "request_range") == -1 ||
	    yajl_gen_map_open(g) ||
	    gen_b64(g, "key", a->key, a->keylen) == -1 ||
	    yajl_gen_map_close(g) || yajl_gen_map_close(g) ||
	    yajl_gen_array_close(g))
		return -1;
	return 0;
}

static int
gen_fields(yajl_gen g, int kind, const struct etcd_body_args *a)
{
	switch (kind) {
	case ETCD_K_PUT:
		return gen_put(g, a);
	case ETCD_K_RANGE:
	case ETCD_K_DELETE:
		return gen_range(g, a);
	case ETCD_K_TXN:
		return gen_txn(g, a);
	case ETCD_K_GRANT:
		return gen_i64(g, "TTL", a->num);
	case ETCD_K_KEEPALIVE:
	case ETCD_K_REVOKE:
		return gen_i64(g, "ID", a->num);
	default:	/* the watch's create_request */
		if (gen_str(g, "create_request") == -1 ||
		    yajl_gen_map_open(g) || gen_range(g, a) == -1 ||
		    (a->num > 0 && gen_i64(g, "start_revision", a->num) == -1) ||
		    gen_str(g, "progress_notify") == -1 ||
		    yajl_gen_bool(g, 1) != yajl_gen_status_ok ||
		    yajl_gen_map_close(g))
			return -1;
		return 0;
	}
}

static int
body_gen(int kind, const struct etcd_body_args *a, struct etcd_body *b)
{
	yajl_gen		 g;
	const unsigned char	*buf;
	size_t			 len;
	int			 rc = -1;

	b->text = NULL;
	b->len = 0;
	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return -1;
	if (yajl_gen_map_open(g) || gen_fields(g, kind, a) == -1 ||
	    yajl_gen_map_close(g) ||
	    yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		goto out;
	if ((b->text = malloc(len + 1)) == NULL)
		goto out;
	memcpy(b->text, buf, len);
	b->text[len] = '\0';
	b->len = len;
	rc = 0;
out:
	yajl_gen_free(g);
	return rc;
}

int
etcd_body(enum etcd_kind kind, const struct etcd_body_args *a,
    struct etcd_body *b)
{
	return body_gen((int)kind, a, b);
}

int
etcd_body_watch(const struct etcd_body_args *a, struct etcd_body *b)
{
	return body_gen(-1, a, b);
}

/* ---- replies ------------------------------------------------------------ */

/*
 * Parse untrusted[len] as one JSON object: NULL if it is not one, has a
 * NUL inside, or nests deeper than JSON_DEPTH_MAX.  Caller frees with
 * yajl_tree_free.
 */
static yajl_val
json_parse(const char *untrusted, size_t len)
{
	char		*s;
	yajl_val	 v = NULL;
	size_t		 i;
	int		 depth = 0, instr = 0;

	for (i = 0; i < len; i++) {
		char c = untrusted[i];

		if (c == '\0')
			return NULL;
		if (instr) {
			if (c == '\\')
				i++;
			else if (c == '"')
				instr = 0;
		} else if (c == '"')
			instr = 1;
		else if ((c == '{' || c == '[') && ++depth > JSON_DEPTH_MAX)
			return NULL;
		else if (c == '}' || c == ']')
			depth--;
	}
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(s, untrusted, len);
	s[len] = '\0';
	v = yajl_tree_parse(s, NULL, 0);
	free(s);
	if (v != NULL && !YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		v = NULL;
	}
	return v;
}

static yajl_val
field(yajl_val obj, const char *name)
{
	const char	*path[] = { name, NULL };

	return obj != NULL && YAJL_IS_OBJECT(obj) ?
	    yajl_tree_get(obj, path, yajl_t_any) : NULL;
}

/* An int64 field: a string of digits (or a JSON integer).  0 and *v 0
 * if absent; -1 if it is anything else. */
static int
field_i64(yajl_val obj, const char *name, int64_t *v)
{
	yajl_val	 f = field(obj, name);
	const char	*s;
	char		*end;
	long long	 n;

	*v = 0;
	if (f == NULL)
		return 0;
	if (YAJL_IS_INTEGER(f)) {
		*v = YAJL_GET_INTEGER(f);
		return 0;
	}
	if (!YAJL_IS_STRING(f) || (s = YAJL_GET_STRING(f)) == NULL ||
	    !((*s >= '0' && *s <= '9') || *s == '-'))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return -1;
	*v = n;
	return 0;
}

/* A true boolean field (absent: false); -1 if not a boolean. */
static int
field_bool(yajl_val obj, const char *name)
{
	yajl_val	 f = field(obj, name);

	if (f == NULL || YAJL_IS_FALSE(f))
		return 0;
	return YAJL_IS_TRUE(f) ? 1 : -1;
}

/* A base64 field decoded into a malloc'd buffer (*buf_r, caller frees,
 * NUL-terminated) of at most max bytes; absent: "" if optional. */
static int
field_b64(yajl_val obj, const char *name, size_t max, int optional,
    char **buf_r, size_t *len_r)
{
	yajl_val	 f = field(obj, name);
	const char	*s;
	size_t		 n;
	long		 r;

	*buf_r = NULL;
	*len_r = 0;
	if (f == NULL && optional)
		s = "";
	else if (f == NULL || !YAJL_IS_STRING(f) ||
	    (s = YAJL_GET_STRING(f)) == NULL)
		return -1;
	n = strlen(s);
	if (n / 4 * 3 > max + 2 || (*buf_r = malloc(n / 4 * 3 + 1)) == NULL)
		return -1;
	if ((r = etcd_b64_decode(s, n, *buf_r)) < 0 || (size_t)r > max) {
		free(*buf_r);
		*buf_r = NULL;
		return -1;
	}
	*len_r = (size_t)r;
	return 0;
}

static void
kv_dispose(struct etcd_kv *kv)
{
	free((char *)kv->key);
	free((char *)kv->value);
	memset(kv, 0, sizeof *kv);
}

/* The untrusted kv object v, checked and decoded into kv. */
static int
kv_decode(yajl_val v, int want_value, struct etcd_kv *kv)
{
	char	*key = NULL, *value = NULL;
	size_t	 keylen, valuelen;

	memset(kv, 0, sizeof *kv);
	if (v == NULL || !YAJL_IS_OBJECT(v) ||
	    field_b64(v, "key", ETCD_KEY_MAX, 0, &key, &keylen) == -1 ||
	    (want_value && field_b64(v, "value", ETCD_REPLY_MAX, 1,
	    &value, &valuelen) == -1) ||
	    field_i64(v, "create_revision", &kv->create_revision) == -1 ||
	    field_i64(v, "mod_revision", &kv->mod_revision) == -1 ||
	    field_i64(v, "version", &kv->version) == -1 ||
	    field_i64(v, "lease", &kv->lease) == -1 ||
	    kv->mod_revision < 0 || kv->create_revision < 0) {
		free(key);
		free(value);
		return -1;
	}
	kv->key = key;
	kv->keylen = keylen;
	kv->value = value;
	kv->valuelen = want_value ? valuelen : 0;
	return 0;
}

/* The kvs array of obj (absent: none) into res. */
static int
reply_kvs(yajl_val obj, struct etcd_result *res)
{
	yajl_val	 kvs = field(obj, "kvs");
	size_t		 i, n;

	if (kvs == NULL)
		return 0;
	if (!YAJL_IS_ARRAY(kvs) || (n = YAJL_GET_ARRAY(kvs)->len) >
	    ETCD_KVS_MAX)
		return -1;
	if (n == 0)
		return 0;
	if ((res->kvs = calloc(n, sizeof *res->kvs)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (kv_decode(YAJL_GET_ARRAY(kvs)->values[i], 1,
		    &res->kvs[i]) == -1)
			return -1;
		res->nkvs++;
	}
	return 0;
}

void
etcd_reply_init(struct etcd_reply *r)
{
	memset(r, 0, sizeof *r);
}

void
etcd_reply_dispose(struct etcd_reply *r)
{
	size_t	 i;

	for (i = 0; i < r->res.nkvs; i++)
		kv_dispose(&r->res.kvs[i]);
	free(r->res.kvs);
	etcd_reply_init(r);
}

/* An error message from obj ("error" as a string or an object with
 * "message", else "message") into buf. */
static void
error_text(yajl_val obj, char *buf, size_t size)
{
	yajl_val	 e = field(obj, "error"), m = field(obj, "message");

	if (e != NULL && YAJL_IS_OBJECT(e))
		m = field(e, "message");
	else if (e != NULL && YAJL_IS_STRING(e))
		m = e;
	if (m != NULL && YAJL_IS_STRING(m) && *YAJL_GET_STRING(m) != '\0')
		snprintf(buf, size, "%s", YAJL_GET_STRING(m));
	else
		snprintf(buf, size, "no message");
}

/* The fields of a 200 reply of kind. */
static int
reply_fields(enum etcd_kind kind, yajl_val obj, struct etcd_result *res)
{
	yajl_val	 resp, rr;

	if (kind == ETCD_K_KEEPALIVE) {
		/* a stream's reply: {"result": {...}} or {"error": {...}} */
		if (field(obj, "error") != NULL ||
		    (obj = field(obj, "result")) == NULL ||
		    !YAJL_IS_OBJECT(obj))
			return -1;
	}
	if (field_i64(field(obj, "header"), "revision", &res->revision) ==
	    -1 || res->revision < 0)
		return -1;
	switch (kind) {
	case ETCD_K_RANGE:
		if (field_i64(obj, "count", &res->count) == -1 ||
		    (res->more = field_bool(obj, "more")) == -1)
			return -1;
		return reply_kvs(obj, res);
	case ETCD_K_DELETE:
		return field_i64(obj, "deleted", &res->deleted);
	case ETCD_K_TXN:
		if ((res->succeeded = field_bool(obj, "succeeded")) == -1)
			return -1;
		if (res->succeeded)
			return 0;
		/* the failure branch: one response_range */
		if ((resp = field(obj, "responses")) == NULL ||
		    !YAJL_IS_ARRAY(resp) || YAJL_GET_ARRAY(resp)->len != 1 ||
		    (rr = field(YAJL_GET_ARRAY(resp)->values[0],
		    "response_range")) == NULL || !YAJL_IS_OBJECT(rr))
			return -1;
		return reply_kvs(rr, res);
	case ETCD_K_GRANT:
	case ETCD_K_KEEPALIVE:
		if (field_i64(obj, "ID", &res->lease_id) == -1 ||
		    field_i64(obj, "TTL", &res->ttl) == -1 || res->ttl < 0)
			return -1;
		return kind == ETCD_K_GRANT && res->lease_id == 0 ? -1 : 0;
	default:
		return 0;
	}
}

void
etcd_reply_parse(enum etcd_kind kind, int code, const char *untrusted_body,
    size_t len, struct etcd_reply *r)
{
	yajl_val	 obj;

	r->res.http_code = code;
	obj = json_parse(untrusted_body, len);
	if (code != 200) {
		r->res.rc = ETCD_ERROR;
		if (obj != NULL)
			error_text(obj, r->msg, sizeof r->msg);
		else
			snprintf(r->msg, sizeof r->msg, "HTTP status %d", code);
		r->res.errmsg = r->msg;
	} else if (obj == NULL || reply_fields(kind, obj, &r->res) == -1) {
		size_t	 i;

		for (i = 0; i < r->res.nkvs; i++)
			kv_dispose(&r->res.kvs[i]);
		free(r->res.kvs);
		memset(&r->res, 0, sizeof r->res);
		r->res.http_code = code;
		r->res.rc = ETCD_BADREPLY;
		snprintf(r->msg, sizeof r->msg, "a reply to %s that is not "
		    "etcd's", etcd_kind_path(kind));
		r->res.errmsg = r->msg;
	} else
		r->res.rc = ETCD_OK;
	if (obj != NULL)
		yajl_tree_free(obj);
}

/* ---- watch lines -------------------------------------------------------- */

void
etcd_line_init(struct etcd_line *l)
{
	memset(l, 0, sizeof *l);
}

void
etcd_line_dispose(struct etcd_line *l)
{
	size_t	 i;

	for (i = 0; i < l->nevents; i++)
		kv_dispose(&l->events[i].kv);
	free(l->events);
	etcd_line_init(l);
}

/* The untrusted event object v into ev. */
static int
line_event(yajl_val v, struct etcd_event *ev)
{
	yajl_val	 t = field(v, "type");
	const char	*s;

	if (v == NULL || !YAJL_IS_OBJECT(v))
		return -1;
	if (t == NULL)
		ev->type = ETCD_EV_PUT;
	else if (!YAJL_IS_STRING(t) || (s = YAJL_GET_STRING(t)) == NULL)
		return -1;
	else if (strcmp(s, "PUT") == 0)
		ev->type = ETCD_EV_PUT;
	else if (strcmp(s, "DELETE") == 0)
		ev->type = ETCD_EV_DELETE;
	else
		return -1;
	if (kv_decode(field(v, "kv"), ev->type == ETCD_EV_PUT, &ev->kv) == -1)
		return -1;
	if (ev->kv.mod_revision <= 0) {
		kv_dispose(&ev->kv);
		return -1;
	}
	return 0;
}

static void
line_end(struct etcd_line *l, enum etcd_rc rc, const char *msg)
{
	etcd_line_dispose(l);
	l->kind = ETCD_LINE_END;
	l->rc = rc;
	snprintf(l->msg, sizeof l->msg, "%s", msg);
}

/* The result object of a watch line. */
static void
line_result(yajl_val res, struct etcd_line *l)
{
	yajl_val	 evs = field(res, "events");
	int64_t		 compact;
	size_t		 i, n = 0;
	int		 canceled, created;

	if (field_i64(field(res, "header"), "revision", &l->header_rev) == -1 ||
	    field_i64(res, "compact_revision", &compact) == -1 ||
	    (canceled = field_bool(res, "canceled")) == -1 ||
	    (created = field_bool(res, "created")) == -1)
		goto bad;
	if (canceled) {
		if (compact > 0)
			line_end(l, ETCD_COMPACTED, "revision compacted");
		else
			line_end(l, ETCD_ERROR, "watch canceled");
		return;
	}
	if (evs == NULL) {
		l->kind = created ? ETCD_LINE_CREATED : ETCD_LINE_PROGRESS;
		return;
	}
	if (!YAJL_IS_ARRAY(evs) || (n = YAJL_GET_ARRAY(evs)->len) >
	    ETCD_KVS_MAX)
		goto bad;
	if (n > 0 && (l->events = calloc(n, sizeof *l->events)) == NULL) {
		line_end(l, ETCD_BADREPLY, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		if (line_event(YAJL_GET_ARRAY(evs)->values[i],
		    &l->events[i]) == -1)
			goto bad;
		l->nevents++;
	}
	l->kind = ETCD_LINE_EVENTS;
	return;
bad:
	line_end(l, ETCD_BADREPLY, "a watch line that is not etcd's");
}

void
etcd_line_parse(const char *untrusted_line, size_t len, struct etcd_line *l)
{
	yajl_val	 obj, res;
	char		 msg[200];

	etcd_line_dispose(l);
	if ((obj = json_parse(untrusted_line, len)) == NULL) {
		line_end(l, ETCD_BADREPLY, "a watch line that is not JSON");
		return;
	}
	if (field(obj, "error") != NULL) {
		error_text(obj, msg, sizeof msg);
		line_end(l, ETCD_UNAVAILABLE, msg);
	} else if ((res = field(obj, "result")) == NULL ||
	    !YAJL_IS_OBJECT(res))
		line_end(l, ETCD_BADREPLY, "a watch line without a result");
	else
		line_result(res, l);
	yajl_tree_free(obj);
}
