/*
 * etcd-test.h: what the parts of etcd-test share: TAP, the loop run
 * until a flag is set, and operations' and watches' outcomes copied out
 * of their callbacks.
 */
#ifndef BALTIC_ETCD_TEST_H
#define BALTIC_ETCD_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/etcd.h"

#define NKV	16
#define NEV	64

extern struct event_base	*base;

void	ok(int cond, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	run_until(const int *flag, unsigned ms);
void	sleep_loop(unsigned ms);

struct got {
	int		 done;
	enum etcd_rc	 rc;
	char		 msg[256];
	int64_t		 revision, count, deleted, lease_id, ttl;
	int		 succeeded;
	size_t		 nkvs;
	char		*key[NKV], *val[NKV];
	size_t		 keylen[NKV], vallen[NKV];
	int64_t		 modrev[NKV], createrev[NKV];
};

void	got_clear(struct got *);
void	got_cb(const struct etcd_result *, void *);

/* Start an operation into g and wait for it (20 s at most). */
#define SYNC(g, call) do {						\
	got_clear(&(g));						\
	if ((call) == NULL)						\
		ok(0, "%s returned NULL", #call);			\
	else if (run_until(&(g).done, 20000) == -1)			\
		ok(0, "%s: no callback in 20 s", #call);		\
} while (0)

struct wgot {
	size_t		 n;
	int		 type[NEV];
	char		*key[NEV], *val[NEV];
	size_t		 vallen[NEV];
	int64_t		 modrev[NEV];
	int		 ended;
	enum etcd_rc	 end_rc;
	char		 end_msg[256];
	int64_t		 next_rev;
};

void	wgot_clear(struct wgot *);
void	wgot_ev(const struct etcd_event *, size_t, void *);
void	wgot_end(enum etcd_rc, const char *, int64_t, void *);
void	wait_events(struct wgot *, size_t n, unsigned ms);

void	test_garbage(void);

#endif /* BALTIC_ETCD_TEST_H */
