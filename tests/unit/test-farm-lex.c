/*
 * test-farm-lex.c: the farm lexer's tokens, locations and complaints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "farm/farm-lex.h"

static char *
diags_str(const struct farm_diags *d)
{
	char	*buf = farm_diags_str(d);

	assert_non_null(buf);
	return buf;
}

/* Lex src; check the kinds (terminated by FT_EOF) and the diagnostics. */
static void
lex_expect(const char *src, const enum farm_tok *kinds, const char *diags,
    struct farm_tokens *toks_r)
{
	struct farm_diags	d;
	char			*out;
	size_t			 i;

	farm_diags_init(&d);
	farm_lex("t.farm", src, strlen(src), toks_r, &d);
	for (i = 0; kinds[i] != FT_EOF; i++) {
		assert_true(i < toks_r->n);
		assert_int_equal(toks_r->v[i].kind, kinds[i]);
	}
	assert_int_equal(toks_r->n, i + 1);
	assert_int_equal(toks_r->v[i].kind, FT_EOF);
	out = diags_str(&d);
	assert_string_equal(out, diags);
	free(out);
	farm_diags_dispose(&d);
}

static void
test_punctuation(void **state)
{
	static const enum farm_tok k[] = {
		FT_IDENT, FT_LPAREN, FT_IDENT, FT_COLON, FT_IDENT, FT_COMMA,
		FT_IDENT, FT_RPAREN, FT_ARROW, FT_IDENT, FT_SEMI, FT_LBRACE,
		FT_IDENT, FT_DOT, FT_IDENT, FT_EQ, FT_INT, FT_RBRACE, FT_EOF
	};
	struct farm_tokens	t;

	lex_expect("Op(a: string, b) -> int; { x.Y = 42 }", k, "", &t);
	assert_true(farm_tok_is(&t.v[0], "Op"));
	assert_false(farm_tok_is(&t.v[0], "O"));
	assert_int_equal(t.v[16].num, 42);
	assert_false(t.v[16].bad);
	assert_int_equal(t.v[8].loc.line, 1);
	assert_int_equal(t.v[8].loc.col, 18);
	farm_tokens_dispose(&t);
}

static void
test_newlines_comments(void **state)
{
	static const enum farm_tok k[] = {
		FT_NL, FT_IDENT, FT_NL, FT_IDENT, FT_NL, FT_EOF
	};
	struct farm_tokens	t;

	lex_expect("# head\n\nfoo # tail\n\n\n  bar\r\n", k, "", &t);
	assert_int_equal(t.v[1].loc.line, 3);
	assert_int_equal(t.v[1].loc.col, 1);
	assert_int_equal(t.v[3].loc.line, 6);
	assert_int_equal(t.v[3].loc.col, 3);
	assert_int_equal(t.v[5].loc.line, 7);
	farm_tokens_dispose(&t);
}

static void
test_strings(void **state)
{
	static const enum farm_tok k[] = { FT_STRING, FT_STRING, FT_EOF };
	struct farm_tokens	t;

	lex_expect("\"a \\\"b\\\" \\\\ \\n\\t\" \"\"", k, "", &t);
	assert_string_equal(t.v[0].str, "a \"b\" \\ \n\t");
	assert_string_equal(t.v[1].str, "");
	farm_tokens_dispose(&t);
}

static void
test_string_errors(void **state)
{
	static const enum farm_tok k[] = {
		FT_IDENT, FT_STRING, FT_SEMI, FT_IDENT, FT_NL, FT_STRING,
		FT_EOF
	};
	struct farm_tokens	t;

	lex_expect("image \"roles/a; memory\n\"x\\qy\"", k,
	    "t.farm:1:7: error: unterminated string (a string ends with '\"' "
	    "on the same line)\n"
	    "t.farm:2:3: error: unknown escape '\\q' in string "
	    "(known: \\\" \\\\ \\n \\t)\n", &t);
	assert_string_equal(t.v[1].str, "roles/a");
	assert_true(t.v[1].bad);
	assert_false(t.v[5].bad);
	farm_tokens_dispose(&t);
}

/*
 * A string wrapped onto the next line is one bad token, one error; not
 * when that line is more than the tail of a word.
 */
static void
test_string_wrapped(void **state)
{
	static const enum farm_tok k[] = {
		FT_IDENT, FT_STRING, FT_NL, FT_IDENT, FT_NL, FT_IDENT,
		FT_STRING, FT_NL, FT_IDENT, FT_IDENT, FT_STRING, FT_NL,
		FT_IDENT, FT_EOF
	};
	struct farm_tokens	t;

	lex_expect("remote \"http://a\n\t:90\"\nx\nurl \"b\nc d\"\ne", k,
	    "t.farm:1:8: error: unterminated string (a string ends with "
	    "'\"' on the same line)\n"
	    "t.farm:4:5: error: unterminated string (a string ends with "
	    "'\"' on the same line)\n"
	    "t.farm:5:4: error: unterminated string (a string ends with "
	    "'\"' on the same line)\n", &t);
	assert_true(t.v[1].bad);
	assert_int_equal(t.v[3].loc.line, 3);
	farm_tokens_dispose(&t);
}

static void
test_numbers(void **state)
{
	static const enum farm_tok k[] = { FT_INT, FT_INT, FT_INT, FT_EOF };
	struct farm_tokens	t;

	lex_expect("0 64M 123456789012345678901234567890", k,
	    "t.farm:1:3: error: malformed number '64M' (write plain decimal "
	    "digits)\n"
	    "t.farm:1:7: error: number '123456789012345678901234567890' is "
	    "too large\n", &t);
	assert_false(t.v[0].bad);
	assert_true(t.v[1].bad);
	assert_true(t.v[2].bad);
	farm_tokens_dispose(&t);
}

static void
test_bad_bytes(void **state)
{
	static const enum farm_tok k[] = { FT_IDENT, FT_IDENT, FT_EOF };
	struct farm_tokens	t;
	const char		src[] = "a $ \x01 - b";

	lex_expect(src, k,
	    "t.farm:1:3: error: unexpected character '$'\n"
	    "t.farm:1:5: error: unexpected byte 0x01\n"
	    "t.farm:1:7: error: unexpected character '-'\n", &t);
	farm_tokens_dispose(&t);
}

static void
test_non_ascii_name(void **state)
{
	static const enum farm_tok k[] = { FT_IDENT, FT_EQ, FT_EOF };
	struct farm_tokens	t;

	lex_expect("caf\xc3\xa9 =", k, "t.farm:1:1: error: non-ASCII "
	    "character in name 'caf\xc3\xa9' (names are ASCII letters, "
	    "digits and '_')\n", &t);
	assert_int_equal(t.v[1].loc.col, 7);
	farm_tokens_dispose(&t);
}

static void
test_nul_in_source(void **state)
{
	struct farm_diags	d;
	struct farm_tokens	t;
	const char		src[] = { 'a', '\0', 'b' };

	farm_diags_init(&d);
	farm_lex("t.farm", src, sizeof src, &t, &d);
	assert_int_equal(t.n, 3);
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].msg, "unexpected byte 0x00");
	farm_tokens_dispose(&t);
	farm_diags_dispose(&d);
}

static void
test_describe(void **state)
{
	struct farm_diags	d;
	struct farm_tokens	t;
	char			buf[128];

	farm_diags_init(&d);
	farm_lex("t.farm", "x \"s\" 7\n", 8, &t, &d);
	assert_string_equal(farm_tok_describe(&t.v[0], buf, sizeof buf),
	    "'x'");
	assert_string_equal(farm_tok_describe(&t.v[1], buf, sizeof buf),
	    "string \"s\"");
	assert_string_equal(farm_tok_describe(&t.v[2], buf, sizeof buf),
	    "number 7");
	assert_string_equal(farm_tok_describe(&t.v[3], buf, sizeof buf),
	    "end of line");
	assert_string_equal(farm_tok_describe(&t.v[4], buf, sizeof buf),
	    "end of file");
	farm_tokens_dispose(&t);
	farm_diags_dispose(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_punctuation),
		cmocka_unit_test(test_newlines_comments),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_string_errors),
		cmocka_unit_test(test_string_wrapped),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_non_ascii_name),
		cmocka_unit_test(test_nul_in_source),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
