/*
 * farm.h: the farm language -- syntax tree, parser, checker.
 *
 * A farm file declares interfaces, roles and farms (see baltic.farm(5)).
 * farm_parse() builds the tree and reports syntax errors; farm_check()
 * resolves every name and proves the wiring sound.  Both report every
 * problem they find through a struct farm_diags and never stop at the
 * first one.  A tree that checks with no error cannot fail at run time
 * for a wiring reason: that is the checker's promise.
 *
 * Ownership: every string and array in the tree belongs to the tree and
 * is freed by farm_file_free().  Pointers named *_r / resolved fields
 * (role_p, iface_p, target, ...) are borrowed and set by farm_check().
 */
#ifndef BALTIC_FARM_H
#define BALTIC_FARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct farm_loc {
	const char	*file;		/* borrowed from the struct farm_file */
	unsigned	 line;		/* 1-based */
	unsigned	 col;		/* 1-based, in bytes */
};

/* ---- diagnostics --------------------------------------------------- */

enum farm_severity { FARM_ERROR, FARM_WARNING };

struct farm_diag {
	struct farm_loc		 loc;
	enum farm_severity	 severity;
	char			*msg;
};

struct farm_diags {
	struct farm_diag	*v;
	size_t			 n, cap;
	size_t			 nerrors, nwarnings;
};

void	farm_diags_init(struct farm_diags *);
void	farm_diags_dispose(struct farm_diags *);
void	farm_diag(struct farm_diags *, const struct farm_loc *,
	    enum farm_severity, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* Sorted by file, line, col (stable); "file:line:col: error: msg\n". */
void	farm_diags_print(const struct farm_diags *, FILE *);
/* The same as one string; caller frees (NULL if out of memory). */
char	*farm_diags_str(const struct farm_diags *);

/* ---- types and interfaces ------------------------------------------ */

enum farm_vtype {
	FARM_T_STRING,		/* UTF-8 text, no NUL */
	FARM_T_INT,		/* decimal, fits int64_t */
	FARM_T_BOOL,		/* "true" or "false" */
	FARM_T_BYTES,		/* anything */
	FARM_T_VOID,		/* only as a result: empty */
};
const char	*farm_vtype_name(enum farm_vtype);

struct farm_param {
	char		*name;
	enum farm_vtype	 type;
	struct farm_loc	 loc;
};

struct farm_op {
	char			*name;
	struct farm_param	*params;
	size_t			 nparams;
	enum farm_vtype		 result;
	bool			 idempotent;	/* may be re-sent to a branch */
	unsigned		 timeout_ms;	/* 0: the farm default */
	struct farm_loc		 loc;
};

struct farm_iface {
	char		*name;
	struct farm_op	*ops;
	size_t		 nops;
	struct farm_loc	 loc;
	bool		 incomplete;	/* a syntax error dropped part of it */
};

/* ---- roles ---------------------------------------------------------- */

/* A name written in the source, with where, and what it resolved to. */
struct farm_name {
	char			*name;
	struct farm_loc		 loc;
	struct farm_iface	*iface;		/* set by the checker */
};

/* A role's disk "FILE" or vif "BRIDGE", as written, with where. */
struct farm_dev {
	char			*spec;		/* the file or the bridge */
	char			*path;		/* disk: resolved against the
						 * file; vif: NULL */
	struct farm_loc		 loc;
};

enum farm_domtype { FARM_DOM_PV, FARM_DOM_PVH };
enum farm_on_crash { FARM_CRASH_DESTROY, FARM_CRASH_RESTART,
	FARM_CRASH_PRESERVE };

struct farm_role {
	char			*name;
	struct farm_loc		 loc;
	char			*image;		/* as written; NULL if absent */
	char			*image_path;	/* resolved against the file */
	unsigned		 memory;	/* MiB; default 128 */
	unsigned		 vcpus;		/* default 1 */
	enum farm_domtype	 type;		/* default pv */
	enum farm_on_crash	 on_crash;	/* default restart */
	unsigned		 crash_limit;	/* restarts in place within */
	unsigned		 crash_window_s; /* this many seconds; then a
						 * fresh partition replaces
						 * it (default 5 within 60) */
	struct farm_name	*exports;
	size_t			 nexports;
	struct farm_name	*imports;
	size_t			 nimports;
	struct farm_dev		*disks;		/* raw, xvda, xvdb... in order */
	size_t			 ndisks;
	struct farm_dev		*vifs;		/* one network interface each,
						 * on the bridge named */
	size_t			 nvifs;
	bool			 incomplete;	/* a syntax error dropped part */
};

/* ---- expressions ---------------------------------------------------- */

enum farm_policy {
	FARM_OR_RANDOM,		/* the seed's choice */
	FARM_OR_ROUNDROBIN,
	FARM_OR_LEASTOUT,	/* fewest calls outstanding */
	FARM_OR_FAILOVER,	/* first live branch, in order */
};
const char	*farm_policy_name(enum farm_policy);

enum farm_expr_kind {
	FARM_E_NAME,		/* another binding of the same farm */
	FARM_E_VM,		/* vm Role [on "host"] { Import = expr, ... } */
	FARM_E_OR,		/* or [policy] (e, e, ...) */
	FARM_E_PAR,		/* par [hedge MS | hedge pN] (e, e, ...) */
	FARM_E_REF,		/* ref e */
	FARM_E_REMOTE,		/* remote Iface "url" */
};

struct farm_expr;
struct farm_binding;
struct farm_instance;

/* Inside a vm: `Import = expr`. */
struct farm_wire {
	char			*import;
	struct farm_loc		 loc;
	struct farm_expr	*expr;
	struct farm_iface	*iface;		/* set by the checker */
};

struct farm_expr {
	enum farm_expr_kind	 kind;
	struct farm_loc		 loc;
	union {
		struct {
			char			*name;
			struct farm_binding	*target;	/* checker */
		} name;
		struct {
			char			*role;
			struct farm_role	*role_p;	/* checker */
			struct farm_wire	*wires;
			size_t			 nwires;
			struct farm_instance	*inst;		/* checker */
			struct farm_loc		 role_loc;
			/* `on "HOST"`: the host, or a host label, its
			 * instance must run on; NULL: any host */
			char			*on;
			struct farm_loc		 on_loc;
		} vm;
		struct {		/* FARM_E_OR and FARM_E_PAR */
			enum farm_policy	 policy;	/* or only */
			struct farm_expr	**branches;
			size_t			 nbranches;
			/* or only: `elastic MIN to MAX [grow G] [idle S]`,
			 * a pool of instances of its one vm branch, grown
			 * while the calls outstanding per instance average
			 * G or more over a second, shrunk after S seconds
			 * below half a call per instance; pool_max 0:
			 * not elastic */
			unsigned		 pool_min, pool_max;
			unsigned		 pool_grow, pool_idle_s;
			struct farm_loc		 pool_loc;
			/* par only: `hedge MS` sends the next branch when
			 * the ones sent have not answered within MS ms;
			 * `hedge pN` within the N-th percentile of the
			 * branches' recent latency.  Both 0: not hedged. */
			unsigned		 hedge_ms;
			unsigned		 hedge_pct;
			struct farm_loc		 hedge_loc;
		} comb;
		struct {
			struct farm_expr	*target;
		} ref;
		struct {
			char			*iface;
			struct farm_iface	*iface_p;	/* checker */
			char			*url;
			bool			 url_bad;	/* reported */
			struct farm_loc		 url_loc;
			struct farm_loc		 iface_loc;
			/* https: the CAs to check the server against
			 * (NULL: the system's), resolved like images */
			char			*ca;
			struct farm_loc		 ca_loc;
		} remote;
	} u;
};

struct farm_binding {
	char			*name;
	struct farm_loc		 loc;
	struct farm_expr	*expr;
	unsigned		 uses;		/* checker: times referred to */
};

struct farm_export {
	char			*binding;	/* name before the dot */
	char			*iface;		/* name after the dot */
	struct farm_loc		 loc;
	struct farm_binding	*binding_p;	/* checker */
	struct farm_iface	*iface_p;	/* checker */
	char			*addr;		/* "host:port" or NULL */
	bool			 addr_bad;	/* reported */
	struct farm_loc		 addr_loc;
	struct farm_loc		 iface_loc;
	/* After the address: 'insecure' (plain HTTP off loopback, said so),
	 * or 'tls' with its files, resolved against the farm file's
	 * directory; client-ca: client certificates required. */
	bool			 insecure;
	bool			 tls;
	struct farm_loc		 sec_loc;	/* 'insecure' or 'tls' */
	char			*tls_cert;
	char			*tls_key;
	char			*tls_ca;
};

/*
 * One VM instance: every `vm` expression of a farm is one.  Named
 * <farm>-<binding> when its binding holds one vm, else
 * <farm>-<binding>-<n>, n counting from 1 in source order.
 */
struct farm_instance {
	char			*name;
	struct farm_binding	*binding;
	struct farm_expr	*vm;
	struct farm_role	*role;
	unsigned		 index;		/* 0 when alone */
	const char		*on;		/* vm's pin; NULL: any host */
};

struct farm {
	char			*name;
	struct farm_loc		 loc;
	struct farm_binding	*bindings;
	size_t			 nbindings;
	struct farm_export	*exports;
	size_t			 nexports;
	/* set by the checker: */
	struct farm_instance	*instances;
	size_t			 ninstances;
	bool			 incomplete;	/* a syntax error dropped part */
};

struct farm_file {
	char			*path;		/* as given */
	char			*dir;		/* directory of path */
	struct farm_iface	*ifaces;
	size_t			 nifaces;
	struct farm_role	*roles;
	size_t			 nroles;
	struct farm		*farms;
	size_t			 nfarms;
};

/* ---- entry points ---------------------------------------------------- */

/*
 * Parse text (len bytes; need not be NUL-terminated).  Always returns a
 * tree (caller frees with farm_file_free), possibly partial; syntax
 * errors go to d.  path is used for locations and to resolve images.
 */
struct farm_file	*farm_parse(const char *path, const char *text,
			    size_t len, struct farm_diags *d);

/* Resolve names and check the wiring; returns the number of errors. */
size_t			 farm_check(struct farm_file *, struct farm_diags *d);

/* Read, parse and check a file; NULL only if it cannot be read. */
struct farm_file	*farm_load(const char *path, struct farm_diags *d);

void			 farm_file_free(struct farm_file *);

/*
 * Parse and check one expression in the context of farm f (used by
 * `baltic set`): it may name f's bindings and combine them with
 * or/par/ref/remote; `vm` is refused.  needed lists the interfaces the
 * expression must provide.  Caller frees the result with
 * farm_expr_free(); NULL on error (reported in d, with file "<set>").
 */
struct farm_expr	*farm_check_expr(struct farm_file *file,
			    struct farm *f, const char *text,
			    struct farm_iface **needed, size_t nneeded,
			    struct farm_diags *d);
void			 farm_expr_free(struct farm_expr *);

/* Look-ups by name; NULL when absent. */
struct farm_iface	*farm_find_iface(const struct farm_file *, const char *);
struct farm_op		*farm_find_op(const struct farm_iface *, const char *);
struct farm		*farm_find_farm(const struct farm_file *, const char *);
struct farm_binding	*farm_find_binding(const struct farm *, const char *);

/* Does e (checked) provide interface i? */
bool			 farm_expr_provides(const struct farm_expr *,
			    const struct farm_iface *);

/*
 * The interfaces a `ref` binding is used as (the union over its uses as
 * a wire, an export or a branch).  Returns a count; *v_r is caller-freed.
 */
size_t			 farm_ref_needs(const struct farm *,
			    const struct farm_binding *,
			    struct farm_iface ***v_r);

/*
 * Check an argument or result against a type: 0 if it conforms, else
 * -1 with a static reason in *why_r.  For operations with more than one
 * parameter the argument is a JSON array of the values (see
 * baltic.farm(5)); farm_check_args does that split.
 */
int	farm_value_check(enum farm_vtype, const void *untrusted, size_t len,
	    const char **why_r);
int	farm_check_args(const struct farm_op *, const void *untrusted,
	    size_t len, char *why, size_t whylen);

/* ---- added with the implementation ---------------------------------- */

/*
 * Does e (checked) route through binding b, following names, or/par
 * branches and refs but not a vm's wires?  `baltic set` refuses an
 * expression that refers to the ref being set: it would loop.
 */
bool	farm_expr_refers_to(const struct farm_expr *,
	    const struct farm_binding *);

/*
 * Split "host:port" (IPv4, hostname or [IPv6]; port 1-65535): 0, or -1
 * with a static reason in *why_r.  *host_r is caller-freed; either
 * output may be NULL.
 */
/* Is "host:port" on loopback (localhost, 127.0.0.0/8, [::1])?  1, 0, or
 * -1 if it does not parse. */
int	farm_addr_loopback(const char *);
int	farm_parse_addr(const char *, char **host_r, unsigned *port_r,
	    const char **why_r);

/*
 * Split "http[s]://host:port[/path]": 0, or -1 with a static reason.
 * *path_r is "/" when absent.  *host_r and *path_r are caller-freed.
 */
int	farm_parse_url(const char *, char **host_r, unsigned *port_r,
	    char **path_r, const char **why_r);

/* Render e as farm source ("or roundrobin(a, b)"); caller frees. */
char	*farm_expr_str(const struct farm_expr *);

#endif /* BALTIC_FARM_H */
