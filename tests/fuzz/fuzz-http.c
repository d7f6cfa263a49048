/*
 * fuzz-http.c: what the HTTP edge (toolstack/daemon/edge/remote.c) feeds untrusted
 * bytes to.
 *
 * http.c has no pure function of its own to call: its path splitting
 * (http_split_path), timeout header and address parsing are static and
 * sit next to evhttp callbacks.  What it hands untrusted bytes to is the
 * farm library: farm_check_args on a request body (then
 * farm_value_check on each value), and, from farm files and `baltic
 * set`, farm_parse_addr / farm_parse_url.  Those are fuzzed here.
 *
 * Input: the first byte selects the operation of a fixed interface whose
 * parameters cover every type and arity; the rest is the body.  The
 * body is also checked against each type alone, compared with a
 * reference model of the documented rules (baltic.farm(5)), and, as a C
 * string, parsed as an address and as a URL.
 */
#include <string.h>

#include "farm/farm.h"
#include "fuzz.h"

static const char farm_text[] =
"interface IFuzz {\n"
"	None()\n"
"	Str(s: string) -> string\n"
"	Int(n: int) -> int\n"
"	Bool(b: bool) -> bool\n"
"	Bytes(b: bytes) -> bytes\n"
"	Two(a: int, b: int) -> int\n"
"	Mixed(s: string, n: int, f: bool, b: bytes) -> string\n"
"	idempotent Strings(a: string, b: string, c: string) timeout 1000\n"
"}\n";

static struct farm_file		*ff;
static struct farm_iface	*iface;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct farm_diags	d;

	(void)argc;
	(void)argv;
	farm_diags_init(&d);
	ff = farm_parse("fixed.farm", farm_text, sizeof farm_text - 1, &d);
	farm_check(ff, &d);
	if (d.n != 0) {
		farm_diags_print(&d, stderr);
		abort();
	}
	farm_diags_dispose(&d);
	iface = farm_find_iface(ff, "IFuzz");
	FUZZ_CHECK(iface != NULL && iface->nops == 8);
	return 0;
}

/* The documented rules, written again plainly. */
static int
model_utf8(const uint8_t *s, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	cp, min;

	while (i < len) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1; cp = s[i] & 0x1f; min = 0x80;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2; cp = s[i] & 0x0f; min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3; cp = s[i] & 0x07; min = 0x10000;
		} else
			return 0;
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
model_int(const uint8_t *s, size_t len)
{
	size_t		i = 0;
	uint64_t	v = 0, max = INT64_MAX;

	if (len > 0 && s[0] == '-') {
		i = 1;
		max = (uint64_t)INT64_MAX + 1;
	}
	if (i == len)
		return 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (v > max / 10 || v * 10 > max - (uint64_t)(s[i] - '0'))
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return 1;
}

static void
values(const uint8_t *s, size_t len)
{
	const char	*why;
	int		 ok;

	why = NULL;
	ok = farm_value_check(FARM_T_STRING, s, len, &why) == 0;
	FUZZ_CHECK(ok == model_utf8(s, len));
	FUZZ_CHECK(ok || why != NULL);
	ok = farm_value_check(FARM_T_INT, s, len, &why) == 0;
	FUZZ_CHECK(ok == model_int(s, len));
	ok = farm_value_check(FARM_T_BOOL, s, len, &why) == 0;
	FUZZ_CHECK(ok == ((len == 4 && memcmp(s, "true", 4) == 0) ||
	    (len == 5 && memcmp(s, "false", 5) == 0)));
	FUZZ_CHECK(farm_value_check(FARM_T_BYTES, s, len, &why) == 0);
	ok = farm_value_check(FARM_T_VOID, s, len, NULL) == 0;
	FUZZ_CHECK(ok == (len == 0));
}

static void
addresses(const char *s)
{
	const char	*why;
	char		*host, *path;
	unsigned	 port;

	host = NULL;
	why = NULL;
	if (farm_parse_addr(s, &host, &port, &why) == 0) {
		FUZZ_CHECK(host != NULL && *host != '\0');
		FUZZ_CHECK(port >= 1 && port <= 65535);
		FUZZ_CHECK(strchr(s, ':') != NULL);
	} else
		FUZZ_CHECK(host == NULL && why != NULL);
	free(host);
	FUZZ_CHECK(farm_parse_addr(s, NULL, NULL, NULL) == (why ? -1 : 0));

	host = path = NULL;
	why = NULL;
	if (farm_parse_url(s, &host, &port, &path, &why) == 0) {
		FUZZ_CHECK(strncmp(s, "http://", 7) == 0 ||
		    strncmp(s, "https://", 8) == 0);
		FUZZ_CHECK(host != NULL && *host != '\0');
		FUZZ_CHECK(port >= 1 && port <= 65535);
		FUZZ_CHECK(path != NULL && path[0] == '/');
		FUZZ_CHECK(strpbrk(path, " \t\r\n") == NULL);
	} else
		FUZZ_CHECK(host == NULL && path == NULL && why != NULL);
	free(host);
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct farm_op	*op;
	char		 why[256], *s;
	int		 r;

	if (ff == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	op = &iface->ops[data[0] % iface->nops];
	data++;
	size--;

	/* http.c: farm_check_args(op, data, arglen, why, sizeof why). */
	why[0] = '\0';
	r = farm_check_args(op, data, size, why, sizeof why);
	FUZZ_CHECK(r == 0 || r == -1);
	FUZZ_CHECK(r == 0 || (why[0] != '\0' && memchr(why, 0, sizeof why)));
	if (op->nparams == 1)
		FUZZ_CHECK((r == 0) == (farm_value_check(op->params[0].type,
		    data, size, NULL) == 0));
	if (op->nparams == 0)
		FUZZ_CHECK((r == 0) == (size == 0));
	/* A short buffer for the reason must truncate, not overflow. */
	(void)farm_check_args(op, data, size, why, 8);
	FUZZ_CHECK(memchr(why, 0, 8) != NULL);

	values(data, size);

	s = malloc(size + 1);
	FUZZ_CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	addresses(s);
	free(s);
	return 0;
}
