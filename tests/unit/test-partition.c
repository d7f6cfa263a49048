/*
 * test-partition.c: one partition's channel (toolstack/daemon/edge/
 * partition.c) seen from dom0's calls: CALLs and their RESULTs, calls
 * waiting for the channel, cancelled and unknown ids, and a guest that
 * breaks the protocol.  The world is partition-fixture.c.
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

/* ---- calls dom0 makes ------------------------------------------------- */

/* CONFIG first; a routed call reaches the guest; its RESULT answers. */
static void
test_call_answered(void **state)
{
	struct fx	*x = part_open(0, 0, false, true);

	assert_string_equal(x->g.config, "role R\ninstance t-a\n"
	    "export Store Get Count\nimport Clock Now Set\n");
	assert_true(node_live(&x->node));
	call(x, &ans[0], "Get", "k1", 0);
	RUN_UNTIL(x->g.calls == 1);
	assert_string_equal(x->g.iface, "Store");
	assert_string_equal(x->g.op, "Get");
	assert_string_equal(x->g.arg, "k1");
	assert_true(x->g.deadline_ms > 0 && x->g.deadline_ms <= 5000);
	assert_int_equal(x->p->pend.n, 1);
	assert_int_equal(ans[0].n, 0);

	assert_int_equal(chan_send_result(x->g.c, x->g.call_id, BALTIC_OK,
	    "v1", 2), 0);
	RUN_UNTIL(ans[0].n == 1);
	assert_int_equal(ans[0].status, BALTIC_OK);
	assert_string_equal(ans[0].text, "v1");
	assert_int_equal(x->p->calls_served, 1);
	assert_int_equal(x->p->pend.n, 0);
	assert_int_equal(x->node.outstanding, 0);
}

/* A guest's error keeps its status; its text is made printable; a
 * result of the wrong type is refused. */
static void
test_call_errors(void **state)
{
	struct fx	*x = part_open(0, 0, false, true);

	call(x, &ans[0], "Get", "k", 0);
	RUN_UNTIL(x->g.calls == 1);
	chan_send_result(x->g.c, x->g.call_id, BALTIC_E_HANDLER, "no\nkey",
	    6);
	RUN_UNTIL(ans[0].n == 1);
	assert_int_equal(ans[0].status, BALTIC_E_HANDLER);
	assert_non_null(strstr(ans[0].text, "t-a: "));
	assert_non_null(strstr(ans[0].text, "no?key"));

	call(x, &ans[1], "Count", "", 0);
	RUN_UNTIL(x->g.calls == 2);
	assert_string_equal(x->g.op, "Count");
	chan_send_result(x->g.c, x->g.call_id, BALTIC_OK, "abc", 3);
	RUN_UNTIL(ans[1].n == 1);
	assert_int_equal(ans[1].status, BALTIC_E_BADRESULT);
	assert_int_equal(x->p->calls_failed, 2);
	assert_int_equal(x->p->state, PART_READY);
}

/* A partition whose agent runs holds calls until its channel is up. */
static void
test_call_waits_for_channel(void **state)
{
	struct fx	*x = part_open(0, 0, true, false);
	struct req	*r;

	assert_true(part_coming(x->p));
	call(x, &ans[0], "Get", "early", 0);
	r = req_new(&f, &x->node, &store, &store_ops[0], "gone", 4, 0,
	    answer_cb, &ans[1]);
	req_start(r);
	assert_int_equal(x->p->nwaiting, 2);
	req_cancel(r);		/* leaves the queue, nobody told */
	assert_int_equal(x->p->nwaiting, 1);

	RUN_UNTIL(x->g.calls == 1);
	assert_int_equal(x->p->nwaiting, 0);
	assert_string_equal(x->g.arg, "early");
	chan_send_result(x->g.c, x->g.call_id, BALTIC_OK, "ok", 2);
	RUN_UNTIL(ans[0].n == 1);
	assert_int_equal(ans[0].status, BALTIC_OK);
	guest_sync(&x->g);
	assert_int_equal(x->g.calls, 1);
	assert_int_equal(ans[1].n, 0);
}

/* The deadline cancels the call; the guest's late RESULT is ignored. */
static void
test_cancelled_result_ignored(void **state)
{
	struct fx	*x = part_open(0, 0, false, true);

	call(x, &ans[0], "Get", "slow", 50);
	RUN_UNTIL(x->g.calls == 1);
	RUN_UNTIL(x->g.cancels == 1);
	assert_int_equal(x->g.cancel_id, x->g.call_id);
	assert_int_equal(ans[0].n, 1);
	assert_int_equal(ans[0].status, BALTIC_E_TIMEOUT);
	assert_int_equal(x->p->cancelled.n, 1);

	chan_send_result(x->g.c, x->g.call_id, BALTIC_OK, "late", 4);
	guest_sync(&x->g);
	assert_int_equal(ans[0].n, 1);
	assert_int_equal(ans[0].status, BALTIC_E_TIMEOUT);
	assert_int_equal(x->p->calls_served, 0);
	assert_int_equal(x->p->cancelled.n, 0);	/* excused once */
	assert_int_equal(x->p->state, PART_READY);
	assert_false(x->g.closed);
}

/*
 * RESULT_LATE for an id nobody waits for is dropped; for an adopted
 * call it goes to adopt_result.  A RESULT for an id never sent breaks
 * the protocol: the channel closes and the call in flight fails; the
 * RESULT answers nothing.
 */
static void
test_result_unknown_id(void **state)
{
	struct fx	*x = part_open(0, 0, false, true);
	uint32_t	 id;
	int		 adopted_val;

	call(x, &ans[0], "Get", "k", 0);
	RUN_UNTIL(x->g.calls == 1);
	id = x->g.call_id;

	chan_send_result_as(x->g.c, BALTIC_MSG_RESULT_LATE, id + 1000,
	    BALTIC_OK, "x", 1);
	guest_sync(&x->g);
	assert_int_equal(rec.results, 0);
	assert_int_equal(ans[0].n, 0);

	assert_int_equal(idmap_put(&x->p->adopted, id + 2000, &adopted_val),
	    0);
	chan_send_result_as(x->g.c, BALTIC_MSG_RESULT_LATE, id + 2000,
	    BALTIC_E_HANDLER, "adopted", 7);
	guest_sync(&x->g);
	idmap_del(&x->p->adopted, id + 2000);
	assert_int_equal(rec.results, 1);
	assert_int_equal(rec.id, id + 2000);
	assert_int_equal(rec.status, BALTIC_E_HANDLER);
	assert_string_equal(rec.payload, "adopted");
	assert_int_equal(ans[0].n, 0);

	chan_send_result(x->g.c, id + 1, BALTIC_OK, "stray", 5);
	RUN_UNTIL(x->p->chan == NULL);
	assert_int_equal(ans[0].n, 1);
	assert_int_equal(ans[0].status, BALTIC_E_UNAVAILABLE);
	assert_non_null(strstr(ans[0].text, "RESULT for a call never sent"));
	assert_null(strstr(ans[0].text, "stray"));
	assert_int_equal(x->p->state, PART_STARTING);
	RUN_UNTIL(x->g.closed);
}

/* ---- a guest that breaks the protocol ---------------------------------- */

/*
 * A bad frame closes that partition's channel only: its calls in flight
 * (and the guest's own calls) end, it takes no more; the other
 * partition goes on.
 */
static void
test_bad_frame_closes_this_channel(void **state)
{
	struct fx	*a = part_open(0, 0, false, true);
	struct fx	*b = part_open(1, 0, false, true);
	uint8_t		 frame[BALTIC_HDR_LEN + 2] = { 0 };

	call(a, &ans[0], "Get", "a", 0);
	call(b, &ans[1], "Get", "b", 0);
	RUN_UNTIL(a->g.calls == 1 && b->g.calls == 1);
	leaf.hold = true;
	guest_call(&a->g, BALTIC_MSG_CALL, 5, "Clock", "Now", "");
	RUN_UNTIL(leaf.nheld == 1);

	/* A RESULT of 2 bytes: shorter than its status. */
	proto_encode_hdr(frame, BALTIC_MSG_RESULT, 2, a->g.call_id);
	raw_write(&a->g, frame, sizeof frame);
	RUN_UNTIL(ans[0].n == 1);
	assert_int_equal(ans[0].status, BALTIC_E_UNAVAILABLE);
	assert_non_null(strstr(ans[0].text,
	    "body length wrong for the message type"));
	assert_null(a->p->chan);
	assert_int_equal(a->p->state, PART_STARTING);
	assert_false(node_live(&a->node));
	assert_non_null(strstr(a->p->why, "channel closed"));
	assert_int_equal(leaf.cancelled, 1);
	assert_int_equal(a->p->gcalls.n, 0);
	RUN_UNTIL(a->g.closed);

	/* Calls to it now fail at once, saying why. */
	call(a, &ans[2], "Get", "again", 0);
	assert_int_equal(ans[2].n, 1);
	assert_int_equal(ans[2].status, BALTIC_E_UNAVAILABLE);
	assert_non_null(strstr(ans[2].text, "not ready (starting: channel "
	    "closed: body length wrong"));

	/* The other partition is untouched. */
	assert_int_equal(b->p->state, PART_READY);
	assert_int_equal(ans[1].n, 0);
	chan_send_result(b->g.c, b->g.call_id, BALTIC_OK, "fine", 4);
	RUN_UNTIL(ans[1].n == 1);
	assert_int_equal(ans[1].status, BALTIC_OK);
	assert_string_equal(ans[1].text, "fine");
	assert_false(b->g.closed);
}

enum bad_kind {
	BAD_UNKNOWN_TYPE,	/* raw */
	BAD_NAME,		/* raw CALL, iface "a-b" */
	BAD_STATUS,		/* caught by the RESULT parser */
	BAD_CALL_ID_ZERO,
	BAD_CALL_ID_IN_USE,
	BAD_NOT_IMPORTED,
	BAD_CONFIG,		/* dom0->guest only */
	BAD_V2_ON_V1,		/* raw guest of version 1 */
};

static const struct bad_case {
	enum bad_kind	 kind;
	const char	*why;
} bad_cases[] = {
	{ BAD_UNKNOWN_TYPE,	"unknown message type" },
	{ BAD_NAME,		"CALL interface or operation name is "
				    "invalid" },
	{ BAD_STATUS,		"RESULT status unknown" },
	{ BAD_CALL_ID_ZERO,	"CALL with a call id already in use" },
	{ BAD_CALL_ID_IN_USE,	"CALL with a call id already in use" },
	{ BAD_NOT_IMPORTED,	"CALL to an interface not imported" },
	{ BAD_CONFIG,		"unexpected message type from the guest" },
	{ BAD_V2_ON_V1,		"version 2 message on a version 1 "
				    "channel" },
};

static void
send_bad(struct fx *x, enum bad_kind kind)
{
	uint8_t	buf[BALTIC_HDR_LEN + BALTIC_RESULT_LEN + 32] = { 0 };

	switch (kind) {
	case BAD_UNKNOWN_TYPE:
		proto_encode_hdr(buf, 0x0777, 0, 0);
		raw_write(&x->g, buf, BALTIC_HDR_LEN);
		break;
	case BAD_NAME:
		proto_encode_hdr(buf, BALTIC_MSG_CALL, BALTIC_CALL_LEN + 6, 9);
		proto_encode_le32(buf + BALTIC_HDR_LEN, 3u | (3u << 16));
		memcpy(buf + BALTIC_HDR_LEN + BALTIC_CALL_LEN, "a-bNow", 6);
		raw_write(&x->g, buf, BALTIC_HDR_LEN + BALTIC_CALL_LEN + 6);
		break;
	case BAD_STATUS:
		call(x, &ans[0], "Get", "k", 0);
		RUN_UNTIL(x->g.calls == 1);
		chan_send_result(x->g.c, x->g.call_id, BALTIC_STATUS_MAX + 1,
		    "", 0);
		break;
	case BAD_CALL_ID_ZERO:
		guest_call(&x->g, BALTIC_MSG_CALL, 0, "Clock", "Now", "");
		break;
	case BAD_CALL_ID_IN_USE:
		leaf.hold = true;
		guest_call(&x->g, BALTIC_MSG_CALL, 3, "Clock", "Now", "");
		guest_call(&x->g, BALTIC_MSG_CALL, 3, "Clock", "Now", "");
		break;
	case BAD_NOT_IMPORTED:
		guest_call(&x->g, BALTIC_MSG_CALL, 4, "Store", "Get", "k");
		break;
	case BAD_CONFIG:
		chan_send(x->g.c, BALTIC_MSG_CONFIG, 0, "role X\n", 7);
		break;
	case BAD_V2_ON_V1:
		proto_encode_hdr(buf, BALTIC_MSG_RESULT_LATE,
		    BALTIC_RESULT_LEN, 1);
		raw_write(&x->g, buf, BALTIC_HDR_LEN + BALTIC_RESULT_LEN);
		break;
	}
}

/* Each violation closes the channel, with a reason. */
static void
test_bad_frames(void **state)
{
	size_t	i;

	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case	*bc = &bad_cases[i];
		struct fx		*x;

		print_message("bad frame case %zu\n", i);
		x = part_open(0, bc->kind == BAD_V2_ON_V1 ? 1 : 0, false,
		    true);
		if (bc->kind == BAD_V2_ON_V1)
			assert_int_equal(chan_version(x->p->chan), 1);
		send_bad(x, bc->kind);
		RUN_UNTIL(x->p->chan == NULL);
		assert_int_equal(x->p->state, PART_STARTING);
		assert_non_null(strstr(x->p->why, bc->why));
		assert_int_equal(x->p->gcalls.n, 0);
		assert_int_equal(leaf.nheld, 0);
		if (bc->kind == BAD_STATUS) {
			assert_int_equal(ans[0].n, 1);
			assert_int_equal(ans[0].status, BALTIC_E_UNAVAILABLE);
		}
		part_close(x);
		leaf.hold = false;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_call_answered),
		TEST(test_call_errors),
		TEST(test_call_waits_for_channel),
		TEST(test_cancelled_result_ignored),
		TEST(test_result_unknown_id),
		TEST(test_bad_frame_closes_this_channel),
		TEST(test_bad_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
