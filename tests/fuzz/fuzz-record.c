/*
 * fuzz-record.c: the cluster's records as etcd hands them to balticd
 * (toolstack/cluster/record.c): JSON another host wrote, untrusted.
 *
 * Input: one selector byte (even: a host's record, odd: a farm's), then
 * the value.  A host read has an address, a capacity within bounds and
 * labels that are names.  A farm read has, per instance, a host that is
 * a name and a memory within bounds, and refs set to text within bounds;
 * written back (cfarm_value_with) and read again, it says the same.
 */
#include <string.h>

#include "fuzz.h"
#include "cluster/record.h"

static void
check_host(const char *val, size_t len)
{
	struct chost	*h;
	size_t		 i;

	if ((h = chost_parse("h", val, len)) == NULL)
		return;
	FUZZ_CHECK(h->addr != NULL && strchr(h->addr, ':') != NULL);
	FUZZ_CHECK(h->capacity_mb >= 0 &&
	    h->capacity_mb <= RECORD_MEM_MAX_MB);
	for (i = 0; i < h->nlabels; i++)
		FUZZ_CHECK(record_name_ok(h->labels[i],
		    strlen(h->labels[i])));
	chost_free(h);
}

static void
check_farm(const char *val, size_t len)
{
	struct cfarm	*r, *r2;
	char		*v;
	size_t		 i, vlen;

	if ((r = cfarm_parse("f", val, len, 7)) == NULL)
		return;
	FUZZ_CHECK(r->mod_rev == 7 && r->source != NULL && r->path != NULL);
	for (i = 0; i < r->n; i++) {
		FUZZ_CHECK(record_name_ok(r->host[i], strlen(r->host[i])));
		FUZZ_CHECK(r->mem[i] > 0 && r->mem[i] <= RECORD_MEM_MAX_MB);
	}
	FUZZ_CHECK(r->nrefs <= RECORD_REFS_MAX);
	for (i = 0; i < r->nrefs; i++)
		FUZZ_CHECK(r->ref_text[i][0] != '\0' &&
		    strlen(r->ref_text[i]) <= RECORD_REF_TEXT_MAX);
	v = cfarm_value_with(r, NULL, NULL, NULL, &vlen);
	FUZZ_CHECK(v != NULL);
	r2 = cfarm_parse("f", v, vlen, 7);
	FUZZ_CHECK(r2 != NULL && r2->n == r->n &&
	    strcmp(r2->source, r->source) == 0 &&
	    strcmp(r2->path, r->path) == 0);
	for (i = 0; i < r->n; i++)
		FUZZ_CHECK(strcmp(r2->inst[i], r->inst[i]) == 0 &&
		    strcmp(r2->host[i], r->host[i]) == 0 &&
		    r2->mem[i] == r->mem[i]);
	FUZZ_CHECK(r2->nrefs == r->nrefs);
	for (i = 0; i < r->nrefs; i++)
		FUZZ_CHECK(strcmp(cfarm_ref(r2, r->ref[i]), r->ref_text[i]) ==
		    0);
	cfarm_free(r2);
	free(v);
	cfarm_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] % 2 == 0)
		check_host((const char *)data + 1, size - 1);
	else
		check_farm((const char *)data + 1, size - 1);
	return 0;
}
