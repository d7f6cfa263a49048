/*
 * etcd-test.c: the etcd client (toolstack/cluster/) in a libevent loop
 * of its own, against a real cluster and against a fake server of ours
 * that answers garbage.  TAP on stdout; exit 1 if a check failed.
 *
 *   etcd-test basic URL,URL,URL     round trips, CAS, races, leases, watches
 *   etcd-test failover URL,URL,URL  the first member is dead: all still works
 *   etcd-test watchkill URLS PID     a watch whose member (PID) is killed
 *   etcd-test quorum-lost URLS       two members dead: clear failures
 *   etcd-test quorum-back URLS       and then back: all works again
 *   etcd-test garbage               the fake server (no etcd needed)
 *
 * tests/cluster/etcd.sh runs it inside the test bed (bed.sh).
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/event.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/etcd.h"
#include "etcd-test.h"

struct event_base	*base;
static int			 ntest, nfail;
static char			 prefix[64];	/* t/<pid>/: this run's keys */

void
ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		nfail++;
}

/* ---- the loop, run until a flag is set ------------------------------- */

static void
expired_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Run the loop until *flag or ms pass; 0 if the flag came first. */
int
run_until(const int *flag, unsigned ms)
{
	struct event	*t;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };
	int		 expired = 0;

	t = evtimer_new(base, expired_cb, &expired);
	evtimer_add(t, &tv);
	while (!*flag && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	return *flag ? 0 : -1;
}

void
sleep_loop(unsigned ms)
{
	int	 never = 0;

	run_until(&never, ms);
}

/* ---- one operation's outcome, copied out of its callback ------------- */

static char *
dup_bytes(const char *p, size_t len)
{
	char	*s = malloc(len + 1);

	if (s == NULL)
		abort();
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

void
got_clear(struct got *g)
{
	size_t	 i;

	for (i = 0; i < NKV; i++) {
		free(g->key[i]);
		free(g->val[i]);
	}
	memset(g, 0, sizeof *g);
}

void
got_cb(const struct etcd_result *r, void *arg)
{
	struct got	*g = arg;
	size_t		 i;

	g->done = 1;
	g->rc = r->rc;
	snprintf(g->msg, sizeof g->msg, "%s", r->errmsg ? r->errmsg : "");
	g->revision = r->revision;
	g->count = r->count;
	g->deleted = r->deleted;
	g->lease_id = r->lease_id;
	g->ttl = r->ttl;
	g->succeeded = r->succeeded;
	g->nkvs = r->nkvs;
	for (i = 0; i < r->nkvs && i < NKV; i++) {
		g->key[i] = dup_bytes(r->kvs[i].key, r->kvs[i].keylen);
		g->keylen[i] = r->kvs[i].keylen;
		g->val[i] = dup_bytes(r->kvs[i].value ? r->kvs[i].value : "",
		    r->kvs[i].valuelen);
		g->vallen[i] = r->kvs[i].valuelen;
		g->modrev[i] = r->kvs[i].mod_revision;
		g->createrev[i] = r->kvs[i].create_revision;
	}
}

/* This run's key for name (static storage: good for 32 calls). */
static const char *
K(const char *name)
{
	static char	 buf[32][256];
	static int	 n;

	n = (n + 1) % 32;
	snprintf(buf[n], sizeof buf[n], "%s%s", prefix, name);
	return buf[n];
}

/* ---- watches ------------------------------------------------------------- */

void
wgot_clear(struct wgot *w)
{
	size_t	 i;

	for (i = 0; i < w->n; i++) {
		free(w->key[i]);
		free(w->val[i]);
	}
	memset(w, 0, sizeof *w);
}

void
wgot_ev(const struct etcd_event *ev, size_t n, void *arg)
{
	struct wgot	*w = arg;
	size_t		 i;

	for (i = 0; i < n && w->n < NEV; i++, w->n++) {
		w->type[w->n] = ev[i].type;
		w->key[w->n] = dup_bytes(ev[i].kv.key, ev[i].kv.keylen);
		w->val[w->n] = dup_bytes(ev[i].kv.value ? ev[i].kv.value : "",
		    ev[i].kv.valuelen);
		w->vallen[w->n] = ev[i].kv.valuelen;
		w->modrev[w->n] = ev[i].kv.mod_revision;
	}
}

void
wgot_end(enum etcd_rc rc, const char *msg, int64_t next_rev, void *arg)
{
	struct wgot	*w = arg;

	w->ended = 1;
	w->end_rc = rc;
	w->next_rev = next_rev;
	snprintf(w->end_msg, sizeof w->end_msg, "%s", msg);
}

/* Wait until w has n events (or ended, or ms passed). */
void
wait_events(struct wgot *w, size_t n, unsigned ms)
{
	struct timeval	 t0, t;
	int		 flag = 0;

	gettimeofday(&t0, NULL);
	while (w->n < n && !w->ended) {
		gettimeofday(&t, NULL);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_usec - t0.tv_usec) / 1000 > (long)ms)
			break;
		flag = 0;
		run_until(&flag, 50);
	}
}

/* ---- against the real cluster ------------------------------------------- */

static int
same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* The largest value (ETCD_VALUE_MAX) goes and comes back; one byte
 * more is refused before anything is sent. */
static void
t_big(struct etcd *e)
{
	struct got	 g = { 0 };
	char		*big;
	size_t		 i;

	if ((big = malloc(ETCD_VALUE_MAX + 1)) == NULL)
		abort();
	for (i = 0; i <= ETCD_VALUE_MAX; i++)
		big[i] = (char)(i * 7);
	SYNC(g, etcd_put(e, K("big"), strlen(K("big")), big, ETCD_VALUE_MAX,
	    0, got_cb, &g));
	ok(g.rc == ETCD_OK, "put of %d bytes: %s %s", ETCD_VALUE_MAX,
	    etcd_rc_str(g.rc), g.msg);
	SYNC(g, etcd_range(e, K("big"), strlen(K("big")), 0, got_cb, &g));
	ok(g.nkvs == 1 && same(g.val[0], g.vallen[0], big, ETCD_VALUE_MAX),
	    "and back, byte for byte");
	ok(etcd_put(e, "k", 1, big, ETCD_VALUE_MAX + 1, 0, got_cb, &g) ==
	    NULL, "one byte more is refused at once");
	free(big);
	got_clear(&g);
}

/* Binary keys and values go and come back byte for byte. */
static void
t_roundtrip(struct etcd *e)
{
	struct got	 g = { 0 };
	char		 key[64], val[256];
	size_t		 keylen, i;
	int64_t		 rev;

	keylen = (size_t)snprintf(key, sizeof key, "%sbin/", prefix);
	key[keylen++] = '\0';
	key[keylen++] = (char)0xff;
	for (i = 0; i < sizeof val; i++)
		val[i] = (char)i;
	SYNC(g, etcd_put(e, key, keylen, val, sizeof val, 0, got_cb, &g));
	ok(g.rc == ETCD_OK && g.revision > 0, "put: %s, revision %" PRId64,
	    etcd_rc_str(g.rc), g.revision);
	rev = g.revision;
	SYNC(g, etcd_range(e, key, keylen, 0, got_cb, &g));
	ok(g.rc == ETCD_OK && g.nkvs == 1 && same(g.key[0], g.keylen[0],
	    key, keylen) && same(g.val[0], g.vallen[0], val, sizeof val),
	    "range: the 256 byte values and the key with NUL and 0xff back");
	ok(g.nkvs == 1 && g.modrev[0] == rev && g.revision >= rev,
	    "range: mod_revision %" PRId64 " is the put's",
	    g.nkvs ? g.modrev[0] : -1);
	SYNC(g, etcd_range(e, K("absent"), strlen(K("absent")), 0, got_cb,
	    &g));
	ok(g.rc == ETCD_OK && g.nkvs == 0, "range of an absent key: no kvs");
	SYNC(g, etcd_delete(e, key, keylen, 0, got_cb, &g));
	ok(g.rc == ETCD_OK && g.deleted == 1, "delete: 1 deleted");
	got_clear(&g);
	t_big(e);
}

static void
t_prefix(struct etcd *e)
{
	struct got	 g = { 0 };
	const char	*names[] = { "p/a", "p/b", "p/c", "p0", "p" };
	size_t		 i;

	for (i = 0; i < 5; i++)
		SYNC(g, etcd_put(e, K(names[i]), strlen(K(names[i])), "x", 1,
		    0, got_cb, &g));
	SYNC(g, etcd_range(e, K("p/"), strlen(K("p/")), 1, got_cb, &g));
	ok(g.rc == ETCD_OK && g.nkvs == 3 && g.count == 3 &&
	    strcmp(g.key[0], K("p/a")) == 0 && strcmp(g.key[2], K("p/c")) == 0,
	    "prefix range: p/a, p/b, p/c and not p0 or p (%zu kvs)", g.nkvs);
	SYNC(g, etcd_delete(e, K("p/"), strlen(K("p/")), 1, got_cb, &g));
	ok(g.rc == ETCD_OK && g.deleted == 3, "prefix delete: 3 deleted");
	SYNC(g, etcd_range(e, K("p"), strlen(K("p")), 1, got_cb, &g));
	ok(g.nkvs == 2, "p0 and p are left");
	got_clear(&g);
}

static void
t_cas(struct etcd *e)
{
	struct got	 g = { 0 };
	const char	*k = K("cas");
	int64_t		 r1;

	SYNC(g, etcd_put(e, k, strlen(k), "v1", 2, 0, got_cb, &g));
	r1 = g.revision;
	SYNC(g, etcd_txn_cas(e, k, strlen(k), r1, "v2", 2, 0, got_cb, &g));
	ok(g.rc == ETCD_OK && g.succeeded, "CAS at the current revision "
	    "succeeds");
	SYNC(g, etcd_txn_cas(e, k, strlen(k), r1, "v3", 2, 0, got_cb, &g));
	ok(g.rc == ETCD_OK && !g.succeeded && g.nkvs == 1 &&
	    strcmp(g.val[0], "v2") == 0 && g.modrev[0] > r1,
	    "CAS at a stale revision fails and returns v2 at %" PRId64,
	    g.nkvs ? g.modrev[0] : -1);
	SYNC(g, etcd_txn_create(e, k, strlen(k), "v4", 2, 0, got_cb, &g));
	ok(g.rc == ETCD_OK && !g.succeeded && g.nkvs == 1 &&
	    strcmp(g.val[0], "v2") == 0, "create of an existing key fails, "
	    "returns its value");
	got_clear(&g);
}

/* Two clients, each through another member, create one key at once. */
static void
t_race(const char *const *urls, size_t nurls)
{
	struct etcd	*e1, *e2;
	const char	*rot[ETCD_ENDPOINTS_MAX];
	struct got	 g1 = { 0 }, g2 = { 0 };
	char		 k[128];
	size_t		 i;
	int		 round, good = 0;

	for (i = 0; i < nurls; i++)
		rot[i] = urls[(i + 1) % nurls];
	e1 = etcd_new(base, urls, nurls, 5000, NULL);
	e2 = etcd_new(base, rot, nurls, 5000, NULL);
	memset(&g1, 0, sizeof g1);
	memset(&g2, 0, sizeof g2);
	for (round = 0; round < 10; round++) {
		snprintf(k, sizeof k, "%srace/%d", prefix, round);
		got_clear(&g1);
		got_clear(&g2);
		etcd_txn_create(e1, k, strlen(k), "one", 3, 0, got_cb, &g1);
		etcd_txn_create(e2, k, strlen(k), "two", 3, 0, got_cb, &g2);
		run_until(&g1.done, 10000);
		run_until(&g2.done, 10000);
		if (g1.rc == ETCD_OK && g2.rc == ETCD_OK &&
		    g1.succeeded + g2.succeeded == 1 &&
		    (g1.succeeded ? g2.nkvs == 1 && strcmp(g2.val[0], "one")
		    == 0 : g1.nkvs == 1 && strcmp(g1.val[0], "two") == 0))
			good++;
	}
	ok(good == 10, "create-if-absent from two clients at once: exactly "
	    "one wins, the loser sees its value (%d of 10 rounds)", good);
	got_clear(&g1);
	got_clear(&g2);
	etcd_free(e1);
	etcd_free(e2);
}

static void
t_lease(struct etcd *e)
{
	struct got		 g = { 0 };
	struct wgot		 w = { 0 };
	struct etcd_watch	*wh;
	const char		*k = K("lease/host");
	int64_t			 id;
	int			 i, alive = 1;

	memset(&w, 0, sizeof w);
	SYNC(g, etcd_lease_grant(e, 2, got_cb, &g));
	id = g.lease_id;
	ok(g.rc == ETCD_OK && id > 0 && g.ttl == 2, "lease grant: ID %"
	    PRId64 " TTL %" PRId64, id, g.ttl);
	SYNC(g, etcd_put(e, k, strlen(k), "up", 2, id, got_cb, &g));
	wh = etcd_watch(e, K("lease/"), strlen(K("lease/")), 0, wgot_ev,
	    wgot_end, &w);
	sleep_loop(300);
	for (i = 0; i < 8; i++) {	/* 4 s: twice the TTL */
		SYNC(g, etcd_lease_keepalive(e, id, got_cb, &g));
		if (g.rc != ETCD_OK || g.ttl <= 0)
			alive = 0;
		sleep_loop(500);
	}
	ok(alive, "8 keepalives over 4 s, each with TTL left");
	SYNC(g, etcd_range(e, k, strlen(k), 0, got_cb, &g));
	ok(g.nkvs == 1 && g.modrev[0] > 0, "the key lives past its TTL");
	wait_events(&w, 1, 8000);
	ok(w.n == 1 && w.type[0] == ETCD_EV_DELETE &&
	    strcmp(w.key[0], k) == 0 && !w.ended,
	    "without keepalives the lease expires: DELETE on the watch");
	SYNC(g, etcd_range(e, k, strlen(k), 0, got_cb, &g));
	ok(g.rc == ETCD_OK && g.nkvs == 0, "and the key is gone");
	SYNC(g, etcd_lease_keepalive(e, id, got_cb, &g));
	ok(g.rc == ETCD_OK && g.ttl == 0, "a keepalive of the dead lease: "
	    "TTL 0");
	SYNC(g, etcd_lease_grant(e, 60, got_cb, &g));
	id = g.lease_id;
	SYNC(g, etcd_put(e, k, strlen(k), "up", 2, id, got_cb, &g));
	SYNC(g, etcd_lease_revoke(e, id, got_cb, &g));
	ok(g.rc == ETCD_OK, "revoke");
	SYNC(g, etcd_range(e, k, strlen(k), 0, got_cb, &g));
	ok(g.nkvs == 0, "a revoked lease's key is gone");
	SYNC(g, etcd_lease_revoke(e, id, got_cb, &g));
	ok(g.rc == ETCD_ERROR && g.msg[0] != '\0', "revoke again: error "
	    "(%s)", g.msg);
	etcd_watch_cancel(wh);
	wgot_clear(&w);
	got_clear(&g);
}

/* A watch from a revision replays; one resumed gets what it missed. */
static void
t_resume(struct etcd *e)
{
	struct got		 g = { 0 };
	struct wgot		 w = { 0 };
	struct etcd_watch	*wh;
	char			 p[256];
	int64_t			 r1, next;

	snprintf(p, sizeof p, "%s", K("w/"));
	SYNC(g, etcd_put(e, K("w/1"), strlen(K("w/1")), "a", 1, 0, got_cb,
	    &g));
	r1 = g.revision;
	SYNC(g, etcd_put(e, K("w/2"), strlen(K("w/2")), "b", 1, 0, got_cb,
	    &g));
	SYNC(g, etcd_delete(e, K("w/1"), strlen(K("w/1")), 0, got_cb, &g));
	wh = etcd_watch(e, p, strlen(p), r1, wgot_ev, wgot_end, &w);
	wait_events(&w, 3, 5000);
	ok(w.n == 3 && w.type[0] == ETCD_EV_PUT && strcmp(w.val[0], "a") == 0
	    && w.modrev[0] == r1 && strcmp(w.val[1], "b") == 0 &&
	    w.type[2] == ETCD_EV_DELETE && strcmp(w.key[2], K("w/1")) == 0,
	    "a watch from revision %" PRId64 " replays PUT, PUT, DELETE "
	    "(%zu events%s%s)", r1, w.n, w.ended ? ", ended: " : "",
	    w.ended ? w.end_msg : "");
	etcd_watch_cancel(wh);
	wgot_clear(&w);
	wh = etcd_watch(e, p, strlen(p), 0, wgot_ev, wgot_end, &w);
	sleep_loop(300);
	SYNC(g, etcd_put(e, K("w/3"), strlen(K("w/3")), "c", 1, 0, got_cb,
	    &g));
	wait_events(&w, 1, 5000);
	next = w.n == 1 ? w.modrev[0] + 1 : 0;
	ok(w.n == 1 && strcmp(w.val[0], "c") == 0, "a watch from now sees a "
	    "put");
	etcd_watch_cancel(wh);
	wgot_clear(&w);
	SYNC(g, etcd_put(e, K("w/4"), strlen(K("w/4")), "d", 1, 0, got_cb,
	    &g));
	SYNC(g, etcd_put(e, K("w/5"), strlen(K("w/5")), "e", 1, 0, got_cb,
	    &g));
	wh = etcd_watch(e, p, strlen(p), next, wgot_ev, wgot_end, &w);
	wait_events(&w, 2, 5000);
	sleep_loop(200);
	ok(w.n == 2 && strcmp(w.val[0], "d") == 0 && strcmp(w.val[1], "e")
	    == 0, "resumed from %" PRId64 ", it gets the 2 it missed (%zu "
	    "events)", next, w.n);
	etcd_watch_cancel(wh);
	wgot_clear(&w);
	got_clear(&g);
}

static void
test_basic(const char *const *urls, size_t nurls)
{
	struct etcd	*e;
	char		*err = NULL;

	e = etcd_new(base, urls, nurls, 5000, &err);
	ok(e != NULL, "a client of %zu members%s%s", nurls, err ? ": " : "",
	    err ? err : "");
	if (e == NULL)
		return;
	t_roundtrip(e);
	t_prefix(e);
	t_cas(e);
	t_race(urls, nurls);
	t_lease(e);
	t_resume(e);
	etcd_free(e);
}

/* The first member is dead (killed or cut off): everything goes
 * through the others. */
static void
test_failover(const char *const *urls, size_t nurls)
{
	struct etcd		*e;
	struct got		 g = { 0 };
	struct wgot		 w = { 0 };
	struct etcd_watch	*wh;
	const char		*k = K("fo");
	struct timeval		 t0, t1;
	int64_t			 rev, rev0;

	e = etcd_new(base, urls, nurls, 5000, NULL);
	gettimeofday(&t0, NULL);
	SYNC(g, etcd_put(e, k, strlen(k), "1", 1, 0, got_cb, &g));
	gettimeofday(&t1, NULL);
	ok(g.rc == ETCD_OK, "put with %s dead: %s %s (%ld ms)", urls[0],
	    etcd_rc_str(g.rc), g.msg, (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_usec - t0.tv_usec) / 1000));
	rev0 = rev = g.revision;
	SYNC(g, etcd_range(e, k, strlen(k), 0, got_cb, &g));
	ok(g.rc == ETCD_OK && g.nkvs == 1, "range: %s", etcd_rc_str(g.rc));
	SYNC(g, etcd_txn_cas(e, k, strlen(k), rev, "2", 1, 0, got_cb, &g));
	ok(g.rc == ETCD_OK && g.succeeded, "CAS: %s %s", etcd_rc_str(g.rc),
	    g.msg);
	SYNC(g, etcd_lease_grant(e, 5, got_cb, &g));
	ok(g.rc == ETCD_OK && g.lease_id > 0, "lease grant: %s",
	    etcd_rc_str(g.rc));
	rev = g.lease_id;
	SYNC(g, etcd_lease_keepalive(e, rev, got_cb, &g));
	ok(g.rc == ETCD_OK && g.ttl > 0, "keepalive: %s", etcd_rc_str(g.rc));
	rev = 0;
	etcd_free(e);

	/* A fresh client: its watch starts on the dead member too. */
	e = etcd_new(base, urls, nurls, 5000, NULL);
	wh = etcd_watch(e, k, strlen(k), rev0, wgot_ev, wgot_end, &w);
	wait_events(&w, 2, 5000);
	ok(w.n == 2 && strcmp(w.val[1], "2") == 0, "a watch replays both "
	    "puts (%zu events%s%s)", w.n, w.ended ? ", ended: " : "",
	    w.ended ? w.end_msg : "");
	etcd_watch_cancel(wh);
	wgot_clear(&w);
	etcd_free(e);

	/* Only the dead member: refused, so not applied. */
	e = etcd_new(base, urls, 1, 3000, NULL);
	SYNC(g, etcd_put(e, k, strlen(k), "3", 1, 0, got_cb, &g));
	ok(g.rc == ETCD_UNAVAILABLE || g.rc == ETCD_UNKNOWN,
	    "only the dead member: %s (%s)", etcd_rc_str(g.rc), g.msg);
	etcd_free(e);
	got_clear(&g);
}

/* A watch through member 1, which is killed (pid) under it: the watch
 * ends, and one started again from its next revision gets, through the
 * others, what was written meanwhile. */
static void
test_watchkill(const char *const *urls, size_t nurls, pid_t pid)
{
	struct etcd		*e;
	struct got		 g = { 0 };
	struct wgot		 w = { 0 };
	struct etcd_watch	*wh;
	char			 p[256];
	int64_t			 next;

	snprintf(p, sizeof p, "%s", K("wk/"));
	e = etcd_new(base, urls, nurls, 5000, NULL);
	SYNC(g, etcd_put(e, K("wk/0"), strlen(K("wk/0")), "0", 1, 0, got_cb,
	    &g));
	wh = etcd_watch(e, p, strlen(p), g.revision, wgot_ev, wgot_end, &w);
	wait_events(&w, 1, 5000);
	ok(w.n == 1 && !w.ended, "a watch through %s sees a put", urls[0]);
	kill(pid, SIGKILL);
	run_until(&w.ended, 10000);
	ok(w.ended && (w.end_rc == ETCD_EOF || w.end_rc == ETCD_UNAVAILABLE),
	    "its member killed, the watch ends: %s (%s), next revision %"
	    PRId64, etcd_rc_str(w.end_rc), w.end_msg, w.next_rev);
	next = w.next_rev;
	(void)wh;	/* freed when it ended */
	SYNC(g, etcd_put(e, K("wk/1"), strlen(K("wk/1")), "1", 1, 0, got_cb,
	    &g));
	ok(g.rc == ETCD_OK, "a put meanwhile: %s %s", etcd_rc_str(g.rc),
	    g.msg);
	SYNC(g, etcd_put(e, K("wk/2"), strlen(K("wk/2")), "2", 1, 0, got_cb,
	    &g));
	wgot_clear(&w);
	wh = etcd_watch(e, p, strlen(p), next, wgot_ev, wgot_end, &w);
	wait_events(&w, 2, 8000);
	ok(w.n == 2 && strcmp(w.val[0], "1") == 0 && strcmp(w.val[1], "2") ==
	    0, "watched again from %" PRId64 ": the 2 puts it missed (%zu)",
	    next, w.n);
	etcd_watch_cancel(wh);
	wgot_clear(&w);
	got_clear(&g);
	etcd_free(e);
}

/* Two of three members dead: changes fail within the deadline, with
 * an answer saying so, rather than hang; "up": they work again. */
static void
test_quorum(const char *const *urls, size_t nurls, int up)
{
	struct etcd	*e;
	struct got	 g = { 0 };
	struct timeval	 t0, t1;
	long		 ms;

	e = etcd_new(base, urls, nurls, 3000, NULL);
	gettimeofday(&t0, NULL);
	SYNC(g, etcd_put(e, K("q"), strlen(K("q")), "q", 1, 0, got_cb, &g));
	gettimeofday(&t1, NULL);
	ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_usec - t0.tv_usec) / 1000);
	if (up)
		ok(g.rc == ETCD_OK, "quorum back: a put works (%s, %ld ms)",
		    etcd_rc_str(g.rc), ms);
	else
		ok(g.rc != ETCD_OK && ms < 4000, "quorum lost: a put fails in "
		    "%ld ms: %s (%s)", ms, etcd_rc_str(g.rc), g.msg);
	SYNC(g, etcd_txn_create(e, K("q2"), strlen(K("q2")), "q", 1, 0,
	    got_cb, &g));
	if (up)
		ok(g.rc == ETCD_OK && g.succeeded, "quorum back: a create "
		    "works");
	else
		ok(g.rc == ETCD_UNAVAILABLE || g.rc == ETCD_UNKNOWN,
		    "quorum lost: a create is %s (%s)", etcd_rc_str(g.rc),
		    g.msg);
	got_clear(&g);
	etcd_free(e);
}

int
main(int argc, char **argv)
{
	char		*urls[ETCD_ENDPOINTS_MAX], *list, *tok;
	size_t		 nurls = 0;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: etcd-test basic|failover|quorum-lost|"
		    "quorum-back URLS | watchkill URLS PID | garbage\n");
		return 2;
	}
	snprintf(prefix, sizeof prefix, "t/%ld/", (long)getpid());
	if ((base = event_base_new()) == NULL)
		return 1;
	if (argc > 2) {
		list = strdup(argv[2]);
		for (tok = strtok(list, ","); tok != NULL &&
		    nurls < ETCD_ENDPOINTS_MAX; tok = strtok(NULL, ","))
			urls[nurls++] = tok;
	}
	if (strcmp(argv[1], "basic") == 0 && nurls > 0)
		test_basic((const char *const *)urls, nurls);
	else if (strcmp(argv[1], "failover") == 0 && nurls > 1)
		test_failover((const char *const *)urls, nurls);
	else if (strcmp(argv[1], "watchkill") == 0 && nurls > 1 && argc > 3)
		test_watchkill((const char *const *)urls, nurls,
		    (pid_t)atoi(argv[3]));
	else if (strcmp(argv[1], "quorum-lost") == 0 && nurls > 0)
		test_quorum((const char *const *)urls, nurls, 0);
	else if (strcmp(argv[1], "quorum-back") == 0 && nurls > 0)
		test_quorum((const char *const *)urls, nurls, 1);
	else if (strcmp(argv[1], "garbage") == 0)
		test_garbage();
	else {
		fprintf(stderr, "etcd-test: bad arguments\n");
		return 2;
	}
	event_base_free(base);
	printf("1..%d\n", ntest);
	return nfail > 0 ? 1 : 0;
}
