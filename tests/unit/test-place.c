/*
 * test-place.c: place(), which host runs each instance: spread by free
 * memory, pins by host name and by label, pinned items first, items that
 * stay where they run, failures and their messages, the same answer
 * whatever the order of the hosts, ties by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/place.h"

#define NITEMS_MAX	8

static const char *const ssd[] = { "ssd" };
static const char *const ssd_gpu[] = { "ssd", "gpu" };
static const char *const gpu_ssd[] = { "gpu", "ssd" };

/* Place, expect success, and compare each item's host with want[]. */
static void
expect_hosts(const struct place_host *hosts, size_t nhosts,
    const struct place_item *items, size_t nitems, const char *const *want)
{
	const char	*got[NITEMS_MAX];
	char		*err = NULL;
	size_t		 i;

	assert_true(nitems <= NITEMS_MAX);
	if (place(hosts, nhosts, items, nitems, got, &err) != 0)
		fail_msg("place: %s", err != NULL ? err : "(no message)");
	assert_null(err);
	for (i = 0; i < nitems; i++) {
		assert_non_null(got[i]);
		if (strcmp(got[i], want[i]) != 0)
			fail_msg("item %zu (%s): on %s, expected %s", i,
			    items[i].name, got[i], want[i]);
	}
}

/* Place, expect failure with exactly msg. */
static void
expect_error(const struct place_host *hosts, size_t nhosts,
    const struct place_item *items, size_t nitems, const char *msg)
{
	const char	*got[NITEMS_MAX];
	char		*err = NULL;

	assert_true(nitems <= NITEMS_MAX);
	assert_int_equal(place(hosts, nhosts, items, nitems, got, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, msg);
	free(err);
}

/* Unpinned items go, one by one, to the host with the most free memory
 * left: the first takes from b, which then has less than c. */
static void
test_spread(void **state)
{
	static const struct place_host hosts[] = {
		{ "a", NULL, 0, 1000 },
		{ "b", NULL, 0, 2000 },
		{ "c", NULL, 0, 1500 },
	};
	static const struct place_item items[] = {
		{ "f-w-1", NULL, 600, NULL },
		{ "f-w-2", NULL, 600, NULL },
		{ "f-w-3", NULL, 600, NULL },
		{ "f-w-4", NULL, 600, NULL },
		{ "f-w-5", NULL, 0, NULL },
	};
	static const char *const want[] = { "b", "c", "b", "a", "c" };

	(void)state;
	expect_hosts(hosts, 3, items, 5, want);
	/* Nothing to place is no error, with no host either. */
	expect_hosts(hosts, 0, items, 0, want);
}

/* A pin matches a host's name or any of its labels, and takes the
 * roomiest of the hosts it matches, not the roomiest host. */
static void
test_pins(void **state)
{
	static const struct place_host hosts[] = {
		{ "xen-a", ssd, 1, 1000 },
		{ "xen-b", ssd_gpu, 2, 800 },
		{ "xen-c", NULL, 0, 4000 },
	};
	static const struct place_item items[] = {
		{ "f-a", "xen-a", 100, NULL },
		{ "f-g", "gpu", 100, NULL },
		{ "f-s-1", "ssd", 100, NULL },
		{ "f-s-2", "ssd", 200, NULL },
		{ "f-s-3", "ssd", 100, NULL },
		{ "f-x", "xen-c", 100, NULL },
	};
	/* After f-a and f-g: xen-a 900, xen-b 700; after f-s-1 and f-s-2,
	 * xen-a 600. */
	static const char *const want[] = { "xen-a", "xen-b", "xen-a",
	    "xen-a", "xen-b", "xen-c" };

	(void)state;
	expect_hosts(hosts, 3, items, 6, want);
}

/* All pinned items are placed before any unpinned one, whatever their
 * order: else the unpinned would take the room the pinned one needs. */
static void
test_pinned_first(void **state)
{
	static const struct place_host hosts[] = {
		{ "a", NULL, 0, 600 },
		{ "b", NULL, 0, 550 },
	};
	static const struct place_item items[] = {
		{ "f-u", NULL, 500, NULL },
		{ "f-p", "a", 500, NULL },
	};
	static const char *const want[] = { "b", "a" };

	(void)state;
	expect_hosts(hosts, 2, items, 2, want);
}

/* An item that runs on a live host matching its pin stays, even on a
 * host with little free memory left (its own memory is counted there
 * already); one whose pin moved, or whose host died, is placed anew. */
static void
test_sticky(void **state)
{
	static const struct place_host hosts[] = {
		{ "a", ssd, 1, 50 },
		{ "b", NULL, 0, 1000 },
		{ "c", NULL, 0, 900 },
	};
	static const struct place_item items[] = {
		{ "f-stay", NULL, 500, "a" },
		{ "f-stay-label", "ssd", 500, "a" },
		{ "f-moved", "c", 100, "a" },
		{ "f-dead", NULL, 100, "gone" },
		{ "f-new", NULL, 100, NULL },
		{ "f-small", NULL, 50, NULL },
	};
	/* a gives nothing back for f-moved: after it, c 800, b 1000; f-dead
	 * takes b (900), f-new b (800), then the tie goes to b by name. */
	static const char *const want[] = { "a", "a", "c", "b", "b", "b" };

	(void)state;
	expect_hosts(hosts, 3, items, 6, want);
}

/* Each failure names the item and why; a host listed twice, a negative
 * memory are refused. */
static void
test_failures(void **state)
{
	static const struct place_host hosts[] = {
		{ "xen-a", ssd, 1, 300 },
		{ "xen-b", NULL, 0, 200 },
	};
	static const struct place_host twice[] = {
		{ "xen-a", NULL, 0, 300 },
		{ "xen-b", NULL, 0, 300 },
		{ "xen-a", NULL, 0, 100 },
	};
	struct place_item	it[2] = {
		{ "f-s-1", NULL, 250, NULL },
		{ "f-s-3", "xen-c", 512, NULL },
	};

	(void)state;
	expect_error(hosts, 2, it, 2, "no live host matches \"xen-c\" for "
	    "f-s-3");
	it[1].on = NULL;
	expect_error(hosts, 2, it, 2, "no host has 512 MiB free for f-s-3 "
	    "(the most is 200 MiB, on xen-b)");
	it[1].on = "ssd";
	it[1].mem_mb = 400;
	expect_error(hosts, 2, it, 2, "no host matching \"ssd\" has 400 MiB "
	    "free for f-s-3 (the most is 300 MiB, on xen-a)");
	expect_error(hosts, 0, it, 1, "no live host for f-s-1");
	expect_error(twice, 3, it, 1, "host \"xen-a\" is listed twice");
	it[0].mem_mb = -1;
	expect_error(hosts, 2, it, 1, "memory of f-s-1 is negative (-1 MiB)");
}

/* Equal free memory: the host whose name sorts first, so every balticd
 * picks the same one. */
static void
test_ties(void **state)
{
	static const struct place_host hosts[] = {
		{ "b", NULL, 0, 1000 },
		{ "c", NULL, 0, 1000 },
		{ "a", NULL, 0, 1000 },
	};
	static const struct place_item items[] = {
		{ "f-w-1", NULL, 100, NULL },
		{ "f-w-2", NULL, 100, NULL },
		{ "f-w-3", NULL, 100, NULL },
		{ "f-w-4", NULL, 100, NULL },
	};
	static const char *const want[] = { "a", "b", "c", "a" };

	(void)state;
	expect_hosts(hosts, 3, items, 4, want);
}

/* Every order of the hosts, and of a host's labels, gives the same
 * placement: there are ties, pins and items that stay. */
static void
test_deterministic(void **state)
{
	static const struct place_host base[] = {
		{ "xen-a", ssd_gpu, 2, 1000 },
		{ "xen-b", gpu_ssd, 2, 1000 },
		{ "xen-c", NULL, 0, 1000 },
		{ "xen-d", ssd, 1, 700 },
	};
	static const struct place_item items[] = {
		{ "f-1", NULL, 100, NULL },
		{ "f-2", "ssd", 300, NULL },
		{ "f-3", "gpu", 100, "xen-b" },
		{ "f-4", NULL, 200, "xen-d" },
		{ "f-5", "ssd", 100, NULL },
		{ "f-6", NULL, 100, NULL },
	};
	/* f-3 and f-4 stay; f-2 takes xen-a on the tie, f-5 xen-b; f-1
	 * xen-c, the roomiest; f-6 xen-b on the tie with xen-c. */
	static const char *const want[] = { "xen-c", "xen-a", "xen-b",
	    "xen-d", "xen-b", "xen-b" };
	static const size_t perms[][4] = {
		{ 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 1, 0, 3, 2 },
		{ 2, 3, 0, 1 }, { 1, 3, 0, 2 }, { 3, 0, 2, 1 },
	};
	struct place_host	hosts[4];
	size_t			p, k;

	(void)state;
	for (p = 0; p < sizeof perms / sizeof perms[0]; p++) {
		for (k = 0; k < 4; k++) {
			hosts[k] = base[perms[p][k]];
			/* The same labels, the other way round. */
			if (p % 2 == 1 && hosts[k].labels == ssd_gpu)
				hosts[k].labels = gpu_ssd;
			else if (p % 2 == 1 && hosts[k].labels == gpu_ssd)
				hosts[k].labels = ssd_gpu;
		}
		expect_hosts(hosts, 4, items, 6, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_pinned_first),
		cmocka_unit_test(test_sticky),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
