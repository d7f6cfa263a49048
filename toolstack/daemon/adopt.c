/*
 * adopt.c: export calls that were in flight when an earlier balticd died,
 * taken over from the keeper (keep.h) with their clients' connections.
 *
 * A call whose record names the partitions it was sent to waits for the
 * RESULT_LATE of one of them (the agent kept running it): the first
 * success is the answer, or the last error once every partition has
 * answered or gone.  A call that never reached a guest, or one of an
 * idempotent operation that did, is started again from its export (the
 * delivery rule of baltic.farm(5)); any other is answered with an error
 * that says it may have been carried out.  Every adopted call is
 * answered by its deadline, like any other.
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "keep/keep.h"
#include "log.h"

struct adopted {
	struct daemon		*d;
	struct farm_run		*f;
	struct farm_op		*op;
	char			 call[2 * BALTIC_NAME_MAX + 2];
	struct kept_call	 kc;		/* fd, key; r if started again */
	struct event		*timer;		/* waiting for attempts */
	size_t			 natt;
	struct {
		struct part	*p;
		uint32_t	 id;
	}			 att[KEEP_ATTEMPTS_MAX];
	uint32_t		 last_status;
	char			*last_err;
	TAILQ_ENTRY(adopted)	 entry;
};


static void
adopted_free(struct adopted *a)
{
	size_t	i;

	for (i = 0; i < a->natt; i++)
		idmap_del(&a->att[i].p->adopted, a->att[i].id);
	if (a->timer != NULL)
		event_free(a->timer);
	TAILQ_REMOVE(&a->d->adopted, a, entry);
	free(a->last_err);
	free(a);
}

/* Answer the client and forget the call. */
static void
adopted_answer(struct adopted *a, uint32_t status, const void *payload,
    size_t len)
{
	log_info("%s: %s (%s) adopted from an earlier balticd: %s",
	    a->f->name, a->call, a->kc.key, baltic_status_name(status));
	if (status != BALTIC_OK)
		a->f->errors++;
	export_answer_adopted(a->d, a->kc.fd, a->kc.key, status, a->f->name,
	    a->call, payload, len);
	adopted_free(a);
}

static void
adopted_answerf(struct adopted *a, uint32_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
adopted_answerf(struct adopted *a, uint32_t status, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);	/* a few names and a reason */
	va_end(ap);
	adopted_answer(a, status, msg, strlen(msg));
}

static void
adopted_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct adopted	*a = arg;

	adopted_answerf(a, BALTIC_E_TIMEOUT, "deadline passed before %s was "
	    "answered (balticd restarted with the call in flight)%s%s",
	    a->call, a->last_err != NULL ? "; last: " : "",
	    a->last_err != NULL ? a->last_err : "");
}

static void
adopted_rerun_done(struct req *r, uint32_t status, const void *payload,
    size_t len, void *arg)
{
	struct adopted	*a = arg;

	a->kc.r = NULL;
	adopted_answer(a, status, payload, len);
}

static void
adopted_progress(struct req *r, void *arg)
{
	struct adopted	*a = arg;

	journal_put(&a->kc);
}

/* Start the call again from its export, as if it had just come in. */
static void
adopted_rerun(struct adopted *a, struct farm_run_export *x,
    const struct keep_call *kc)
{
	struct req	*r;
	uint64_t	 now = now_us();
	unsigned	 ms;

	ms = (unsigned)((kc->deadline_us - now + 999) / 1000);
	r = req_new(a->f, x->node, x->fe->iface_p, a->op, kc->arg, kc->arglen,
	    ms, adopted_rerun_done, a);
	if (r == NULL) {
		adopted_answerf(a, BALTIC_E_INTERNAL, "out of memory");
		return;
	}
	req_from_export(r, x);
	log_info("%s: %s (%s) adopted from an earlier balticd: %s, started "
	    "again", a->f->name, a->call, a->kc.key, kc->reached ?
	    "idempotent" : "never reached a guest");
	a->kc.r = r;
	r->progress = adopted_progress;
	r->progress_arg = a;
	r->hold++;
	req_start(r);
	if (!r->finished)
		journal_put(&a->kc);
	req_release(r);
}

/* One "call" entry of the keeper; takes k's descriptor. */
static void
adopt_one(struct daemon *d, struct kept *k)
{
	struct keep_call	 kc;
	struct adopted		*a;
	struct farm_run_export		*x;
	struct part		*p;
	const char		*why;
	uint64_t		 now = now_us(), left;
	struct timeval		 tv;
	size_t			 i;

	if (k->fd == -1 || strlen(k->key) >= sizeof a->kc.key ||
	    keep_call_parse(k->val, k->len, &kc, &why) == -1) {
		log_warnx("keeper: %s: unusable record; dropped", k->key);
		keep_del(d->keep, k->key);
		return;
	}
	if ((a = calloc(1, sizeof *a)) == NULL)
		fatal("%s", __func__);
	a->d = d;
	a->kc.fd = k->fd;
	k->fd = -1;
	export_settle(a->kc.fd, kc.reqlen, kc.reqhash);
	snprintf(a->kc.key, sizeof a->kc.key, "%s", k->key);
	snprintf(a->call, sizeof a->call, "%s.%s", kc.iface, kc.op);
	TAILQ_INSERT_TAIL(&d->adopted, a, entry);

	/* The record is checked against the farm as this balticd has it. */
	a->f = farm_run_find(d, kc.farm);
	if (a->f == NULL || kc.export >= a->f->nexports ||
	    (x = &a->f->exports[kc.export])->fe->iface_p == NULL ||
	    strcmp(x->fe->iface_p->name, kc.iface) != 0 ||
	    (a->op = farm_find_op(x->fe->iface_p, kc.op)) == NULL) {
		log_warnx("keeper: %s: no export of farm %s takes %s; "
		    "closed", k->key, kc.farm, a->call);
		keep_del(d->keep, a->kc.key);
		close(a->kc.fd);
		TAILQ_REMOVE(&d->adopted, a, entry);
		free(a);
		return;
	}
	a->kc.f = a->f;
	a->kc.export = kc.export;
	if (kc.deadline_us <= now) {
		adopted_answerf(a, BALTIC_E_TIMEOUT, "deadline passed before "
		    "%s was answered (balticd restarted with the call in "
		    "flight)", a->call);
		return;
	}
	for (i = 0; i < kc.nattempts; i++) {
		if ((p = farm_run_part(a->f, kc.attempts[i].inst)) == NULL)
			p = farm_run_retired(a->f, kc.attempts[i].inst);
		if (p == NULL || p->state == PART_DEAD ||
		    idmap_get(&p->adopted, kc.attempts[i].id) != NULL ||
		    idmap_put(&p->adopted, kc.attempts[i].id, a) == -1)
			continue;
		a->att[a->natt].p = p;
		a->att[a->natt++].id = kc.attempts[i].id;
	}
	if (a->natt == 0) {
		if ((!kc.reached || a->op->idempotent) && kc.has_arg) {
			adopted_rerun(a, x, &kc);
			return;
		}
		adopted_answerf(a, BALTIC_E_UNAVAILABLE, "balticd restarted "
		    "with %s in flight and the partitions it was sent to are "
		    "gone; it may have been carried out, and is not "
		    "idempotent: not sent again", a->call);
		return;
	}
	log_info("%s: %s (%s) adopted from an earlier balticd: waits for "
	    "%s call %u%s", a->f->name, a->call, a->kc.key, a->att[0].p->name,
	    a->att[0].id, a->natt > 1 ? " and others" : "");
	left = kc.deadline_us - now;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	if ((a->timer = evtimer_new(d->base, adopted_timeout, a)) == NULL ||
	    evtimer_add(a->timer, &tv) == -1)
		fatalx("%s: evtimer", __func__);
}

/*
 * After the farms are restored: adopt every call the keeper holds and
 * every connection it holds with no call (its export serves it again),
 * and drop what no farm took (a listening socket of an export now gone).
 */
void
adopt_calls(struct daemon *d)
{
	struct kept	*k;
	size_t		 n = 0, nconns = 0;

	while ((k = keep_next_kept(d->keep)) != NULL) {
		if (KEEP_KEY_IS(k->key, KEEP_KEY_CONN) && k->len == 0 &&
		    k->fd != -1) {
			export_adopt_conn(d, k->key, k->fd);
			k->fd = -1;
			nconns++;
		} else if (KEEP_KEY_IS(k->key, KEEP_KEY_CALL) ||
		    KEEP_KEY_IS(k->key, KEEP_KEY_CONN)) {
			adopt_one(d, k);
			n++;
		} else {
			log_info("keeper: %s: not wanted; dropped", k->key);
			keep_del(d->keep, k->key);
		}
		keep_kept_free(k);
	}
	if (n > 0)
		log_notice("%zu calls in flight adopted from an earlier "
		    "balticd", n);
	if (nconns > 0)
		log_notice("%zu client connections with no call yet adopted "
		    "from an earlier balticd", nconns);
}

/* Take attempt (p, id) off a; 0 if it had it. */
static int
adopted_drop_attempt(struct adopted *a, struct part *p, uint32_t id)
{
	size_t	i;

	for (i = 0; i < a->natt; i++) {
		if (a->att[i].p == p && a->att[i].id == id) {
			a->att[i] = a->att[--a->natt];
			return 0;
		}
	}
	return -1;
}

/* An attempt ended without an answer or with an error: the last one
 * answers the call. */
static void
adopted_failed(struct adopted *a, uint32_t status, char *err)
{
	free(a->last_err);
	a->last_err = err;
	a->last_status = status;
	if (a->natt == 0)
		adopted_answer(a, status, err != NULL ? err : "",
		    err != NULL ? strlen(err) : 0);
}

/* p answered call id of an earlier channel, which adopted call waits for. */
void
adopt_result(struct part *p, uint32_t id, uint32_t status, const void *payload,
    size_t len)
{
	struct adopted	*a;
	const char	*why;
	char		*err;

	if ((a = idmap_del(&p->adopted, id)) == NULL)
		return;
	adopted_drop_attempt(a, p, id);
	if (status == BALTIC_OK) {
		/* Validated against the declared type, as any result. */
		if (farm_value_check(a->op->result, payload, len, &why) == -1) {
			p->calls_failed++;
			adopted_answerf(a, BALTIC_E_BADRESULT, "%s: %s returned "
			    "a result that is not %s: %s", p->name, a->call,
			    farm_vtype_name(a->op->result), why);
			return;
		}
		p->calls_served++;
		adopted_answer(a, BALTIC_OK, payload, len);
		return;
	}
	p->calls_failed++;
	if (asprintf(&err, "%s: %s: %.*s", p->name, baltic_status_name(status),
	    (int)(len > 512 ? 512 : len), (const char *)payload) == -1)
		err = NULL;
	adopted_failed(a, status, err);
}

/* p is gone: the adopted calls sent to it will not be answered there. */
void
adopt_part_gone(struct part *p, const char *why)
{
	struct adopted	*a;
	uint32_t	 id;
	char		*err;

	while ((id = idmap_any(&p->adopted)) != 0) {
		a = idmap_del(&p->adopted, id);
		adopted_drop_attempt(a, p, id);
		if (asprintf(&err, "%s: %s with the call in flight", p->name,
		    why) == -1)
			err = NULL;
		adopted_failed(a, BALTIC_E_UNAVAILABLE, err);
	}
}

/*
 * f is destroyed (its clients get an error) or balticd exits (they are
 * left to the keeper and the next balticd).
 */
void
adopt_farm_gone(struct farm_run *f)
{
	struct adopted	*a, *next;
	struct req	*r;

	for (a = TAILQ_FIRST(&f->d->adopted); a != NULL; a = next) {
		next = TAILQ_NEXT(a, entry);
		if (a->f != f)
			continue;
		if ((r = a->kc.r) != NULL) {
			a->kc.r = NULL;
			req_cancel(r);
		}
		if (!f->d->exiting) {
			adopted_answerf(a, BALTIC_E_UNAVAILABLE, "farm %s "
			    "destroyed", f->name);
			continue;
		}
		close(a->kc.fd);
		adopted_free(a);
	}
}
