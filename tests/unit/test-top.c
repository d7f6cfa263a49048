/*
 * test-top.c: `baltic top`'s arithmetic and lines (cli/top-rows.c): the
 * percentiles interpolated in a latency bucket, rates against the
 * sample before, rows of a farm read from a stats answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/top.h"

/* A stats answer: one farm, an or of two partitions; calls and the
 * bucket of 1-2 ms as given. */
static yajl_val
answer(unsigned long long uptime_us, unsigned calls, unsigned slow)
{
	char	 buf[2048], err[128];
	yajl_val v;

	snprintf(buf, sizeof buf, "{\"ok\": true, \"uptime_us\": %llu, "
	    "\"bounds_us\": [1000, 2000, 4000], \"farms\": [{\"name\": \"f\", "
	    "\"backend\": \"local\", \"export_calls\": {\"calls\": %u, "
	    "\"outstanding\": 1, \"errors_by_kind\": {\"handler\": 2, "
	    "\"timeout\": 1}, \"buckets\": [0, %u, 0, %u]}, \"guest_calls\": "
	    "{\"calls\": 7}, \"exports\": [], \"bindings\": [{\"name\": \"s\", "
	    "\"kind\": \"or\", \"calls\": %u, \"branches\": [{\"name\": "
	    "\"f-a\", \"calls\": 3, \"passed\": 1}, {\"name\": \"f-b\", "
	    "\"calls\": 4, \"passed\": 0}]}], \"partitions\": [{\"name\": "
	    "\"f-a\", \"state\": \"ready\", \"role\": \"R\", \"pid\": 42, "
	    "\"domid\": -1, \"calls\": 3, \"cpu_ns\": %llu, \"memory_kb\": "
	    "2048}]}]}", uptime_us, calls, calls - slow, slow, calls,
	    uptime_us * 500 / 2);	/* a quarter of a CPU */
	v = yajl_tree_parse(buf, err, sizeof err);
	assert_non_null(v);
	return v;
}

static void
test_quantile(void **state)
{
	struct top_sample	s = { .bounds_us = { 1000, 2000, 4000 },
				      .nbuckets = 4 };
	uint64_t		d[4] = { 0, 10, 0, 0 };
	uint64_t		none[4] = { 0, 0, 0, 0 };
	uint64_t		inf[4] = { 0, 0, 0, 3 };

	assert_true(top_quantile_ms(&s, d, 0.5) > 1.49 &&
	    top_quantile_ms(&s, d, 0.5) < 1.51);
	assert_true(top_quantile_ms(&s, d, 0.99) > 1.98 &&
	    top_quantile_ms(&s, d, 0.99) < 2.0);
	assert_true(top_quantile_ms(&s, none, 0.5) < 0);
	/* over the last bound: the last bound is all that is known */
	assert_true(top_quantile_ms(&s, inf, 0.5) > 3.99 &&
	    top_quantile_ms(&s, inf, 0.5) < 4.01);
}

struct lines {
	char	text[8][1024];
	int	n;
};

static void
collect(void *arg, const char *line)
{
	struct lines	*l = arg;

	if (l->n < 8)
		snprintf(l->text[l->n++], sizeof l->text[0], "%s", line);
}

static void
test_rows_and_frame(void **state)
{
	struct top_sample	 a, b;
	struct lines		 l;
	yajl_val		 v1 = answer(2000000, 10, 0);
	yajl_val		 v2 = answer(4000000, 30, 20);

	assert_int_equal(top_sample_read(&a, v1), 0);
	assert_int_equal(top_sample_read(&b, v2), 0);
	assert_int_equal(b.nrows, 3);		/* farm, or, partition */
	assert_int_equal(b.nbuckets, 4);
	assert_string_equal(b.rows[1].detail,
	    "calls: f-a 3, f-b 4; passed on 1");
	assert_int_equal(b.rows[0].errors, 3);
	memset(&l, 0, sizeof l);
	top_frame(&b, &a, 200, collect, &l);
	assert_int_equal(l.n, 5);
	assert_non_null(strstr(l.text[0], "1 farm, 1 partition;"));
	assert_non_null(strstr(l.text[0], "rates over 2.0 s"));
	/* 20 calls in 2 s, all over the last bound: p50 at 4 ms */
	assert_non_null(strstr(l.text[2], "      30     10.0      3    0.0"
	    "    4.00    4.00    1"));
	assert_non_null(strstr(l.text[2], "guests' calls 7"));
	/* a quarter of a CPU, 2048 kB */
	assert_non_null(strstr(l.text[4], " 25.0     2048  R, pid 42"));
	/* narrow: cut at the width */
	memset(&l, 0, sizeof l);
	top_frame(&b, NULL, 20, collect, &l);
	assert_int_equal(strlen(l.text[3]), 20);
	top_sample_dispose(&a);
	top_sample_dispose(&b);
	yajl_tree_free(v1);
	yajl_tree_free(v2);
}

static void
test_not_an_answer(void **state)
{
	struct top_sample	s;
	char			err[64];
	yajl_val		v = yajl_tree_parse("{\"ok\": true}", err,
				    sizeof err);

	assert_int_equal(top_sample_read(&s, v), -1);
	top_sample_dispose(&s);
	yajl_tree_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_rows_and_frame),
		cmocka_unit_test(test_not_an_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
