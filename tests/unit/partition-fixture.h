/*
 * partition-fixture.h: the world of the partition channel's tests
 * (test-partition*.c): one partition of a two-instance farm with its
 * channel on a socketpair, the test playing the guest agent on the other
 * end; a guest's import wired to a fake leaf; fakes of what partition.c
 * calls in adopt.c, state.c and the backend, which record their calls.
 */
#ifndef BALTIC_PARTITION_FIXTURE_H
#define BALTIC_PARTITION_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "chan.h"
#include "daemon/daemon.h"

/* What the fakes of adopt.c and state.c were called with. */
struct fake_rec {
	unsigned	 results, gone, saves, creates;
	uint32_t	 id, status;
	char		 payload[64];
	char		 why[128];
};
extern struct fake_rec	rec;

/* The leaf a guest's Clock is wired to. */
struct leaf {
	struct node	 node;
	bool		 hold;		/* else answers "42" now */
	struct req	*held[80];
	size_t		 nheld;
	unsigned	 sent, cancelled;
};
extern struct leaf	leaf;

/* The guest agent: a channel that records what it is sent. */
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

struct fx {
	struct part	*p;
	struct node	 node;
	struct guest	 g;
};

/* Answers of the calls a test makes to a partition. */
struct answer {
	unsigned	n;
	uint32_t	status;
	char		text[256];
};

extern struct daemon		d;
extern struct farm_iface	store;		/* the partitions' export */
extern struct farm_op		store_ops[];
extern struct farm_run		f;
extern struct fx		fxs[2];
extern struct answer		ans[4];

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

/* A partition for insts[i] with its channel on a socketpair (see
 * partition-fixture.c). */
struct fx	*part_open(int i, uint32_t version, bool coming,
		    bool wait_ready);
void		 part_close(struct fx *);
int		 setup(void **);
int		 teardown(void **);
/* A req_done_cb that fills the struct answer it is given. */
void		 answer_cb(struct req *, uint32_t status, const void *,
		    size_t, void *);
/* Call Store.op(arg) on x's node through the router. */
void		 call(struct fx *, struct answer *, const char *op,
		    const char *arg, unsigned timeout_ms);
/* Everything the guest sent before has been read by the partition. */
void		 guest_sync(struct guest *);
void		 guest_call(struct guest *, uint32_t type, uint32_t id,
		    const char *iface, const char *op, const char *arg);
/* The guest calls its import and waits for the RESULT. */
void		 guest_call_answered(struct guest *, uint32_t type,
		    uint32_t id, const char *iface, const char *op,
		    const char *arg);
void		 raw_write(struct guest *, const void *, size_t);

#define TEST(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

#endif /* BALTIC_PARTITION_FIXTURE_H */
