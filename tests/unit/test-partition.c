/*
 * test-partition.c: one partition's channel (toolstack/daemon/edge/
 * partition.c) with the real router, over a socketpair.  The test plays
 * the guest agent on the other end, with a libbaltic channel or with raw
 * bytes; a guest's import is wired to a fake leaf node.  What partition.c
 * calls elsewhere (adopt.c, state.c, the backend) is faked below and
 * records what it was called with.
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
#include "backend/backend.h"

/* ---- fakes of adopt.c, state.c and the backend ------------------------ */

static struct {
	unsigned	 results, gone, saves, creates;
	uint32_t	 id, status;
	char		 payload[64];
	char		 why[128];
}			 rec;

void
adopt_result(struct part *p, uint32_t id, uint32_t status,
    const void *payload, size_t len)
{
	rec.results++;
	rec.id = id;
	rec.status = status;
	snprintf(rec.payload, sizeof rec.payload, "%.*s", (int)len,
	    (const char *)payload);
}

void
adopt_part_gone(struct part *p, const char *why)
{
	rec.gone++;
	snprintf(rec.why, sizeof rec.why, "%s", why);
}

int
farm_run_save(struct farm_run *f)
{
	rec.saves++;
	return 0;
}

static int
fake_create(void *ctx, struct part *p, char **err_r)
{
	rec.creates++;
	return 0;
}

static const struct backend_ops fake_backend = {
	.name = "fake",
	.create = fake_create,
};

/* ---- the farm: Store exported, Clock imported ------------------------- */

static struct farm_param	key_param = { .name = "key",
				    .type = FARM_T_STRING };
static struct farm_param	n_param = { .name = "n", .type = FARM_T_INT };
static struct farm_op		store_ops[] = {
	{ .name = "Get", .params = &key_param, .nparams = 1,
	  .result = FARM_T_STRING, .idempotent = true },
	{ .name = "Count", .result = FARM_T_INT },
};
static struct farm_iface	store = { .name = "Store", .ops = store_ops,
				    .nops = 2 };
static struct farm_op		clock_ops[] = {
	{ .name = "Now", .result = FARM_T_INT, .idempotent = true },
	{ .name = "Set", .params = &n_param, .nparams = 1,
	  .result = FARM_T_VOID },
};
static struct farm_iface	clock_if = { .name = "Clock", .ops = clock_ops,
				    .nops = 2 };
static struct farm_name		role_exports[] = { { .name = "Store",
				    .iface = &store } };
static struct farm_name		role_imports[] = { { .name = "Clock",
				    .iface = &clock_if } };
static struct farm_role		role = { .name = "R",
				    .on_crash = FARM_CRASH_RESTART,
				    .exports = role_exports, .nexports = 1,
				    .imports = role_imports, .nimports = 1 };
static struct farm_wire		wires[] = { { .import = "Clock",
				    .iface = &clock_if } };
static struct farm_expr		vm = { .kind = FARM_E_VM,
				    .u.vm = { .role = "R", .role_p = &role,
				    .wires = wires, .nwires = 1 } };
static struct farm_instance	insts[] = {
	{ .name = "t-a", .vm = &vm, .role = &role },
	{ .name = "t-b", .vm = &vm, .role = &role, .index = 1 },
};

static struct daemon	d;
static struct farm_run	f;
static struct event	*tick;

/* ---- the leaf a guest's Clock is wired to ----------------------------- */

static struct leaf {
	struct node	 node;
	bool		 hold;		/* else answers "42" now */
	struct req	*held[80];
	size_t		 nheld;
	unsigned	 sent, cancelled;
}			 leaf;

static bool
leaf_live(const struct node *n)
{
	return true;
}

static bool
leaf_coming(const struct node *n)
{
	return false;
}

static void
leaf_send(struct node *n, struct req *r)
{
	leaf.sent++;
	if (!leaf.hold) {
		req_finish(r, BALTIC_OK, "42", 2);
		return;
	}
	assert_true(leaf.nheld < 80);
	leaf.held[leaf.nheld++] = r;
}

static void
leaf_cancel(struct node *n, struct req *r)
{
	size_t	i;

	for (i = 0; i < leaf.nheld; i++) {
		if (leaf.held[i] == r) {
			leaf.held[i] = leaf.held[--leaf.nheld];
			leaf.cancelled++;
			return;
		}
	}
}

static const struct node_ops leaf_ops = {
	.live = leaf_live,
	.coming = leaf_coming,
	.send = leaf_send,
	.cancel = leaf_cancel,
};

/* ---- the guest agent: a channel that records what it is sent ----------- */

struct guest {
	int		 fd;		/* its end, for raw frames */
	struct chan	*c;		/* NULL: a raw guest */
	bool		 closed;
	char		 config[256];
	bool		 answer_pings;
	unsigned	 calls, cancels, results, pings;
	uint32_t	 call_id, deadline_ms, cancel_id;
	char		 iface[BALTIC_NAME_MAX + 1];
	char		 op[BALTIC_NAME_MAX + 1];
	char		 arg[64];
	uint32_t	 result_id, result_status;
	char		 result[128];
	uint64_t	 ping_nonce, pong_nonce;
};

static void
text_copy(char *dst, size_t dstlen, const void *src, size_t len)
{
	snprintf(dst, dstlen, "%.*s", (int)len, (const char *)src);
}

/* A CALL or a RESULT the partition sent: well formed, and recorded. */
static void
guest_got(struct guest *g, const struct baltic_hdr *h, const uint8_t *body)
{
	struct proto_call_view		 cv;
	struct proto_result_view	 rv;
	const char			*why = NULL;

	if (h->type == BALTIC_MSG_RESULT) {
		assert_int_equal(proto_parse_result(body, h->len, &rv, &why),
		    0);
		g->results++;
		g->result_id = h->call_id;
		g->result_status = rv.status;
		text_copy(g->result, sizeof g->result, rv.payload, rv.len);
		return;
	}
	assert_int_equal(proto_parse_call(body, h->len, &cv, &why), 0);
	g->calls++;
	g->call_id = h->call_id;
	g->deadline_ms = cv.deadline_ms;
	text_copy(g->iface, sizeof g->iface, cv.iface, strlen(cv.iface));
	text_copy(g->op, sizeof g->op, cv.op, strlen(cv.op));
	text_copy(g->arg, sizeof g->arg, cv.arg, cv.arglen);
}

/* What the partition sends its guest: recorded; PINGs answered. */
static void
guest_frame(struct chan *c, const struct baltic_hdr *h, const uint8_t *body,
    void *arg)
{
	struct guest	*g = arg;

	switch (h->type) {
	case BALTIC_MSG_CONFIG:
		text_copy(g->config, sizeof g->config, body, h->len);
		break;
	case BALTIC_MSG_CALL:
	case BALTIC_MSG_RESULT:
		guest_got(g, h, body);
		break;
	case BALTIC_MSG_CANCEL:
		g->cancels++;
		g->cancel_id = h->call_id;
		break;
	case BALTIC_MSG_PING:
		g->pings++;
		memcpy(&g->ping_nonce, body, sizeof g->ping_nonce);
		if (g->answer_pings)
			chan_send(c, BALTIC_MSG_PONG, 0, body, h->len);
		break;
	case BALTIC_MSG_PONG:
		memcpy(&g->pong_nonce, body, sizeof g->pong_nonce);
		break;
	default:
		fail_msg("guest got message type %#x", h->type);
	}
}

static void
guest_close(struct chan *c, const char *why, void *arg)
{
	((struct guest *)arg)->closed = true;
}

static const struct chan_cbs guest_cbs = {
	.on_frame = guest_frame,
	.on_close = guest_close,
};

/* ---- fixtures --------------------------------------------------------- */

struct fx {
	struct part	*p;
	struct node	 node;
	struct guest	 g;
};
static struct fx	fxs[2];

/* Answers of the calls a test makes to a partition. */
struct answer {
	unsigned	n;
	uint32_t	status;
	char		text[256];
};
static struct answer	ans[4];

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
}

/* Let the loop run until cond holds; at most 3 s (the tick wakes it). */
#define RUN_UNTIL(cond) do {						\
	uint64_t _until = now_us() + 3000000;				\
									\
	while (!(cond)) {						\
		if (now_us() > _until)					\
			fail_msg("gave up waiting for %s", #cond);	\
		event_base_loop(d.base, EVLOOP_ONCE);			\
	}								\
} while (0)

/*
 * A partition for insts[i] with its channel on a socketpair.  version 0:
 * the guest is a libbaltic channel; else a raw guest that sends HELLO of
 * that version and nothing else unless the test writes it.  coming: the
 * partition's agent runs (calls wait for the channel).
 */
static struct fx *
part_open(int i, uint32_t version, bool coming, bool wait_ready)
{
	struct fx	*x = &fxs[i];
	struct chan	*c;
	int		 sv[2];

	memset(x, 0, sizeof *x);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	x->p = part_new(&f, &insts[i]);
	assert_non_null(x->p);
	x->node.kind = NODE_VM;
	x->node.ops = &part_node_ops;
	x->node.farm = &f;
	x->node.u.part = x->p;
	x->p->node = &x->node;
	x->p->wire_nodes = calloc(1, sizeof *x->p->wire_nodes);
	assert_non_null(x->p->wire_nodes);
	x->p->wire_nodes[0] = &leaf.node;
	if (coming)
		x->p->pid = 1;
	TAILQ_INSERT_TAIL(&f.parts, x->p, entry);
	c = chan_new_fd(d.base, sv[0], part_chan_cbs(), x->p);
	assert_non_null(c);
	part_attach(x->p, c);
	x->g.fd = sv[1];
	x->g.answer_pings = true;
	if (version == 0) {
		x->g.c = chan_new_fd(d.base, sv[1], &guest_cbs, &x->g);
		assert_non_null(x->g.c);
	} else {
		uint8_t	hello[BALTIC_HDR_LEN + BALTIC_HELLO_LEN];

		proto_encode_hdr(hello, BALTIC_MSG_HELLO, BALTIC_HELLO_LEN, 0);
		proto_encode_le32(hello + BALTIC_HDR_LEN, version);
		proto_encode_le32(hello + BALTIC_HDR_LEN + 4,
		    BALTIC_FRAME_MAX);
		assert_int_equal(write(sv[1], hello, sizeof hello),
		    (ssize_t)sizeof hello);
	}
	if (wait_ready)
		RUN_UNTIL(x->p->state == PART_READY &&
		    (x->g.c == NULL || x->g.config[0] != '\0'));
	return x;
}

static void
part_close(struct fx *x)
{
	if (x->p == NULL)
		return;
	TAILQ_REMOVE(&f.parts, x->p, entry);
	part_free(x->p);
	x->p = NULL;
	if (x->g.c != NULL)
		chan_free(x->g.c);
	else
		close(x->g.fd);
	x->g.c = NULL;
}

static int
setup(void **state)
{
	struct timeval	tv = { 0, 10000 };

	memset(&d, 0, sizeof d);
	memset(&f, 0, sizeof f);
	memset(&rec, 0, sizeof rec);
	memset(&leaf, 0, sizeof leaf);
	memset(ans, 0, sizeof ans);
	d.base = event_base_new();
	d.default_timeout_ms = 5000;
	d.backend = &fake_backend;
	d.save_farm = farm_run_save;
	TAILQ_INIT(&d.farms);
	f.name = "t";
	f.d = &d;
	TAILQ_INIT(&f.parts);
	TAILQ_INIT(&f.nodes);
	TAILQ_INSERT_TAIL(&d.farms, &f, entry);
	leaf.node.kind = NODE_VM;
	leaf.node.ops = &leaf_ops;
	leaf.node.farm = &f;
	tick = event_new(d.base, -1, EV_PERSIST, tick_cb, NULL);
	evtimer_add(tick, &tv);
	return 0;
}

static int
teardown(void **state)
{
	part_close(&fxs[0]);
	part_close(&fxs[1]);
	event_free(tick);
	event_base_free(d.base);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static void
answer_cb(struct req *r, uint32_t status, const void *p, size_t len,
    void *arg)
{
	struct answer	*a = arg;

	a->n++;
	a->status = status;
	text_copy(a->text, sizeof a->text, p, len);
}

/* Call Store.op(arg) on x's node through the router. */
static void
call(struct fx *x, struct answer *a, const char *op, const char *arg,
    unsigned timeout_ms)
{
	struct req	*r;

	memset(a, 0, sizeof *a);
	r = req_new(&f, &x->node, &store, farm_find_op(&store, op), arg,
	    strlen(arg), timeout_ms, answer_cb, a);
	assert_non_null(r);
	req_start(r);
}

/* Everything the guest sent before has been read by the partition. */
static void
guest_sync(struct guest *g)
{
	static uint64_t	nonce = 0x5eed0000;

	nonce++;
	assert_int_equal(chan_send(g->c, BALTIC_MSG_PING, 0, &nonce,
	    sizeof nonce), 0);
	RUN_UNTIL(g->pong_nonce == nonce);
}

static void
guest_call(struct guest *g, uint32_t type, uint32_t id, const char *iface,
    const char *op, const char *arg)
{
	assert_int_equal(chan_send_call_as(g->c, type, id, iface, op, 0, arg,
	    strlen(arg)), 0);
}

/* The guest calls its import and waits for the RESULT. */
static void
guest_call_answered(struct guest *g, uint32_t type, uint32_t id,
    const char *iface, const char *op, const char *arg)
{
	unsigned	n = g->results;

	guest_call(g, type, id, iface, op, arg);
	RUN_UNTIL(g->results > n);
	assert_int_equal(g->result_id, id);
}

static void
raw_write(struct guest *g, const void *buf, size_t len)
{
	assert_int_equal(write(g->fd, buf, len), (ssize_t)len);
}

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

static void
ping_answered(struct fx *x)
{
	unsigned	n = x->g.pings;

	part_ping_all(&d);
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
		part_ping_all(&d);
	assert_int_equal(x->p->state, PART_READY);
	part_ping_all(&d);
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

#define TEST(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

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
		TEST(test_guest_import_calls),
		TEST(test_guest_call_limit),
		TEST(test_pings),
		TEST(test_died_restarts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
