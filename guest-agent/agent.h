/*
 * agent.h: baltic-agent, the minimal agent in every partition.  It holds
 * one channel to dom0 (a Unix socket in local mode, a vchan in xen
 * mode), runs the role's handlers for the calls dom0 sends (exports), and
 * offers the role's imports to local programs on a Unix socket.
 *
 *   agent.c	main, the dom0 channel, CONFIG, dispatch of dom0's frames
 *   late.c	answers to dom0, and those kept across a lost channel
 *   exec.c	per-call executables services/<Iface>.<Op>
 *   persist.c	persistent handlers services/<Iface>
 *   local.c	the local socket: baltic-call and handlers calling imports
 *   xen.c	the vchan channel to dom0 (xen mode), on xen-offer.c's
 *		offer in xenstore
 */
#ifndef BALTIC_AGENT_H
#define BALTIC_AGENT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdint.h>

#include "chan.h"
#include "proto.h"

#define AGENT_MAX_CALLS		64	/* exports in flight, then OVERLOAD */
#define AGENT_MAX_IMPORTS	256	/* imports in flight */
#define AGENT_ERRTEXT_MAX	1024	/* stderr kept for the error text */
#define AGENT_RETRY_MS		100
#define AGENT_LATE_MAX		AGENT_MAX_CALLS	/* results kept for dom0 */
#define AGENT_RESEND_MS		2000	/* answers sent again after a loss */
#define AGENT_RESEND_BYTES	(4u << 20)
#define AGENT_KEEP_ARG_MAX	(4u << 20)	/* import arguments kept for
						 * a re-send, in all */

#include <string.h>
#if !defined(__GLIBC__) || __GLIBC__ < 2 || \
    (__GLIBC__ == 2 && __GLIBC_MINOR__ < 38)
/* OpenBSD's strlcpy, for C libraries without it. */
static inline size_t
agent_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	len = strlen(src);

	if (size != 0) {
		size_t n = len >= size ? size - 1 : len;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
#define strlcpy agent_strlcpy
#endif

struct persist;
struct lclient;

/* One "export"/"import" line of CONFIG, flattened to (iface, op). */
struct opent {
	char	iface[BALTIC_NAME_MAX + 1];
	char	op[BALTIC_NAME_MAX + 1];
};

struct oplist {
	struct opent	*v;
	size_t		 n, cap;
};

enum ecall_kind { ECALL_EXEC, ECALL_PERSIST };

/* A call from dom0 to one of our exports, in flight. */
struct ecall {
	TAILQ_ENTRY(ecall)	 entry;		/* agent.calls */
	uint32_t		 id;		/* dom0's */
	uint32_t		 gen;		/* agent.gen it came in */
	int64_t			 expiry_ms;	/* monotonic; 0: none */
	enum ecall_kind		 kind;
	char			 iface[BALTIC_NAME_MAX + 1];
	char			 op[BALTIC_NAME_MAX + 1];
	struct event		*deadline;

	/* ECALL_EXEC */
	pid_t			 pid;
	int			 exited;
	int			 wstatus;
	int			 in_fd, out_fd, err_fd;
	struct event		*in_ev, *out_ev, *err_ev;
	struct evbuffer		*in_buf, *out_buf, *err_buf;
	int			 too_big;

	/* ECALL_PERSIST */
	struct persist		*ph;
	uint32_t		 ph_id;		/* id on the handler's channel */
	TAILQ_ENTRY(ecall)	 ph_entry;	/* ph->calls */
	uint8_t			*arg;		/* kept until the handler is up */
	size_t			 arglen;
	uint32_t		 deadline_ms;
	int			 sent;
};
TAILQ_HEAD(ecalls, ecall);

/*
 * A call from a local program to an import, forwarded to dom0.  It is
 * kept (with its argument) until answered, so that it can be sent again
 * when the channel to dom0 is lost and comes back.
 */
enum icall_state {
	ICALL_SENT,		/* on the current channel, as dom0_id */
	ICALL_QUEUED,		/* never sent: no channel when it came */
	ICALL_AGAIN,		/* sent on a channel since lost */
};
struct icall {
	TAILQ_ENTRY(icall)	 entry;		/* agent.imports */
	TAILQ_ENTRY(icall)	 centry;	/* client->calls */
	struct lclient		*client;
	uint32_t		 client_id;
	uint32_t		 dom0_id;	/* 0 unless ICALL_SENT */
	enum icall_state	 state;
	char			 iface[BALTIC_NAME_MAX + 1];
	char			 op[BALTIC_NAME_MAX + 1];
	int64_t			 expiry_ms;	/* monotonic; 0: none */
	uint8_t			*arg;		/* NULL: not kept (too big) */
	size_t			 arglen;
	int			 kept;		/* arg is kept for a re-send */
};
TAILQ_HEAD(icalls, icall);

/* The answer to a call of an earlier channel, waiting for a new one. */
struct late {
	TAILQ_ENTRY(late)	 entry;
	uint32_t		 id;
	uint32_t		 status;
	int64_t			 expiry_ms;	/* monotonic; 0: none */
	int64_t			 sent_ms;	/* in recent: when sent */
	int			 maybe;		/* sent before, may be read */
	size_t			 len;
	const uint8_t		*payload;	/* copy[], or held (lent) */
	void			(*release)(const void *, size_t, void *);
					/* NULL: payload is copy[] */
	void			*release_arg;
	uint8_t			 copy[];
};
TAILQ_HEAD(lates, late);

struct agent {
	struct event_base	*base;
	int			 xen;
	const char		*chan_path;	/* local mode */
	const char		*image_dir;
	const char		*local_path;
	const char		*instance_opt;	/* -n */

	struct chan		*dom0;
	struct event		*retry;
	uint32_t		 gen;		/* +1 per channel lost */
	uint32_t		 frame;		/* the last channel's frame */
	int			 resumable;	/* the last channel spoke
						 * version >= 2: calls outlive
						 * it (proto.h) */
	struct lates		 lates;
	size_t			 nlates;
	struct lates		 recent;	/* answers sent lately */
	size_t			 nrecent, recent_bytes;
	size_t			 kept_bytes;	/* icall arguments kept */
	void			*xen_ctx;
	int			 configured;
	char			 role[BALTIC_NAME_MAX + 1];
	char			 instance[256];
	struct oplist		 exports;
	struct oplist		 imports;

	struct ecalls		 calls;
	int			 ncalls;
	struct icalls		 icalls;
	int			 nicalls;
	uint32_t		 next_import_id;

	int			 listen_fd;
	struct event		*listen_ev;
	struct event		*sigchld;
	LIST_HEAD(, persist)	 persists;
	LIST_HEAD(, lclient)	 clients;
};

extern struct agent	*agent;

/* agent.c */
int64_t	 agent_now_ms(void);
void	 agent_answer(struct ecall *, uint32_t status, const void *,
	    size_t);
void	 late_flush(void);
void	 recent_requeue(void);
void	 late_free_all(void);
void	 ecall_stop(struct ecall *);
void	 ecall_free(struct ecall *);
int	 oplist_has(const struct oplist *, const char *, const char *);

/* exec.c */
int	 exec_start(struct ecall *, const char *path, const uint8_t *arg,
	    size_t arglen);
void	 exec_kill(struct ecall *);
int	 exec_reaped(pid_t, int wstatus);
void	 exec_dispose(struct ecall *);
int	 agent_spawn(const char *, int, int, int, uint32_t, pid_t *);
char	**agent_envp(uint32_t call_id);
void	 agent_envp_free(char **);

/* persist.c */
struct persist	*persist_find(const char *iface);
int	 persist_start_call(struct persist *, struct ecall *,
	    const uint8_t *arg, size_t arglen);
void	 persist_cancel(struct ecall *);
void	 persist_detach(struct ecall *);
int	 persist_reaped(pid_t, int wstatus);
void	 persist_free_all(void);

/* local.c */
int	 local_listen(void);
void	 local_close(void);
void	 local_dom0_result(const struct baltic_hdr *, const uint8_t *);
void	 local_dom0_lost(void);
void	 local_dom0_configured(void);

/* xen.c */
int	 xen_connect(struct chan **, const struct chan_cbs *, void *);
void	 xen_disconnect(void);

#endif /* BALTIC_AGENT_H */
