/*
 * test-farm-value.c: arguments and results against their types, the
 * JSON array of multi-parameter operations, addresses and URLs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "farm/farm.h"

static int
vc(enum farm_vtype t, const char *s, const char **why_r)
{
	return farm_value_check(t, s, strlen(s), why_r);
}

static void
test_scalars(void **state)
{
	const char	*why = NULL;

	assert_int_equal(vc(FARM_T_STRING, "h\xc3\xa9llo", &why), 0);
	assert_int_equal(vc(FARM_T_STRING, "", &why), 0);
	assert_int_equal(vc(FARM_T_STRING, "\xc3", &why), -1);
	assert_string_equal(why, "not valid UTF-8 text");
	assert_int_equal(vc(FARM_T_STRING, "\xc0\xaf", &why), -1);
	assert_int_equal(vc(FARM_T_STRING, "\xed\xa0\x80", &why), -1);
	assert_int_equal(farm_value_check(FARM_T_STRING, "a\0b", 3, &why), -1);
	assert_string_equal(why, "a string cannot hold a NUL byte");

	assert_int_equal(vc(FARM_T_INT, "0", &why), 0);
	assert_int_equal(vc(FARM_T_INT, "-42", &why), 0);
	assert_int_equal(vc(FARM_T_INT, "9223372036854775807", &why), 0);
	assert_int_equal(vc(FARM_T_INT, "-9223372036854775808", &why), 0);
	assert_int_equal(vc(FARM_T_INT, "9223372036854775808", &why), -1);
	assert_string_equal(why, "integer out of range");
	assert_int_equal(vc(FARM_T_INT, "", &why), -1);
	assert_string_equal(why, "not an integer");
	assert_int_equal(vc(FARM_T_INT, "-", &why), -1);
	assert_int_equal(vc(FARM_T_INT, "+1", &why), -1);
	assert_int_equal(vc(FARM_T_INT, "1 ", &why), -1);
	assert_int_equal(vc(FARM_T_INT, "0x10", &why), -1);

	assert_int_equal(vc(FARM_T_BOOL, "true", &why), 0);
	assert_int_equal(vc(FARM_T_BOOL, "false", &why), 0);
	assert_int_equal(vc(FARM_T_BOOL, "True", &why), -1);
	assert_string_equal(why, "not a bool (true or false)");
	assert_int_equal(vc(FARM_T_BOOL, "truex", &why), -1);

	assert_int_equal(farm_value_check(FARM_T_BYTES, "\0\xff", 2, &why), 0);
	assert_int_equal(vc(FARM_T_VOID, "", &why), 0);
	assert_int_equal(vc(FARM_T_VOID, "x", &why), -1);
	assert_string_equal(why, "expected no value");
	assert_int_equal(vc(FARM_T_INT, "x", NULL), -1);
}

/*
 * Long strings go through the check eight bytes at a time: a bad byte
 * (NUL, a stray continuation byte, a truncated sequence) or a valid
 * multi-byte character at every offset of a 40-byte ASCII run, and at
 * every alignment of the buffer, must give what the byte-at-a-time
 * rules give.
 */
static void
test_string_runs(void **state)
{
	static const struct {
		const char	*ins;
		size_t		 len;
		int		 want;
	} cases[] = {
		{ "\0", 1, -1 },
		{ "\x80", 1, -1 },
		{ "\xe2\x82", 2, -1 },
		{ "\xc3\xa9", 2, 0 },
		{ "\xe2\x82\xac", 3, 0 },
		{ "\xf0\x9f\x98\x80", 4, 0 },
		{ "\xed\xa0\x80", 3, -1 },
	};
	char		 buf[64];
	size_t		 c, at, align;

	for (c = 0; c < sizeof cases / sizeof cases[0]; c++)
		for (align = 0; align < 8; align++)
			for (at = 0; at + cases[c].len <= 40; at++) {
				memset(buf, 'a', sizeof buf);
				memcpy(buf + align + at, cases[c].ins,
				    cases[c].len);
				assert_int_equal(farm_value_check(FARM_T_STRING,
				    buf + align, 40, NULL), cases[c].want);
			}
	/* A truncated sequence at the very end. */
	memset(buf, 'a', sizeof buf);
	buf[39] = '\xc3';
	assert_int_equal(farm_value_check(FARM_T_STRING, buf, 40, NULL), -1);
}

static struct farm_param ps[] = {
	{ "name", FARM_T_STRING, { NULL, 1, 1 } },
	{ "n", FARM_T_INT, { NULL, 1, 1 } },
	{ "ok", FARM_T_BOOL, { NULL, 1, 1 } },
	{ "data", FARM_T_BYTES, { NULL, 1, 1 } },
};

static int
ca(size_t nparams, const char *arg, char *why, size_t len)
{
	struct farm_op	op;

	memset(&op, 0, sizeof op);
	op.name = "Op";
	op.params = ps;
	op.nparams = nparams;
	return farm_check_args(&op, arg, strlen(arg), why, len);
}

static void
test_args(void **state)
{
	char	why[128];

	assert_int_equal(ca(0, "", why, sizeof why), 0);
	assert_int_equal(ca(0, "x", why, sizeof why), -1);
	assert_string_equal(why, "Op takes no argument");
	assert_int_equal(ca(1, "anything \"raw\"", why, sizeof why), 0);
	assert_int_equal(ca(1, "\xff", why, sizeof why), -1);
	assert_string_equal(why, "argument name (string): not valid UTF-8 "
	    "text");

	assert_int_equal(ca(2, "[\"a\", 5]", why, sizeof why), 0);
	assert_int_equal(ca(2, " [ \"a\\\"\\u00e9\\ud83d\\ude00\" ,-5 ] \n",
	    why, sizeof why), 0);
	assert_int_equal(ca(4, "[\"\", 0, true, \"\\u0000\"]", why,
	    sizeof why), 0);
	assert_int_equal(ca(3, "[\"x\", 1, false]", why, sizeof why), 0);

	assert_int_equal(ca(2, "\"a\", 5", why, sizeof why), -1);
	assert_string_equal(why, "Op takes 2 arguments: expected a JSON array "
	    "of them");
	assert_int_equal(ca(2, "[\"a\"]", why, sizeof why), -1);
	assert_string_equal(why, "Op takes 2 arguments, got 1");
	assert_int_equal(ca(2, "[\"a\", 5, 6]", why, sizeof why), -1);
	assert_string_equal(why, "Op takes 2 arguments: expected ']' after "
	    "the last");
	assert_int_equal(ca(2, "[\"a\", 5] x", why, sizeof why), -1);
	assert_string_equal(why, "trailing bytes after the argument array");
	assert_int_equal(ca(2, "[5, 5]", why, sizeof why), -1);
	assert_string_equal(why, "argument 1, name (string): expected a JSON "
	    "string");
	assert_int_equal(ca(2, "[\"a\", \"5\"]", why, sizeof why), -1);
	assert_string_equal(why, "argument 2, n (int): not an integer");
	assert_int_equal(ca(2, "[\"a\", 05]", why, sizeof why), -1);
	assert_string_equal(why, "argument 2, n (int): leading zero in a JSON "
	    "number");
	assert_int_equal(ca(2, "[\"a\", 1.5]", why, sizeof why), -1);
	assert_int_equal(ca(2, "[\"a\", 99999999999999999999]", why,
	    sizeof why), -1);
	assert_string_equal(why, "argument 2, n (int): integer out of range");
	assert_int_equal(ca(3, "[\"a\", 1, yes]", why, sizeof why), -1);
	assert_string_equal(why, "argument 3, ok (bool): not a bool (true or "
	    "false)");
	assert_int_equal(ca(2, "[\"a\\u0000\", 1]", why, sizeof why), -1);
	assert_string_equal(why, "argument 1, name (string): a string cannot "
	    "hold a NUL byte");
	assert_int_equal(ca(2, "[\"a\\x\", 1]", why, sizeof why), -1);
	assert_string_equal(why, "argument 1, name (string): malformed JSON "
	    "string");
	assert_int_equal(ca(2, "[\"\\ud83d\", 1]", why, sizeof why), -1);
	assert_int_equal(ca(2, "[\"a\n\", 1]", why, sizeof why), -1);
	assert_int_equal(ca(2, "[\"a", why, sizeof why), -1);
	assert_int_equal(ca(2, "[", why, sizeof why), -1);
	assert_int_equal(ca(2, "", why, sizeof why), -1);
}

static void
test_addr(void **state)
{
	const char	*why = NULL;
	char		*host = NULL;
	unsigned	 port = 0;

	assert_int_equal(farm_parse_addr("127.0.0.1:8080", &host, &port,
	    &why), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8080);
	free(host);
	assert_int_equal(farm_parse_addr("[::1]:65535", &host, &port, &why),
	    0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	free(host);
	assert_int_equal(farm_parse_addr("db-1.example.org:1", NULL, NULL,
	    &why), 0);
	assert_int_equal(farm_parse_addr("localhost:80", NULL, NULL, &why),
	    0);

	assert_int_equal(farm_parse_addr("h:65536", NULL, NULL, &why), -1);
	assert_string_equal(why, "port out of range (1 to 65535)");
	assert_int_equal(farm_parse_addr("h:99999999999999999999", NULL, NULL,
	    &why), -1);
	assert_string_equal(why, "port out of range (1 to 65535)");
	assert_int_equal(farm_parse_addr("h:", NULL, NULL, &why), -1);
	assert_string_equal(why, "missing port number");
	assert_int_equal(farm_parse_addr(":80", NULL, NULL, &why), -1);
	assert_string_equal(why, "missing host");
	assert_int_equal(farm_parse_addr("h:8o", NULL, NULL, &why), -1);
	assert_string_equal(why, "port is not a number");
	assert_int_equal(farm_parse_addr("1.2.3:80", NULL, NULL, &why), -1);
	assert_string_equal(why, "bad IPv4 address");
	assert_int_equal(farm_parse_addr("[::g]:80", NULL, NULL, &why), -1);
	assert_string_equal(why, "bad IPv6 address");
	assert_int_equal(farm_parse_addr("[::1]80", NULL, NULL, &why), -1);
	assert_int_equal(farm_parse_addr("a..b:80", NULL, NULL, &why), -1);
	assert_string_equal(why, "bad host name");
	assert_int_equal(farm_parse_addr("a b:80", NULL, NULL, &why), -1);
	assert_int_equal(farm_parse_addr("", NULL, NULL, &why), -1);
	assert_string_equal(why, "missing ':port'");
}

static void
test_url(void **state)
{
	const char	*why = NULL;
	char		*host = NULL, *path = NULL;
	unsigned	 port = 0;

	assert_int_equal(farm_parse_url("http://pay.example.com:9090/v1/a?x=1",
	    &host, &port, &path, &why), 0);
	assert_string_equal(host, "pay.example.com");
	assert_int_equal(port, 9090);
	assert_string_equal(path, "/v1/a?x=1");
	free(host);
	free(path);
	assert_int_equal(farm_parse_url("http://10.0.0.1:80", &host, &port,
	    &path, &why), 0);
	assert_string_equal(path, "/");
	free(host);
	free(path);
	assert_int_equal(farm_parse_url("https://h:1/p", &host, &port, &path,
	    &why), 0);
	assert_string_equal(host, "h");
	assert_int_equal(port, 1);
	assert_string_equal(path, "/p");
	free(host);
	free(path);
	assert_int_equal(farm_parse_url("ftp://h:1", NULL, NULL, NULL,
	    &why), -1);
	assert_string_equal(why, "only http:// and https:// URLs are supported");
	assert_int_equal(farm_parse_url("h:1", NULL, NULL, NULL, &why), -1);
	assert_string_equal(why, "missing \"http://\" or \"https://\"");
	assert_int_equal(farm_parse_url("http://h/x", NULL, NULL, NULL, &why),
	    -1);
	assert_string_equal(why, "missing ':port'");
	assert_int_equal(farm_parse_url("http://h:1/a b", NULL, NULL, NULL,
	    &why), -1);
	assert_string_equal(why, "space or control character in the path");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_string_runs),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
