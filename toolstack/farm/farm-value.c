/*
 * farm-value.c: checking call arguments and results against the types
 * of an interface, and the address syntax of exports and remotes.
 *
 * Everything here reads untrusted bytes: no assumption of a NUL, no
 * allocation sized by the input beyond its length.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/*
 * The length of the run of ASCII at s (no NUL in it unless nul_ok),
 * eight bytes at a time: arguments and results are mostly ASCII, and a
 * byte at a time was half of balticd's time on a 512 KiB echo.
 */
static size_t
ascii_run(const unsigned char *s, size_t len, bool nul_ok)
{
	uint64_t	w;
	size_t		i = 0;

	for (; len - i >= sizeof w; i += sizeof w) {
		memcpy(&w, s + i, sizeof w);
		if ((w & HIGHS) != 0)
			break;
		if (!nul_ok && ((w - ONES) & ~w & HIGHS) != 0)
			break;
	}
	return i;
}

/* Valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static bool
utf8_valid(const unsigned char *s, size_t len, bool nul_ok)
{
	size_t		i = 0, n, k;
	uint32_t	cp;

	while (i < len) {
		i += ascii_run(s + i, len - i, nul_ok);
		if (i == len)
			break;
		if (s[i] < 0x80) {
			if (s[i] == 0 && !nul_ok)
				return false;
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return false;
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

int
farm_value_check(enum farm_vtype t, const void *untrusted, size_t len,
    const char **why_r)
{
	const unsigned char	*s = untrusted;
	const char		*why = NULL;
	uint64_t		 v = 0, max;
	size_t			 i = 0;

	switch (t) {
	case FARM_T_STRING:
		if (!utf8_valid(s, len, false))
			why = memchr(s, 0, len) ? "a string cannot hold a NUL "
			    "byte" : "not valid UTF-8 text";
		break;
	case FARM_T_INT:
		max = INT64_MAX;
		if (len > 0 && s[0] == '-') {
			max = (uint64_t)INT64_MAX + 1;
			i = 1;
		}
		if (i == len) {
			why = "not an integer";
			break;
		}
		for (; i < len; i++) {
			if (s[i] < '0' || s[i] > '9') {
				why = "not an integer";
				break;
			}
			if (v > (max - (s[i] - '0')) / 10) {
				why = "integer out of range";
				break;
			}
			v = v * 10 + (s[i] - '0');
		}
		break;
	case FARM_T_BOOL:
		if (!(len == 4 && memcmp(s, "true", 4) == 0) &&
		    !(len == 5 && memcmp(s, "false", 5) == 0))
			why = "not a bool (true or false)";
		break;
	case FARM_T_BYTES:
		break;
	case FARM_T_VOID:
		if (len != 0)
			why = "expected no value";
		break;
	}
	if (why != NULL) {
		if (why_r != NULL)
			*why_r = why;
		return -1;
	}
	return 0;
}

/* ---- a JSON array of scalars, strictly -------------------------------- */

struct jp {
	const unsigned char	*s;
	size_t			 len, i;
};

static void
jp_ws(struct jp *j)
{
	while (j->i < j->len && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
	    j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

static int
hex4(const unsigned char *s, uint32_t *v_r)
{
	uint32_t	v = 0;
	int		k, c;

	for (k = 0; k < 4; k++) {
		c = s[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*v_r = v;
	return 0;
}

static void
put_utf8(unsigned char *out, size_t *n, uint32_t cp)
{
	if (cp < 0x80)
		out[(*n)++] = cp;
	else if (cp < 0x800) {
		out[(*n)++] = 0xc0 | (cp >> 6);
		out[(*n)++] = 0x80 | (cp & 0x3f);
	} else if (cp < 0x10000) {
		out[(*n)++] = 0xe0 | (cp >> 12);
		out[(*n)++] = 0x80 | ((cp >> 6) & 0x3f);
		out[(*n)++] = 0x80 | (cp & 0x3f);
	} else {
		out[(*n)++] = 0xf0 | (cp >> 18);
		out[(*n)++] = 0x80 | ((cp >> 12) & 0x3f);
		out[(*n)++] = 0x80 | ((cp >> 6) & 0x3f);
		out[(*n)++] = 0x80 | (cp & 0x3f);
	}
}

/*
 * A JSON string at j->i into out (at least its length in bytes: the
 * decoded form is never longer); NULL-free check is the caller's.
 */
static int
jp_string(struct jp *j, unsigned char *out, size_t *n_r)
{
	uint32_t	cp, lo;
	size_t		n = 0;
	int		c;

	j->i++;
	for (;;) {
		if (j->i >= j->len)
			return -1;
		c = j->s[j->i++];
		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		if (j->i >= j->len)
			return -1;
		c = j->s[j->i++];
		switch (c) {
		case '"': case '\\': case '/':
			out[n++] = c;
			break;
		case 'b':	out[n++] = '\b';	break;
		case 'f':	out[n++] = '\f';	break;
		case 'n':	out[n++] = '\n';	break;
		case 'r':	out[n++] = '\r';	break;
		case 't':	out[n++] = '\t';	break;
		case 'u':
			if (j->len - j->i < 4 || hex4(j->s + j->i, &cp) == -1)
				return -1;
			j->i += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->len - j->i < 6 || j->s[j->i] != '\\' ||
				    j->s[j->i + 1] != 'u' ||
				    hex4(j->s + j->i + 2, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				j->i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			put_utf8(out, &n, cp);
			break;
		default:
			return -1;
		}
	}
	*n_r = n;
	return 0;
}

/* One element of type t at j->i: checked, then skipped. */
static int
jp_value(struct jp *j, enum farm_vtype t, unsigned char *scratch,
    const char **why_r)
{
	size_t		start = j->i, n;

	if (j->i >= j->len) {
		*why_r = "missing value";
		return -1;
	}
	switch (t) {
	case FARM_T_STRING:
	case FARM_T_BYTES:
		if (j->s[j->i] != '"') {
			*why_r = "expected a JSON string";
			return -1;
		}
		if (jp_string(j, scratch, &n) == -1) {
			*why_r = "malformed JSON string";
			return -1;
		}
		return farm_value_check(t, scratch, n, why_r);
	case FARM_T_INT:
		if (j->s[j->i] == '-')
			j->i++;
		if (j->i < j->len && j->s[j->i] == '0' && j->i + 1 < j->len &&
		    j->s[j->i + 1] >= '0' && j->s[j->i + 1] <= '9') {
			*why_r = "leading zero in a JSON number";
			return -1;
		}
		while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
		return farm_value_check(t, j->s + start, j->i - start, why_r);
	case FARM_T_BOOL:
		while (j->i < j->len && j->s[j->i] >= 'a' && j->s[j->i] <= 'z')
			j->i++;
		return farm_value_check(t, j->s + start, j->i - start, why_r);
	case FARM_T_VOID:
		break;
	}
	*why_r = "no value is allowed";
	return -1;
}

int
farm_check_args(const struct farm_op *op, const void *untrusted,
    size_t len, char *why, size_t whylen)
{
	struct jp		 j;
	unsigned char		*scratch = NULL;
	const char		*w = NULL;
	size_t			 k;
	int			 rc = -1;

	if (op->nparams == 0) {
		if (len == 0)
			return 0;
		snprintf(why, whylen, "%s takes no argument", op->name);
		return -1;
	}
	if (op->nparams == 1) {
		if (farm_value_check(op->params[0].type, untrusted, len,
		    &w) == 0)
			return 0;
		snprintf(why, whylen, "argument %s (%s): %s",
		    op->params[0].name,
		    farm_vtype_name(op->params[0].type), w);
		return -1;
	}

	j.s = untrusted;
	j.len = len;
	j.i = 0;
	scratch = farm_xcalloc(1, len + 1);
	jp_ws(&j);
	if (j.i >= j.len || j.s[j.i] != '[') {
		snprintf(why, whylen, "%s takes %zu arguments: expected a JSON "
		    "array of them", op->name, op->nparams);
		goto out;
	}
	j.i++;
	for (k = 0; k < op->nparams; k++) {
		jp_ws(&j);
		if (k > 0) {
			if (j.i >= j.len || j.s[j.i] != ',') {
				snprintf(why, whylen, "%s takes %zu "
				    "arguments, got %zu", op->name,
				    op->nparams, k);
				goto out;
			}
			j.i++;
			jp_ws(&j);
		}
		if (jp_value(&j, op->params[k].type, scratch, &w) == -1) {
			snprintf(why, whylen, "argument %zu, %s (%s): %s",
			    k + 1, op->params[k].name,
			    farm_vtype_name(op->params[k].type), w);
			goto out;
		}
	}
	jp_ws(&j);
	if (j.i >= j.len || j.s[j.i] != ']') {
		snprintf(why, whylen, "%s takes %zu arguments: expected ']' "
		    "after the last", op->name, op->nparams);
		goto out;
	}
	j.i++;
	jp_ws(&j);
	if (j.i != j.len) {
		snprintf(why, whylen, "trailing bytes after the argument "
		    "array");
		goto out;
	}
	rc = 0;
out:
	free(scratch);
	return rc;
}

/* ---- addresses --------------------------------------------------------- */

static bool
hostname_ok(const char *h, size_t len)
{
	size_t	i, label = 0;
	bool	digits_only = true;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char	c = h[i];

		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (!(c >= '0' && c <= '9'))
			digits_only = false;
		if (++label > 63)
			return false;
	}
	if (label == 0 || h[len - 1] == '-')
		return false;
	/* All digits and dots: it must then be a dotted quad. */
	return !digits_only;
}

static int
split_host_port(const char *s, size_t len, char **host_r, unsigned *port_r,
    const char **why_r)
{
	const char	*colon, *h;
	char		 buf[256];
	size_t		 hlen, i;
	unsigned long	 port = 0;
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (len > 0 && s[0] == '[') {
		colon = memchr(s, ']', len);
		if (colon == NULL) {
			*why_r = "missing ']' after an IPv6 address";
			return -1;
		}
		h = s + 1;
		hlen = colon - h;
		colon++;
		if (colon == s + len || *colon != ':') {
			*why_r = "missing ':port'";
			return -1;
		}
	} else {
		for (colon = NULL, i = 0; i < len; i++)
			if (s[i] == ':')
				colon = s + i;
		if (colon == NULL) {
			*why_r = "missing ':port'";
			return -1;
		}
		h = s;
		hlen = colon - s;
	}
	if (hlen == 0) {
		*why_r = "missing host";
		return -1;
	}
	if (hlen >= sizeof buf) {
		*why_r = "host name too long";
		return -1;
	}
	memcpy(buf, h, hlen);
	buf[hlen] = '\0';
	if (s[0] == '[') {
		if (inet_pton(AF_INET6, buf, &a6) != 1) {
			*why_r = "bad IPv6 address";
			return -1;
		}
	} else if (strspn(buf, "0123456789.") == hlen) {
		if (inet_pton(AF_INET, buf, &a4) != 1) {
			*why_r = "bad IPv4 address";
			return -1;
		}
	} else if (!hostname_ok(buf, hlen)) {
		*why_r = "bad host name";
		return -1;
	}
	colon++;
	if (colon == s + len) {
		*why_r = "missing port number";
		return -1;
	}
	for (; colon < s + len; colon++) {
		if (*colon < '0' || *colon > '9') {
			*why_r = "port is not a number";
			return -1;
		}
		port = port * 10 + (*colon - '0');
		if (port > 65535)
			break;
	}
	if (port < 1 || port > 65535) {
		*why_r = "port out of range (1 to 65535)";
		return -1;
	}
	if (host_r != NULL)
		*host_r = farm_xstrdup(buf);
	if (port_r != NULL)
		*port_r = port;
	return 0;
}

int
farm_parse_addr(const char *s, char **host_r, unsigned *port_r,
    const char **why_r)
{
	const char	*why = NULL;

	if (split_host_port(s, strlen(s), host_r, port_r, &why) == -1) {
		if (why_r != NULL)
			*why_r = why;
		return -1;
	}
	return 0;
}

int
farm_addr_loopback(const char *s)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		*host = NULL;
	int		 rc = 0;

	if (farm_parse_addr(s, &host, NULL, NULL) == -1)
		return -1;
	if (strcmp(host, "localhost") == 0)
		rc = 1;
	else if (inet_pton(AF_INET, host, &a4) == 1)
		rc = (ntohl(a4.s_addr) >> 24) == 127;
	else if (inet_pton(AF_INET6, host, &a6) == 1)
		rc = IN6_IS_ADDR_LOOPBACK(&a6);
	free(host);
	return rc;
}

int
farm_parse_url(const char *s, char **host_r, unsigned *port_r,
    char **path_r, const char **why_r)
{
	const char		*why = NULL, *slash, *p;

	if (strncmp(s, "http://", 7) == 0)
		s += 7;
	else if (strncmp(s, "https://", 8) == 0)
		s += 8;
	else {
		why = strstr(s, "://") ? "only http:// and https:// URLs are "
		    "supported" : "missing \"http://\" or \"https://\"";
		goto fail;
	}
	slash = strchr(s, '/');
	if (slash == NULL)
		slash = s + strlen(s);
	for (p = slash; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			why = "space or control character in the path";
			goto fail;
		}
	if (split_host_port(s, slash - s, host_r, port_r, &why) == -1)
		goto fail;
	if (path_r != NULL)
		*path_r = farm_xstrdup(*slash ? slash : "/");
	return 0;
fail:
	if (why_r != NULL)
		*why_r = why;
	return -1;
}
