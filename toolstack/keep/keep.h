/*
 * keep.h: the descriptor keeper, and what balticd keeps in it.
 *
 * The keeper (keeper.c; `baltic-keeper` in ps) is a small process of its
 * own session that holds descriptors for balticd across its death, as
 * systemd's file descriptor store does: each export's listening socket,
 * and the client connection of each export call in flight with a record
 * of the call.  A kill -9 of balticd then costs no connection: new ones
 * wait in the listen backlog, calls in flight keep their clients, and
 * the next balticd fetches everything (LIST) and answers them.
 *
 * It listens on <run dir>/keep.sock (mode 0600), a SOCK_SEQPACKET Unix
 * socket: one message per packet, a descriptor (SCM_RIGHTS) at most.
 * Every message is struct keep_hdr, the key (keylen bytes), then the
 * value (the rest).  Keys are "listen FARM ADDR" (an export's listening
 * socket), "conn FARM EXPORT ID" (a client's connection, from the moment
 * it is accepted: no value while it has no call in flight, the call's
 * record while it has) and "call ID" (a connection kept only once its
 * call started, when there was no keeper to take it at accept); the
 * keeper treats values as opaque bytes, and checks every message.
 *
 *	PUT	key, value, descriptor or none: store or replace
 *	DEL	key: drop it, close its descriptor
 *	LIST	no key: the keeper answers ENTRY per entry (with its
 *		descriptor, if any), then END; it keeps them all
 *	QUIT	the keeper closes everything, removes its socket, exits
 */
#ifndef BALTIC_KEEP_H
#define BALTIC_KEEP_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"

/*
 * Bump me on any change of the messages below.  The keeper holds keys
 * and values as opaque bytes, so what balticd keeps in them (the "conn"
 * keys and the record's "request" line came after version 1) changes
 * nothing for a keeper still running from an earlier build.
 */
#define KEEP_VERSION		1

/* What balticd keeps under which key (the comment above). */
#define KEEP_KEY_LISTEN		"listen "
#define KEEP_KEY_CONN		"conn "
#define KEEP_KEY_CALL		"call "
#define KEEP_KEY_IS(key, kind)	(strncmp((key), kind, sizeof kind - 1) == 0)
#define KEEP_SOCK		"keep.sock"
#define KEEP_MSG_MAX		(64 * 1024)	/* a packet, header included */
#define KEEP_KEY_MAX		256
#define KEEP_ENTRIES_MAX	65536
#define KEEP_ATTEMPTS_MAX	16	/* partitions a call record names */
#define KEEP_ARG_MAX		(16 * 1024)	/* argument kept for a re-run */
#define KEEP_NAME_MAX		255	/* farm and instance names */
#define KEEP_REQUEST_MAX	(64 * 1024)	/* a request read in place */

enum keep_msg {
	KEEP_PUT	= 1,
	KEEP_DEL	= 2,
	KEEP_LIST	= 3,
	KEEP_ENTRY	= 4,	/* keeper -> balticd */
	KEEP_END	= 5,	/* keeper -> balticd */
	KEEP_QUIT	= 6,
	KEEP_BATCH	= 7,	/* PUTs without a descriptor and DELs: each
				 * a le32 length and the message */
};

struct keep_hdr {
	uint32_t	version;	/* KEEP_VERSION */
	uint32_t	type;		/* enum keep_msg */
	uint32_t	keylen;		/* 0..KEEP_KEY_MAX */
};
#define KEEP_HDR_LEN		12

/* A message, decoded: pointers into the packet. */
struct keep_msg_view {
	uint32_t	 type;
	char		 key[KEEP_KEY_MAX + 1];
	const uint8_t	*val;
	size_t		 vallen;
};

/* Encode into buf (KEEP_MSG_MAX bytes); the length, or 0 if it does not
 * fit or the key is bad. */
size_t	keep_msg_encode(uint8_t *buf, uint32_t type, const char *key,
	    const void *val, size_t vallen);
/* Encode and send a message on a SOCK_SEQPACKET socket, with descriptor
 * pass_fd unless -1: 0, or -1 with errno (EMSGSIZE: does not encode). */
int	keep_msg_send(int sock, uint32_t type, const char *key,
	    const void *val, size_t vallen, int pass_fd);
/* Receive one packet into buf (KEEP_MSG_MAX bytes): its length, 0 at
 * EOF, -1 with errno.  The descriptors it carries go to fds (up to
 * KEEP_FDS_MAX; more are closed), their number to *nfds_r; *cut_r says
 * the packet or its descriptors were cut short. */
#define KEEP_FDS_MAX		4
ssize_t	keep_msg_recv(int sock, uint8_t *buf, int flags, int *fds,
	    size_t *nfds_r, bool *cut_r);
/* Check and decode a packet (its whole length): 0, or -1 with a static
 * reason.  Keys are printable ASCII without NUL; PUT, DEL and ENTRY
 * need one, LIST, END and QUIT take neither key nor value. */
int	keep_msg_parse(const uint8_t *untrusted, size_t len,
	    struct keep_msg_view *r, const char **why_r);
/* The next message of a BATCH's value (*p, *left move on): 1 with it in
 * *msg and *len, 0 at the end, -1 if the lengths do not add up. */
int	keep_batch_next(const uint8_t **p, size_t *left, const uint8_t **msg,
	    size_t *len);

/*
 * The record of an export call in flight: the value of a "call" entry.
 * Text, one "word value" per line, the argument last:
 *
 *	farm NAME		export INDEX		call IFACE.OP
 *	deadline MONOTONIC_US	reached 0|1
 *	request LEN HASH	(optional)
 *	attempt INSTANCE ID	(0..KEEP_ATTEMPTS_MAX lines)
 *	arg LEN\n<LEN bytes>	(optional)
 *
 * request: the call's HTTP request, LEN bytes of FNV-1a 64 hash HASH, may
 * still be unread on the client's connection (the record is kept before
 * the request is taken off it): the next balticd takes it off if it is.
 * attempt: the partition the call was sent to and its call id on that
 * partition's channel; reached: the call may have reached a guest (then
 * only an idempotent one may be started again).
 */
struct keep_call {
	char		 farm[KEEP_NAME_MAX + 1];
	uint32_t	 export;
	char		 iface[BALTIC_NAME_MAX + 1];
	char		 op[BALTIC_NAME_MAX + 1];
	uint64_t	 deadline_us;
	bool		 reached;
	size_t		 nattempts;
	struct {
		char	 inst[KEEP_NAME_MAX + 1];
		uint32_t id;
	}		 attempts[KEEP_ATTEMPTS_MAX];
	size_t		 reqlen;		/* 0: no request line */
	uint64_t	 reqhash;
	bool		 has_arg;
	const uint8_t	*arg;			/* into the record */
	size_t		 arglen;
};

/* Encode a record: malloc'd (caller frees), its length in *len_r; NULL
 * if a name is bad or out of memory.  The argument goes in only if
 * has_arg and it is at most KEEP_ARG_MAX bytes. */
char	*keep_call_encode(const struct keep_call *, size_t *len_r);
/* Check and decode a record: 0, or -1 with a static reason. */
int	 keep_call_parse(const uint8_t *untrusted, size_t len,
	    struct keep_call *r, const char **why_r);

/* ---- balticd's side (keep.c) ----------------------------------------- */

/* An entry fetched from the keeper at start, until used. */
struct kept {
	char			*key;
	uint8_t			*val;
	size_t			 len;
	int			 fd;		/* ours; -1: none */
	TAILQ_ENTRY(kept)	 entry;
};

/* balticd's connection to its keeper. */
struct keep_client {
	int			 fd;		/* to the keeper, or -1 */
	const char		*run_dir;	/* its socket is here */
	const char		*self_path;	/* to exec it */
	bool			 exiting;	/* leave its entries be */
	bool			 fdstore;	/* systemd's fd store, not
						 * the keeper (keep-fdstore.c) */
	TAILQ_HEAD(, kept)	 kept;		/* fetched at start */
	/* keep_set_batch: messages queued in one packet until keep_flush */
	void			(*queued)(void *);
	void			*queued_arg;
	uint8_t			*batch;		/* KEEP_MSG_MAX bytes */
	size_t			 batchlen, nbatch;
};

/* run_dir and self_path are borrowed: they outlive k. */
void	 keep_client_init(struct keep_client *k, const char *run_dir,
	    const char *self_path);
/* At start: fetch a running keeper's entries.  0, or -1 if none. */
int	 keep_fetch(struct keep_client *);
/* The descriptor fetched under key, now the caller's, or -1. */
int	 keep_take(struct keep_client *, const char *key);
/* The next fetched entry not taken, the caller's, or NULL. */
struct kept *keep_next_kept(struct keep_client *);
void	 keep_kept_free(struct kept *);
/* Keep val and fd (unless -1: then the entry's descriptor stays) under
 * key, starting a keeper if there is none.  0, or -1. */
int	 keep_put(struct keep_client *, const char *key, const void *val,
	    size_t len, int fd);
/* Let go of key (and its descriptor); nothing while exiting. */
void	 keep_del(struct keep_client *, const char *key);
/* From now on, PUTs without a descriptor and DELs wait in one packet
 * until keep_flush (or a message that cannot wait: a descriptor, a
 * LIST, a QUIT, a full packet), and queued(arg) is called when the first
 * of a packet waits: the caller flushes before whatever the entries
 * protect (a call's record before the call goes out). */
void	 keep_set_batch(struct keep_client *, void (*queued)(void *),
	    void *arg);
/* Send what waits: 0, or -1 (the keeper is gone; the entries too). */
int	 keep_flush(struct keep_client *);
/* Done: quit (nothing is left to keep) tells the keeper to exit. */
void	 keep_done(struct keep_client *, bool quit);

/* systemd's file descriptor store in place of the keeper
 * (keep-fdstore.c), used when balticd runs as a Type=notify service and
 * was built with libsystemd: the same entries, the same returns. */
bool	 keep_fdstore_use(void);
int	 keep_fdstore_put(struct keep_client *, const char *key,
	    const void *val, size_t len, int fd);
void	 keep_fdstore_del(struct keep_client *, const char *key);
int	 keep_fdstore_fetch(struct keep_client *);
/* Tell the service manager state ("READY=1"...); nothing without one. */
void	 keep_sd_notify(const char *state);

/* The keeper process (keeper.c): serves listen_fd until QUIT. */
int	 keeper_main(int listen_fd, const char *path);

#endif /* BALTIC_KEEP_H */
