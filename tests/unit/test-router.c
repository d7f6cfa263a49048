/*
 * test-router.c: the combinators (toolstack/daemon/core/router.c) over
 * leaf nodes whose ops are the fakes below: no partition, no HTTP, no
 * keeper.  A leaf answers a call at once (ok, or unavailable) or holds
 * it until the test answers.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/event.h>

#include "daemon/daemon.h"
#include "daemon/core/hedge.h"

#define LEAVES	100

/* LEAF_ANSWER: answers with status, as if the call reached a guest if
 * reached. */
enum leaf_mode { LEAF_OK, LEAF_FAIL, LEAF_HOLD, LEAF_ANSWER };

static struct leaf {
	struct node	 node;
	bool		 live;
	enum leaf_mode	 mode;
	uint32_t	 status;
	bool		 reached;
	unsigned	 sent, cancelled;
	struct req	*held;
}			 leaves[LEAVES];

static bool
leaf_live(const struct node *n)
{
	return ((const struct leaf *)n)->live;
}

static bool
leaf_coming(const struct node *n)
{
	return false;
}

static void
leaf_send(struct node *n, struct req *r)
{
	struct leaf	*l = (struct leaf *)n;
	char		 name[16];

	l->sent++;
	snprintf(name, sizeof name, "leaf %d", (int)(l - leaves));
	switch (l->mode) {
	case LEAF_OK:
		req_finish(r, BALTIC_OK, name, strlen(name));
		break;
	case LEAF_FAIL:
		req_finishf(r, BALTIC_E_UNAVAILABLE, "%s: down", name);
		break;
	case LEAF_HOLD:
		l->held = r;
		r->reached = l->reached;
		break;
	case LEAF_ANSWER:
		r->reached = l->reached;
		req_finishf(r, l->status, "%s: %s", name,
		    baltic_status_name(l->status));
		break;
	}
}

static void
leaf_cancel(struct node *n, struct req *r)
{
	struct leaf	*l = (struct leaf *)n;

	if (l->held == r) {
		l->held = NULL;
		l->cancelled++;
	}
}

static const struct node_ops leaf_ops = {
	.live = leaf_live,
	.coming = leaf_coming,
	.send = leaf_send,
	.cancel = leaf_cancel,
};

static struct daemon		d;
static struct farm_run		f = { .name = "t", .d = &d };
static struct farm_op		op = { .name = "Op", .result = FARM_T_STRING };
static struct farm_op		idem = { .name = "Get", .result = FARM_T_STRING,
				    .idempotent = true };
static struct farm_iface	iface = { .name = "I", .ops = &op, .nops = 1 };
static struct node		*branches[LEAVES];

struct answer {
	bool		done;
	uint32_t	status;
	char		text[256];
};

static void
answer_cb(struct req *r, uint32_t status, const void *p, size_t len,
    void *arg)
{
	struct answer	*a = arg;

	a->done = true;
	a->status = status;
	snprintf(a->text, sizeof a->text, "%.*s", (int)len, (const char *)p);
}

static struct req *
call_op(struct node *n, struct farm_op *o, struct answer *a,
    unsigned timeout_ms)
{
	struct req	*r;

	memset(a, 0, sizeof *a);
	r = req_new(&f, n, &iface, o, "x", 1, timeout_ms, answer_cb, a);
	assert_non_null(r);
	req_start(r);
	return r;
}

static struct req *
call(struct node *n, struct answer *a, unsigned timeout_ms)
{
	return call_op(n, &op, a, timeout_ms);
}

/* Run the loop until a is answered. */
static void
wait_answer(struct answer *a)
{
	while (!a->done)
		event_base_loop(d.base, EVLOOP_ONCE);
}

/* A combinator node over the first n leaves. */
static void
comb_init(struct node *c, enum node_kind kind, enum farm_policy policy,
    size_t n)
{
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->farm = &f;
	c->u.comb.policy = policy;
	c->u.comb.v = branches;
	c->u.comb.n = n;
	obs_node_init(&c->obs, n);
}

static int
setup(void **state)
{
	size_t	i;

	d.base = event_base_new();
	d.default_timeout_ms = 5000;
	memset(leaves, 0, sizeof leaves);
	for (i = 0; i < LEAVES; i++) {
		leaves[i].node.kind = NODE_VM;
		leaves[i].node.farm = &f;
		leaves[i].node.ops = &leaf_ops;
		leaves[i].live = true;
		branches[i] = &leaves[i].node;
	}
	return 0;
}

static int
teardown(void **state)
{
	event_base_free(d.base);
	return 0;
}

/* An `or` of 100: the call passes over 99 failed branches to the last. */
static void
test_or_failover_past_64(void **state)
{
	struct node	or;
	struct answer	a;
	size_t		i;

	comb_init(&or, NODE_OR, FARM_OR_FAILOVER, LEAVES);
	for (i = 0; i < LEAVES - 1; i++)
		leaves[i].mode = LEAF_FAIL;
	call(&or, &a, 0);
	assert_true(a.done);
	assert_int_equal(a.status, BALTIC_OK);
	assert_string_equal(a.text, "leaf 99");
	for (i = 0; i < LEAVES; i++)
		assert_int_equal(leaves[i].sent, 1);
	assert_int_equal(or.obs.branch_passed[0], 1);
	assert_int_equal(or.obs.branch_passed[LEAVES - 1], 0);
	assert_int_equal(leaves[0].node.obs.c.errors[OBS_E_HANDLER] +
	    leaves[0].node.obs.c.errors[OBS_E_UNAVAILABLE], 1);
	obs_node_dispose(&or.obs);
}

/* Round robin spreads calls over the live branches only. */
static void
test_or_roundrobin_live(void **state)
{
	struct node	or;
	struct answer	a;
	int		i;

	comb_init(&or, NODE_OR, FARM_OR_ROUNDROBIN, 4);
	leaves[2].live = false;
	for (i = 0; i < 6; i++) {
		call(&or, &a, 0);
		assert_int_equal(a.status, BALTIC_OK);
	}
	assert_int_equal(leaves[0].sent, 2);
	assert_int_equal(leaves[1].sent, 2);
	assert_int_equal(leaves[2].sent, 0);
	assert_int_equal(leaves[3].sent, 2);
	/* counted per branch, and at the node */
	assert_int_equal(or.obs.branch_calls[0], 2);
	assert_int_equal(or.obs.branch_calls[2], 0);
	assert_int_equal(or.obs.c.calls, 6);
	assert_int_equal(or.obs.c.ok, 6);
	assert_int_equal(leaves[3].node.obs.c.calls, 2);
	obs_node_dispose(&or.obs);
}

static void
test_or_none_live(void **state)
{
	struct node	or;
	struct answer	a;
	size_t		i;

	comb_init(&or, NODE_OR, FARM_OR_RANDOM, 70);
	for (i = 0; i < 70; i++)
		leaves[i].live = false;
	call(&or, &a, 0);
	assert_true(a.done);
	assert_int_equal(a.status, BALTIC_E_UNAVAILABLE);
	assert_non_null(strstr(a.text, "none of 70 branches is live"));
	obs_node_dispose(&or.obs);
}

/* par: the first answer wins, the branches still out are cancelled. */
static void
test_par_first_wins(void **state)
{
	struct node	par;
	struct answer	a;

	comb_init(&par, NODE_PAR, FARM_OR_RANDOM, 3);
	leaves[0].mode = LEAF_HOLD;
	leaves[1].mode = LEAF_HOLD;
	leaves[2].mode = LEAF_HOLD;
	call(&par, &a, 0);
	assert_false(a.done);
	assert_int_equal(leaves[0].sent + leaves[1].sent + leaves[2].sent, 3);
	req_finish(leaves[1].held, BALTIC_OK, "one", 3);
	assert_true(a.done);
	assert_string_equal(a.text, "one");
	assert_int_equal(leaves[0].cancelled, 1);
	assert_int_equal(leaves[2].cancelled, 1);
	assert_int_equal(par.obs.branch_wins[1], 1);
	assert_int_equal(par.obs.branch_wins[0], 0);
	assert_int_equal(par.obs.cancels, 2);
	assert_int_equal(leaves[0].node.obs.c.cancelled, 1);
	assert_int_equal(obs_in_flight(&leaves[0].node.obs.c), 0);
	obs_node_dispose(&par.obs);
}

/* par: all branches fail, the last error is the answer. */
static void
test_par_all_fail(void **state)
{
	struct node	par;
	struct answer	a;

	comb_init(&par, NODE_PAR, FARM_OR_RANDOM, 3);
	leaves[0].mode = leaves[1].mode = leaves[2].mode = LEAF_FAIL;
	call(&par, &a, 0);
	assert_true(a.done);
	assert_int_equal(a.status, BALTIC_E_UNAVAILABLE);
	assert_non_null(strstr(a.text, "par: all 3 branches failed"));
	obs_node_dispose(&par.obs);
}

/* par hedge 30: the second branch goes only after 30 ms, the third not
 * at all when the second answers first; the first is cancelled. */
static void
test_par_hedge_fixed(void **state)
{
	struct node	par;
	struct answer	a;
	uint64_t	t0;

	comb_init(&par, NODE_PAR, FARM_OR_RANDOM, 3);
	par.u.comb.hedge_ms = 30;
	leaves[0].mode = leaves[1].mode = leaves[2].mode = LEAF_HOLD;
	t0 = now_us();
	call(&par, &a, 0);
	assert_int_equal(leaves[0].sent, 1);
	assert_int_equal(leaves[1].sent + leaves[2].sent, 0);
	while (leaves[1].sent == 0)
		event_base_loop(d.base, EVLOOP_ONCE);
	assert_true(now_us() - t0 >= 30000);
	assert_int_equal(leaves[2].sent, 0);
	assert_int_equal(par.obs.hedged, 1);
	req_finish(leaves[1].held, BALTIC_OK, "two", 3);
	assert_true(a.done);
	assert_string_equal(a.text, "two");
	assert_int_equal(leaves[0].cancelled, 1);
	assert_int_equal(leaves[2].sent, 0);
	assert_int_equal(par.obs.branch_wins[1], 1);
	assert_int_equal(par.obs.cancels, 1);
	obs_node_dispose(&par.obs);
}

/* A hedged par whose first branch answers in time sends no other; one
 * whose first branch fails sends the next at once, not after the delay;
 * all failing is an error, as for par. */
static void
test_par_hedge_fast_and_fail(void **state)
{
	struct node	par;
	struct answer	a;

	comb_init(&par, NODE_PAR, FARM_OR_RANDOM, 2);
	par.u.comb.hedge_ms = 60000;
	call(&par, &a, 0);
	assert_true(a.done);
	assert_string_equal(a.text, "leaf 0");
	assert_int_equal(leaves[1].sent, 0);
	assert_int_equal(par.obs.hedged, 0);
	leaves[0].mode = LEAF_FAIL;
	call(&par, &a, 0);
	assert_true(a.done);
	assert_string_equal(a.text, "leaf 1");
	assert_int_equal(par.obs.hedged, 1);
	leaves[1].mode = LEAF_FAIL;
	call(&par, &a, 0);
	assert_true(a.done);
	assert_non_null(strstr(a.text, "par: all 2 branches failed"));
	assert_int_equal(par.obs.hedged, 2);
	obs_node_dispose(&par.obs);
}

/* With pN, the delay stays cold until the n-th answer, the first of
 * them a slow start (317 ms), the others 2 ms: then it is 2 ms. */
static void
hedge_cold_until(unsigned pct, unsigned n)
{
	struct hedge_est	h;
	unsigned		i;

	hedge_est_init(&h, pct);
	assert_int_equal(hedge_est_delay_us(&h), HEDGE_COLD_US);
	hedge_est_add(&h, 317000);
	for (i = 2; i < n; i++)
		hedge_est_add(&h, 2000);
	assert_int_equal(hedge_est_delay_us(&h), HEDGE_COLD_US);
	hedge_est_add(&h, 2000);
	assert_int_equal(hedge_est_delay_us(&h), 2000);
}

/* The estimate: the cold delay until enough samples that the percentile
 * leaves the slowest out, then the percentile of the window, recomputed
 * every HEDGE_EVERY, never under the floor; old samples leave. */
static void
test_hedge_estimate(void **state)
{
	struct hedge_est	h;
	unsigned		i;

	/* a cold start among the first answers is not the p95; p99 waits
	 * for 100 answers */
	hedge_cold_until(95, 20);
	hedge_cold_until(99, 100);

	hedge_est_init(&h, 95);
	for (i = 1; i <= 100; i++)
		hedge_est_add(&h, i * 100);
	/* computed at 20, 36, ... 100: 100..10000, p95 is the 95th */
	assert_int_equal(hedge_est_delay_us(&h), 9500);
	for (i = 0; i < HEDGE_WINDOW; i++)
		hedge_est_add(&h, 50);
	assert_int_equal(hedge_est_delay_us(&h), HEDGE_FLOOR_US);
	for (i = 0; i < HEDGE_WINDOW / 10; i++)
		hedge_est_add(&h, 50000);
	for (i = 0; i < 4; i++)		/* to the next computation */
		hedge_est_add(&h, 50);
	/* 12 of 128 slow (9%): p95 is among them */
	assert_int_equal(hedge_est_delay_us(&h), 50000);
}

/* A ref follows its target; with none it is unavailable. */
static void
test_ref(void **state)
{
	struct node	ref = { .kind = NODE_REF, .farm = &f };
	struct answer	a;

	call(&ref, &a, 0);
	assert_int_equal(a.status, BALTIC_E_UNAVAILABLE);
	ref.u.ref.target = branches[5];
	call(&ref, &a, 0);
	assert_int_equal(a.status, BALTIC_OK);
	assert_string_equal(a.text, "leaf 5");
}

/* The deadline ends a held call and takes it back from its leaf. */
static void
test_deadline(void **state)
{
	struct answer	a;

	leaves[7].mode = LEAF_HOLD;
	call(branches[7], &a, 30);
	assert_false(a.done);
	wait_answer(&a);
	assert_int_equal(a.status, BALTIC_E_TIMEOUT);
	assert_int_equal(leaves[7].cancelled, 1);
}

/*
 * The delivery rule, case by case: branch 0 answers with a status, as if
 * the call reached a guest or not; does the call go on to branch 1?
 */
static void
test_or_pass_rule(void **state)
{
	static const struct {
		uint32_t	status;
		bool		reached, idempotent, passes;
	} t[] = {
		{ BALTIC_E_UNAVAILABLE, false, false, true },
		{ BALTIC_E_UNAVAILABLE, true,  false, false },
		{ BALTIC_E_UNAVAILABLE, true,  true,  true },
		{ BALTIC_E_TIMEOUT,     false, false, true },
		{ BALTIC_E_TIMEOUT,     true,  false, false },
		{ BALTIC_E_TIMEOUT,     true,  true,  true },
		{ BALTIC_E_HANDLER,     true,  false, false },
		{ BALTIC_E_HANDLER,     true,  true,  true },
		{ BALTIC_E_BADRESULT,   true,  true,  true },
		{ BALTIC_E_OVERLOAD,    true,  false, false },
		{ BALTIC_E_OVERLOAD,    true,  true,  true },
		{ BALTIC_E_ARG,         true,  true,  false },
		{ BALTIC_E_NOOP,        true,  true,  false },
		{ BALTIC_E_DENIED,      true,  true,  false },
	};
	struct node	or;
	struct answer	a;
	size_t		i;

	comb_init(&or, NODE_OR, FARM_OR_FAILOVER, 2);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		leaves[0].mode = LEAF_ANSWER;
		leaves[0].status = t[i].status;
		leaves[0].reached = t[i].reached;
		leaves[1].sent = 0;
		assert_int_equal(or_passes(t[i].status, t[i].reached,
		    t[i].idempotent), t[i].passes);
		call_op(&or, t[i].idempotent ? &idem : &op, &a, 0);
		assert_true(a.done);
		if (t[i].passes) {
			assert_int_equal(leaves[1].sent, 1);
			assert_int_equal(a.status, BALTIC_OK);
			assert_string_equal(a.text, "leaf 1");
		} else {
			assert_int_equal(leaves[1].sent, 0);
			assert_int_equal(a.status, t[i].status);
		}
	}
	obs_node_dispose(&or.obs);
}

/*
 * An idempotent call to a branch that hangs: the branch has half the
 * deadline, then the call goes to the next branch, which answers in time.
 * The last branch left has all that remains.  A call that is not
 * idempotent waits on its one branch for the whole deadline.
 */
static void
test_or_branch_share(void **state)
{
	struct node	or;
	struct answer	a;
	struct req	*r;
	uint64_t	now;

	comb_init(&or, NODE_OR, FARM_OR_FAILOVER, 2);
	leaves[0].mode = LEAF_HOLD;
	leaves[0].reached = true;
	r = call_op(&or, &idem, &a, 200);
	now = now_us();
	assert_true(leaves[0].held->deadline_us < r->deadline_us);
	assert_true(leaves[0].held->deadline_us <= now + 100 * 1000);
	wait_answer(&a);
	assert_int_equal(leaves[0].cancelled, 1);
	assert_int_equal(leaves[1].sent, 1);
	assert_int_equal(a.status, BALTIC_OK);
	assert_string_equal(a.text, "leaf 1");

	/* The last branch left gets all the rest. */
	leaves[1].mode = LEAF_HOLD;
	leaves[1].reached = true;
	leaves[1].cancelled = 0;
	r = call_op(&or, &idem, &a, 200);
	assert_non_null(leaves[0].held);
	wait_answer(&a);
	assert_int_equal(a.status, BALTIC_E_TIMEOUT);
	assert_non_null(strstr(a.text, "deadline passed"));
	assert_int_equal(leaves[1].cancelled, 1);

	/* Not idempotent: one branch, the whole deadline. */
	leaves[0].cancelled = leaves[1].sent = 0;
	r = call_op(&or, &op, &a, 200);
	assert_int_equal(or_branch_deadline(&or, r, 0, now_us()),
	    r->deadline_us);
	wait_answer(&a);
	assert_int_equal(a.status, BALTIC_E_TIMEOUT);
	assert_int_equal(leaves[0].cancelled, 1);
	assert_int_equal(leaves[1].sent, 0);
	obs_node_dispose(&or.obs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_or_failover_past_64,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_or_roundrobin_live,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_or_none_live, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_par_first_wins, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_par_all_fail, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_par_hedge_fixed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_par_hedge_fast_and_fail,
		    setup, teardown),
		cmocka_unit_test(test_hedge_estimate),
		cmocka_unit_test_setup_teardown(test_ref, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_or_pass_rule, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_or_branch_share, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
