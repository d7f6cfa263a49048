/*
 * backend.h: the seams between balticd and what runs partitions.
 *
 *   lifecycle  create / destroy / suspend / restore / reattach a
 *              partition; asynchronous: the backend reports a channel
 *              with part_attach() and a death with part_died(), and
 *              the end of a destroy or suspend with a backend_done_fn.
 *   channel    the backend makes the transport (a Unix socket, a vchan)
 *              and hands balticd a struct chan over it.
 *   state      struct store_ops: a small key/value store with atomic
 *              multi-key commits (a directory, or xenstore).
 *
 * The `local` backend runs each partition as a baltic-agent process;
 * the `xen` backend runs it as a domain through libxl.  The router never
 * knows which.
 */
#ifndef BALTIC_BACKEND_H
#define BALTIC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

struct daemon;
struct event_base;
struct part;

/*
 * The end of an asynchronous destroy or suspend: rc 0, or -1 with err
 * (valid during the call only).  Always called from the loop, never
 * from inside the operation that started it, exactly once.
 */
typedef void	backend_done_fn(void *arg, int rc, const char *err);

/* Call done(arg, rc, err) from base's loop, soon (err is copied). */
void	backend_done_later(struct event_base *, backend_done_fn *done,
	    void *arg, int rc, const char *err);

/* What a partition uses now (backend_ops.usage). */
struct part_usage {
	uint64_t	cpu_ns;		/* CPU time used since it started */
	uint64_t	memory_kb;	/* memory it holds now */
};

struct backend_ops {
	const char	*name;
	/* How long `baltic create` waits for every partition's channel:
	 * a process starts in milliseconds, a domain under emulation in
	 * tens of seconds. */
	unsigned	 create_timeout_ms;
	/* What suspend writes can be restored on another host of the
	 * cluster (xen: the domain's memory image); local: no, it names
	 * a process of this host, and a move starts the partition afresh
	 * on the target. */
	bool		 suspend_moves;
	/* 0, or -1 with a message in *err_r (caller frees). */
	int	(*init)(struct daemon *, void **ctx_r, char **err_r);
	void	(*fini)(void *ctx);
	/* Start the partition; its channel comes later via part_attach. */
	int	(*create)(void *ctx, struct part *, char **err_r);
	/* Stop it for good and remove everything made for it.
	 * Idempotent.  The partition is let go at once (it may be freed
	 * on return); done, unless NULL, is told when what ran it is gone
	 * (xen: the domain destroyed, which takes a second or two). */
	void	(*destroy)(void *ctx, struct part *, backend_done_fn *done,
		    void *arg);
	/* Cut: suspend to file (local: stop the process; file records
	 * it); 0 once started, and done is told how it ended (the
	 * partition must live until then), or -1 with *err_r and done
	 * never called.  Paste: the reverse; the channel comes back via
	 * part_attach; file stays on both backends, as xl restore leaves
	 * it. */
	int	(*suspend)(void *ctx, struct part *, const char *file,
		    backend_done_fn *done, void *arg, char **err_r);
	int	(*restore)(void *ctx, struct part *, const char *file,
		    char **err_r);
	/* After a daemon restart: find the running partition (pid/domid
	 * from the store) and re-open its channel.  -1 if it is gone. */
	int	(*reattach)(void *ctx, struct part *, char **err_r);
	/* balticd is exiting: release what it holds for the partition and
	 * leave the partition running, to be re-attached.  May be NULL. */
	void	(*forget)(void *ctx, struct part *);
	/* CPU and memory of the running partition (local: its process
	 * tree from /proc; xen: its domain from libxl): 0, or -1 if it
	 * cannot be told (not running).  Not on any call's path. */
	int	(*usage)(void *ctx, const struct part *, struct part_usage *);
	/* The memory free for new partitions, in MiB (xen: as xl info's
	 * free_memory; local: the kernel's MemAvailable): 0, or -1.  NULL:
	 * the backend cannot tell (a cluster host offers its --capacity,
	 * or CLUSTER_CAPACITY_MB). */
	int	(*free_mb)(void *ctx, int64_t *mb_r);
};

extern const struct backend_ops backend_local;
extern const struct backend_ops backend_xen;

/*
 * The state store.  Keys are paths like "farms/eop/source"; values are
 * bytes.  A transaction groups puts/dels that land together or not at
 * all.
 */
struct store_ops {
	const char	*name;
	int	(*open)(struct daemon *, void **ctx_r, char **err_r);
	void	(*close)(void *ctx);
	int	(*put)(void *ctx, const char *key, const void *, size_t);
	/* 0 and a malloc'd, NUL-terminated copy; -1 if absent. */
	int	(*get)(void *ctx, const char *key, char **val_r, size_t *len_r);
	int	(*del)(void *ctx, const char *key);	/* key and below */
	/* Names directly below prefix; caller frees each and the array. */
	int	(*list)(void *ctx, const char *prefix, char ***names_r,
		    size_t *n_r);
};

extern const struct store_ops store_dir;
extern const struct store_ops store_xs;

#endif /* BALTIC_BACKEND_H */
