/*
 * ctl.h: the control protocol between `baltic` (cli/) and balticd
 * (daemon/control*.c): the only header the two share.
 *
 * balticd listens on a Unix stream socket, CTL_SOCK in its run
 * directory (BALTIC_RUN_DIR, else CTL_RUN_DIR; BALTIC_SOCKET names the
 * socket itself), mode 0600: only root drives the farms (with a group
 * CTL_GROUP: its members too, mode 0660; balticd checks the peer's
 * credentials on top of the mode, and answers anyone else at once with
 * BALTIC_EXIT_DENIED).  One request per
 * connection: a JSON object on one line, at most CTL_REQUEST_MAX bytes,
 * {CTL_K_CMD: one of CTL_CMD_*, CTL_K_DRYRUN: true if -N, and the
 * command's keys below}.  balticd answers with zero or more progress
 * lines {CTL_K_PROGRESS: TEXT} and one final line, either
 * {CTL_K_OK: true, CTL_K_MESSAGE: TEXT, and the command's keys} or
 * {CTL_K_OK: false, CTL_K_EXIT: one of BALTIC_EXIT_*, CTL_K_ERROR: TEXT}.
 *
 * Version history (bump the list, not a number: each side ignores keys it
 * does not know, and a missing key is an error that names it):
 *	1	create list call set destroy cut paste
 *	2	apply
 *	3	stats (counters and latency histograms: `baltic top`)
 *	4	move; list's host (in a cluster)
 */
#ifndef BALTIC_CTL_H
#define BALTIC_CTL_H

#define CTL_RUN_DIR		"/run/baltic"
#define CTL_SOCK		"balticd.sock"
#define CTL_LOCK		"balticd.lock"	/* flock: one balticd */
#define CTL_REQUEST_MAX		(1024 * 1024)
#define CTL_NAME_MAX		256		/* a farm, instance... name */
#define CTL_TIMEOUT_MAX_MS	(24u * 3600 * 1000)	/* a call's */
#define CTL_GROUP		"baltic"	/* may drive balticd too */
#define CTL_DENIED_MS		5000	/* a refused peer is let go */

/*
 * Exit codes: the same meaning in every command, for scripts; a failed
 * request's CTL_K_EXIT.  The same table is in README.md and baltic(1)
 * (EXIT STATUS); tests/exit-codes.sh compares the three.
 *
 *	0	done, or already so
 *	1	failed: the farm has errors, or the call failed
 *	2	bad command line
 *	3	no such farm, instance, ref, export, operation or file
 *	4	balticd cannot be reached, or closed without an answer
 *	5	the deadline passed
 *	6	not allowed: not root, nor in the group baltic
 */
#define BALTIC_EXIT_OK		0
#define BALTIC_EXIT_FAIL	1
#define BALTIC_EXIT_USAGE	2
#define BALTIC_EXIT_NOTFOUND	3
#define BALTIC_EXIT_NODAEMON	4
#define BALTIC_EXIT_TIMEOUT	5
#define BALTIC_EXIT_DENIED	6

/* Commands, and the keys of their requests. */
#define CTL_CMD_CREATE		"create"	/* path, text, [farm] */
#define CTL_CMD_LIST		"list"		/* [farm] */
#define CTL_CMD_CALL		"call"		/* farm, iface, op, arg,
						 * [timeout] */
#define CTL_CMD_SET		"set"		/* farm, ref, expr */
#define CTL_CMD_DESTROY		"destroy"	/* farm */
#define CTL_CMD_CUT		"cut"		/* farm, instance, file */
#define CTL_CMD_PASTE		"paste"		/* farm, instance, file */
#define CTL_CMD_APPLY		"apply"		/* path, text, [farm] */
#define CTL_CMD_STATS		"stats"		/* [farm] */
#define CTL_CMD_MOVE		"move"		/* farm, instance, host */

/* Keys of every request. */
#define CTL_K_CMD		"cmd"
#define CTL_K_DRYRUN		"dryrun"

/* Keys of the commands' requests. */
#define CTL_K_PATH		"path"		/* the farm file, absolute */
#define CTL_K_TEXT		"text"		/* its contents */
#define CTL_K_FARM		"farm"
#define CTL_K_IFACE		"iface"
#define CTL_K_OP		"op"
#define CTL_K_ARG		"arg"
#define CTL_K_TIMEOUT		"timeout"	/* milliseconds, 1 to
						 * CTL_TIMEOUT_MAX_MS */
#define CTL_K_REF		"ref"
#define CTL_K_EXPR		"expr"
#define CTL_K_INSTANCE		"instance"
#define CTL_K_FILE		"file"		/* a cut partition's file */

/* Keys of every answer. */
#define CTL_K_PROGRESS		"progress"
#define CTL_K_OK		"ok"
#define CTL_K_MESSAGE		"message"
#define CTL_K_EXIT		"exit"
#define CTL_K_ERROR		"error"

/* Keys of the commands' answers: call's result, and list's farms. */
#define CTL_K_RESULT		"result"
#define CTL_K_FARMS		"farms"		/* [farm] */
/* A farm: */
#define CTL_K_NAME		"name"
#define CTL_K_BACKEND		"backend"
#define CTL_K_CALLS		"calls"
#define CTL_K_ERRORS		"errors"
#define CTL_K_PARTITIONS	"partitions"	/* [partition] */
#define CTL_K_REFS		"refs"		/* [{name, target}] */
#define CTL_K_EXPORTS		"exports"	/* [{binding, interface,
						 * addr}] */
#define CTL_K_POOLS		"pools"		/* [{name, size, min, max,
						 * why}]: elastic ors */
/* A partition: name, and */
#define CTL_K_ROLE		"role"
#define CTL_K_STATE		"state"
#define CTL_K_HOST		"host"	/* in a cluster: where it runs */
#define CTL_K_PID		"pid"
#define CTL_K_DOMID		"domid"
#define CTL_K_MEMORY		"memory"
#define CTL_K_SERVED		"served"
#define CTL_K_FAILED		"failed"
#define CTL_K_OUTSTANDING	"outstanding"
#define CTL_K_OUTSTANDING_MAX	"outstanding_max"
#define CTL_K_WHY		"why"
#define CTL_K_RESTARTS		"restarts"
#define CTL_K_REPLACED		"replaced"	/* what it replaced, why */
/* A pool: name, why, and */
#define CTL_K_SIZE		"size"
#define CTL_K_MIN		"min"
#define CTL_K_MAX		"max"
/* A ref: name, and */
#define CTL_K_TARGET		"target"
/* An export: */
#define CTL_K_BINDING		"binding"
#define CTL_K_INTERFACE		"interface"
#define CTL_K_ADDR		"addr"

/*
 * apply's answer: CTL_K_PLAN {CTL_K_CREATE, CTL_K_KEEP, CTL_K_REPLACE,
 * CTL_K_DESTROY: [instance], CTL_K_REWIRE: [instance or ref whose
 * wiring changed], CTL_K_EXPORTS_ADD, CTL_K_EXPORTS_MOVE,
 * CTL_K_EXPORTS_DEL: ["binding.iface at addr"]}, CTL_K_CHANGED: false
 * when the farm already matched the file.
 */
#define CTL_K_PLAN		"plan"
#define CTL_K_CHANGED		"changed"
#define CTL_K_CREATE		"create"
#define CTL_K_KEEP		"keep"
#define CTL_K_REPLACE		"replace"
#define CTL_K_DESTROY		"destroy"
#define CTL_K_REWIRE		"rewire"
#define CTL_K_EXPORTS_ADD	"exports_add"
#define CTL_K_EXPORTS_MOVE	"exports_move"
#define CTL_K_EXPORTS_DEL	"exports_remove"

/*
 * stats's answer: CTL_K_UPTIME_US, CTL_K_BOUNDS (the latency buckets'
 * upper bounds, microseconds, ascending; one bucket more: +Inf), and
 * CTL_K_FARMS: [farm].  Every counter only grows while balticd runs.
 * A set of calls ("calls" below) is the keys
 *	CTL_K_CALLS, CTL_K_SUCCEEDED, CTL_K_CANCELLED, CTL_K_OUTSTANDING,
 *	CTL_K_ERRORS_BY_KIND: {KIND: count} for every kind (handler,
 *	unavailable, timeout, overload, bad_answer, refused, internal),
 *	CTL_K_BUCKETS: [count] by latency, not cumulative, CTL_K_SUM_US.
 * A farm: name, backend, CTL_K_EXPORT_CALLS: {calls} (entered at its
 * exports or by `baltic call`), CTL_K_GUEST_CALLS: {calls} (its guests'
 * calls to their imports), exports: [{binding, interface, addr, calls}],
 * CTL_K_BINDINGS: [{name, CTL_K_KIND: or|par|ref|remote, calls, and:
 * or: CTL_K_BRANCHES: [{name, calls, CTL_K_PASSED}]; par: branches:
 * [{name, CTL_K_WINS}], CTL_K_CANCELS, CTL_K_HEDGED (branch calls after
 * the first) and, hedged, CTL_K_HEDGE_DELAY_US (the delay now); ref:
 * target, CTL_K_REWIRES}],
 * partitions: [{name, role, state, pid, domid, calls (served),
 * guest_calls: {calls}, and, when the backend can tell, CTL_K_CPU_NS
 * and CTL_K_MEMORY_KB}].
 */
#define CTL_K_UPTIME_US		"uptime_us"
#define CTL_K_BOUNDS		"bounds_us"
#define CTL_K_SUCCEEDED		"succeeded"
#define CTL_K_CANCELLED		"cancelled"
#define CTL_K_ERRORS_BY_KIND	"errors_by_kind"
#define CTL_K_BUCKETS		"buckets"
#define CTL_K_SUM_US		"sum_us"
#define CTL_K_EXPORT_CALLS	"export_calls"
#define CTL_K_GUEST_CALLS	"guest_calls"
#define CTL_K_BINDINGS		"bindings"
#define CTL_K_KIND		"kind"
#define CTL_K_BRANCHES		"branches"
#define CTL_K_PASSED		"passed"
#define CTL_K_WINS		"wins"
#define CTL_K_CANCELS		"cancels"
#define CTL_K_HEDGED		"hedged"
#define CTL_K_HEDGE_DELAY_US	"hedge_delay_us"
#define CTL_K_REWIRES		"rewires"
#define CTL_K_CPU_NS		"cpu_ns"
#define CTL_K_MEMORY_KB		"memory_kb"

#endif /* BALTIC_CTL_H */
