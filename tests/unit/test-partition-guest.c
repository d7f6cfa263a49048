/*
 * test-partition-guest.c: one partition's channel (toolstack/daemon/
 * edge/partition.c) seen from the guest's side: calls to its imports,
 * their limit, pings, and a partition that dies and is restarted.  The
 * world is partition-fixture.c.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "chan.h"
#include "daemon/daemon.h"
#include "partition-fixture.h"

/* ---- calls the guest makes to its imports ------------------------------ */

static void
test_guest_import_calls(void **state)
{
	struct fx	*x = part_open(0, 0, false, true);
	struct guest	*g = &x->g;

	guest_call_answered(g, BALTIC_MSG_CALL, 1, "Clock", "Now", "");
	assert_int_equal(g->result_status, BALTIC_OK);
	assert_string_equal(g->result, "42");
	assert_int_equal(leaf.sent, 1);

	/* Refused, without reaching the leaf or closing the channel. */
	guest_call_answered(g, BALTIC_MSG_CALL, 2, "Clock", "Nope", "");
	assert_int_equal(g->result_status, BALTIC_E_NOOP);
	assert_string_equal(g->result, "Clock has no operation Nope");
	guest_call_answered(g, BALTIC_MSG_CALL, 3, "Clock", "Set", "x");
	assert_int_equal(g->result_status, BALTIC_E_ARG);
	guest_call_answered(g, BALTIC_MSG_CALL, 4, "Clock", "Now", "1");
	assert_int_equal(g->result_status, BALTIC_E_ARG);
	guest_call_answered(g, BALTIC_MSG_CALL_AGAIN, 5, "Clock", "Set", "5");
	assert_int_equal(g->result_status, BALTIC_E_UNAVAILABLE);
	assert_non_null(strstr(g->result, "not idempotent"));
	assert_int_equal(leaf.sent, 1);

	/* CALL_AGAIN of an idempotent operation is carried out. */
	guest_call_answered(g, BALTIC_MSG_CALL_AGAIN, 6, "Clock", "Now", "");
	assert_int_equal(g->result_status, BALTIC_OK);
	assert_int_equal(leaf.sent, 2);

	/* The guest cancels a call in flight: nobody answers it. */
	leaf.hold = true;
	guest_call(g, BALTIC_MSG_CALL, 7, "Clock", "Now", "");
	RUN_UNTIL(leaf.nheld == 1);
	chan_send(g->c, BALTIC_MSG_CANCEL, 7, NULL, 0);
	guest_sync(g);
	assert_int_equal(leaf.cancelled, 1);
	assert_int_equal(leaf.nheld, 0);
	assert_int_equal(x->p->gcalls.n, 0);
	/* A CANCEL of an id not in flight is harmless. */
	chan_send(g->c, BALTIC_MSG_CANCEL, 99, NULL, 0);
	guest_sync(g);
	assert_int_equal(g->results, 6);
	assert_int_equal(x->p->state, PART_READY);
	assert_false(g->closed);
}

/* At most 64 guest calls in flight; the 65th is refused, not queued. */
static void
test_guest_call_limit(void **state)
{
	struct fx	*x = part_open(0, 0, false, true);
	struct guest	*g = &x->g;
	uint32_t	 id;

	leaf.hold = true;
	for (id = 1; id <= 65; id++)
		guest_call(g, BALTIC_MSG_CALL, id, "Clock", "Now", "");
	RUN_UNTIL(g->results == 1);
	assert_int_equal(g->result_id, 65);
	assert_int_equal(g->result_status, BALTIC_E_OVERLOAD);
	assert_int_equal(leaf.nheld, 64);
	assert_int_equal(x->p->gcalls.n, 64);

	while (leaf.nheld > 0)
		req_finish(leaf.held[--leaf.nheld], BALTIC_OK, "7", 1);
	RUN_UNTIL(g->results == 65);
	assert_int_equal(g->result_status, BALTIC_OK);
	assert_string_equal(g->result, "7");
	assert_int_equal(x->p->gcalls.n, 0);
}

/* ---- health ----------------------------------------------------------- */

/* One period of pings: every slice once, so each partition once. */
static void
ping_period(void)
{
	int	i;

	for (i = 0; i < BALTIC_PING_SLICES; i++)
		part_ping_all(&d);
}

static void
ping_answered(struct fx *x)
{
	unsigned	n = x->g.pings;

	ping_period();
	RUN_UNTIL(x->g.pings == n + 1);
	guest_sync(&x->g);		/* its PONG read */
}

static void
test_pings(void **state)
{
	struct fx	*x = part_open(0, 0, false, true);
	struct answer	*a = &ans[0];
	int		 i;

	/* A guest that answers stays ready, however many pings. */
	for (i = 0; i < 2 * BALTIC_PING_MISSES; i++)
		ping_answered(x);
	assert_int_equal(x->p->ping_missed, 0);
	assert_int_equal(x->p->state, PART_READY);

	/* One that does not is taken out of rotation. */
	x->g.answer_pings = false;
	for (i = 0; i < BALTIC_PING_MISSES; i++)
		ping_period();
	assert_int_equal(x->p->state, PART_READY);
	ping_period();
	assert_int_equal(x->p->state, PART_UNHEALTHY);
	assert_false(node_live(&x->node));
	call(x, a, "Get", "k", 0);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->status, BALTIC_E_UNAVAILABLE);
	assert_non_null(strstr(a->text, "unhealthy: missed 4 pings"));

	/* A PONG to an older ping does not bring it back; to the last
	 * one does. */
	RUN_UNTIL(x->g.pings == 2 * BALTIC_PING_MISSES + BALTIC_PING_MISSES
	    + 1);
	x->g.ping_nonce ^= 1;
	chan_send(x->g.c, BALTIC_MSG_PONG, 0, &x->g.ping_nonce, 8);
	guest_sync(&x->g);
	assert_int_equal(x->p->state, PART_UNHEALTHY);
	x->g.ping_nonce ^= 1;
	chan_send(x->g.c, BALTIC_MSG_PONG, 0, &x->g.ping_nonce, 8);
	guest_sync(&x->g);
	assert_int_equal(x->p->state, PART_READY);
	assert_int_equal(x->p->ping_missed, 0);
	assert_true(node_live(&x->node));
}

/* A partition that answered a call since its last ping tick is not
 * pinged then; at the next tick without an answer it is again. */
static void
test_ping_skipped_when_answered(void **state)
{
	struct fx	*x = part_open(0, 0, false, true);
	unsigned	 n;

	ping_answered(x);
	call(x, &ans[0], "Get", "k", 0);
	RUN_UNTIL(x->g.calls == 1);
	assert_int_equal(chan_send_result(x->g.c, x->g.call_id, BALTIC_OK,
	    "v", 1), 0);
	RUN_UNTIL(ans[0].n == 1);
	n = x->g.pings;
	ping_period();
	guest_sync(&x->g);
	assert_int_equal(x->g.pings, n);
	assert_int_equal(x->p->ping_missed, 0);
	ping_answered(x);
	assert_int_equal(x->g.pings, n + 1);
	assert_int_equal(x->p->state, PART_READY);
}

/* The backend saw it die: calls fail, the role's on_crash restarts it. */
static void
test_died_restarts(void **state)
{
	struct fx	*x = part_open(0, 0, false, true);

	call(x, &ans[0], "Get", "k", 0);
	RUN_UNTIL(x->g.calls == 1);
	part_died(x->p, "killed");
	assert_int_equal(ans[0].n, 1);
	assert_int_equal(ans[0].status, BALTIC_E_UNAVAILABLE);
	assert_int_equal(x->p->state, PART_DEAD);
	assert_null(x->p->chan);
	assert_int_equal(rec.gone, 1);
	assert_string_equal(rec.why, "killed");
	RUN_UNTIL(x->g.closed);
	RUN_UNTIL(rec.creates == 1);
	assert_int_equal(x->p->state, PART_STARTING);
	assert_int_equal(x->p->restarts, 1);
	assert_int_equal(rec.saves, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_guest_import_calls),
		TEST(test_guest_call_limit),
		TEST(test_pings),
		TEST(test_ping_skipped_when_answered),
		TEST(test_died_restarts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
