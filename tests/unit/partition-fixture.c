/*
 * partition-fixture.c: the world of the partition channel's tests
 * (partition-fixture.h): partition.c with the real router, over a
 * socketpair; what partition.c calls elsewhere (adopt.c, state.c, the
 * backend) is faked here and records what it was called with.
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
#include "partition-fixture.h"

/* ---- fakes of adopt.c, journal.c, state.c and the backend ------------- */

struct fake_rec		rec;

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

/* No keeper: nothing waits before a partition's channel is written. */
void
journal_flush(void *daemon)
{
}

void
adopt_part_gone(struct part *p, const char *why)
{
	rec.gone++;
	snprintf(rec.why, sizeof rec.why, "%s", why);
}

/* No cluster: no partition here waits for, or sends, an image. */
void
part_image_free(struct part *p)
{
}

int
farm_run_save(struct farm_run *fr)
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
struct farm_op			store_ops[] = {
	{ .name = "Get", .params = &key_param, .nparams = 1,
	  .result = FARM_T_STRING, .idempotent = true },
	{ .name = "Count", .result = FARM_T_INT },
};
struct farm_iface		store = { .name = "Store", .ops = store_ops,
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

struct daemon		d;
struct farm_run		f;
static struct event	*tick;

/* ---- the leaf a guest's Clock is wired to ----------------------------- */

struct leaf		leaf;

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

struct fx		fxs[2];

struct answer		ans[4];

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
}


/*
 * A partition for insts[i] with its channel on a socketpair.  version 0:
 * the guest is a libbaltic channel; else a raw guest that sends HELLO of
 * that version and nothing else unless the test writes it.  coming: the
 * partition's agent runs (calls wait for the channel).
 */
struct fx *
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

void
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

int
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

int
teardown(void **state)
{
	part_close(&fxs[0]);
	part_close(&fxs[1]);
	event_free(tick);
	event_base_free(d.base);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

void
answer_cb(struct req *r, uint32_t status, const void *p, size_t len,
    void *arg)
{
	struct answer	*a = arg;

	a->n++;
	a->status = status;
	text_copy(a->text, sizeof a->text, p, len);
}

/* Call Store.op(arg) on x's node through the router. */
void
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
void
guest_sync(struct guest *g)
{
	static uint64_t	nonce = 0x5eed0000;

	nonce++;
	assert_int_equal(chan_send(g->c, BALTIC_MSG_PING, 0, &nonce,
	    sizeof nonce), 0);
	RUN_UNTIL(g->pong_nonce == nonce);
}

void
guest_call(struct guest *g, uint32_t type, uint32_t id, const char *iface,
    const char *op, const char *arg)
{
	assert_int_equal(chan_send_call_as(g->c, type, id, iface, op, 0, arg,
	    strlen(arg)), 0);
}

/* The guest calls its import and waits for the RESULT. */
void
guest_call_answered(struct guest *g, uint32_t type, uint32_t id,
    const char *iface, const char *op, const char *arg)
{
	unsigned	n = g->results;

	guest_call(g, type, id, iface, op, arg);
	RUN_UNTIL(g->results > n);
	assert_int_equal(g->result_id, id);
}

void
raw_write(struct guest *g, const void *buf, size_t len)
{
	assert_int_equal(write(g->fd, buf, len), (ssize_t)len);
}

