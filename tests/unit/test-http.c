/*
 * test-http.c: the export server and the remote client
 * (toolstack/daemon/edge/) end to end on loopback -- a remote node
 * calling an export of the same process -- with the router replaced by
 * the test fakes below (fake_*): a vm node answers by operation name.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "daemon/daemon.h"
#include "keep/keep.h"

/* ---- test fakes of router.c ------------------------------------------ */

static struct req	*fake_held[64];
static size_t		 fake_nheld;
static unsigned		 fake_cancelled;	/* export-side roots */
static unsigned		 fake_inflight, fake_maxinflight;

uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct req *
req_new(struct farm_run *f, struct node *n, struct farm_iface *iface,
    struct farm_op *op, const void *arg, size_t arglen, unsigned timeout_ms,
    req_done_cb done, void *done_arg)
{
	struct req	*r = calloc(1, sizeof *r);
	uint8_t		*copy;

	assert_non_null(r);
	TAILQ_INIT(&r->kids);
	r->farm = f;
	r->node = n;
	r->iface = iface;
	r->op = op;
	r->done = done;
	r->done_arg = done_arg;
	copy = malloc(arglen + 1);
	memcpy(copy, arg, arglen);
	r->arg = copy;	/* this fake's own: freed as the fake frees r */
	r->arglen = arglen;
	r->deadline_us = now_us() + (timeout_ms ? timeout_ms : 5000) * 1000ULL;
	return r;
}

static void
fake_later(evutil_socket_t fd, short ev, void *arg)
{
	struct req	*r = arg;

	fake_inflight--;
	req_finish(r, BALTIC_OK, "later", 5);
}

/* The fake vm: answers by operation name. */
void
req_start(struct req *r)
{
	struct timeval	tv = { 0, 20000 };

	if (r->node->kind == NODE_REMOTE) {
		http_remote_send(r);
		return;
	}
	if (strcmp(r->op->name, "Echo") == 0)
		req_finish(r, BALTIC_OK, r->arg, r->arglen);
	else if (strcmp(r->op->name, "Deny") == 0)
		req_finishf(r, BALTIC_E_DENIED, "not yours");
	else if (strcmp(r->op->name, "Num") == 0)
		req_finish(r, BALTIC_OK, "abc", 3);
	else if (strcmp(r->op->name, "Hold") == 0)
		fake_held[fake_nheld++] = r;
	else if (strcmp(r->op->name, "Later") == 0) {
		if (++fake_inflight > fake_maxinflight)
			fake_maxinflight = fake_inflight;
		event_base_once(r->farm->d->base, -1, EV_TIMEOUT, fake_later,
		    r, &tv);
	} else
		fail();
}

void
req_finish(struct req *r, uint32_t status, const void *p, size_t len)
{
	assert_false(r->finished);
	r->finished = true;
	r->done(r, status, p, len, r->done_arg);
	if (r->hold > 0)
		return;
	free((void *)r->arg);
	free(r);
}

void
req_release(struct req *r)
{
	if (--r->hold == 0 && r->finished) {
		free((void *)r->arg);
		free(r);
	}
}

/* ---- test fakes of keep.c: a keeper in this process ------------------- */

static struct {
	char	key[320];
	int	fd;
}		 kept[64];
static size_t	 nkept;

int
keep_take(struct keep_client *k, const char *key)
{
	return -1;
}

/* Keeps a copy of each connection, as the keeper would. */
int
keep_put(struct keep_client *k, const char *key, const void *val, size_t len,
    int fd)
{
	if (fd == -1 || strncmp(key, "conn ", 5) != 0)
		return 0;
	assert_true(nkept < 64);
	snprintf(kept[nkept].key, sizeof kept[nkept].key, "%s", key);
	kept[nkept++].fd = dup(fd);
	return 0;
}

void
keep_del(struct keep_client *k, const char *key)
{
	size_t	i;

	for (i = 0; i < nkept; i++) {
		if (strcmp(kept[i].key, key) == 0) {
			close(kept[i].fd);
			kept[i] = kept[--nkept];
			return;
		}
	}
}

void
journal_put(struct kept_call *c)
{
}

void
journal_del(struct kept_call *c)
{
}

/* No keeper here: what waits for the records is done at once. */
void
journal_flush(void *dd)
{
	export_take_pending(dd);
}

static struct farm_run	f;

struct farm_run *
farm_run_find(struct daemon *dd, const char *name)
{
	return strcmp(name, f.name) == 0 ? &f : NULL;
}

void
req_finishf(struct req *r, uint32_t status, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 len;

	va_start(ap, fmt);
	len = vasprintf(&msg, fmt, ap);
	va_end(ap);
	assert_true(len >= 0);
	req_finish(r, status, msg, (size_t)len);
	free(msg);
}

void
req_cancel(struct req *r)
{
	size_t	i;

	if (r->node->kind == NODE_REMOTE)
		http_remote_cancel(r);
	else
		fake_cancelled++;
	for (i = 0; i < fake_nheld; i++)
		if (fake_held[i] == r)
			fake_held[i] = fake_held[--fake_nheld];
	free((void *)r->arg);
	free(r);
}

uint32_t
req_remaining_ms(const struct req *r)
{
	uint64_t	now = now_us();

	return r->deadline_us <= now ? 1 :
	    (uint32_t)((r->deadline_us - now + 999) / 1000);
}

/* ---- the world: one farm, one export, remote nodes -------------------- */

static struct farm_param	param_s = { .name = "s", .type = FARM_T_STRING };
static struct farm_op		ops[] = {
	{ .name = "Echo", .params = &param_s, .nparams = 1,
	    .result = FARM_T_STRING },
	{ .name = "Deny", .params = &param_s, .nparams = 1,
	    .result = FARM_T_STRING },
	{ .name = "Hold", .params = &param_s, .nparams = 1,
	    .result = FARM_T_STRING },
	{ .name = "Later", .params = &param_s, .nparams = 1,
	    .result = FARM_T_STRING },
	{ .name = "Num", .params = &param_s, .nparams = 1,
	    .result = FARM_T_INT },
};
static struct farm_iface	iface = { .name = "Shop", .ops = ops,
				    .nops = sizeof ops / sizeof ops[0] };

static struct daemon		d;
static struct farm_run		f = { .name = "eop", .d = &d };
static struct farm_export	fe = { .binding = "shop", .iface = "Shop",
				    .iface_p = &iface };
static struct node		vm = { .kind = NODE_VM, .farm = &f };
static struct farm_run_export		x = { .fe = &fe, .node = &vm };
static char			addr[64], url[128];

struct answer {
	bool		 done;
	uint32_t	 status;
	char		 text[512];
	bool		 reached;
};

static void
answer_cb(struct req *r, uint32_t status, const void *p, size_t len,
    void *arg)
{
	struct answer	*a = arg;

	a->done = true;
	a->status = status;
	a->reached = r->reached;
	snprintf(a->text, sizeof a->text, "%.*s", (int)len, (const char *)p);
}

static void
run_until(bool *flag)
{
	uint64_t	end = now_us() + 3000000;

	while (!*flag && now_us() < end)
		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void
run_ms(unsigned ms)
{
	uint64_t	end = now_us() + ms * 1000ULL;

	while (now_us() < end)
		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static int
free_port(void)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	socklen_t		len = sizeof sin;
	int			fd, port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static struct req *
call(struct node *rn, const char *op, const char *arg, struct answer *a)
{
	struct req	*r;

	memset(a, 0, sizeof *a);
	r = req_new(&f, rn, &iface, farm_find_op(&iface, op), arg,
	    strlen(arg), 0, answer_cb, a);
	req_start(r);
	return r;
}

static int
setup(void **state)
{
	char	*err = NULL;

	d.base = event_base_new();
	TAILQ_INIT(&d.takes);
	d.default_timeout_ms = 5000;
	f.exports = &x;
	f.nexports = 1;
	snprintf(addr, sizeof addr, "127.0.0.1:%d", free_port());
	snprintf(url, sizeof url, "http://%s/eop", addr);
	fe.addr = addr;
	assert_int_equal(export_start(&f, &x, &err), 0);
	assert_null(err);
	assert_non_null(x.srv);
	return 0;
}

static int
teardown(void **state)
{
	export_stop(&x);
	assert_null(x.srv);
	export_stop(&x);
	event_base_free(d.base);
	return 0;
}

static void
remote_init(struct node *rn, const char *u)
{
	memset(rn, 0, sizeof *rn);
	rn->kind = NODE_REMOTE;
	rn->farm = &f;
	rn->u.remote.url = (char *)u;
}

/* ---- tests ------------------------------------------------------------ */

static void
test_listen_busy(void **state)
{
	struct farm_run_export	 x2 = { .fe = &fe, .node = &vm };
	char		*err = NULL;

	assert_int_equal(export_start(&f, &x2, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "cannot listen on 127.0.0.1:"));
	assert_non_null(strstr(err, "Address already in use"));
	assert_null(x2.srv);
	free(err);
}

static void
test_roundtrip(void **state)
{
	struct node	rn;
	struct answer	a;

	remote_init(&rn, url);
	call(&rn, "Echo", "hello", &a);
	run_until(&a.done);
	assert_int_equal(a.status, BALTIC_OK);
	assert_string_equal(a.text, "hello");
	assert_true(a.reached);
	assert_string_equal(rn.u.remote.path, "/eop");
	assert_int_equal(rn.u.remote.port, atoi(strchr(addr, ':') + 1));

	/* The same connection again (keep-alive). */
	call(&rn, "Echo", "again", &a);
	run_until(&a.done);
	assert_int_equal(a.status, BALTIC_OK);
	assert_string_equal(a.text, "again");
	http_remote_dispose(&rn);
	assert_null(rn.u.remote.pool);
	assert_null(rn.u.remote.host);
}

static void
test_errors(void **state)
{
	struct node	rn, other;
	char		ourl[160];
	struct answer	a;

	remote_init(&rn, url);
	call(&rn, "Deny", "x", &a);
	run_until(&a.done);
	assert_int_equal(a.status, BALTIC_E_HANDLER);
	assert_true(a.reached);
	assert_non_null(strstr(a.text, ": HTTP 403: {\"error\":\"not yours\","
	    "\"status\":\"denied\",\"farm\":\"eop\",\"call\":\"Shop.Deny\"}"));

	/* The vm answers Num with a string where an int is promised. */
	call(&rn, "Num", "12", &a);
	run_until(&a.done);
	assert_int_equal(a.status, BALTIC_E_BADRESULT);
	assert_non_null(strstr(a.text, ": result of the wrong type: "));
	http_remote_dispose(&rn);

	snprintf(ourl, sizeof ourl, "http://%s/nope", addr);
	remote_init(&other, ourl);
	call(&other, "Echo", "x", &a);
	run_until(&a.done);
	assert_int_equal(a.status, BALTIC_E_HANDLER);
	assert_non_null(strstr(a.text, "HTTP 404"));
	assert_non_null(strstr(a.text, "\"farm\":\"eop\",\"call\":"
	    "\"Shop.Echo\"}"));
	http_remote_dispose(&other);
}

static void
get_done(struct evhttp_request *hreq, void *arg)
{
	int	*code = arg;

	*code = hreq != NULL ? evhttp_request_get_response_code(hreq) : -1;
}

static void
run_code(int *code)
{
	uint64_t	end = now_us() + 3000000;

	while (*code == 0 && now_us() < end)
		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void
test_method_and_size(void **state)
{
	struct evhttp_connection	*evcon;
	struct evhttp_request		*hreq;
	char				*big;
	int				 code = 0, port;

	port = atoi(strchr(addr, ':') + 1);
	evcon = evhttp_connection_base_new(d.base, NULL, "127.0.0.1",
	    (uint16_t)port);
	hreq = evhttp_request_new(get_done, &code);
	evhttp_make_request(evcon, hreq, EVHTTP_REQ_GET, "/eop/Shop/Echo");
	run_code(&code);
	assert_int_equal(code, 405);

	code = 0;
	big = calloc(1, 2 * 1024 * 1024);
	hreq = evhttp_request_new(get_done, &code);
	evbuffer_add(evhttp_request_get_output_buffer(hreq), big,
	    2 * 1024 * 1024);
	evhttp_make_request(evcon, hreq, EVHTTP_REQ_POST, "/eop/Shop/Echo");
	run_code(&code);
	assert_true(code == 413 || code == -1);
	free(big);

	code = 0;
	hreq = evhttp_request_new(get_done, &code);
	evhttp_add_header(evhttp_request_get_output_headers(hreq),
	    "X-Baltic-Timeout", "soon");
	evhttp_make_request(evcon, hreq, EVHTTP_REQ_POST, "/eop/Shop/Echo");
	run_code(&code);
	assert_int_equal(code, 400);
	evhttp_connection_free(evcon);
}

static void
test_unreachable(void **state)
{
	struct node	rn;
	char		u[64];
	struct answer	a;

	snprintf(u, sizeof u, "http://127.0.0.1:%d", free_port());
	remote_init(&rn, u);
	call(&rn, "Echo", "x", &a);
	run_until(&a.done);
	assert_int_equal(a.status, BALTIC_E_UNAVAILABLE);
	assert_false(a.reached);
	assert_non_null(strstr(a.text, ": unreachable"));
	http_remote_dispose(&rn);
}

/* The client gives up: the export sees the hangup and cancels its call. */
static void
test_cancel_hangup(void **state)
{
	struct node	rn;
	struct answer	a;
	struct req	*r;

	remote_init(&rn, url);
	fake_cancelled = 0;
	r = call(&rn, "Hold", "x", &a);
	while (fake_nheld == 0)
		event_base_loop(d.base, EVLOOP_ONCE);
	req_cancel(r);
	while (fake_cancelled == 0)
		event_base_loop(d.base, EVLOOP_ONCE);
	assert_int_equal(fake_nheld, 0);
	assert_false(a.done);

	/* The connection is usable after the cancel. */
	call(&rn, "Echo", "after", &a);
	run_until(&a.done);
	assert_int_equal(a.status, BALTIC_OK);
	http_remote_dispose(&rn);
}

/* More calls than connections: at most 8 at once, all answered. */
static void
test_pool(void **state)
{
	struct node	rn;
	struct answer	a[20];
	size_t		i, ndone;

	remote_init(&rn, url);
	fake_maxinflight = 0;
	for (i = 0; i < 20; i++)
		call(&rn, "Later", "x", &a[i]);
	for (ndone = 0; ndone < 20; ) {
		event_base_loop(d.base, EVLOOP_ONCE);
		for (i = 0, ndone = 0; i < 20; i++)
			ndone += a[i].done;
	}
	for (i = 0; i < 20; i++) {
		assert_int_equal(a[i].status, BALTIC_OK);
		assert_string_equal(a[i].text, "later");
	}
	assert_int_equal(fake_maxinflight, 8);
	http_remote_dispose(&rn);
}

/* Stopping the export with a call in flight cancels it, cleanly. */
static void
test_stop_inflight(void **state)
{
	struct node	 rn;
	struct answer	 a;
	char		*err = NULL;

	remote_init(&rn, url);
	fake_cancelled = 0;
	call(&rn, "Hold", "x", &a);
	while (fake_nheld == 0)
		event_base_loop(d.base, EVLOOP_ONCE);
	export_stop(&x);
	assert_int_equal(fake_cancelled, 1);
	assert_int_equal(fake_nheld, 0);
	run_until(&a.done);
	assert_int_equal(a.status, BALTIC_E_UNAVAILABLE);
	http_remote_dispose(&rn);
	assert_int_equal(export_start(&f, &x, &err), 0);
	run_ms(10);
}

/* A client speaking raw HTTP to the export. */
static int
raw_connect(void)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	int			fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)atoi(strchr(addr, ':') + 1));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

/* Run the loop until n bytes came on fd (or 3 s): what came. */
static size_t
raw_read(int fd, char *buf, size_t size, const char *until, unsigned n)
{
	uint64_t	end = now_us() + 3000000;
	size_t		len = 0;
	ssize_t		r;
	const char	*p;
	unsigned	seen;

	buf[0] = '\0';
	while (now_us() < end) {
		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		r = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
		if (r > 0) {
			len += (size_t)r;
			buf[len] = '\0';
		}
		for (p = buf, seen = 0; (p = strstr(p, until)) != NULL; p++)
			seen++;
		if (seen >= n)
			break;
	}
	return len;
}

#define ECHO_REQ(arg) "POST /eop/Shop/Echo HTTP/1.1\r\nHost: t\r\n" \
	"Content-Length: 3\r\n\r\n\"" arg "\""

/* Two requests in one write: both answered, in order, connection open. */
static void
test_keepalive_pipelined(void **state)
{
	static const char	req[] = ECHO_REQ("a") ECHO_REQ("b");
	char			buf[2048];
	int			fd = raw_connect();

	assert_int_equal(send(fd, req, sizeof req - 1, 0), sizeof req - 1);
	raw_read(fd, buf, sizeof buf, "HTTP/1.1 200 OK", 2);
	assert_non_null(strstr(buf, "\r\n\r\n\"a\"HTTP/1.1 200 OK"));
	assert_non_null(strstr(buf, "\r\n\r\n\"b\""));
	assert_null(strstr(buf, "Connection: close"));
	/* A request split across writes is put together. */
	assert_int_equal(send(fd, req, 20, 0), 20);
	run_ms(20);
	assert_int_equal(send(fd, req + 20, strlen(ECHO_REQ("a")) - 20, 0),
	    (ssize_t)strlen(ECHO_REQ("a")) - 20);
	raw_read(fd, buf, sizeof buf, "HTTP/1.1 200 OK", 1);
	assert_non_null(strstr(buf, "\"a\""));
	close(fd);
	run_ms(10);
	assert_int_equal(nkept, 0);	/* the keeper let go of it */
}

/*
 * A request too big to read in place (taken off the socket as it comes)
 * that is refused, with the next request behind it: one answer each, in
 * order, on the same connection.
 */
static void
test_big_refused_then_next(void **state)
{
	static const char	next[] = ECHO_REQ("n");
	const size_t		 blen = 80 * 1024;
	char			 head[128], buf[4096], *req;
	size_t			 hlen, len;
	int			 fd = raw_connect();

	hlen = (size_t)snprintf(head, sizeof head, "POST /eop/Shop/Nope "
	    "HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", blen);
	len = hlen + blen + sizeof next - 1;
	assert_non_null(req = malloc(len));
	memcpy(req, head, hlen);
	memset(req + hlen, 'x', blen);
	memcpy(req + hlen + blen, next, sizeof next - 1);
	assert_int_equal(send(fd, req, len, 0), (ssize_t)len);
	free(req);
	raw_read(fd, buf, sizeof buf, "HTTP/1.1 ", 2);
	assert_non_null(strstr(buf, "HTTP/1.1 404 "));
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
	assert_true(strstr(buf, "404") < strstr(buf, "200 OK"));
	assert_non_null(strstr(buf, "\r\n\r\n\"n\""));
	close(fd);
	run_ms(10);
}

/*
 * balticd dies with a connection accepted and its request not yet read:
 * the keeper's copy goes to the next export, which answers the request.
 */
static void
test_adopt_idle_conn(void **state)
{
	static const char	req[] = ECHO_REQ("z");
	char			buf[2048], key[320];
	int			fd = raw_connect(), kfd;
	char			*err = NULL;

	run_ms(20);			/* accepted, kept, nothing to read */
	assert_int_equal(nkept, 1);
	d.exiting = true;		/* "killed": the keeper keeps it */
	export_stop(&x);
	d.exiting = false;
	assert_int_equal(nkept, 1);
	assert_int_equal(send(fd, req, sizeof req - 1, 0), sizeof req - 1);
	assert_int_equal(export_start(&f, &x, &err), 0);
	snprintf(key, sizeof key, "%s", kept[0].key);
	kfd = dup(kept[0].fd);
	assert_int_equal(export_adopt_conn(&d, key, kfd), 0);
	raw_read(fd, buf, sizeof buf, "\"z\"", 1);
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
	assert_non_null(strstr(buf, "\"z\""));
	close(fd);
	run_ms(10);
	assert_int_equal(nkept, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_busy),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_method_and_size),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_cancel_hangup),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_stop_inflight),
		cmocka_unit_test(test_keepalive_pipelined),
		cmocka_unit_test(test_adopt_idle_conn),
		cmocka_unit_test(test_big_refused_then_next),
	};

	signal(SIGPIPE, SIG_IGN);	/* as balticd: a peer may hang up */
	return cmocka_run_group_tests(tests, setup, teardown);
}
