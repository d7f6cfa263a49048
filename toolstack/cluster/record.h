/*
 * record.h: the cluster's records in etcd (the daemon's cluster.h says
 * where they live), as C structures: what one says, read from its JSON
 * (untrusted), and the JSON of one to write.
 *
 *   hosts/NAME	{"addr":"IP:PORT","capacity_mb":N,"labels":["L",...]}
 *   farms/NAME	{"source":TEXT,"path":FILE,"place":{"INSTANCE":"HOST",...},
 *		"mem_mb":{"INSTANCE":N,...},"refs":{"REF":EXPR,...}}
 *
 * "refs" (absent in the records of older balticd) holds the refs that
 * `baltic set` pointed elsewhere; a ref it does not name is as the
 * farm's source defines it.
 */
#ifndef BALTIC_CLUSTER_RECORD_H
#define BALTIC_CLUSTER_RECORD_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECORD_NAME_MAX		63	/* a host's or a label's name */
#define RECORD_MEM_DEFAULT_MB	128	/* an instance without one */
#define RECORD_MEM_MAX_MB	(1LL << 32)	/* more is not believed */
#define RECORD_REF_NAME_MAX	255	/* a ref's (a binding's) name */
#define RECORD_REF_TEXT_MAX	(64 * 1024)	/* the expression it is set to */
#define RECORD_REFS_MAX		1024	/* refs set in one farm */

/* A host, as its record says (hosts/NAME). */
struct chost {
	char			*name;
	char			*addr;
	int64_t			 capacity_mb;
	char			**labels;
	size_t			 nlabels;
	TAILQ_ENTRY(chost)	 entry;
};

/* A farm, as its record says (farms/NAME): the source and, per
 * instance, the host. */
struct cfarm {
	char			*name;
	int64_t			 mod_rev;
	char			*source;
	char			*path;
	char			**inst;
	char			**host;
	int64_t			*mem;		/* MiB, counted against it */
	size_t			 n;
	char			**ref;		/* the refs set, by name */
	char			**ref_text;	/* and what each is set to */
	size_t			 nrefs;
	bool			 replacing;	/* a placement of ours is in
						 * etcd's hands */
	TAILQ_ENTRY(cfarm)	 entry;
};

/* A host's or a label's name: 1 to RECORD_NAME_MAX bytes of letters,
 * digits, '.', '_' and '-', the first a letter or a digit (as a farm's
 * pin, baltic.farm(5)). */
bool		 record_name_ok(const char *, size_t);
/* A comma-separated list of names into *v_r (*n_r of them; caller frees
 * with record_free_names): 0, or -1 with *err_r. */
int		 record_split_names(const char *, char ***v_r, size_t *n_r,
		    char **err_r);
void		 record_free_names(char **, size_t);

/* A record read from its key's name and untrusted value: NULL if it
 * is unusable (said).  rev: the key's mod_revision. */
struct chost	*chost_parse(const char *name, const char *val, size_t len);
struct cfarm	*cfarm_parse(const char *name, const char *val, size_t len,
		    int64_t rev);
void		 chost_free(struct chost *);
void		 cfarm_free(struct cfarm *);
/* The host of a farm's instance, NULL if the record has none. */
const char	*cfarm_host(const struct cfarm *, const char *inst);
/* What the record sets ref to; NULL: the source's definition. */
const char	*cfarm_ref(const struct cfarm *, const char *ref);

/* The JSON of a record (caller frees; NULL if out of memory). */
char		*chost_value(const char *addr, int64_t capacity_mb,
		    char *const *labels, size_t nlabels, size_t *len_r);
char		*cfarm_value(const char *source, const char *path,
		    char *const *inst, const char *const *host,
		    const int64_t *mem_mb, size_t n, size_t *len_r);
/* r's record again, its instances on host (NULL: where r has them) and
 * ref set to text (ref NULL: r's refs as they are). */
char		*cfarm_value_with(const struct cfarm *r,
		    const char *const *host, const char *ref,
		    const char *text, size_t *len_r);

#endif /* BALTIC_CLUSTER_RECORD_H */
