/*
 * record.c: the cluster's records in etcd (record.h), read and written.
 * Every record was written by some balticd, but it is read as untrusted:
 * one that does not parse, or names what cannot be, is said and left
 * out (NULL), never a crash.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cluster/record.h"
#include "log.h"
#include "util/util.h"

/* A host's or a label's name: the rule of a farm's pin (farm(5); the
 * parser's host_name_ok says where one breaks it), so that every host
 * can be pinned to. */
bool
record_name_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > RECORD_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (i > 0 && (s[i] == '.' || s[i] == '-' || s[i] == '_'))))
			return false;
	return true;
}

/* Split a comma-separated list of names into *v_r (n_r of them). */
int
record_split_names(const char *s, char ***v_r, size_t *n_r, char **err_r)
{
	const char	*p = s, *e;
	char		**v;

	*v_r = NULL;
	*n_r = 0;
	while (p != NULL && *p != '\0') {
		e = strchr(p, ',');
		if (!record_name_ok(p, e != NULL ? (size_t)(e - p) : strlen(p)))
			return errf(err_r, "bad name in list \"%s\"", s);
		if ((v = reallocarray(*v_r, *n_r + 1, sizeof *v)) == NULL ||
		    (v[*n_r] = strndup(p, e != NULL ? (size_t)(e - p) :
		    strlen(p))) == NULL)
			fatal("%s", __func__);
		*v_r = v;
		(*n_r)++;
		p = e != NULL ? e + 1 : NULL;
	}
	return 0;
}

void
record_free_names(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The value of key among n keys and their values, or NULL. */
static const char *
names_find(char *const *k, char *const *v, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(k[i], key) == 0)
			return v[i];
	return NULL;
}

const char *
cfarm_host(const struct cfarm *r, const char *inst)
{
	return r != NULL ? names_find(r->inst, r->host, r->n, inst) : NULL;
}

const char *
cfarm_ref(const struct cfarm *r, const char *ref)
{
	return r != NULL ? names_find(r->ref, r->ref_text, r->nrefs, ref) :
	    NULL;
}

void
chost_free(struct chost *h)
{
	free(h->name);
	free(h->addr);
	record_free_names(h->labels, h->nlabels);
	free(h);
}

void
cfarm_free(struct cfarm *r)
{
	free(r->name);
	free(r->source);
	free(r->path);
	record_free_names(r->inst, r->n);
	record_free_names(r->host, r->n);
	free(r->mem);
	record_free_names(r->ref, r->nrefs);
	record_free_names(r->ref_text, r->nrefs);
	free(r);
}

/* A host's record from untrusted JSON, or NULL (said why). */
struct chost *
chost_parse(const char *name, const char *val, size_t len)
{
	char		*buf, ebuf[128];
	const char	*path[] = { "labels", NULL }, *addr, *l;
	yajl_val	 t = NULL, labels;
	struct chost	*h = NULL;
	size_t		 i;

	if ((buf = strndup(val, len)) == NULL)
		fatal("%s", __func__);
	if ((t = yajl_tree_parse(buf, ebuf, sizeof ebuf)) == NULL ||
	    !YAJL_IS_OBJECT(t) || (addr = json_str(t, "addr")) == NULL ||
	    strlen(addr) > 64 || strchr(addr, ':') == NULL) {
		log_warnx("cluster: host %s: record unusable; left out", name);
		goto out;
	}
	if ((h = calloc(1, sizeof *h)) == NULL ||
	    (h->name = strdup(name)) == NULL ||
	    (h->addr = strdup(addr)) == NULL)
		fatal("%s", __func__);
	h->capacity_mb = json_int(t, "capacity_mb", 0);
	if (h->capacity_mb < 0 || h->capacity_mb > RECORD_MEM_MAX_MB)
		h->capacity_mb = 0;
	labels = yajl_tree_get(t, path, yajl_t_array);
	for (i = 0; labels != NULL && i < labels->u.array.len && i < 64; i++) {
		if ((l = YAJL_GET_STRING(labels->u.array.values[i])) == NULL ||
		    !record_name_ok(l, strlen(l)))
			continue;
		if ((h->labels = reallocarray(h->labels, h->nlabels + 1,
		    sizeof *h->labels)) == NULL ||
		    (h->labels[h->nlabels++] = strdup(l)) == NULL)
			fatal("%s", __func__);
	}
out:
	yajl_tree_free(t);
	free(buf);
	return h;
}

/* A ref's name as the farm language spells a binding's (farm(5)). */
static bool
ref_name_ok(const char *s)
{
	size_t	i, len = strlen(s);

	if (len == 0 || len > RECORD_REF_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		    (i > 0 && s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* r's refs from its untrusted record t ("refs" may be absent): 0, or
 * -1 if they are unusable (said).  The texts are checked by each host
 * against the farm when it rewires; here, only their shape. */
static int
cfarm_parse_refs(struct cfarm *r, yajl_val t)
{
	const char	*path[] = { "refs", NULL }, *k, *v;
	yajl_val	 refs;
	size_t		 i, j, n;

	if ((refs = yajl_tree_get(t, path, yajl_t_any)) == NULL)
		return 0;
	if (!YAJL_IS_OBJECT(refs) || refs->u.object.len > RECORD_REFS_MAX) {
		log_warnx("cluster: farm %s: refs unusable; record left out",
		    r->name);
		return -1;
	}
	n = refs->u.object.len;
	for (i = 0; i < n; i++) {
		k = refs->u.object.keys[i];
		v = YAJL_GET_STRING(refs->u.object.values[i]);
		for (j = 0; j < i; j++)
			if (strcmp(refs->u.object.keys[j], k) == 0)
				break;
		if (!ref_name_ok(k) || j < i) {
			log_warnx("cluster: farm %s: a ref's name is "
			    "unusable; record left out", r->name);
			return -1;
		}
		if (v == NULL || *v == '\0' || strlen(v) > RECORD_REF_TEXT_MAX) {
			log_warnx("cluster: farm %s: ref %s is set to no "
			    "usable text; record left out", r->name, k);
			return -1;
		}
	}
	if ((r->ref = calloc(n + 1, sizeof *r->ref)) == NULL ||
	    (r->ref_text = calloc(n + 1, sizeof *r->ref_text)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++) {
		if ((r->ref[i] = strdup(refs->u.object.keys[i])) == NULL ||
		    (r->ref_text[i] = strdup(refs->u.object.values[i]->
		    u.string)) == NULL)
			fatal("%s", __func__);
		r->nrefs++;
	}
	return 0;
}

/* A farm's record from untrusted JSON, or NULL (said why). */
struct cfarm *
cfarm_parse(const char *name, const char *val, size_t len, int64_t rev)
{
	char		*buf, ebuf[128];
	const char	*path[] = { "place", NULL }, *mpath[] = { "mem_mb", NULL };
	const char	*src, *fpath, *h;
	yajl_val	 t = NULL, place, mem, m;
	struct cfarm	*r = NULL;
	size_t		 i, n;

	if ((buf = strndup(val, len)) == NULL)
		fatal("%s", __func__);
	if ((t = yajl_tree_parse(buf, ebuf, sizeof ebuf)) == NULL ||
	    !YAJL_IS_OBJECT(t) || (src = json_str(t, "source")) == NULL ||
	    (fpath = json_str(t, "path")) == NULL ||
	    (place = yajl_tree_get(t, path, yajl_t_object)) == NULL) {
		log_warnx("cluster: farm %s: record unusable; left out", name);
		goto out;
	}
	n = place->u.object.len;
	for (i = 0; i < n; i++)
		if ((h = YAJL_GET_STRING(place->u.object.values[i])) == NULL ||
		    !record_name_ok(h, strlen(h))) {
			log_warnx("cluster: farm %s: instance %s has no host; "
			    "record left out", name, place->u.object.keys[i]);
			goto out;
		}
	if ((r = calloc(1, sizeof *r)) == NULL ||
	    (r->name = strdup(name)) == NULL ||
	    (r->source = strdup(src)) == NULL ||
	    (r->path = strdup(fpath)) == NULL ||
	    (r->inst = calloc(n + 1, sizeof *r->inst)) == NULL ||
	    (r->host = calloc(n + 1, sizeof *r->host)) == NULL ||
	    (r->mem = calloc(n + 1, sizeof *r->mem)) == NULL)
		fatal("%s", __func__);
	mem = yajl_tree_get(t, mpath, yajl_t_object);
	for (i = 0; i < n; i++) {
		h = YAJL_GET_STRING(place->u.object.values[i]);
		if ((r->inst[i] = strdup(place->u.object.keys[i])) == NULL ||
		    (r->host[i] = strdup(h != NULL ? h : "")) == NULL)
			fatal("%s", __func__);
		/* An instance's memory, counted against its host. */
		m = mem != NULL && i < mem->u.object.len ?
		    mem->u.object.values[i] : NULL;
		r->mem[i] = m != NULL && YAJL_IS_INTEGER(m) &&
		    YAJL_GET_INTEGER(m) > 0 &&
		    YAJL_GET_INTEGER(m) <= RECORD_MEM_MAX_MB ?
		    YAJL_GET_INTEGER(m) : RECORD_MEM_DEFAULT_MB;
	}
	r->n = n;
	r->mod_rev = rev;
	if (cfarm_parse_refs(r, t) == -1) {
		cfarm_free(r);
		r = NULL;
	}
out:
	yajl_tree_free(t);
	free(buf);
	return r;
}

/* What g generated, as a string (caller frees; NULL if out of memory);
 * g is freed. */
static char *
gen_text(yajl_gen g, size_t *len_r)
{
	const unsigned char	*buf;
	size_t			 len;
	char			*v = NULL;

	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
	    (v = strndup((const char *)buf, len)) != NULL)
		*len_r = len;
	yajl_gen_free(g);
	return v;
}

/* Keys and their string values into g. */
static void
gen_kv(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

/* A farm's record; ref and ref_text: nrefs refs set, and a ref set to
 * text (NULL: none) in its place, or after them. */
static char *
cfarm_gen(const char *source, const char *path, char *const *inst,
    const char *const *host, const int64_t *mem, size_t n,
    char *const *ref, char *const *ref_text, size_t nrefs,
    const char *set, const char *text, size_t *len_r)
{
	yajl_gen	g;
	size_t		i;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return NULL;
	yajl_gen_map_open(g);
	gen_kv(g, "source", source);
	gen_kv(g, "path", path);
	yajl_gen_string(g, (const unsigned char *)"place", 5);
	yajl_gen_map_open(g);
	for (i = 0; i < n; i++)
		gen_kv(g, inst[i], host[i]);
	yajl_gen_map_close(g);
	/* In the same order as place: read by position. */
	yajl_gen_string(g, (const unsigned char *)"mem_mb", 6);
	yajl_gen_map_open(g);
	for (i = 0; i < n; i++) {
		yajl_gen_string(g, (const unsigned char *)inst[i],
		    strlen(inst[i]));
		yajl_gen_integer(g, mem[i]);
	}
	yajl_gen_map_close(g);
	if (nrefs > 0 || set != NULL) {
		yajl_gen_string(g, (const unsigned char *)"refs", 4);
		yajl_gen_map_open(g);
		for (i = 0; i < nrefs; i++)
			if (set == NULL || strcmp(ref[i], set) != 0)
				gen_kv(g, ref[i], ref_text[i]);
		if (set != NULL)
			gen_kv(g, set, text);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	return gen_text(g, len_r);
}

char *
cfarm_value(const char *source, const char *path, char *const *inst,
    const char *const *host, const int64_t *mem, size_t n, size_t *len_r)
{
	return cfarm_gen(source, path, inst, host, mem, n, NULL, NULL, 0,
	    NULL, NULL, len_r);
}

char *
cfarm_value_with(const struct cfarm *r, const char *const *host,
    const char *ref, const char *text, size_t *len_r)
{
	return cfarm_gen(r->source, r->path, r->inst, host != NULL ? host :
	    (const char *const *)r->host, r->mem, r->n, r->ref, r->ref_text,
	    r->nrefs, ref, text, len_r);
}

char *
chost_value(const char *addr, int64_t capacity_mb, char *const *labels,
    size_t nlabels, size_t *len_r)
{
	yajl_gen	g;
	size_t		i;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return NULL;
	yajl_gen_map_open(g);
	gen_kv(g, "addr", addr);
	yajl_gen_string(g, (const unsigned char *)"capacity_mb", 11);
	yajl_gen_integer(g, capacity_mb);
	yajl_gen_string(g, (const unsigned char *)"labels", 6);
	yajl_gen_array_open(g);
	for (i = 0; i < nlabels; i++)
		yajl_gen_string(g, (const unsigned char *)labels[i],
		    strlen(labels[i]));
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return gen_text(g, len_r);
}
