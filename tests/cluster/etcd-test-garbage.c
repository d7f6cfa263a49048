/*
 * etcd-test-garbage.c: the client against a fake etcd of ours, a thread
 * that reads each request and answers the scene set for it: nonsense
 * JSON, the wrong shapes, numbers that overflow, bad base64, deep
 * nesting, truncated bodies and chunks, huge lengths, silence, and
 * watch streams whose lines are cut anywhere.  Each must give an error
 * (or, for a well-formed stream cut in odd places, the right events),
 * never a crash.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etcd-test.h"

#define PIECES_MAX	16

/* What the fake server sends for each request: pieces written one by
 * one (20 ms apart), then the connection closed; or nothing (hang). */
struct scene {
	const char	*piece[PIECES_MAX];
	size_t		 len[PIECES_MAX];	/* 0: strlen */
	int		 hang;
	struct scene	*then;	/* for the connections after this one */
};

static pthread_mutex_t	 mtx = PTHREAD_MUTEX_INITIALIZER;
static struct scene	*scene;
static int		 listen_fd;

/* Read one request: headers, then Content-Length bytes of body. */
static void
read_request(int fd)
{
	char	 buf[65536], *end, *cl;
	size_t	 have = 0, want = 0;
	ssize_t	 r;

	while (have < sizeof buf - 1) {
		if ((r = read(fd, buf + have, sizeof buf - 1 - have)) <= 0)
			return;
		have += (size_t)r;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (want == 0) {
			cl = strcasestr(buf, "Content-Length:");
			want = (size_t)(end + 4 - buf) +
			    (cl != NULL ? strtoul(cl + 15, NULL, 10) : 0);
		}
		if (have >= want)
			return;
	}
}

static void *
server(void *arg)
{
	struct scene	*s;
	int		 fd, i;
	size_t		 n;

	(void)arg;
	for (;;) {
		if ((fd = accept(listen_fd, NULL, NULL)) == -1)
			continue;
		read_request(fd);
		pthread_mutex_lock(&mtx);
		s = scene;
		if (s->then != NULL)
			scene = s->then;
		pthread_mutex_unlock(&mtx);
		if (s->hang) {
			sleep(2);
			close(fd);
			continue;
		}
		for (i = 0; i < PIECES_MAX && s->piece[i] != NULL; i++) {
			n = s->len[i] ? s->len[i] : strlen(s->piece[i]);
			if (write(fd, s->piece[i], n) < 0)
				break;
			usleep(20000);
		}
		shutdown(fd, SHUT_WR);
		usleep(50000);
		close(fd);
	}
	return NULL;
}

static void
set_scene(struct scene *s)
{
	pthread_mutex_lock(&mtx);
	scene = s;
	pthread_mutex_unlock(&mtx);
}

/* An HTTP chunk of s (static storage, rotating: 16 at a time). */
static const char *
chunk(const char *s)
{
	static char	 buf[16][512];
	static int	 n;

	n = (n + 1) % 16;
	snprintf(buf[n], sizeof buf[n], "%zx\r\n%s\r\n", strlen(s), s);
	return buf[n];
}

#define OK_HDR	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
#define CHUNKED	OK_HDR "Transfer-Encoding: chunked\r\n\r\n"

/* A 200 with body, Content-Length right. */
static const char *
reply200(const char *body, size_t len)
{
	static char	 buf[8][1024];
	static int	 n;

	n = (n + 1) % 8;
	snprintf(buf[n], sizeof buf[n], OK_HDR "Content-Length: %zu\r\n\r\n",
	    len);
	return buf[n];
}

/* An operation of kind on client e against scene s: its rc. */
static enum etcd_rc
op_on(struct etcd *e, struct scene *s, const char *kind)
{
	struct got	 g = { 0 };
	enum etcd_rc	 rc;

	memset(&g, 0, sizeof g);
	set_scene(s);
	if (strcmp(kind, "txn") == 0)
		SYNC(g, etcd_txn_create(e, "k", 1, "v", 1, 0, got_cb, &g));
	else if (strcmp(kind, "keepalive") == 0)
		SYNC(g, etcd_lease_keepalive(e, 1, got_cb, &g));
	else if (strcmp(kind, "grant") == 0)
		SYNC(g, etcd_lease_grant(e, 5, got_cb, &g));
	else
		SYNC(g, etcd_range(e, "k", 1, 1, got_cb, &g));
	rc = g.done ? g.rc : (enum etcd_rc)-1;
	got_clear(&g);
	return rc;
}

struct body_case {
	const char	*name, *kind, *body;
	enum etcd_rc	 want;
};

static const struct body_case body_cases[] = {
	{ "not JSON", "range", "nonsense{", ETCD_BADREPLY },
	{ "a JSON array", "range", "[1,2]", ETCD_BADREPLY },
	{ "kvs a string", "range", "{\"kvs\":\"x\"}", ETCD_BADREPLY },
	{ "a revision as a double", "range",
	    "{\"header\":{\"revision\":1e300}}", ETCD_BADREPLY },
	{ "a revision that overflows", "range",
	    "{\"header\":{\"revision\":\"99999999999999999999\"}}",
	    ETCD_BADREPLY },
	{ "a revision with junk", "range",
	    "{\"header\":{\"revision\":\"12abc\"}}", ETCD_BADREPLY },
	{ "a key not base64", "range", "{\"kvs\":[{\"key\":\"!!!!\"}]}",
	    ETCD_BADREPLY },
	{ "a key unpadded", "range", "{\"kvs\":[{\"key\":\"Zm9\"}]}",
	    ETCD_BADREPLY },
	{ "a kv without key", "range", "{\"kvs\":[{\"value\":\"Zm9v\"}]}",
	    ETCD_BADREPLY },
	{ "a kv that is a number", "range", "{\"kvs\":[7]}", ETCD_BADREPLY },
	{ "more a string", "range", "{\"more\":\"yes\"}", ETCD_BADREPLY },
	{ "a txn without responses", "txn", "{\"responses\":[]}",
	    ETCD_BADREPLY },
	{ "a txn with succeeded 1", "txn", "{\"succeeded\":1}",
	    ETCD_BADREPLY },
	{ "a keepalive with a stream error", "keepalive",
	    "{\"error\":{\"grpc_code\":14}}", ETCD_BADREPLY },
	{ "a grant without ID", "grant", "{\"TTL\":\"5\"}", ETCD_BADREPLY },
	{ "a negative TTL", "grant", "{\"ID\":\"1\",\"TTL\":\"-5\"}",
	    ETCD_BADREPLY },
	{ "an empty body", "range", "", ETCD_BADREPLY },
	{ "a good range", "range", "{\"header\":{\"revision\":\"9\"},"
	    "\"kvs\":[{\"key\":\"aw==\",\"value\":\"\",\"mod_revision\":"
	    "\"9223372036854775807\"}],\"count\":\"1\"}", ETCD_OK },
};

/* Unary replies: bodies, then broken HTTP. */
static void
t_unary(struct etcd *e)
{
	static struct scene	 s;
	static char		 deep[200001], nul[] = "{\"kvs\":[]}\0{}";
	enum etcd_rc		 rc;
	size_t			 i;

	for (i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) {
		const struct body_case *c = &body_cases[i];

		memset(&s, 0, sizeof s);
		s.piece[0] = reply200(c->body, strlen(c->body));
		s.piece[1] = c->body;
		rc = op_on(e, &s, c->kind);
		ok(rc == c->want, "%s: %s", c->name, etcd_rc_str(rc));
	}
	memset(deep, '[', sizeof deep - 1);
	memset(&s, 0, sizeof s);
	s.piece[0] = reply200(deep, sizeof deep - 1);
	s.piece[1] = deep;
	rc = op_on(e, &s, "range");
	ok(rc == ETCD_BADREPLY, "200000 brackets deep: %s", etcd_rc_str(rc));
	memset(&s, 0, sizeof s);
	s.piece[0] = reply200(nul, sizeof nul - 1);
	s.piece[1] = nul;
	s.len[1] = sizeof nul - 1;
	rc = op_on(e, &s, "range");
	ok(rc == ETCD_BADREPLY, "a NUL inside: %s", etcd_rc_str(rc));

	struct { const char *name; int code; const char *p0, *p1;
	    enum etcd_rc want; } h[] = {
		{ "a huge Content-Length", 0, OK_HDR
		    "Content-Length: 99999999999999\r\n\r\n", "{}",
		    ETCD_BADREPLY },
		{ "a body cut short", 0, OK_HDR "Content-Length: 100\r\n\r\n",
		    "{\"kvs\":", -1 },
		{ "a huge chunk", 0, CHUNKED, "fffffffffffffff\r\n{}",
		    ETCD_BADREPLY },
		{ "a chunk length of junk", 0, CHUNKED, "zz\r\n{}\r\n",
		    ETCD_BADREPLY },
		{ "a chunk cut short", 0, CHUNKED, "100\r\n{\"kvs\"", -1 },
		{ "no status line", 0, "HELLO\r\n\r\n", NULL, -1 },
		{ "headers of 100 KB", 0, OK_HDR "X-Junk: ", NULL, -1 },
		{ "a 500 with junk", 500, NULL, "x{z", ETCD_ERROR },
		{ "a 404", 404, NULL, "{\"error\":\"lease not found\","
		    "\"code\":5}", ETCD_ERROR },
		{ "a 503 no leader", 503, NULL, "{\"error\":\"etcdserver: "
		    "no leader\",\"code\":14}", ETCD_UNAVAILABLE },
		{ "a 503 timed out", 503, NULL, "{\"error\":\"etcdserver: "
		    "request timed out\",\"code\":14}", ETCD_UNKNOWN },
	};
	char		 head[128];
	static char	 junk[100001];

	memset(junk, 'j', sizeof junk - 1);
	for (i = 0; i < sizeof h / sizeof h[0]; i++) {
		memset(&s, 0, sizeof s);
		s.piece[0] = h[i].p0;
		s.piece[1] = h[i].p1;
		if (h[i].code != 0) {
			snprintf(head, sizeof head, "HTTP/1.1 %d X\r\n"
			    "Content-Length: %zu\r\n\r\n", h[i].code,
			    strlen(h[i].p1));
			s.piece[0] = head;
		}
		if (strcmp(h[i].name, "headers of 100 KB") == 0)
			s.piece[1] = junk;
		rc = op_on(e, &s, "range");
		if ((int)h[i].want == -1)
			ok(rc == ETCD_UNKNOWN, "%s: %s", h[i].name,
			    etcd_rc_str(rc));
		else
			ok(rc == h[i].want, "%s: %s", h[i].name,
			    etcd_rc_str(rc));
	}
}

/*
 * An election: both members say "no leader" for a round, then one has
 * a leader.  A txn waits it out within its deadline; a single member
 * that stays leaderless fails, unapplied, with etcd's words, before the
 * deadline rather than at it.
 */
static void
t_election(const char *url)
{
	static struct scene	 nl[2], good, stay;
	static const char	 ok_body[] = "{\"header\":{\"revision\":\"3\"},"
	    "\"succeeded\":true}", nl_body[] = "{\"error\":\"etcdserver: "
	    "no leader\",\"code\":14}";
	static char		 head[2][128];
	const char		*urls[2] = { url, url };
	struct etcd		*e;
	struct got		 g = { 0 };
	struct timeval		 t0, t1;
	long			 ms;

	snprintf(head[0], sizeof head[0], OK_HDR "Content-Length: %zu\r\n"
	    "\r\n", strlen(ok_body));
	snprintf(head[1], sizeof head[1], "HTTP/1.1 503 X\r\n"
	    "Content-Length: %zu\r\n\r\n", strlen(nl_body));
	memset(&good, 0, sizeof good);
	good.piece[0] = head[0];
	good.piece[1] = ok_body;
	memset(nl, 0, sizeof nl);
	nl[0].piece[0] = nl[1].piece[0] = head[1];
	nl[0].piece[1] = nl[1].piece[1] = nl_body;
	nl[0].then = &nl[1];
	nl[1].then = &good;
	e = etcd_new(base, urls, 2, 3000, NULL);
	set_scene(&nl[0]);
	SYNC(g, etcd_txn_create(e, "k", 1, "v", 1, 0, got_cb, &g));
	ok(g.rc == ETCD_OK, "no leader at both members, then one: a txn "
	    "waits for the election: %s %s", etcd_rc_str(g.rc),
	    g.msg);
	got_clear(&g);
	etcd_free(e);

	memset(&stay, 0, sizeof stay);
	stay.piece[0] = head[1];
	stay.piece[1] = nl_body;
	e = etcd_new(base, &url, 1, 1500, NULL);
	set_scene(&stay);
	gettimeofday(&t0, NULL);
	SYNC(g, etcd_txn_create(e, "k", 1, "v", 1, 0, got_cb, &g));
	gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) /
	    1000;
	ok(g.rc == ETCD_UNAVAILABLE &&
	    strstr(g.msg, "no leader") != NULL && ms < 1500, "no leader "
	    "for good: unavailable, in %ld ms (deadline 1500): %s", ms,
	    g.msg);
	got_clear(&g);
	etcd_free(e);
}

/*
 * Two endpoints (both the fake server): the first answer is a failure,
 * the second a good one.  What goes to the second member says which
 * failures the client deems never applied (a 503 "no leader") and which
 * maybe applied: those a txn reports as unknown, a put retries.
 */
static void
t_failover(const char *url)
{
	static struct scene	 bad, good;
	static const char	 ok_body[] = "{\"header\":{\"revision\":\"3\"},"
	    "\"succeeded\":true}";
	static char		 head[3][128];
	const char		*urls[2] = { url, url };
	struct etcd		*e;
	enum etcd_rc		 rc;
	struct { const char *name, *kind, *body; int code, cut;
	    enum etcd_rc want; } c[] = {
		{ "a 503 no leader, a txn: next member", "txn",
		    "{\"error\":\"etcdserver: no leader\",\"code\":14}", 503,
		    0, ETCD_OK },
		{ "a 503 timed out, a txn: unknown", "txn",
		    "{\"error\":\"etcdserver: request timed out\","
		    "\"code\":14}", 503, 0, ETCD_UNKNOWN },
		{ "a 503 timed out, a range: next member", "range",
		    "{\"error\":\"etcdserver: request timed out\","
		    "\"code\":14}", 503, 0, ETCD_OK },
		{ "cut mid-reply, a txn: unknown", "txn", "{\"hea", 200, 1,
		    ETCD_UNKNOWN },
		{ "cut mid-reply, a range: next member", "range", "{\"hea",
		    200, 1, ETCD_OK },
		{ "a 400, a range: etcd's error, no retry", "range",
		    "{\"error\":\"bad\",\"code\":3}", 400, 0, ETCD_ERROR },
	};
	size_t			 i;

	e = etcd_new(base, urls, 2, 3000, NULL);
	memset(&good, 0, sizeof good);
	snprintf(head[0], sizeof head[0], OK_HDR "Content-Length: %zu\r\n"
	    "\r\n", strlen(ok_body));
	good.piece[0] = head[0];
	good.piece[1] = ok_body;
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		memset(&bad, 0, sizeof bad);
		snprintf(head[1], sizeof head[1], "HTTP/1.1 %d X\r\n"
		    "Content-Length: %zu\r\n\r\n", c[i].code,
		    strlen(c[i].body) + (c[i].cut ? 100 : 0));
		bad.piece[0] = head[1];
		bad.piece[1] = c[i].body;
		bad.then = &good;
		rc = op_on(e, &bad, c[i].kind);
		ok(rc == c[i].want, "%s: %s", c[i].name, etcd_rc_str(rc));
	}
	etcd_free(e);
}

/* Last: the server sleeps through it and takes no one else meanwhile. */
static void
t_silence(struct etcd *e)
{
	static struct scene	 s;
	enum etcd_rc		 rc;

	/* Too long to read, but a txn's reply: it was done, somehow. */
	memset(&s, 0, sizeof s);
	s.piece[0] = OK_HDR "Content-Length: 99999999999999\r\n\r\n";
	rc = op_on(e, &s, "txn");
	ok(rc == ETCD_UNKNOWN, "a txn's reply too long: %s", etcd_rc_str(rc));
	memset(&s, 0, sizeof s);
	s.hang = 1;
	rc = op_on(e, &s, "txn");
	ok(rc == ETCD_UNKNOWN, "no answer within the deadline: %s",
	    etcd_rc_str(rc));
}

/* A watch against scene s until it ends. */
static void
watch_on(struct etcd *e, struct scene *s, struct wgot *w)
{
	wgot_clear(w);
	set_scene(s);
	if (etcd_watch(e, "", 0, 5, wgot_ev, wgot_end, w) == NULL) {
		ok(0, "etcd_watch returned NULL");
		return;
	}
	run_until(&w->ended, 10000);
}

#define CREATED	"{\"result\":{\"header\":{\"revision\":\"4\"},\"created\":true}}\n"

static void
t_watch(struct etcd *e)
{
	static struct scene	 s;
	static char		*big;
	struct wgot		 w = { 0 };

	memset(&w, 0, sizeof w);
	/* A good stream cut anywhere: inside a line, inside base64,
	 * just before its '\n', two lines in one chunk. */
	memset(&s, 0, sizeof s);
	s.piece[0] = CHUNKED;
	s.piece[1] = chunk("{\"result\":{\"header\":{\"rev");
	s.piece[2] = chunk("ision\":\"4\"},\"created\":tr");
	s.piece[3] = chunk("ue}}\n{\"result\":{\"events\":[{\"kv\":{\"key\":\"YQ");
	s.piece[4] = chunk("==\",\"value\":\"YmM=\",\"mod_revision\":\"5\"}},"
	    "{\"type\":\"DELETE\",\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"6\"}}]}}");
	s.piece[5] = chunk("\n");
	s.piece[6] = chunk("{\"result\":{\"events\":[{\"type\":\"PUT\",\"kv\":"
	    "{\"key\":\"Yg==\",\"value\":\"\",\"mod_revision\":\"7\"}}]}}\n"
	    "{\"result\":{\"header\":{\"revision\":\"7\"}}}\n");
	s.piece[7] = "0\r\n\r\n";
	watch_on(e, &s, &w);
	ok(w.n == 3 && w.type[0] == ETCD_EV_PUT && strcmp(w.key[0], "a") == 0
	    && strcmp(w.val[0], "bc") == 0 && w.type[1] == ETCD_EV_DELETE &&
	    w.modrev[1] == 6 && strcmp(w.key[2], "b") == 0 && w.vallen[2] == 0,
	    "a stream cut across chunks: 3 events (%zu)", w.n);
	ok(w.ended && w.end_rc == ETCD_EOF && w.next_rev == 8,
	    "then EOF, to resume from 8 (%s, %lld: %s)",
	    etcd_rc_str(w.end_rc), (long long)w.next_rev, w.end_msg);

	struct { const char *name, *line; enum etcd_rc want; } l[] = {
		{ "a line of nonsense", "nonsense\n", ETCD_BADREPLY },
		{ "an event of a bad type", "{\"result\":{\"events\":[{\"type\":"
		    "\"EXPLODE\",\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"5\"}}]}}\n",
		    ETCD_BADREPLY },
		{ "an event without mod_revision", "{\"result\":{\"events\":"
		    "[{\"kv\":{\"key\":\"YQ==\"}}]}}\n", ETCD_BADREPLY },
		{ "events not an array", "{\"result\":{\"events\":{}}}\n",
		    ETCD_BADREPLY },
		{ "canceled, compacted", "{\"result\":{\"canceled\":true,"
		    "\"compact_revision\":\"3\"}}\n", ETCD_COMPACTED },
		{ "a stream error", "{\"error\":{\"grpc_code\":14,\"http_code\":"
		    "503,\"message\":\"etcdserver: no leader\"}}\n",
		    ETCD_UNAVAILABLE },
	};
	size_t	 i;

	for (i = 0; i < sizeof l / sizeof l[0]; i++) {
		memset(&s, 0, sizeof s);
		s.piece[0] = CHUNKED;
		s.piece[1] = chunk(CREATED);
		s.piece[2] = chunk(l[i].line);
		watch_on(e, &s, &w);
		ok(w.ended && w.end_rc == l[i].want && w.n == 0, "watch, %s: "
		    "%s", l[i].name, etcd_rc_str(w.end_rc));
	}
	memset(&s, 0, sizeof s);
	s.piece[0] = CHUNKED;
	s.piece[1] = chunk("{\"result\":{\"events\":[]}}\n");
	watch_on(e, &s, &w);
	ok(w.ended && w.end_rc == ETCD_BADREPLY, "watch, events before "
	    "created: %s", etcd_rc_str(w.end_rc));
	memset(&s, 0, sizeof s);
	s.piece[0] = CHUNKED;
	s.piece[1] = chunk(CREATED);
	s.piece[2] = "fffffffffffff\r\nxx";
	watch_on(e, &s, &w);
	ok(w.ended && w.end_rc != ETCD_OK, "watch, a huge chunk: %s",
	    etcd_rc_str(w.end_rc));

	/* 9 MB without a '\n', in 1 MB chunks. */
	big = malloc(9 * ((1 << 20) + 16));
	memset(&s, 0, sizeof s);
	s.piece[0] = CHUNKED;
	s.piece[1] = chunk(CREATED);
	{
		size_t	 off = 0, j, n = 1 << 20;

		for (j = 0; j < 9; j++) {
			off += (size_t)sprintf(big + off, "%zx\r\n", n);
			memset(big + off, 'x', n);
			off += n;
			off += (size_t)sprintf(big + off, "\r\n");
		}
		s.piece[2] = big;
		s.len[2] = off;
	}
	watch_on(e, &s, &w);
	ok(w.ended && w.end_rc == ETCD_BADREPLY, "watch, a line of 9 MB: %s",
	    etcd_rc_str(w.end_rc));
	free(big);
	memset(&s, 0, sizeof s);
	s.piece[0] = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n";
	s.piece[1] = "not found";
	watch_on(e, &s, &w);
	ok(w.ended && w.end_rc == ETCD_ERROR, "watch, a 404: %s",
	    etcd_rc_str(w.end_rc));
	wgot_clear(&w);
}

void
test_garbage(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	pthread_t		 t;
	struct etcd		*e;
	struct got		 g = { 0 };
	char			 url[64], refused[64];
	const char		*u = url, *r = refused;
	int			 one = 1;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((listen_fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) == -1 ||
	    bind(listen_fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    getsockname(listen_fd, (struct sockaddr *)&sin, &slen) == -1 ||
	    listen(listen_fd, 16) == -1) {
		ok(0, "the fake server: %s", strerror(errno));
		return;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sin.sin_port));
	pthread_create(&t, NULL, server, NULL);
	pthread_detach(t);

	e = etcd_new(base, &u, 1, 1500, NULL);
	t_unary(e);
	t_watch(e);
	t_silence(e);
	etcd_free(e);
	t_failover(url);
	t_election(url);

	/* A port nobody listens on: refused, so surely not applied. */
	snprintf(refused, sizeof refused, "http://127.0.0.1:1");
	e = etcd_new(base, &r, 1, 1500, NULL);
	memset(&g, 0, sizeof g);
	SYNC(g, etcd_txn_create(e, "k", 1, "v", 1, 0, got_cb, &g));
	ok(g.rc == ETCD_UNAVAILABLE, "connection refused: %s",
	    etcd_rc_str(g.rc));
	got_clear(&g);
	etcd_free(e);

	ok(etcd_new(base, (const char *[]){ "https://x" }, 1, 0, NULL) ==
	    NULL && etcd_new(base, (const char *[]){ "http://x/v3" }, 1, 0,
	    NULL) == NULL && etcd_new(base, (const char *[]){
	    "http://localhost:2379" }, 1, 0, NULL) == NULL, "bad URLs "
	    "refused, and names (they would need a blocking lookup)");
	e = etcd_new(base, (const char *[]){ "http://[::1]:2379",
	    "http://127.0.0.1" }, 2, 0, NULL);
	ok(e != NULL, "IPv6 and IPv4 addresses taken");
	etcd_free(e);
}
